"""Indexing and hybrid search end to end: real store, real model, real FAISS and BM25."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine

from index.errors import IndexDamaged, IndexMissing, ModelMismatch
from index.indexer import reindex, sync_index
from index.retriever import HybridRetriever
from index.search import Searcher, SearchOptions, Weights
from index.snippets import with_snippets
from ingest.errors import InputError
from ingest.models import DocKind, Document, Page
from ingest.store.library import LibraryStore
from tests.support.index_support import (
    SMALL_GLOSSARY,
    Delegating,
    OtherModel,
    minilm,
    paper,
    readme,
    stored_library,
    use_multilingual,
)

# The real embedding model (loaded once per session, then every test embeds with it): not for `make check`.
pytestmark = pytest.mark.slow

BUBBLE = "What is the overhead of the pipeline bubble with many micro-batches?"


class Counting(Delegating):
    """The packaged model, counting the texts it embeds."""

    def __init__(self) -> None:
        self.embedded = 0

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += len(texts)
        return super().embed_batch(texts)


@pytest.fixture
def store(tmp_path: Path) -> LibraryStore:
    return stored_library(tmp_path)


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


def _open(store: LibraryStore, index_dir: Path, **options: object) -> Searcher:
    return Searcher.open(store, minilm(), index_dir=index_dir, options=SearchOptions(**options))  # type: ignore[arg-type]


def test_search_finds_the_page_that_answers(store: LibraryStore, index_dir: Path) -> None:
    report = sync_index(store, minilm(), index_dir=index_dir)
    assert (report.added, report.chunks_total, report.generation, report.approximate) == (3, 6, 1, False)
    searcher = _open(store, index_dir)
    hit = searcher.search(BUBBLE, 3)[0]
    assert (hit.chunk.doc_id, hit.chunk.page_start) == ("paper:1811.06965", 2)
    assert set(hit.ranks) == {"dense", "bm25"} and hit.score > 0
    assert hit.snippet == ""  # snippets are made where hits are shown, not in every search
    shown = with_snippets([hit], searcher.query(BUBBLE))[0]
    assert "**micro-batches**" in shown.snippet and "**bubble overhead**" in shown.snippet


def test_only_new_or_changed_documents_are_embedded(store: LibraryStore, index_dir: Path) -> None:
    model = Counting()
    sync_index(store, model, index_dir=index_dir)
    assert model.embedded == 6
    again = sync_index(store, model, index_dir=index_dir)
    assert (again.unchanged, again.chunks_added, again.generation, model.embedded) == (3, 0, 1, 6)
    doc = store.get("paper:1604.06174")
    assert doc is not None
    store.upsert(replace(doc, pages=[*doc.pages, Page(3, "Memory sharing reuses buffers of dead activations.")]))
    changed = sync_index(store, model, index_dir=index_dir)
    assert (changed.updated, changed.unchanged, changed.chunks_added, changed.chunks_removed) == (1, 2, 3, 2)
    assert model.embedded == 9
    store.remove("repo:example/quant-tool")
    removed = sync_index(store, model, index_dir=index_dir)
    assert (removed.removed, removed.chunks_total, model.embedded) == (1, 5, 9)
    searcher = _open(store, index_dir)
    assert searcher.search("量化 显存", 5, doc_ids=["repo:example/quant-tool"]) == []
    assert searcher.search("buffers of dead activations", 1)[0].chunk.page_start == 3


def test_filters_by_kind_topic_and_document(store: LibraryStore, index_dir: Path) -> None:
    sync_index(store, minilm(), index_dir=index_dir)
    searcher = _open(store, index_dir)
    assert {h.chunk.kind for h in searcher.search("install", 5, kinds=["repo"])} == {"repo"}
    assert {h.chunk.doc_id for h in searcher.search("memory", 10, topics=["mlsys/memory"])} == {"paper:1604.06174"}
    assert len(searcher.search("memory", 10, topics=["mlsys"])) == 6  # a node covers the nodes under it
    assert {h.chunk.doc_id for h in searcher.search("stages", 10, doc_ids=["paper:1811.06965"])} == {
        "paper:1811.06965"}


def test_a_zero_weight_leaves_a_ranking_out(store: LibraryStore, index_dir: Path) -> None:
    sync_index(store, minilm(), index_dir=index_dir)
    dense_only = _open(store, index_dir, weights=Weights(bm25=0)).search(BUBBLE, 3)
    assert all(set(h.ranks) == {"dense"} for h in dense_only)
    bm25_only = _open(store, index_dir, weights=Weights(dense=0)).search(BUBBLE, 3)
    assert bm25_only and all(set(h.ranks) == {"bm25"} for h in bm25_only)


def test_a_chinese_question_finds_the_english_page_through_the_glossary(store: LibraryStore, index_dir: Path) -> None:
    sync_index(store, minilm(), index_dir=index_dir)
    question = "梯度检查点如何用计算换内存？"
    hit = _open(store, index_dir, glossary=SMALL_GLOSSARY).search(question, 1)[0]
    assert hit.chunk.doc_id == "paper:1604.06174"
    assert "bm25" in hit.ranks  # the glossary's "gradient checkpointing" matched the English text


def test_a_translation_added_to_a_chinese_query_reaches_the_english_model(store: LibraryStore,
                                                                           index_dir: Path) -> None:
    sync_index(store, minilm(), index_dir=index_dir)
    searcher = _open(store, index_dir)
    query = searcher.query("气泡开销有多大？")
    assert "dense" not in {r for h in searcher.search(query, 3) for r in h.ranks}
    translated = query.translated(BUBBLE)
    assert (translated.original, translated.translation) == ("气泡开销有多大？", BUBBLE)
    hit = searcher.search(translated, 1)[0]
    assert hit.chunk.page_start == 2 and "dense" in hit.ranks
    assert searcher.query(BUBBLE, translation="ignored").translation == ""  # only Chinese questions carry one


def test_the_multilingual_ranking_lets_languages_meet(store: LibraryStore, index_dir: Path) -> None:
    sync_index(store, minilm(), index_dir=index_dir, crosslingual=use_multilingual())
    searcher = Searcher.open(store, minilm(), index_dir=index_dir, crosslingual=use_multilingual())
    chinese = searcher.search("模型压缩成整数以后推理更省显存", 1)[0]
    assert chinese.chunk.doc_id == "repo:example/quant-tool" and "crosslingual" in chinese.ranks
    english = {h.chunk.chunk_id: h for h in searcher.search("Which tool compresses weights into 8-bit integers?", 2)}
    assert english["repo:example/quant-tool#0"].ranks["crosslingual"] == 1  # the Chinese introduction


def test_the_english_model_sees_only_english(store: LibraryStore, index_dir: Path) -> None:
    sync_index(store, minilm(), index_dir=index_dir)
    hits = _open(store, index_dir, glossary=SMALL_GLOSSARY).search("怎样安装", 3)
    assert hits[0].chunk.heading_path == "安装 > pip"
    assert all(set(h.ranks) == {"bm25"} for h in hits)  # glossary terms go to BM25, not to the English model
    searcher = _open(store, index_dir)
    assert "dense" in searcher.search(searcher.query("怎样安装", "how to install"), 3)[0].ranks


def test_another_model_is_a_mismatch_until_reindexed(store: LibraryStore, index_dir: Path) -> None:
    sync_index(store, minilm(), index_dir=index_dir)
    with pytest.raises(ModelMismatch, match="readpath reindex"):
        Searcher.open(store, OtherModel(), index_dir=index_dir)
    with pytest.raises(ModelMismatch, match="readpath reindex"):
        sync_index(store, OtherModel(), index_dir=index_dir)
    with pytest.raises(ModelMismatch, match="readpath reindex"):  # built without the multilingual encoder
        Searcher.open(store, minilm(), index_dir=index_dir, crosslingual=use_multilingual())
    report = reindex(store, OtherModel(), index_dir=index_dir)
    assert (report.chunks_total, report.generation) == (6, 2)
    assert Searcher.open(store, OtherModel(), index_dir=index_dir).search(BUBBLE, 1)[0].chunk.page_start == 2


def test_a_damaged_index_is_named_and_reindex_repairs_it(store: LibraryStore, index_dir: Path) -> None:
    sync_index(store, minilm(), index_dir=index_dir)
    path = index_dir / "gen-000001" / "dense.faiss"
    path.write_bytes(path.read_bytes()[:-16])
    with pytest.raises(IndexDamaged, match="readpath reindex"):
        _open(store, index_dir)
    with pytest.raises(IndexDamaged, match="readpath reindex"):
        sync_index(store, minilm(), index_dir=index_dir)
    reindex(store, minilm(), index_dir=index_dir)
    assert _open(store, index_dir).search(BUBBLE, 1)[0].chunk.page_start == 2
    assert not (index_dir / "gen-000000").exists()


def test_no_index_yet_says_how_to_build_one(store: LibraryStore, index_dir: Path) -> None:
    with pytest.raises(IndexMissing, match="readpath index"):
        _open(store, index_dir)


def test_chunk_metadata_lives_in_the_library_database(store: LibraryStore, index_dir: Path) -> None:
    sync_index(store, minilm(), index_dir=index_dir)
    db = sqlite3.connect(store.path)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"idx_chunks", "idx_documents", "idx_state", "schema_versions", "documents"} <= tables
    assert db.execute("SELECT version FROM schema_versions WHERE schema = 'index'").fetchone() == (1,)
    assert db.execute("SELECT COUNT(*) FROM idx_chunks").fetchone() == (6,)
    assert db.execute("SELECT value FROM idx_state WHERE key = 'generation'").fetchone() == ("1",)


def test_an_approximate_index_takes_over_past_the_threshold(store: LibraryStore, index_dir: Path) -> None:
    report = sync_index(store, minilm(), index_dir=index_dir, ann_threshold=2)
    assert report.approximate
    assert _open(store, index_dir).search(BUBBLE, 1)[0].chunk.page_start == 2


def test_the_retriever_serves_a_llama_index_query_engine(store: LibraryStore, index_dir: Path) -> None:
    sync_index(store, minilm(), index_dir=index_dir)
    retriever = HybridRetriever(_open(store, index_dir), k=2, kinds=["paper"])
    nodes = retriever.retrieve(BUBBLE)
    assert len(nodes) == 2 and nodes[0].score is not None and nodes[0].score >= nodes[1].score  # type: ignore[operator]
    assert (nodes[0].node.metadata["doc_id"], nodes[0].node.metadata["page"]) == ("paper:1811.06965", 2)
    response = RetrieverQueryEngine.from_args(retriever, llm=MockLLM()).query(BUBBLE)
    assert [n.node.node_id for n in response.source_nodes] == [n.node.node_id for n in nodes]


NAMED_LIBRARY = [
    paper("2006.16668", "GShard: Scaling Giant Models with Conditional Computation and Automatic Sharding", [
        "We scale a multilingual neural machine translation Transformer with Sparsely-Gated Mixture-of-Experts "
        "beyond 600 billion parameters using automatic sharding, trained on 2048 TPU v3 accelerators.",
    ]),
    readme("example/awesome-moe", {
        "Papers": "- GShard: scaling giant models (GShard paper)\n- GShard code\n- GShard slides\n- GShard talk",
        "Models": "- Switch Transformer: 1.6 trillion parameters, the largest sparse model\n- GLaM: 1.2 trillion "
                  "parameters, larger than GShard",
    }),
]


def test_a_question_naming_a_paper_gets_that_papers_own_passage_first(tmp_path: Path) -> None:
    store = stored_library(tmp_path, NAMED_LIBRARY)
    sync_index(store, minilm(), index_dir=tmp_path / "index")
    question = "How many parameters does the largest GShard model have?"
    plain = _open(store, tmp_path / "index", weights=Weights(named=0)).search(question, 1)[0]
    named = _open(store, tmp_path / "index").search(question, 1)[0]
    assert plain.chunk.doc_id == "repo:example/awesome-moe"  # its lists name GShard four times
    assert named.chunk.doc_id == "paper:2006.16668" and "named" in named.ranks
    # Only a paper's own name counts, whole and in its case: "gshard-like" names nothing.
    assert "named" not in _open(store, tmp_path / "index").search("a gshard-like sharding", 1)[0].ranks
    # Filtered to the README, the named paper has no passage left to rank: the README is still found.
    only_repo = _open(store, tmp_path / "index").search(question, 1, kinds=["repo"])
    assert only_repo[0].chunk.doc_id == "repo:example/awesome-moe" and "named" not in only_repo[0].ranks


def _kitchen_library() -> list[Document]:
    """A paper defining random kitchen sinks, ten recipe pages about kitchen sinks the embeddings prefer, and
    enough other pages (over 100 chunks) for a word to be rare."""
    kernel = paper("0000.00001", "Kernel Approximations", [
        "Random kitchen sinks approximate a kernel machine: the inputs are projected onto random Fourier "
        "features and a linear model is trained on them."])
    recipes = paper("0000.00002", "Recipes", [
        f"What is the kitchen sink approach? In recipe {i} it means everything left in the kitchen goes in."
        for i in range(10)])
    topics = ["pipeline stages", "learning rates", "GPU memory", "attention heads", "batch sizes", "tokenizers",
              "checkpoints", "optimizers", "datasets", "loss curves", "quantization", "schedulers"]
    filler = paper("0000.00003", "Field Notes", [
        f"Note {i} on {topics[i % len(topics)]}: run {i} changed the {topics[(i * 5) % len(topics)]} setting "
        f"and measured {i * 3} units." for i in range(100)])
    return [kernel, recipes, filler]


def test_an_exact_match_of_a_rare_term_keeps_its_top_5_place(tmp_path: Path) -> None:
    store = stored_library(tmp_path, _kitchen_library())
    sync_index(store, minilm(), index_dir=tmp_path / "index")
    question = "What is the Random Kitchen Sink approach?"
    # BM25 weighed next to nothing: the fusion is the embedding's, which prefers the recipes.
    weights = Weights(dense=1.0, bm25=0.001, crosslingual=0, named=0)
    without = _open(store, tmp_path / "index", weights=weights, exact_match=False).search(question, 5)
    kept = _open(store, tmp_path / "index", weights=weights).search(question, 5)
    assert "paper:0000.00001" not in {h.chunk.doc_id for h in without}
    assert [h.chunk.doc_id for h in kept][:4] == [h.chunk.doc_id for h in without][:4]
    assert kept[4].chunk.doc_id == "paper:0000.00001" and kept[4].ranks["bm25"] == 1
    # A library too small for any word to be rare changes nothing.
    small = stored_library(tmp_path / "small", _kitchen_library()[:2])
    sync_index(small, minilm(), index_dir=tmp_path / "small" / "index")
    searcher = _open(small, tmp_path / "small" / "index", weights=weights)
    assert searcher.bm25.rare(searcher.query(question).terms, 0.01) == {}


def test_a_scoped_searcher_searches_one_document_and_names_an_unknown_one(store: LibraryStore,
                                                                         index_dir: Path) -> None:
    sync_index(store, minilm(), index_dir=index_dir)
    scoped = _open(store, index_dir).scoped(["paper:1604.06174"])
    assert {h.chunk.doc_id for h in scoped.search(BUBBLE, 5)} == {"paper:1604.06174"}
    assert scoped.search(BUBBLE, 5, doc_ids=["paper:1811.06965"]) == []  # a filter never widens the scope
    with pytest.raises(InputError, match=r"paper:9999\.99999.*readpath library"):
        _open(store, index_dir).scoped(["paper:9999.99999"])


def test_a_local_file_is_named_by_its_file_name(tmp_path: Path) -> None:
    notes = Document(doc_id="file:/notes/flexgen.md", kind=DocKind.FILE, source_id="/notes/flexgen.md",
                     title="Offloading notes", pages=[Page(1, "The schedule is found by a linear program over "
                                                             "where weights, activations and cache live.")])
    lists = readme("example/awesome-offload", {
        "Tools": "- flexgen: offloading for throughput\n- flexgen examples\n- flexgen benchmarks",
        "Papers": "- ZeRO-Infinity: offloading to NVMe"})
    store = stored_library(tmp_path, [notes, lists])
    sync_index(store, minilm(), index_dir=tmp_path / "index")
    hit = _open(store, tmp_path / "index").search("How does FlexGen decide where to store tensors?", 1)[0]
    assert hit.chunk.doc_id == "file:/notes/flexgen.md" and "named" in hit.ranks
