"""Data classes at the index seam: Chunks of documents and search Hits."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Chunk:
    """A piece of one document, small enough for the embedding model, with where it came from."""

    chunk_id: str  # "<doc_id>#<ordinal>"
    doc_id: str
    source_id: str
    kind: str  # DocKind value
    title: str
    text: str
    ordinal: int
    page_start: int | None = None  # 1-based PDF page; None for Markdown
    page_end: int | None = None
    section: str | None = None
    heading_path: str | None = None
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    """A chunk found by a search, with its fused score and the ranks that made it."""

    chunk: Chunk
    score: float
    ranks: dict[str, int] = field(default_factory=dict)  # "dense" / "bm25" -> 1-based rank
    snippet: str = ""  # the best-matching passage, matching words marked with **
