"""The Streamlit entry script (`readpath ui`): language, sidebar status, and the five pages."""

from __future__ import annotations

import streamlit as st

from ingest.errors import ReadpathError
from ui.app import resources, sidebar
from ui.app.i18n import t
from ui.app.widgets import session_token
from ui.errors import user_message

# (script, title key, icon, url path); the first page is the one a new visitor lands on. The scripts
# live in views/, not pages/: Streamlit treats a pages/ folder as the older automatic navigation and
# shows it to a visitor whose first request opens a page's address directly.
PAGES = [
    ("views/chat.py", "nav.chat", ":material/chat:", "chat"),
    ("views/library.py", "nav.library", ":material/library_books:", "library"),
    ("views/taxonomy.py", "nav.taxonomy", ":material/account_tree:", "taxonomy"),
    ("views/plan.py", "nav.plan", ":material/event_note:", "plan"),
    ("views/add.py", "nav.add", ":material/add_circle:", "add"),
]


def main() -> None:
    """Render the frame around the current page, then the page itself."""
    st.set_page_config(page_title="readpath", page_icon=":material/menu_book:", layout="wide")
    try:
        ctx = resources.context()
    except ReadpathError as exc:  # bad settings: nothing else can work, so say how to fix them
        st.error(user_message(exc), icon=":material/error:")
        st.stop()
    resources.warm_up()
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
