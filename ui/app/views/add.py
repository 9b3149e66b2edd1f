"""Add page: arXiv ids or URLs, GitHub repositories, or an uploaded PDF, with live progress and the result."""

from __future__ import annotations

import streamlit as st

from ui.app import resources
from ui.app.adding import add_and_index, show_report
from ui.app.i18n import t
from ui.app.uploads import store_upload
from ui.app.widgets import call

RESULT_KEY = "add_result"


def _items(text: str) -> list[str]:
    """Items separated by new lines or spaces."""
    return text.split()


def upload_form() -> list[str]:
    """An uploaded PDF, checked and stored under <home>/uploads/, as an item to add (empty if none)."""
    settings = resources.context().settings
    upload = st.file_uploader(t("add.upload_label"), type=["pdf"], help=t("add.upload_help", mb=settings.max_pdf_mb))
    if upload is None or not st.button(t("add.upload_button"), icon=":material/upload_file:", key="add_upload"):
        return []
    path = call(store_upload, settings.home, upload.name, upload.getvalue(), settings.max_pdf_mb)
    return [str(path)] if path else []


def source_form() -> list[str]:
    """arXiv ids or URLs and GitHub repositories typed by the user, once submitted."""
    with st.form("add_sources"):
        text = st.text_area(t("add.sources_label"), placeholder="2106.09685\nhttps://arxiv.org/abs/1909.08053\n"
                            "NVIDIA/Megatron-LM", help=t("add.sources_help"))
        submitted = st.form_submit_button(t("add.sources_button"), icon=":material/add:", type="primary")
    if submitted and not _items(text):
        st.warning(t("add.nothing"))
    return _items(text) if submitted else []


def page() -> None:
    """Render the add page."""
    st.title(t("add.title"))
    st.caption(t("add.intro"))
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader(t("add.sources_heading"))
        items = source_form()
    with right:
        st.subheader(t("add.upload_heading"))
        items += upload_form()
    if items:
        st.session_state[RESULT_KEY] = add_and_index(items)
    if st.session_state.get(RESULT_KEY):
        st.subheader(t("add.result_heading"))
        show_report(st.session_state[RESULT_KEY])


page()
