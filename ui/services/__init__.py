"""The service layer: the one API that both the CLI and the Streamlit app call.  Each module here composes ingest,
index and assistant with the user's Settings; nothing in it prints or calls Streamlit, so the two edges stay thin
and never call each other.

The heavy objects (library store, embedders, searcher, chat models) are declared `Resource`s: each names what it
is built from (`depends_on`), so dropping one (`Context.invalidate`) drops everything built on it. The
declarations live next to their builders; together they are:

    SETTINGS ─┬─ STORE ──────────────┐
              ├─ EMBEDDER ───────────┼─ SEARCHER        (search.py; a reindex invalidates it)
              ├─ CROSSLINGUAL ───────┤
              │  GLOSSARY ───────────┘                  (the shipped guides; no settings)
              ├─ CHAT_MODEL[backend] ── TRANSLATOR[backend]   (answers.py)
              └─ PLAN_GRAPH                             (plans.py)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ui.settings import Settings, load_settings

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class Resource(Generic[T]):
    """A heavy object a Context builds once: its name, its builder and the resources it is built from.

    Identity is the object (eq=False): two declarations never share a cache slot, whatever their names.
    """

    name: str
    build: Callable[[Context], T] = field(repr=False)
    depends_on: tuple[Resource[Any], ...] = ()

    def built_on(self, other: Resource[Any]) -> bool:
        """True when this resource is `other` or is built, directly or not, from it."""
        return self is other or any(parent.built_on(other) for parent in self.depends_on)


@dataclass(frozen=True, eq=False)
class ResourceFamily(Generic[T]):
    """Resources of one kind told apart by a key (a chat model per backend); `of(key)` is that member."""

    name: str
    build: Callable[[Context, str], T] = field(repr=False)
    depends_on: Callable[[str], tuple[Resource[Any], ...]] = field(default=lambda key: (), repr=False)
    _members: dict[str, Resource[T]] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def of(self, key: str) -> Resource[T]:
        """The member for `key`, the same object on every call."""
        with self._guard:
            if key not in self._members:
                build = self.build
                self._members[key] = Resource(f"{self.name}[{key}]", lambda ctx: build(ctx, key), self.depends_on(key))
            return self._members[key]


# The root every settings-built resource depends on: `Context.reconfigure` drops all of them at once.
SETTINGS: Resource[Settings] = Resource("settings", lambda ctx: ctx.settings)


@dataclass
class Context:
    """Settings plus the heavy objects built from them, each built once and kept until invalidated."""

    settings: Settings
    _built: dict[Resource[Any], Any] = field(default_factory=dict, repr=False)
    _locks: dict[Resource[Any], threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _lock_for(self, resource: Resource[Any]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(resource, threading.Lock())

    def get(self, resource: Resource[T]) -> T:
        """The resource, built on first use and reused after."""
        # One lock per resource: a slow load (the LLM) never blocks the others, a second thread asking for
        # the same one waits for the first build instead of making its own, and a builder may itself ask for
        # another resource (the searcher needs the store) without deadlocking.
        with self._lock_for(resource):
            if resource not in self._built:
                self._built[resource] = resource.build(self)
            return self._built[resource]  # type: ignore[no-any-return]

    def built(self, resource: Resource[Any]) -> bool:
        """True when the resource is built and held."""
        return resource in self._built

    def invalidate(self, resource: Resource[Any]) -> list[str]:
        """Drop the resource and every held resource built on it, so the next use rebuilds them (after a
        reindex, say); the names of those dropped."""
        with self._guard:
            doomed = [held for held in self._built if held.built_on(resource)]
        for held in doomed:
            with self._lock_for(held):
                self._built.pop(held, None)
        return [held.name for held in doomed]

    def reconfigure(self, settings: Settings) -> list[str]:
        """Use new settings: every resource built from the old ones is dropped; the names of those dropped."""
        self.settings = settings
        return self.invalidate(SETTINGS)


def make_context(**overrides: Any) -> Context:
    """A Context from the effective settings, with the data directory created."""
    settings = load_settings(**overrides)
    settings.home.mkdir(parents=True, exist_ok=True)
    return Context(settings)
