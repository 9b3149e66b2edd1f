"""Library page: the documents as a searchable, filterable table, and one document opened in full."""

from __future__ import annotations

import streamlit as st

from ingest.models import DocKind, DocStatus, Document
from ingest.store import DocumentSummary
from ui.app import data, resources
from ui.app.i18n import t
from ui.app.summary_view import show_summary
from ui.app.widgets import call, succeeded
from ui.services import library

OPEN_KEY = "library_open"  # the doc_id shown below the table; the chat page sets it too
TABLE_KEY = "library_table"


def _matches(doc: Document, query: str, kinds: list[DocKind], statuses: list[DocStatus]) -> bool:
    text = " ".join([doc.title, doc.source_id, *doc.authors]).lower()
    return ((not query or query.lower() in text) and (not kinds or doc.kind in kinds)
            and (not statuses or doc.status in statuses))


def filters() -> tuple[str, list[DocKind], list[DocStatus]]:
    """The search words and the kind and status filters the user set."""
    query_col, kind_col, status_col = st.columns([2, 1, 1])
    query = query_col.text_input(t("library.search"), placeholder=t("library.search_hint"), key="library_query")
    kinds = kind_col.multiselect(t("library.kind"), list(DocKind), format_func=lambda k: t(f"kind.{k.value}"),
                                 key="library_kinds", placeholder=t("library.any"))
    statuses = status_col.multiselect(t("library.status"), list(DocStatus), placeholder=t("library.any"),
                                      format_func=lambda s: t(f"status.{s.value}"), key="library_statuses")
    return query.strip(), kinds, statuses


def table_rows(docs: list[Document], listing: dict[str, DocumentSummary],
               names: dict[str, str]) -> list[dict[str, object]]:
    """One row per document: title, kind, year, topics, pages, status."""
    return [{
        t("library.col_title"): doc.title or doc.source_id,
        t("library.col_kind"): t(f"kind.{doc.kind.value}"),
        t("library.col_year"): (doc.published or "")[:4],
        t("library.col_topics"): ", ".join(dict.fromkeys(names.get(n, n) for n in doc.topics if n)),
        t("library.col_pages"): listing[doc.doc_id].pages if doc.doc_id in listing else None,
        t("library.col_status"): t(f"status.{doc.status.value}"),
    } for doc in docs]


def show_table(docs: list[Document]) -> None:
    """The filtered documents; choosing a row opens that document below."""
    def open_row() -> None:
        rows = st.session_state[TABLE_KEY].selection.rows
        if rows:
            st.session_state[OPEN_KEY] = docs[rows[0]].doc_id

    st.caption(t("library.count", shown=len(docs)))
    st.dataframe(table_rows(docs, data.listing(), data.topic_names()), hide_index=True, width="stretch",
                 on_select=open_row, selection_mode="single-row", key=TABLE_KEY, height=min(420, 38 + 35 * len(docs)))


def show_metadata(doc: Document) -> None:
    """Authors, dates, identifiers, link and abstract of one document."""
    facts = [(t("library.authors"), ", ".join(doc.authors[:12])), (t("library.published"), doc.published),
             (t("library.source"), doc.source_id), (t("library.categories"), ", ".join(doc.categories)),
             (t("library.doi"), doc.doi), *((key, value) for key, value in doc.meta.items())]
    st.markdown("\n".join(f"- **{name}**: {value}" for name, value in facts if value))
    if doc.url:
        st.link_button(t("library.open_source"), doc.url, icon=":material/open_in_new:")
    if doc.status is not DocStatus.OK and doc.status_reason:
        st.warning(doc.status_reason)
    if doc.abstract:
        with st.expander(t("library.abstract"), expanded=True):
            st.write(doc.abstract)


def show_links(doc: Document, titles: dict[str, str]) -> None:
    """The library papers this document cites and those citing it; each opens with a click."""
    links = call(lambda: library.open_store(resources.context()).citations(doc.doc_id)) or []
    cites = [link.cited for link in links if link.citing == doc.doc_id]
    cited_by = [link.citing for link in links if link.cited == doc.doc_id]
    for heading, doc_ids in ((t("library.cites"), cites), (t("library.cited_by"), cited_by)):
        st.markdown(f"**{heading}** ({len(doc_ids)})")
        for other in doc_ids:
            st.button(titles.get(other, other), key=f"link-{heading}-{other}", on_click=_open, args=(other,),
                      icon=":material/article:")


def show_repositories(doc: Document, docs: list[Document]) -> None:
    """Repositories in the library filed under the same guide topics as this paper."""
    topics = set(doc.topics)
    repos = [other for other in docs if other.kind is DocKind.REPO and topics & set(other.topics)]
    st.markdown(f"**{t('library.repositories')}** ({len(repos)})")
    for repo in repos:
        st.markdown(f"- [{repo.source_id}]({repo.url or 'https://github.com/' + repo.source_id}) {repo.title}")


def _open(doc_id: str) -> None:
    st.session_state[OPEN_KEY] = doc_id


def show_document(doc_id: str, docs: list[Document]) -> None:
    """One document: metadata, summary on demand, citation links and repositories."""
    doc = data.document(doc_id)
    if doc is None:
        st.info(t("library.gone"))
        return
    st.divider()
    st.header(doc.title or doc.source_id)
    about, summary, links = st.tabs([t("library.tab_about"), t("library.tab_summary"), t("library.tab_links")])
    with about:
        show_metadata(doc)
        remove_button(doc)
    with summary:
        show_summary(doc)
    with links:
        show_links(doc, {other.doc_id: other.title for other in docs})
        if doc.kind is DocKind.PAPER:
            show_repositories(doc, docs)


def remove_button(doc: Document) -> None:
    """Remove the document after a confirmation in a pop-over."""
    with st.popover(t("library.remove"), icon=":material/delete:"):
        st.write(t("library.remove_confirm", title=doc.title or doc.source_id))
        confirmed = st.button(t("library.remove_yes"), type="primary", key="remove-yes")
        if confirmed and succeeded(library.remove_document, resources.context(), doc.doc_id):
            st.session_state.pop(OPEN_KEY, None)
            st.rerun()


def page() -> None:
    """Render the library page."""
    st.title(t("library.title"))
    docs = data.documents()
    if not docs:
        st.info(t("library.empty"), icon=":material/info:")
        st.page_link("views/add.py", label=t("nav.add"), icon=":material/add_circle:")
        return
    query, kinds, statuses = filters()
    shown = [doc for doc in docs if _matches(doc, query, kinds, statuses)]
    show_table(shown)
    if st.session_state.get(OPEN_KEY):
        show_document(st.session_state[OPEN_KEY], docs)


page()
