"""A cited page opened from a chat answer: its text with the quoted passage marked, and the PDF at that page."""

from __future__ import annotations

import html
import re
from pathlib import Path

import streamlit as st

from assistant.models import Citation
from ingest.models import DocKind, Document, Page
from ui.app import data
from ui.app.i18n import t

MARK = '<mark style="background:#ffe58f;padding:0 2px">{}</mark>'
# Shorter fragments of a quote match by chance; below this many words a partial match is not trusted.
MIN_FRAGMENT_WORDS = 4


def _pattern(words: list[str]) -> re.Pattern[str]:
    # Page text breaks lines and hyphenates where the quote does not, so any whitespace may separate words.
    return re.compile(r"\s*".join(re.escape(w) for w in words), re.IGNORECASE)


def find_passage(text: str, quote: str) -> tuple[int, int] | None:
    """(start, end) of the quote in the page text, else of its longest sentence found there, else None."""
    words = quote.replace("…", " ").split()
    if not words:
        return None
    found = _pattern(words).search(text)
    if found:
        return found.span()
    pieces = sorted((p.split() for p in re.split(r"(?<=[.!?。！？;；])\s*", quote)), key=len, reverse=True)
    for piece in pieces:
        if len(piece) >= MIN_FRAGMENT_WORDS or (piece and not piece[0].isascii()):
            found = _pattern(piece).search(text)
            if found:
                return found.span()
    return None


def highlighted(text: str, quote: str) -> str:
    """The page text as HTML, escaped, with the passage matching the quote marked."""
    span = find_passage(text, quote)
    if span is None:
        return html.escape(text)
    start, end = span
    return html.escape(text[:start]) + MARK.format(html.escape(text[start:end])) + html.escape(text[end:])


def cited_page(doc: Document, citation: Citation) -> Page | None:
    """The page the citation points at: by number for a PDF, by heading for Markdown, else the first."""
    by_number = {page.number: page for page in doc.pages}
    if citation.page is not None and citation.page in by_number:
        return by_number[citation.page]
    by_heading = next((page for page in doc.pages if citation.heading and page.heading == citation.heading), None)
    return by_heading or next(iter(doc.pages), None)


def offer_file(doc: Document) -> None:
    """A local PDF has no address a browser may open from this page, so it is offered as a download."""
    path = Path(doc.source_id)
    if doc.kind is DocKind.FILE and path.suffix.lower() == ".pdf" and path.is_file():
        st.download_button(t("chat.download_pdf"), path.read_bytes(), file_name=path.name, mime="application/pdf",
                           on_click="ignore", icon=":material/picture_as_pdf:")


def show_citation(citation: Citation) -> None:
    """The body of the citation dialog."""
    st.markdown(f"**[{citation.key}] {citation.title}**")
    where = t("chat.page", page=citation.page) if citation.page else (citation.heading or "")
    st.caption(f"{citation.source_id} · {where}")
    if citation.url:
        st.link_button(t("chat.open_pdf", page=citation.page) if citation.page else t("chat.open_source"),
                       citation.url, icon=":material/picture_as_pdf:")
    doc = data.document(citation.doc_id)
    if doc is not None and not citation.url:
        offer_file(doc)
    page = cited_page(doc, citation) if doc else None
    if page is None:
        st.info(t("chat.page_missing"))
        st.markdown(f"> {citation.quote}")
        return
    body = highlighted(page.text, citation.quote)
    st.html(f'<div style="white-space:pre-wrap;max-height:60vh;overflow-y:auto;font-size:0.9rem;'
            f'line-height:1.5">{body}</div>')


def open_citation(citation: Citation) -> None:
    """Open the cited page in a dialog over the chat."""
    st.dialog(t("chat.citation_title", key=citation.key), width="large")(show_citation)(citation)
