"""Keep the index in step with the library: chunk and embed what changed, commit in one step."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from index.catalog import Catalog, IndexState, StoredChunk
from index.chunking import Chunker, ChunkingSpec
from index.embeddings import Embedder, embed_all
from index.lexical import tokenize
from index.manifest import (
    CROSSLINGUAL,
    DENSE,
    IndexSpec,
    load_vectors,
    prepare_generation,
    prune_generations,
    write_manifest,
)
from index.models import Chunk
from index.vectors import EXACT, VectorIndex, build_index
from ingest.models import DocStatus, Document
from ingest.store import LibraryStore

# (stage, done, total). Stages in order: chunking, embedding, embedding-crosslingual, writing,
# committing (inside the database transaction, before it commits), committed, done.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class IndexReport:
    """What one indexing run did."""

    added: int
    updated: int
    removed: int
    unchanged: int
    chunks_added: int
    chunks_removed: int
    chunks_total: int
    generation: int
    approximate: bool  # True when the approximate (IVF) index serves searches
    seconds: float


@dataclass(frozen=True)
class _Plan:
    changed: list[Document]
    drop: list[str]  # documents whose chunks go: changed, removed, or every one on a full rebuild
    digests: dict[str, str]  # new digests of the changed documents
    added: int
    removed: int
    unchanged: int


def document_digest(doc: Document) -> str:
    """A digest of everything chunks are made from, so only changed documents are re-embedded."""
    record = {"title": doc.title, "kind": str(doc.kind), "source_id": doc.source_id, "topics": doc.topics,
              "abstract": doc.abstract, "pages": [[p.number, p.text, p.heading] for p in doc.pages],
              "sections": [[s.title, s.level, s.page] for s in doc.sections]}
    return hashlib.sha256(json.dumps(record, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def sync_index(store: LibraryStore, embedder: Embedder, *, index_dir: Path, crosslingual: Embedder | None = None,
               chunking: ChunkingSpec | None = None, ann_threshold: int = 50_000,
               progress: Progress | None = None) -> IndexReport:
    """Chunk and embed new or changed documents, drop removed ones, and commit the result atomically."""
    return _run(store, _embedders(embedder, crosslingual), index_dir, chunking or ChunkingSpec(), ann_threshold,
                progress or _quiet, full=False)


def reindex(store: LibraryStore, embedder: Embedder, *, index_dir: Path, crosslingual: Embedder | None = None,
            chunking: ChunkingSpec | None = None, ann_threshold: int = 50_000,
            progress: Progress | None = None) -> IndexReport:
    """Rebuild the whole index from the stored text (nothing is fetched), replacing a damaged or mismatched one."""
    return _run(store, _embedders(embedder, crosslingual), index_dir, chunking or ChunkingSpec(), ann_threshold,
                progress or _quiet, full=True)


def _quiet(stage: str, done: int, total: int) -> None:
    """No progress reporting."""


def _embedders(embedder: Embedder, crosslingual: Embedder | None) -> dict[str, Embedder]:
    return {DENSE: embedder, **({CROSSLINGUAL: crosslingual} if crosslingual is not None else {})}


def _run(store: LibraryStore, embedders: dict[str, Embedder], index_dir: Path, chunking: ChunkingSpec,
         ann_threshold: int, progress: Progress, *, full: bool) -> IndexReport:
    started = time.monotonic()
    catalog = Catalog(store)
    spec = IndexSpec.of(embedders, chunking)
    state = catalog.state()
    fresh = full or state.generation == 0
    old = {} if fresh else load_vectors(index_dir, state, spec, chunking=True)
    plan = _plan(store, catalog, full=fresh)
    if not fresh and not plan.drop:
        return _report(plan, 0, 0, old, state.generation, started)
    chunks = _chunk(plan.changed, embedders[DENSE], chunking, progress)
    ids = np.arange(state.next_vec_id, state.next_vec_id + len(chunks), dtype=np.int64)
    vectors = {space: embed_all(e, [c.text for c in chunks], partial(progress, _embedding_stage(space)))
               for space, e in embedders.items()}
    dropped = np.asarray(catalog.vec_ids(plan.drop), dtype=np.int64)
    progress("writing", 0, len(vectors))
    generation = state.generation + 1
    directory = prepare_generation(index_dir, generation)
    built = {space: (old[space].changed(dropped, ids, vecs, ann_threshold) if space in old
                     else build_index(ids, vecs, ann_threshold=ann_threshold)) for space, vecs in vectors.items()}
    manifest_sha = write_manifest(directory, generation, spec,
                                  {space: index.save(directory, space) for space, index in built.items()})
    stored = [StoredChunk(int(i), c, tuple(tokenize(f"{c.title} {c.section or ''} {c.text}")))
              for i, c in zip(ids, chunks, strict=True)]
    # The one commit point: until this transaction commits, readers keep the previous generation.
    catalog.commit(expected=state, new=IndexState(generation, manifest_sha, state.next_vec_id + len(chunks)),
                   drop_docs=plan.drop, chunks=stored, digests=plan.digests,
                   before_commit=lambda: progress("committing", 0, 1))
    progress("committed", 1, 1)
    prune_generations(index_dir, generation)
    progress("done", 1, 1)
    return _report(plan, len(chunks), len(dropped), built, generation, started)


def _embedding_stage(space: str) -> str:
    return "embedding" if space == DENSE else f"embedding-{space}"


def _chunk(docs: list[Document], embedder: Embedder, spec: ChunkingSpec, progress: Progress) -> list[Chunk]:
    """Chunks of the documents, sized in the dense model's tokens."""
    chunker = Chunker(embedder.tokenize, max_tokens=embedder.max_tokens, spec=spec)
    chunks: list[Chunk] = []
    for number, doc in enumerate(docs, start=1):
        chunks.extend(chunker.chunk(doc))
        progress("chunking", number, len(docs))
    return chunks


def _plan(store: LibraryStore, catalog: Catalog, *, full: bool) -> _Plan:
    """Which documents to (re)chunk and which to drop, by comparing content digests."""
    docs = store.list(status=DocStatus.OK, with_pages=True)
    digests = {doc.doc_id: document_digest(doc) for doc in docs}
    indexed = catalog.digests()
    known = {} if full else indexed
    changed = [doc for doc in docs if known.get(doc.doc_id) != digests[doc.doc_id]]
    removed = [doc_id for doc_id in indexed if doc_id not in digests]
    drop = sorted({doc.doc_id for doc in changed} | set(removed) | (set(indexed) if full else set()))
    return _Plan(changed, drop, {doc.doc_id: digests[doc.doc_id] for doc in changed},
                 added=sum(doc.doc_id not in indexed for doc in changed), removed=len(removed),
                 unchanged=len(docs) - len(changed))


def _report(plan: _Plan, added: int, removed: int, indexes: dict[str, VectorIndex], generation: int,
            started: float) -> IndexReport:
    dense = indexes.get(DENSE)
    return IndexReport(added=plan.added, updated=len(plan.changed) - plan.added,
                       removed=plan.removed, unchanged=plan.unchanged, chunks_added=added,
                       chunks_removed=removed, chunks_total=len(dense) if dense is not None else 0,
                       generation=generation, approximate=dense is not None and dense.kind != EXACT,
                       seconds=round(time.monotonic() - started, 3))
