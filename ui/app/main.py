"""The Streamlit entry script (`readpath ui`): language, sidebar status, and the five pages."""

from __future__ import annotations

import streamlit as st

from ingest.errors import ReadpathError
from ui.app import resources, sidebar
from ui.app.i18n import t
from ui.app.widgets import session_token
from ui.errors import user_message

# (script, title key, icon, url path); the first page is the one a new visitor lands on.
PAGES = [
    ("pages/chat.py", "nav.chat", ":material/chat:", "chat"),
    ("pages/library.py", "nav.library", ":material/library_books:", "library"),
    ("pages/taxonomy.py", "nav.taxonomy", ":material/account_tree:", "taxonomy"),
    ("pages/plan.py", "nav.plan", ":material/event_note:", "plan"),
    ("pages/add.py", "nav.add", ":material/add_circle:", "add"),
]


def main() -> None:
    """Render the frame around the current page, then the page itself."""
    st.set_page_config(page_title="readpath", page_icon=":material/menu_book:", layout="wide")
    try:
        ctx = resources.context()
    except ReadpathError as exc:  # bad settings: nothing else can work, so say how to fix them
        st.error(user_message(exc), icon="⚠️")
        st.stop()
    sidebar.language_switch(ctx.settings)  # first: the page titles below are in the language it sets
    session_token()
    pages = [
        st.Page(script, title=t(key), icon=icon, url_path=url, default=index == 0)
        for index, (script, key, icon, url) in enumerate(PAGES)
    ]
    current = st.navigation(pages)
    sidebar.render(ctx.settings)
    current.run()


main()
