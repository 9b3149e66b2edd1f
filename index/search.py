"""Hybrid search: dense vectors, BM25 and a multilingual ranking, fused by their normalised scores, with the
passage that matches the question's rare terms exactly kept in the top k."""

from __future__ import annotations

import copy
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.catalog import Catalog, StoredChunk
from index.chunking import ChunkingSpec
from index.embeddings import Embedder
from index.errors import IndexDamaged
from index.lexical import Bm25Index, tokenize
from index.manifest import CROSSLINGUAL, DENSE, IndexSpec, load_vectors
from index.models import Chunk, Hit
from index.query import Query, make_query
from index.vectors import VectorIndex
from ingest.errors import InputError
from ingest.store import LibraryStore
from ingest.text import has_cjk, short_name

NAMED = "named"
RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al. 2009): damps the top ranks' lead
BM25 = "bm25"
RRF, SCORES = "rrf", "scores"
# A query term is rare when at most this share of the chunks hold it (1% = 15 of the 1,500 chunks of the
# 47-paper dev library): rare enough that holding it says which passage the question is about.
RARE_SHARE = 0.01
_SHORT_TITLE_WORDS = 2  # a title this short is the document's name ("vLLM", "FlashAttention notes")
COMMON_WORD_ZIPF = 3.0  # wordfreq's scale: 3 is once per million words ("server" 4.5, "megatron" 2.8, "vllm" 0)


@dataclass(frozen=True)
class Weights:
    """Per-ranking weights in the fusion; 0 leaves a ranking out."""

    dense: float = 1.0
    # BM25 weighs as much as the two embedding rankings together: an exact match of the question's words is
    # not outvoted by two embeddings agreeing on a vaguely similar passage. Evidence recall@5 on the BAMBOO
    # dev sets 44% at 1.0, 48% at 2.0, 47% at 3.0 (score fusion; docs/benchmarks.md).
    bm25: float = 2.0
    crosslingual: float = 1.0
    # The passages of a document the query names, by meaning. More than BM25: a README listing the name four
    # times is BM25's best passage, yet the named paper's own page answers (GShard's largest model). On
    # bench/retrieval.py's real-paper questions recall@5 was 0.85 -> 0.90 from 1.0 to 2.0 under RRF; under
    # score fusion 2.0 and 3.0 measure the same there and only 3.0 puts the paper first against that README.
    named: float = 3.0


@dataclass(frozen=True)
class SearchOptions:
    """How queries are ranked: fusion rule and weights, the glossary, candidates per ranking."""

    weights: Weights = field(default_factory=Weights)
    glossary: Mapping[str, str] = field(default_factory=dict)  # zh -> en, one merged glossary (index.terms)
    candidates: int = 50  # taken from each ranking before fusion (at least 4 x k)
    # SCORES: weighted sum of min-max normalised scores; RRF: reciprocal rank fusion. Ranks throw away how far
    # ahead a ranking's best is (a passage holding all of a question's rare words against ones holding one):
    # evidence recall@5 on the BAMBOO dev sets 41% with RRF, 48% with scores (docs/benchmarks.md).
    fusion: str = SCORES
    # The exact-match rule: BM25's best passage, when it holds a rare term of the question, keeps a top-k place.
    exact_match: bool = True


def topic_matches(chunk_topics: Collection[str], wanted: Collection[str]) -> bool:
    """True when a chunk's topic is a wanted taxonomy node or lies under one."""
    return any(t == w or t.startswith(f"{w}/") for t in chunk_topics for w in wanted)


class Searcher:
    """Searches the committed index: one snapshot of chunk metadata, FAISS vectors and BM25."""

    def __init__(self, chunks: list[StoredChunk], vectors: dict[str, VectorIndex], embedders: dict[str, Embedder],
                 options: SearchOptions | None = None) -> None:
        self.chunks = {c.vec_id: c.chunk for c in chunks}
        self.terms = {c.vec_id: frozenset(c.terms) for c in chunks}
        self.vectors = vectors
        self.embedders = embedders
        self.options = options or SearchOptions()
        self.scope: frozenset[str] = frozenset()  # document ids every search is limited to (none: all)
        self.bm25 = Bm25Index(np.array([c.vec_id for c in chunks], dtype=np.int64), [c.terms for c in chunks])
        self.papers = named_documents(chunks)

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
        """The same loaded index searched with other options (weights, fusion, glossary)."""
        other = copy.copy(self)
        other.options = options
        return other

    def scoped(self, doc_ids: Collection[str]) -> Searcher:
        """The same loaded index, every search limited to these documents (`readpath ask --doc`); an id the
        index does not hold is an InputError naming it."""
        unknown = sorted(set(doc_ids) - {c.doc_id for c in self.chunks.values()})
        if unknown:
            raise InputError(f"No indexed document {', '.join(map(repr, unknown))}: `readpath library` lists the "
                             f"ids (run `readpath index` after adding a document).")
        other = copy.copy(self)
        other.scope = frozenset(doc_ids)
        return other

    def __len__(self) -> int:
        return len(self.chunks)

    def query(self, text: str, translation: str = "") -> Query:
        """The Query for a question, expanded with this searcher's glossary."""
        return make_query(text, self.options.glossary, translation=translation)

    def search(self, query: Query | str, k: int = 5, *, kinds: Collection[str] | None = None,
               topics: Collection[str] | None = None, doc_ids: Collection[str] | None = None) -> list[Hit]:
        """The k best chunks for the query, fused over the rankings (no snippets: `index.snippets` makes them
        where they are shown)."""
        query = self.query(query) if isinstance(query, str) else query
        if not query.original or k <= 0:
            return []
        if self.scope:  # a scoped searcher never searches past its scope, whatever the filter asks
            doc_ids = self.scope & set(doc_ids) if doc_ids else self.scope
            if not doc_ids:
                return []
        allowed = self._allowed(kinds, topics, doc_ids)
        rankings = self.rankings(query, max(self.options.candidates, 4 * k), allowed)
        fused = self._fuse(rankings)
        if self.options.exact_match:
            fused = self._keep_exact_match(query, fused, rankings.get(BM25, []), k)
        positions = {name: {vec_id: rank for rank, (vec_id, _) in enumerate(ranked, start=1)}
                     for name, ranked in rankings.items()}
        return [Hit(chunk=self.chunks[vec_id], score=round(score, 6),
                    ranks={name: ranks[vec_id] for name, ranks in positions.items() if vec_id in ranks})
                for vec_id, score in fused[:k]]

    def rankings(self, query: Query, n: int, allowed: np.ndarray | None) -> dict[str, list[tuple[int, float]]]:
        """Each ranking's top n (vector id, score), best first; rankings with weight 0 are skipped."""
        weights = self.options.weights
        out: dict[str, list[tuple[int, float]]] = {}
        if weights.dense > 0 and query.dense_text:
            out[DENSE] = self._dense(DENSE, query.dense_text, n, allowed)
        if weights.bm25 > 0:
            out[BM25] = self.bm25.search(query.terms, n, allowed)
        # The multilingual ranking serves every question: it also lets English questions reach Chinese passages.
        if weights.crosslingual > 0 and CROSSLINGUAL in self.vectors:
            out[CROSSLINGUAL] = self._dense(CROSSLINGUAL, query.original, n, allowed)
        if weights.named > 0 and (named := self._named(f"{query.original} {query.translation}", allowed)) is not None:
            # A question naming a paper is first about that paper: README link lists and other papers that
            # mention the name would otherwise outrank it (BM25 favours short chunks that repeat a name).
            if query.dense_text:
                out[NAMED] = self._dense(DENSE, query.dense_text, n, named)
            else:
                # A Chinese question without its translation: within one paper the multilingual model tells
                # passages apart worse than the question's glossary terms do (the paper's pages all share
                # its subject); its ranking is the fallback when no term matches.
                out[NAMED] = self.bm25.search(query.terms, n, named) or (
                    self._dense(CROSSLINGUAL, query.original, n, named) if CROSSLINGUAL in self.vectors else [])
        return out

    def _named(self, query: str, allowed: np.ndarray | None) -> np.ndarray | None:
        """Vector ids of the documents the query names (within `allowed`), or None when it names none."""
        ids = np.array([i for pattern, vec_ids in self.papers if pattern.search(query) for i in vec_ids],
                       dtype=np.int64)
        ids = ids if allowed is None else np.intersect1d(ids, allowed)
        return ids if ids.size else None  # the filters leave none of them: no ranking, not an empty search

    def _dense(self, space: str, text: str, n: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        query = self.embedders[space].embed_batch([text])[0]
        return self.vectors[space].search(query, n, allowed)

    def _fuse(self, rankings: dict[str, list[tuple[int, float]]]) -> list[tuple[int, float]]:
        """RRF: each ranking adds weight / (RRF_K + rank); SCORES: each adds weight x its min-max normalised
        score (0 for the last of its candidates, 1 for its best)."""
        weights = {DENSE: self.options.weights.dense, BM25: self.options.weights.bm25,
                   CROSSLINGUAL: self.options.weights.crosslingual, NAMED: self.options.weights.named}
        scores: dict[int, float] = {}
        for name, ranked in rankings.items():
            if not ranked:
                continue
            top, bottom = ranked[0][1], ranked[-1][1]
            for rank, (vec_id, score) in enumerate(ranked, start=1):
                if self.options.fusion == SCORES:
                    part = (score - bottom) / (top - bottom) if top > bottom else 1.0
                else:
                    part = 1.0 / (RRF_K + rank)
                scores[vec_id] = scores.get(vec_id, 0.0) + weights[name] * part
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))

    def _keep_exact_match(self, query: Query, fused: list[tuple[int, float]], bm25: list[tuple[int, float]],
                          k: int) -> list[tuple[int, float]]:
        """The fused list with BM25's best passage moved up to place k when it holds a rare term of the question
        (by IDF) and fell below passages holding none of them.

        Two embedding rankings that agree on a vaguely similar passage can outvote one exact BM25 match under
        any fusion; a word few passages hold, in the passage that matches the question's words best, is
        evidence no embedding should outweigh ("What is the Random Kitchen Sink approach?")."""
        rare = self.bm25.rare(query.terms, RARE_SHARE)
        if not bm25 or not rare:
            return fused
        best = bm25[0][0]
        order = [vec_id for vec_id, _ in fused]
        position = order.index(best)
        holds = rare.keys() & self.terms[best]
        if not holds or position < k or all(rare.keys() & self.terms[vec_id] for vec_id in order[:k]):
            return fused
        return [*fused[: k - 1], fused[position], *fused[k - 1 : position], *fused[position + 1 :]]

    def _allowed(self, kinds: Collection[str] | None, topics: Collection[str] | None,
                 doc_ids: Collection[str] | None) -> np.ndarray | None:
        """Vector ids passing the filters, or None when there are none."""
        if not kinds and not topics and not doc_ids:
            return None
        return np.array([vec_id for vec_id, c in self.chunks.items() if _passes(c, kinds, topics, doc_ids)],
                        dtype=np.int64)


def document_names(chunk: Chunk) -> set[str]:
    """The names a question may call a document by: a paper's short name ("GShard: Scaling ..." -> "GShard"),
    a short title ("vLLM"), a repository's name ("vllm-project/vllm" -> "vllm"), a local file's stem."""
    names = {name} if (name := short_name(chunk.title)) else set()
    if len(chunk.title.split()) <= _SHORT_TITLE_WORDS and "/" not in chunk.title:  # not "owner/repo": its name is
        names.add(chunk.title.strip())
    if chunk.kind == "repo":
        names.add(chunk.source_id.rsplit("/", 1)[-1])
    elif chunk.kind == "file":
        names.add(Path(chunk.source_id).stem)
    return {name for name in names if len(name) >= 3 and not has_cjk(name) and tokenize(name)}


def name_pattern(name: str) -> re.Pattern[str]:
    """A whole-word pattern for a name; "-", "_" and spaces interchangeable. A name written all in lower case
    (a repository or file name) matches in any case; one with capitals ("GShard") only as written."""
    parts = [re.escape(part) for part in re.split(r"[-_\s]+", name) if part]
    flags = re.IGNORECASE if name == name.lower() else 0
    return re.compile(rf"(?<![\w-]){'[-_ ]?'.join(parts)}(?![\w-])", flags)


def named_documents(chunks: Collection[StoredChunk]) -> list[tuple[re.Pattern[str], list[int]]]:
    """For each document with a name (see `document_names`): the name's pattern and the vector ids of the
    document's chunks. A name written in lower case matches in any case, so it must not be made of common
    English words ("server", "transformers", "paper-reading" are words; "vllm", "llm-action" are names)."""
    by_doc: dict[str, list[int]] = {}
    names: dict[str, set[str]] = {}
    for stored in chunks:
        by_doc.setdefault(stored.chunk.doc_id, []).append(stored.vec_id)
        if stored.chunk.doc_id not in names:
            names[stored.chunk.doc_id] = document_names(stored.chunk)
    return [(pattern, by_doc[doc_id]) for doc_id, doc_names in names.items() for name in sorted(doc_names)
            if not ((pattern := name_pattern(name)).flags & re.IGNORECASE and _common_words(name))]


def _common_words(name: str) -> bool:
    """True when every part of the name is a common English word (Zipf frequency of at least 3: once in a
    million words or more)."""
    from wordfreq import zipf_frequency  # loads its tables (a third of a second): only for lower-case names

    return all(zipf_frequency(part, "en") >= COMMON_WORD_ZIPF for part in re.split(r"[-_\s.]+", name) if part)


def _passes(chunk: Chunk, kinds: Collection[str] | None, topics: Collection[str] | None,
            doc_ids: Collection[str] | None) -> bool:
    return ((not kinds or chunk.kind in kinds) and (not doc_ids or chunk.doc_id in doc_ids)
            and (not topics or topic_matches(chunk.topics, topics)))
