"""The search service: index the library and search it, composed from Settings."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from pathlib import Path

from index.chunking import ChunkingSpec
from index.crosslingual import Translator
from index.embeddings import Embedder, MultilingualUseEmbedder, SentenceTransformerEmbedder
from index.indexer import IndexReport, Progress, sync_index
from index.indexer import reindex as rebuild_index
from index.models import Hit
from index.search import Searcher, SearchOptions, Weights
from index.terms import ML_TERMS, merged
from ingest.errors import InputError
from ui.services import Context
from ui.services.guides import load_guides, merged_glossary
from ui.services.library import open_store
from ui.settings import Settings

EMBEDDER_KEY = "embedder"
CROSSLINGUAL_KEY = "crosslingual_embedder"
SEARCHER_KEY = "searcher"
GLOSSARY_KEY = "glossary"


def index_dir(settings: Settings) -> Path:
    """Where the FAISS files and their manifests live."""
    return settings.home / "index"


def chunking(settings: Settings) -> ChunkingSpec:
    """The chunking settings the index is built with."""
    return ChunkingSpec(chunk_tokens=settings.chunk_tokens, overlap_tokens=max(1, settings.chunk_tokens // 10))


def embedder(ctx: Context) -> Embedder:
    """The dense embedding model, loaded once per context."""
    return ctx.resource(EMBEDDER_KEY, lambda: SentenceTransformerEmbedder(ctx.settings.embedding_model))


def crosslingual_embedder(ctx: Context) -> Embedder | None:
    """The multilingual encoder when cross-lingual search is on, loaded once per context."""
    if not ctx.settings.crosslingual:
        return None
    return ctx.resource(CROSSLINGUAL_KEY, MultilingualUseEmbedder)


def glossary(ctx: Context) -> dict[str, str]:
    """The zh -> en glossary for expanding questions: the built-in ML terms under the shipped guides' own."""
    def build() -> dict[str, str]:
        try:
            return merged(merged_glossary(load_guides()))
        except InputError:
            return dict(ML_TERMS)  # no readable seed guide: the built-in terms still expand questions

    return ctx.resource(GLOSSARY_KEY, build)


def options(settings: Settings, glossary_terms: dict[str, str]) -> SearchOptions:
    """Fusion weights and glossary from Settings."""
    weights = Weights(dense=settings.weight_dense, bm25=settings.weight_bm25,
                      crosslingual=settings.weight_crosslingual, named=settings.weight_named)
    return SearchOptions(weights=weights, glossary=glossary_terms)


def searcher(ctx: Context) -> Searcher:
    """The Searcher over the committed index, opened once per context (and again after indexing)."""
    settings = ctx.settings
    # The parts are resources of their own, fetched first: building the searcher then waits on no other key.
    store, dense, multilingual, terms = open_store(ctx), embedder(ctx), crosslingual_embedder(ctx), glossary(ctx)
    return ctx.resource(SEARCHER_KEY, lambda: Searcher.open(
        store, dense, index_dir=index_dir(settings), crosslingual=multilingual, chunking=chunking(settings),
        options=options(settings, terms)))


def index_library(ctx: Context, progress: Progress | None = None) -> IndexReport:
    """Bring the index in step with the library: embed new or changed documents, drop removed ones."""
    settings = ctx.settings
    report = sync_index(open_store(ctx), embedder(ctx), index_dir=index_dir(settings),
                        crosslingual=crosslingual_embedder(ctx), chunking=chunking(settings),
                        ann_threshold=settings.ann_threshold, progress=progress)
    ctx.forget(SEARCHER_KEY)
    return report


def reindex(ctx: Context, progress: Progress | None = None) -> IndexReport:
    """Rebuild the index from the stored text, fetching nothing (after damage or a model change)."""
    settings = ctx.settings
    report = rebuild_index(open_store(ctx), embedder(ctx), index_dir=index_dir(settings),
                           crosslingual=crosslingual_embedder(ctx), chunking=chunking(settings),
                           ann_threshold=settings.ann_threshold, progress=progress)
    ctx.forget(SEARCHER_KEY)
    return report


def search(ctx: Context, query: str, *, k: int | None = None, kinds: Collection[str] | None = None,
           topics: Collection[str] | None = None, doc_ids: Collection[str] | None = None,
           translator: Translator | None = None) -> list[Hit]:
    """The best passages for a question; a translator (the assistant's LLM) helps Chinese questions."""
    found = searcher(ctx)
    if translator is not None:
        found = found.using(replace(found.options, translator=translator))
    return found.search(query, k or ctx.settings.top_k, kinds=kinds, topics=topics, doc_ids=doc_ids)
