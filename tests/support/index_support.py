"""Shared pieces of the index tests: the real embedders loaded once per process, and small libraries."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from index.embeddings import Embedder, MultilingualUseEmbedder, SentenceTransformerEmbedder
from ingest.models import DocKind, Document, Page, Section
from ingest.store.library import LibraryStore


@cache
def minilm() -> SentenceTransformerEmbedder:
    """The packaged all-MiniLM-L6-v2, loaded once per test session."""
    return SentenceTransformerEmbedder()


@cache
def use_multilingual() -> MultilingualUseEmbedder:
    """The multilingual Universal Sentence Encoder, loaded once per test session."""
    return MultilingualUseEmbedder()


class Delegating(Embedder):
    """The packaged model behind another Embedder class, for tests that count or rename it."""

    name = "all-MiniLM-L6-v2"
    dim = 384
    max_tokens = 256

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return minilm().embed_batch(texts)

    def tokenize(self, text: str) -> list[int]:
        return minilm().tokenize(text)


class OtherModel(Delegating):
    """The same weights under another name, to provoke a model mismatch."""

    name = "some-other-model"


def paper(source_id: str, title: str, pages: list[str], *, sections: list[Section] | None = None,
          topics: list[str] | None = None) -> Document:
    """A stored paper with the given page texts."""
    return Document(doc_id=f"paper:{source_id}", kind=DocKind.PAPER, source_id=source_id, title=title,
                    pages=[Page(i, text) for i, text in enumerate(pages, start=1)], sections=sections or [],
                    topics=topics or [])


def readme(name: str, sections: dict[str, str], *, topics: list[str] | None = None) -> Document:
    """A stored repository whose README has these heading paths and texts."""
    return Document(doc_id=f"repo:{name}", kind=DocKind.REPO, source_id=name, title=name,
                    pages=[Page(i, text, heading) for i, (heading, text) in enumerate(sections.items(), start=1)],
                    topics=topics or [])


SMALL_LIBRARY = [
    paper("1811.06965", "GPipe: Efficient Training of Giant Neural Networks using Pipeline Parallelism", [
        "Pipeline parallelism partitions the layers of a network into stages on different accelerators. "
        "Each mini-batch is split into micro-batches so that all stages work at the same time.",
        "The pipeline bubble is the idle time at the start and end of each batch. With M micro-batches and "
        "K stages the bubble overhead is O((K-1)/(M+K-1)), negligible when M >= 4K.",
    ], topics=["mlsys/distributed-training"]),
    paper("1604.06174", "Training Deep Nets with Sublinear Memory Cost", [
        "Gradient checkpointing stores only some activations in the forward pass and recomputes the others "
        "during the backward pass, trading computation for memory.",
        "With checkpoints every sqrt(n) layers, an n-layer network trains with O(sqrt(n)) memory at the cost "
        "of one extra forward pass.",
    ], topics=["mlsys/memory"]),
    readme("example/quant-tool", {
        "简介": "这是一个模型量化工具，把浮点权重压缩为八位整数，推理时显存占用减少一半。",
        "安装 > pip": "使用 pip install quant-tool 安装，需要 Python 3.10 以上版本。",
    }, topics=["mlsys/inference"]),
]
SMALL_GLOSSARY = {"流水线并行": "pipeline parallelism", "梯度检查点": "gradient checkpointing", "量化": "quantization"}


def stored_library(home: Path, docs: list[Document] | None = None) -> LibraryStore:
    """A LibraryStore under `home` holding the documents (default: SMALL_LIBRARY)."""
    store = LibraryStore(home / "library.sqlite")
    for doc in SMALL_LIBRARY if docs is None else docs:
        store.upsert(doc)
    return store
