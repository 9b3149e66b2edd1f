"""The service layer: the one API that both the CLI and the Streamlit app call.  Each module here composes ingest,
index and assistant with the user's Settings; nothing in it prints or calls Streamlit, so the two edges stay thin
and never call each other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ui.settings import Settings, load_settings

T = TypeVar("T")


@dataclass
class Context:
    """Settings plus the heavy objects built from them (store, index, models), each made once."""

    settings: Settings
    _resources: dict[str, Any] = field(default_factory=dict, repr=False)
    _locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _lock_for(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def resource(self, key: str, factory: Callable[[], T]) -> T:
        """The object under `key`, built by `factory` on first use and reused after."""
        # One lock per key: a slow load (the LLM) never blocks other resources, and a factory may
        # itself ask for another resource (the searcher needs the store) without deadlocking.
        with self._lock_for(key):
            if key not in self._resources:
                self._resources[key] = factory()
            return self._resources[key]  # type: ignore[no-any-return]

    def forget(self, key: str) -> None:
        """Drop a cached object so the next use rebuilds it (after a reindex, say)."""
        with self._lock_for(key):
            self._resources.pop(key, None)


def make_context(**overrides: Any) -> Context:
    """A Context from the effective settings, with the data directory created."""
    settings = load_settings(**overrides)
    settings.home.mkdir(parents=True, exist_ok=True)
    return Context(settings)
