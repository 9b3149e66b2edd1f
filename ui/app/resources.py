"""What is built once per server process and shared by all sessions: the one st.cache_resource module.

The Context lazily holds the heavy objects (library store, index, embedding model, LLM), so caching
it here loads each of them once per process, whichever page asks first.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import streamlit as st

from ingest.models import Guide
from ui.services import Context, make_context
from ui.services.answers import Check, doctor
from ui.services.guides import load_guides

HEALTH_TTL_S = 300


@st.cache_resource(show_spinner=False)
def context() -> Context:
    """The service Context from the effective settings (READPATH_* and the TOML file)."""
    return make_context()


@st.cache_resource(show_spinner=False)
def guides() -> list[Guide]:
    """The reading guides, parsed and repaired once: they are files shipped with readpath."""
    return load_guides(None)


@st.cache_resource(show_spinner=False)
def conversations() -> dict[str, list[dict[str, object]]]:
    """Chat transcripts by browser-session token, so that a page reload finds its conversation."""
    return {}


@st.cache_resource(show_spinner=False)
def _background() -> ThreadPoolExecutor:
    # One worker: health checks load the embedding model and the LLM, which must not load twice at once.
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="readpath-doctor")


@st.cache_resource(show_spinner=False, ttl=HEALTH_TTL_S)
def health(backend: str) -> Future[list[Check]]:
    """`readpath doctor` for this backend, started in the background so that no page waits for it.

    It loads the embedding model, the index and the LLM into the Context, which warms them up for
    the first question too. Kept HEALTH_TTL_S seconds; indexing clears it sooner.
    """
    return _background().submit(doctor, context(), backend)
