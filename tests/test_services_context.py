"""The Context's declared resources: built once, one lock each, and dropped with everything built on them."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from ui.services import SETTINGS, Context, Resource, ResourceFamily, make_context
from ui.services import search as search_service
from ui.services.library import STORE


def _declare() -> tuple[list[str], Resource[str], Resource[str], Resource[str], Resource[str]]:
    built: list[str] = []

    def make(name: str, *parents: Resource[str]) -> Resource[str]:
        def build(ctx: Context) -> str:
            built.append(name)
            return "+".join([name, *(ctx.get(p) for p in parents)])  # a builder may ask for other resources

        return Resource(name, build, depends_on=(SETTINGS, *parents) if name != "free" else parents)

    store = make("store")
    index = make("index", store)
    answers = make("answers", index)
    return built, store, index, answers, make("free")


def test_a_resource_is_built_once_and_from_its_parents(tmp_path: Path) -> None:
    built, _, _, answers, _ = _declare()
    ctx = make_context(home=tmp_path)
    assert ctx.get(answers) == "answers+index+store"
    assert ctx.get(answers) == "answers+index+store" and built == ["answers", "index", "store"]


def test_invalidating_drops_what_is_built_on_it_and_nothing_else(tmp_path: Path) -> None:
    built, store, index, answers, free = _declare()
    ctx = make_context(home=tmp_path)
    ctx.get(answers), ctx.get(free)
    assert sorted(ctx.invalidate(index)) == ["answers", "index"]
    assert ctx.built(store) and ctx.built(free) and not ctx.built(answers)
    ctx.get(answers)
    assert built.count("store") == 1 and built.count("index") == 2
    assert sorted(ctx.reconfigure(ctx.settings.model_copy(update={"top_k": 7}))) == ["answers", "index", "store"]
    assert ctx.settings.top_k == 7 and ctx.built(free)  # declared without settings: kept


def test_two_threads_asking_at_once_share_one_build(tmp_path: Path) -> None:
    calls: list[int] = []

    def slow(ctx: Context) -> object:
        calls.append(1)
        time.sleep(0.2)
        return object()

    resource: Resource[object] = Resource("slow", slow)
    ctx = make_context(home=tmp_path)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(ctx.get(resource))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and got[0] is got[1]


def test_a_family_has_one_member_per_key() -> None:
    family: ResourceFamily[str] = ResourceFamily("model", lambda ctx, key: key, depends_on=lambda key: (SETTINGS,))
    assert family.of("local") is family.of("local") and family.of("local") is not family.of("openai")
    assert family.of("local").name == "model[local]" and family.of("local").built_on(SETTINGS)


def test_the_searcher_is_declared_on_the_store_the_embedders_and_the_glossary() -> None:
    searcher = search_service.SEARCHER
    for parent in (STORE, search_service.EMBEDDER, search_service.CROSSLINGUAL, search_service.GLOSSARY, SETTINGS):
        assert searcher.built_on(parent)
    assert not search_service.GLOSSARY.built_on(SETTINGS)
