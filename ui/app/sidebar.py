"""The sidebar: language switch, library size, index state and LLM backend health (`readpath doctor`)."""

from __future__ import annotations

from collections import Counter

import streamlit as st

from ingest.models import DocStatus
from ui.app import data, i18n, resources
from ui.app.i18n import t
from ui.errors import user_message
from ui.services.answers import Check
from ui.settings import Settings

BACKEND_KEY = "chat_backend"  # the chat page's backend picker; the health shown is that backend's
HEALTH_POLL_S = 2.0


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


def show_checks(checks: list[Check]) -> None:
    """One line per check: the embedding model, the index, the LLM backend."""
    names = {"embedding model": t("sidebar.check_embedding"), "index": t("sidebar.check_index")}
    for check in checks:
        name = names.get(check.name, check.name.replace("llm backend", t("sidebar.check_llm")))
        icon = "✅" if check.ok else "⚠️"
        st.markdown(f"{icon} **{name}**")
        st.caption(check.detail)


@st.fragment(run_every=HEALTH_POLL_S)
def health(backend: str) -> None:
    """The doctor's checks, polled while they run in the background so that no page waits for them."""
    job = resources.health(backend)
    if not job.done():
        st.caption(t("sidebar.checking"))
        return
    error = job.exception()
    if error is not None:
        st.warning(user_message(error))
    else:
        show_checks(job.result())
    if st.button(t("sidebar.recheck"), icon=":material/refresh:", key="sidebar_recheck"):
        resources.health.clear()
        st.rerun(scope="fragment")


def render(settings: Settings) -> None:
    """The whole sidebar below the page links."""
    with st.sidebar:
        st.divider()
        library_size()
        st.subheader(t("sidebar.health"))
        health(st.session_state.get(BACKEND_KEY, settings.llm_backend))
