"""What is built once per server process and shared by all sessions: the one st.cache_resource module.

The Context lazily holds the heavy objects (library store, index, embedding model, LLM), so caching
it here loads each of them once per process, whichever page asks first.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import streamlit as st

from ingest.errors import ReadpathError
from ingest.models import Guide
from ui.services import Context, answers, make_context
from ui.services import guides as guide_service


@st.cache_resource(show_spinner=False)
def context() -> Context:
    """The service Context from the effective settings (READPATH_* and the TOML file)."""
    return make_context()


@st.cache_resource(show_spinner=False)
def warm_up() -> threading.Thread:
    """Loads the index and the chat model in the background once per server, so the first question does not
    wait for them; a question asked meanwhile waits on the Context's lock for the same objects."""
    thread = threading.Thread(target=_warm_up, args=(context(),), name="readpath-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up(ctx: Context) -> None:
    # Nothing to warm yet (no index, no model): the chat page and the health check say what is wrong.
    with contextlib.suppress(ReadpathError):
        answers.warm_up(ctx)


@st.cache_resource(show_spinner=False)
def guides() -> list[Guide]:
    """The reading guides, parsed and repaired once: they are files shipped with readpath."""
    return guide_service.load_guides(None)


@st.cache_resource(show_spinner=False)
def conversations() -> dict[str, list[Any]]:
    """Chat transcripts by browser-session token, so that a page reload finds its conversation."""
    return {}

