"""A document's structured summary: shown from the cache, or generated on demand with progress."""

from __future__ import annotations

import streamlit as st

from assistant.models import Summary
from ingest.models import DocKind, DocStatus, Document
from ui.app import resources
from ui.app.citation_view import open_citation
from ui.app.i18n import LANGUAGES, language, t
from ui.app.widgets import call
from ui.services import answers

# The order sections are read in; papers and repositories each fill some of them.
SECTIONS = ("tldr", "problem", "key_idea", "method", "results", "limitations", "what", "start", "implements",
            "prerequisites", "related")


def show_sections(summary: Summary) -> None:
    """The summary's sections under their headings, and chips for the pages its results cite."""
    for name in (*SECTIONS, *(s for s in summary.sections if s not in SECTIONS)):
        text = summary.sections.get(name, "").strip()
        if text:
            st.markdown(f"**{t(f'summary.{name}') if name in SECTIONS else name}**\n\n{text}")
    chips = st.container(horizontal=True, gap="small")
    for citation in summary.citations:
        if chips.button(f"p.{citation.page}", key=f"summary-cite-{citation.key}", type="tertiary",
                        icon=":material/description:", help=citation.quote[:300]):
            open_citation(citation)
    st.caption(t("summary.model", model=summary.model))


def generate(doc: Document, lang: str) -> Summary | None:
    """Summarize with a status box and a progress bar (long papers are read window by window)."""
    with st.status(t("summary.working"), expanded=True) as status:
        bar = st.progress(0.0, text=t("summary.reading"))
        summary = call(answers.summarize, resources.context(), doc.doc_id, lang,
                       progress=lambda done, total: bar.progress(min(done / max(total, 1), 1.0),
                                                                 text=t("summary.step", done=done, total=total)))
        status.update(label=t("summary.done") if summary else t("summary.failed"),
                      state="complete" if summary else "error", expanded=summary is None)
    return summary


def show_summary(doc: Document) -> None:
    """The cached summary in the chosen language, else a button that generates it."""
    if doc.status is not DocStatus.OK or doc.kind not in (DocKind.PAPER, DocKind.REPO, DocKind.FILE):
        st.caption(t("summary.not_possible"))
        return
    lang = st.segmented_control(t("summary.language"), list(LANGUAGES), format_func=LANGUAGES.__getitem__,
                                default=language(), required=True, key=f"summary-lang-{doc.doc_id}")
    ctx = resources.context()
    summary = call(lambda: answers.summarizer(ctx).cached(doc, lang))
    if summary is None and st.button(t("summary.make"), type="primary", icon=":material/summarize:",
                                                key="summary_make"):
        summary = generate(doc, lang)
    if summary is not None:
        show_sections(summary)
