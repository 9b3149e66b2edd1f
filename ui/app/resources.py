"""What is built once per server process and shared by all sessions: the one st.cache_resource module.

The Context lazily holds the heavy objects (library store, index, embedding model, LLM), so caching
it here loads each of them once per process, whichever page asks first.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ingest.models import Guide
from ui.services import Context, make_context
from ui.services.guides import load_guides


@st.cache_resource(show_spinner=False)
def context() -> Context:
    """The service Context from the effective settings (READPATH_* and the TOML file)."""
    return make_context()


@st.cache_resource(show_spinner=False)
def guides() -> list[Guide]:
    """The reading guides, parsed and repaired once: they are files shipped with readpath."""
    return load_guides(None)


@st.cache_resource(show_spinner=False)
def conversations() -> dict[str, list[Any]]:
    """Chat transcripts by browser-session token, so that a page reload finds its conversation."""
    return {}

