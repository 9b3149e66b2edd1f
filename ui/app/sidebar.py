"""The sidebar: language switch, library size, index state and LLM backend health (`readpath doctor`)."""

from __future__ import annotations

from collections import Counter

import streamlit as st

from ingest.models import DocStatus
from ui.app import data, i18n, resources
from ui.app.i18n import t
from ui.app.widgets import call, index_progress
from ui.services import answers, search
from ui.settings import Settings

BACKEND_KEY = "chat_backend"  # the chat page's backend picker; the health checked is that backend's
CHECKS_KEY = "sidebar_checks"


def language_switch(settings: Settings) -> None:
    """中文 / English for the interface, kept in the URL so that a reload keeps it."""
    st.sidebar.segmented_control(
        "Language · 语言", list(i18n.LANGUAGES), format_func=i18n.LANGUAGES.__getitem__, key=i18n.STATE_KEY,
        default=settings.language, required=True, bind="query-params", width="stretch",
    )


def library_size() -> None:
    """How many documents the library holds, by status."""
    counts = Counter(row.status for row in data.listing().values())
    total = sum(counts.values())
    st.metric(t("sidebar.documents"), total)
    if total:
        st.caption(" · ".join(f"{counts[s]} {t(f'status.{s.value}')}" for s in DocStatus if counts[s]))


def show_checks(checks: list[answers.Check]) -> None:
    """One line per check: the embedding model, the index, the LLM backend."""
    names = {"embedding model": t("sidebar.check_embedding"), "index": t("sidebar.check_index")}
    for check in checks:
        name = names.get(check.name, check.name.replace("llm backend", t("sidebar.check_llm")))
        icon = ":green[:material/check_circle:]" if check.ok else ":orange[:material/warning:]"
        st.markdown(f"{icon} **{name}**")
        st.caption(check.detail)


def build_index() -> None:
    """Index the library with a progress bar, then check again."""
    bar = st.progress(0.0, text=t("sidebar.indexing"))
    if call(search.index_library, resources.context(), index_progress(bar)) is not None:
        run_checks()
        st.rerun()  # show the new checks in place of the old ones


def run_checks() -> None:
    """`readpath doctor` for the chosen backend; it loads the models, so it runs when asked."""
    backend = st.session_state.get(BACKEND_KEY, resources.context().settings.llm_backend)
    with st.spinner(t("sidebar.checking")):
        st.session_state[CHECKS_KEY] = call(answers.doctor, resources.context(), backend)


def health() -> None:
    """The last checks, a button to run them, and one to build the index when it is missing."""
    checks: list[answers.Check] | None = st.session_state.get(CHECKS_KEY)
    if st.button(t("sidebar.recheck") if checks else t("sidebar.check"), icon=":material/stethoscope:",
                 key="sidebar_check", width="stretch"):
        run_checks()
        checks = st.session_state.get(CHECKS_KEY)
    if not checks:
        st.caption(t("sidebar.unchecked"))
        return
    show_checks(checks)
    if any(check.name == "index" and not check.ok for check in checks) and st.button(
            t("sidebar.build_index"), icon=":material/build:", key="sidebar_index", width="stretch"):
        build_index()


def render(settings: Settings) -> None:
    """The whole sidebar below the page links."""
    with st.sidebar:
        st.divider()
        library_size()
        st.subheader(t("sidebar.health"))
        st.caption(data.backend_line(st.session_state.get(BACKEND_KEY, settings.llm_backend)))
        health()
