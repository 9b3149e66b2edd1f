"""Small pieces the pages share: calling a service with its errors shown, progress, the session token."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ingest.errors import ReadpathError
from ui.app.i18n import t
from ui.errors import user_message

P = ParamSpec("P")
T = TypeVar("T")
TOKEN_PARAM = "s"


def attempt(service: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> tuple[T | None, str | None]:
    """(result, None), or (None, the error as one readable line) when the service layer refuses."""
    try:
        return service(*args, **kwargs), None
    except (ReadpathError, OSError) as exc:
        return None, user_message(exc)


def call(service: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
    """The service's result, or None after showing its error as one readable line (never a traceback)."""
    result, error = attempt(service, *args, **kwargs)
    if error is not None:
        st.error(error, icon=":material/error:")
    return result


def succeeded(service: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> bool:
    """Whether a service call made for its effect went through; its error is shown when not."""
    return call(lambda: (service(*args, **kwargs), True)[1]) is not None


def index_progress(bar: DeltaGenerator) -> Callable[[str, int, int], None]:
    """An indexing progress callback that moves `bar` and names the stage."""
    def update(stage: str, done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0),
                     text=t("index.stage", stage=t(f"index.{stage}"), done=done, total=total))

    return update


def session_token() -> str:
    """A token for this browser session, kept in the URL so that a reload finds the same session."""
    token = st.session_state.get("token") or st.query_params.get(TOKEN_PARAM) or secrets.token_urlsafe(8)
    st.session_state["token"] = token
    if st.query_params.get(TOKEN_PARAM) != token:
        st.query_params[TOKEN_PARAM] = token
    return token
