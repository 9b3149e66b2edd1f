"""Adding items to the library with live progress, then indexing them: used by the add and chat pages."""

from __future__ import annotations

import streamlit as st

from ingest.pipeline import IngestReport, Outcome, ProgressEvent
from ui.app import resources
from ui.app.i18n import t
from ui.app.widgets import call, index_progress
from ui.services import library, search


def add_and_index(items: list[str]) -> IngestReport | None:
    """Add the items with a live progress bar, then index what changed so that chat can find it."""
    ctx = resources.context()
    with st.status(t("add.working"), expanded=True) as status:
        bar = st.progress(0.0, text=t("add.starting"))

        def update(event: ProgressEvent) -> None:
            bar.progress(event.done / max(event.total, 1), text=f"{event.done}/{event.total} · {event.item[:70]}")

        report = call(library.add, ctx, items, progress=update)
        if report is None:
            status.update(label=t("add.failed"), state="error")
            return None
        if any(r.outcome is Outcome.FETCHED for r in report.results):
            status.update(label=t("add.indexing"))
            call(search.index_library, ctx, index_progress(st.progress(0.0, text=t("add.indexing"))))
        status.update(label=t("add.done") if report.ok else t("add.some_failed"),
                      state="complete" if report.ok else "error", expanded=not report.ok)
    return report


def show_report(report: IngestReport) -> None:
    """What happened to each item: outcome, title, pages, and why when it did not go through."""
    if report.offline:
        st.warning(t("add.offline"), icon=":material/wifi_off:")
    for note in report.notes:
        st.info(note)
    rows = [{t("add.col_outcome"): t(f"add.outcome_{r.outcome.value}"),
             t("add.col_item"): r.item, t("add.col_title"): r.title, t("add.col_pages"): r.pages or None,
             t("add.col_reason"): r.reason or r.note} for r in report.results]
    st.dataframe(rows, hide_index=True, width="stretch")
