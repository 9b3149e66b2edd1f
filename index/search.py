"""Hybrid search: dense vectors, BM25 and a multilingual ranking, fused by reciprocal rank fusion."""

from __future__ import annotations

import copy
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.catalog import Catalog, StoredChunk
from index.chunking import ChunkingSpec
from index.crosslingual import QueryForms, Translator, expand_query
from index.embeddings import Embedder
from index.errors import IndexDamaged
from index.lexical import Bm25Index, tokenize
from index.manifest import CROSSLINGUAL, DENSE, IndexSpec, load_vectors
from index.models import Chunk, Hit
from index.snippets import Highlighter
from index.vectors import VectorIndex
from ingest.store import LibraryStore
from ingest.text import short_name

NAMED = "named"
RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al. 2009): damps the top ranks' lead
BM25 = "bm25"


@dataclass(frozen=True)
class Weights:
    """Per-ranking weights in the fusion; 0 leaves a ranking out."""

    dense: float = 1.0
    bm25: float = 1.0
    crosslingual: float = 1.0
    # The passages of a paper the query names, by meaning. Twice the others: with RRF's flat top ranks a
    # passage merely near the top of three rankings beat the named paper's best page at the top of two
    # (GShard's largest model); on bench/retrieval.py's real-paper questions recall@5 goes 0.85 -> 0.90
    # (at 1.0 it stays 0.85).
    named: float = 2.0


@dataclass(frozen=True)
class SearchOptions:
    """How queries are ranked: fusion weights, glossary, translator, candidates per ranking."""

    weights: Weights = field(default_factory=Weights)
    glossary: Mapping[str, str] = field(default_factory=dict)  # zh -> en
    translator: Translator | None = None
    candidates: int = 50  # taken from each ranking before fusion (at least 4 x k)


def topic_matches(chunk_topics: Collection[str], wanted: Collection[str]) -> bool:
    """True when a chunk's topic is a wanted taxonomy node or lies under one."""
    return any(t == w or t.startswith(f"{w}/") for t in chunk_topics for w in wanted)


class Searcher:
    """Searches the committed index: one snapshot of chunk metadata, FAISS vectors and BM25."""

    def __init__(self, chunks: list[StoredChunk], vectors: dict[str, VectorIndex], embedders: dict[str, Embedder],
                 options: SearchOptions | None = None) -> None:
        self.chunks = {c.vec_id: c.chunk for c in chunks}
        self.vectors = vectors
        self.embedders = embedders
        self.options = options or SearchOptions()
        self.bm25 = Bm25Index(np.array([c.vec_id for c in chunks], dtype=np.int64), [c.terms for c in chunks])
        self.papers = _named_papers(chunks)

    @classmethod
    def open(cls, store: LibraryStore, embedder: Embedder, *, index_dir: Path, crosslingual: Embedder | None = None,
             chunking: ChunkingSpec | None = None, options: SearchOptions | None = None) -> Searcher:
        """The index as last committed; IndexMissing, IndexDamaged or ModelMismatch when it cannot serve."""
        embedders = {DENSE: embedder, **({CROSSLINGUAL: crosslingual} if crosslingual is not None else {})}
        spec = IndexSpec.of(embedders, chunking or ChunkingSpec())
        catalog = Catalog(store)
        # One transaction: the chunk rows and the generation they belong to come from the same commit.
        with catalog.snapshot():
            state = catalog.state()
            vectors = load_vectors(index_dir, state, spec)
            chunks = catalog.chunks()
        if any(len(v) != len(chunks) for v in vectors.values()):
            raise IndexDamaged("The index files and the chunk table disagree. Run `readpath reindex`.")
        return cls(chunks, vectors, embedders, options)

    def using(self, options: SearchOptions) -> Searcher:
        """The same loaded index searched with other options (weights, glossary, translator)."""
        other = copy.copy(self)
        other.options = options
        return other

    def __len__(self) -> int:
        return len(self.chunks)

    def search(self, query: str, k: int = 5, *, kinds: Collection[str] | None = None,
               topics: Collection[str] | None = None, doc_ids: Collection[str] | None = None) -> list[Hit]:
        """The k best chunks for the query, fused over the rankings, with highlighted snippets."""
        query = query.strip()
        if not query or k <= 0:
            return []
        forms = expand_query(query, glossary=self.options.glossary, translator=self.options.translator)
        allowed = self._allowed(kinds, topics, doc_ids)
        rankings = self.rankings(forms, max(self.options.candidates, 4 * k), allowed)
        fused = self._fuse(rankings)[:k]
        highlighter = Highlighter([forms.lexical_text])
        return [Hit(chunk=self.chunks[vec_id], score=round(score, 6),
                    ranks={name: ranked.index(vec_id) + 1 for name, ranked in rankings.items() if vec_id in ranked},
                    snippet=highlighter.snippet(self.chunks[vec_id].text))
                for vec_id, score in fused]

    def rankings(self, forms: QueryForms, n: int, allowed: np.ndarray | None) -> dict[str, list[int]]:
        """Each ranking's top n vector ids, best first; rankings with weight 0 are skipped."""
        weights = self.options.weights
        out: dict[str, list[int]] = {}
        if weights.dense > 0 and forms.dense_text:
            out[DENSE] = self._dense(DENSE, forms.dense_text, n, allowed)
        if weights.bm25 > 0:
            out[BM25] = [i for i, _ in self.bm25.search(tokenize(forms.lexical_text), n, allowed)]
        # The multilingual ranking serves every question: it also lets English questions reach Chinese passages.
        if weights.crosslingual > 0 and CROSSLINGUAL in self.vectors:
            out[CROSSLINGUAL] = self._dense(CROSSLINGUAL, forms.original, n, allowed)
        if weights.named > 0 and (named := self._named(f"{forms.original} {forms.translation}", allowed)) is not None:
            # A question naming a paper is first about that paper: README link lists and other papers that
            # mention the name would otherwise outrank it (BM25 favours short chunks that repeat a name).
            space, text = (DENSE, forms.dense_text) if forms.dense_text else (CROSSLINGUAL, forms.original)
            if space in self.vectors:
                out[NAMED] = self._dense(space, text, n, named)
        return out

    def _named(self, query: str, allowed: np.ndarray | None) -> np.ndarray | None:
        """Vector ids of the papers the query names (within `allowed`), or None when it names none."""
        ids = np.array([i for pattern, vec_ids in self.papers if pattern.search(query) for i in vec_ids],
                       dtype=np.int64)
        ids = ids if allowed is None else np.intersect1d(ids, allowed)
        return ids if ids.size else None  # the filters leave none of them: no ranking, not an empty search

    def _dense(self, space: str, text: str, n: int, allowed: np.ndarray | None) -> list[int]:
        query = self.embedders[space].embed_batch([text])[0]
        return [i for i, _ in self.vectors[space].search(query, n, allowed)]

    def _fuse(self, rankings: dict[str, list[int]]) -> list[tuple[int, float]]:
        """Reciprocal rank fusion: each ranking adds weight / (RRF_K + rank)."""
        weights = {DENSE: self.options.weights.dense, BM25: self.options.weights.bm25,
                   CROSSLINGUAL: self.options.weights.crosslingual, NAMED: self.options.weights.named}
        scores: dict[int, float] = {}
        for name, ranked in rankings.items():
            for rank, vec_id in enumerate(ranked, start=1):
                scores[vec_id] = scores.get(vec_id, 0.0) + weights[name] / (RRF_K + rank)
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))

    def _allowed(self, kinds: Collection[str] | None, topics: Collection[str] | None,
                 doc_ids: Collection[str] | None) -> np.ndarray | None:
        """Vector ids passing the filters, or None when there are none."""
        if not kinds and not topics and not doc_ids:
            return None
        return np.array([vec_id for vec_id, c in self.chunks.items() if _passes(c, kinds, topics, doc_ids)],
                        dtype=np.int64)


def _named_papers(chunks: Collection[StoredChunk]) -> list[tuple[re.Pattern[str], list[int]]]:
    """For each paper whose title starts with its name: a case-sensitive whole-word pattern for the name,
    and the vector ids of the paper's chunks."""
    by_doc: dict[str, tuple[re.Pattern[str], list[int]]] = {}
    for stored in chunks:
        chunk = stored.chunk
        if chunk.doc_id not in by_doc and chunk.kind == "paper" and (name := short_name(chunk.title)):
            by_doc[chunk.doc_id] = (re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])"), [])
        if chunk.doc_id in by_doc:
            by_doc[chunk.doc_id][1].append(stored.vec_id)
    return list(by_doc.values())


def _passes(chunk: Chunk, kinds: Collection[str] | None, topics: Collection[str] | None,
            doc_ids: Collection[str] | None) -> bool:
    return ((not kinds or chunk.kind in kinds) and (not doc_ids or chunk.doc_id in doc_ids)
            and (not topics or topic_matches(chunk.topics, topics)))
