"""The search service: index the library and search it, composed from Settings."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from index.chunking import ChunkingSpec
from index.embeddings import Embedder, MultilingualUseEmbedder, SentenceTransformerEmbedder
from index.indexer import IndexReport, Progress, sync_index
from index.indexer import reindex as rebuild_index
from index.models import Hit
from index.query import Query, make_query
from index.search import Searcher, SearchOptions, Weights
from index.snippets import with_snippets
from index.terms import ML_TERMS, merged
from ingest.errors import InputError
from ui.services import SETTINGS, Context, Resource
from ui.services.guides import load_guides, merged_glossary
from ui.services.library import STORE, open_store
from ui.settings import Settings


def index_dir(settings: Settings) -> Path:
    """Where the FAISS files and their manifests live."""
    return settings.home / "index"


def chunking(settings: Settings) -> ChunkingSpec:
    """The chunking settings the index is built with."""
    return ChunkingSpec(chunk_tokens=settings.chunk_tokens, overlap_tokens=max(1, settings.chunk_tokens // 10))


def _glossary(ctx: Context) -> dict[str, str]:
    try:
        return merged(merged_glossary(load_guides()))
    except InputError:
        return dict(ML_TERMS)  # no readable seed guide: the built-in terms still expand questions


def _crosslingual(ctx: Context) -> Embedder | None:
    return MultilingualUseEmbedder() if ctx.settings.crosslingual else None


def _searcher(ctx: Context) -> Searcher:
    settings = ctx.settings
    return Searcher.open(ctx.get(STORE), ctx.get(EMBEDDER), index_dir=index_dir(settings),
                         crosslingual=ctx.get(CROSSLINGUAL), chunking=chunking(settings),
                         options=options(settings, ctx.get(GLOSSARY)))


EMBEDDER: Resource[Embedder] = Resource(
    "embedder", lambda ctx: SentenceTransformerEmbedder(ctx.settings.embedding_model), depends_on=(SETTINGS,))
# The multilingual encoder, or None when cross-lingual search is off.
CROSSLINGUAL: Resource[Embedder | None] = Resource("crosslingual_embedder", _crosslingual, depends_on=(SETTINGS,))
# The one zh -> en glossary every question is expanded with: the built-in ML terms under the shipped guides'.
GLOSSARY: Resource[dict[str, str]] = Resource("glossary", _glossary)
# The committed index, searchable; indexing and reindexing invalidate it (and what is built on it).
SEARCHER: Resource[Searcher] = Resource("searcher", _searcher, depends_on=(SETTINGS, STORE, EMBEDDER, CROSSLINGUAL,
                                                                          GLOSSARY))


def embedder(ctx: Context) -> Embedder:
    """The dense embedding model, loaded once per context."""
    return ctx.get(EMBEDDER)


def crosslingual_embedder(ctx: Context) -> Embedder | None:
    """The multilingual encoder when cross-lingual search is on, loaded once per context."""
    return ctx.get(CROSSLINGUAL)


def glossary(ctx: Context) -> dict[str, str]:
    """The zh -> en glossary for expanding questions: the built-in ML terms under the shipped guides' own."""
    return ctx.get(GLOSSARY)


def options(settings: Settings, glossary_terms: dict[str, str]) -> SearchOptions:
    """Fusion weights and glossary from Settings."""
    weights = Weights(dense=settings.weight_dense, bm25=settings.weight_bm25,
                      crosslingual=settings.weight_crosslingual, named=settings.weight_named)
    return SearchOptions(weights=weights, glossary=glossary_terms)


def searcher(ctx: Context) -> Searcher:
    """The Searcher over the committed index, opened once per context (and again after indexing)."""
    return ctx.get(SEARCHER)


def query(ctx: Context, text: str, translation: str = "") -> Query:
    """A question as a Query, expanded with the one glossary: build it once, hand it to search and answers."""
    return make_query(text, glossary(ctx), translation=translation)


def index_library(ctx: Context, progress: Progress | None = None) -> IndexReport:
    """Bring the index in step with the library: embed new or changed documents, drop removed ones."""
    settings = ctx.settings
    report = sync_index(open_store(ctx), embedder(ctx), index_dir=index_dir(settings),
                        crosslingual=crosslingual_embedder(ctx), chunking=chunking(settings),
                        ann_threshold=settings.ann_threshold, progress=progress)
    ctx.invalidate(SEARCHER)
    return report


def reindex(ctx: Context, progress: Progress | None = None) -> IndexReport:
    """Rebuild the index from the stored text, fetching nothing (after damage or a model change)."""
    settings = ctx.settings
    report = rebuild_index(open_store(ctx), embedder(ctx), index_dir=index_dir(settings),
                           crosslingual=crosslingual_embedder(ctx), chunking=chunking(settings),
                           ann_threshold=settings.ann_threshold, progress=progress)
    ctx.invalidate(SEARCHER)
    return report


def search(ctx: Context, question: str | Query, *, k: int | None = None, kinds: Collection[str] | None = None,
           topics: Collection[str] | None = None, doc_ids: Collection[str] | None = None) -> list[Hit]:
    """The best passages for a question, to be shown: each with its highlighted snippet (the assistant
    searches through `searcher(ctx)` and gets none)."""
    found = searcher(ctx).scoped(doc_ids) if doc_ids else searcher(ctx)  # an unknown id is named, not "no hits"
    asked = query(ctx, question) if isinstance(question, str) else question
    hits = found.search(asked, k or ctx.settings.top_k, kinds=kinds, topics=topics)
    return with_snippets(hits, asked)
