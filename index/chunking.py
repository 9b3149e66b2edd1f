"""Split documents along their structure into chunks sized in the embedding model's own tokens."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from index.models import Chunk
from ingest.models import DocKind, Document, Section
from ingest.text import sentence_pieces

Tokenize = Callable[[str], Sequence[int]]

# Bump when the algorithm changes, so indexes built by the old one are rebuilt.
# 2: sentences cut by ingest.text (known abbreviations, Chinese semicolons, blank lines).
CHUNKING_VERSION = 2
SPECIAL_TOKENS = 2  # [CLS] and [SEP], which the model adds to every input
_MARKDOWN_KINDS = (DocKind.REPO, DocKind.GUIDE)

_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$|\t.*\t|\S(?: {2,}\S+){2,}")
_EQUATION_NUMBER = re.compile(r"\(\d{1,3}[a-z]?\)\s*$")
_MATH_CHARS = set("=+−-*/^_{}\\∑∏∫√≤≥≈≠∈∀∃×·∂∇αβγδθλμσφωΣΠΩ")
_BLOCK_FENCES = (("```", "```"), ("$$", "$$"), ("\\[", "\\]"), ("\\begin{", "\\end{"))


@dataclass(frozen=True)
class ChunkingSpec:
    """The settings a chunking ran with, recorded in the index manifest."""

    chunk_tokens: int = 200
    overlap_tokens: int = 20
    version: int = CHUNKING_VERSION

    def as_dict(self) -> dict[str, Any]:
        """Plain values for the manifest."""
        return asdict(self)


@dataclass(frozen=True)
class _Segment:
    """A stretch of text under one page and one section: chunks never cross its edges."""

    text: str
    page: int | None
    section: str | None
    heading_path: str | None


def is_atomic_line(line: str) -> bool:
    """True for a table row or a displayed equation: lines a chunk boundary must not cut."""
    stripped = line.strip()
    if not stripped:
        return False
    if _TABLE_ROW.search(line):
        return True
    math = sum(ch in _MATH_CHARS for ch in stripped)
    has_relation = any(ch in stripped for ch in "=≤≥≈<>")
    return has_relation and (bool(_EQUATION_NUMBER.search(stripped)) or math / len(stripped) > 0.15)


class Chunker:
    """Chunks a Document: pages, sections and headings first, then sentences, within a token budget."""

    def __init__(self, tokenize: Tokenize, *, max_tokens: int, spec: ChunkingSpec | None = None) -> None:
        from llama_index.core.node_parser import SentenceSplitter

        self.spec = spec or ChunkingSpec()
        self.tokenize = tokenize
        # The model reads max_tokens including its special tokens; no chunk may be longer.
        self.limit = max_tokens - SPECIAL_TOKENS
        size = min(self.spec.chunk_tokens, self.limit)
        common: dict[str, Any] = {"tokenizer": tokenize, "paragraph_separator": "\n\n",
                                  "chunking_tokenizer_fn": sentence_pieces}
        self._prose = SentenceSplitter(chunk_size=size, chunk_overlap=min(self.spec.overlap_tokens, size // 4),
                                       **common)
        self._hard = SentenceSplitter(chunk_size=self.limit, chunk_overlap=0, **common)
        self.size = size

    def count(self, text: str) -> int:
        """Tokens of `text` in the embedding model's tokenizer."""
        return len(self.tokenize(text))

    def chunk(self, doc: Document) -> list[Chunk]:
        """All chunks of a document, in reading order, numbered from 0."""
        chunks: list[Chunk] = []
        for segment in _segments(doc):
            for text in self._pack(self._units(segment.text)):
                chunks.append(Chunk(
                    chunk_id=f"{doc.doc_id}#{len(chunks)}", doc_id=doc.doc_id, source_id=doc.source_id,
                    kind=str(doc.kind), title=doc.title, text=text, ordinal=len(chunks),
                    page_start=segment.page, page_end=segment.page, section=segment.section,
                    heading_path=segment.heading_path, topics=tuple(doc.topics)))
        return chunks

    def _units(self, text: str) -> list[str]:
        """Sentence groups of the prose, and the equation and table blocks whole, in order."""
        units: list[str] = []
        for block, atomic in _blocks(text):
            units.extend(self._fit_atomic(block) if atomic else [p for p in self._prose.split_text(block) if p])
        return units

    def _fit_atomic(self, block: str) -> list[str]:
        """An equation or table block whole if the model can read it, else line by line."""
        if self.count(block) <= self.limit:
            return [block]
        out: list[str] = []
        for line in block.splitlines():
            # A single line longer than the model reads cannot stay whole: the model would truncate it.
            out.extend([line] if self.count(line) <= self.limit else self._hard.split_text(line))
        return [line for line in out if line.strip()]

    def _pack(self, units: list[str]) -> Iterator[str]:
        """Units joined greedily up to the chunk size; a large atomic unit stands alone."""
        current: list[str] = []
        used = 0
        for unit in units:
            tokens = self.count(unit)
            if current and used + tokens > self.size:
                yield "\n".join(current)
                current, used = [], 0
            current.append(unit)
            used += tokens
        if current:
            yield "\n".join(current)


def _blocks(text: str) -> Iterator[tuple[str, bool]]:
    """(block, atomic) runs of a segment: prose apart from fenced blocks, equations and table rows."""
    run: list[str] = []
    run_atomic = False
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        end = _fenced_end(lines, i)
        atomic = end is not None or is_atomic_line(lines[i])
        stop = end if end is not None else i
        if run and atomic != run_atomic:
            yield "\n".join(run), run_atomic
            run = []
        run.extend(lines[i : stop + 1])
        run_atomic = atomic
        i = stop + 1
    if run:
        yield "\n".join(run), run_atomic


def _fenced_end(lines: list[str], start: int) -> int | None:
    """Index of the line closing a fenced block (code, $$, \\[, \\begin) opened at `start`."""
    head = lines[start].strip()
    for opener, closer in _BLOCK_FENCES:
        if not head.startswith(opener):
            continue
        rest = head[len(opener):]
        if closer in rest and opener != "```":
            return start  # opened and closed on one line
        for j in range(start + 1, len(lines)):
            if closer in lines[j]:
                return j
        return len(lines) - 1  # unclosed: to the end of the segment
    return None


def _segments(doc: Document) -> Iterator[_Segment]:
    """Markdown sections under their heading paths, or PDF pages cut where a section starts."""
    if doc.kind in _MARKDOWN_KINDS or any(page.heading for page in doc.pages):
        for page in doc.pages:
            last = page.heading.split(" > ")[-1].strip() if page.heading else None
            yield _Segment(page.text, None, last, page.heading)
        return
    path: list[Section] = []  # the open sections, outermost first
    for page in doc.pages:
        for text, opened in _cut_at_titles(page.text, [s for s in doc.sections if s.page == page.number]):
            for section in opened:
                path = [*[p for p in path if p.level < section.level], section]
            heading = " > ".join(p.title for p in path) or None
            yield _Segment(text, page.number, path[-1].title if path else None, heading)


def _cut_at_titles(text: str, sections: list[Section]) -> list[tuple[str, list[Section]]]:
    """The page text cut where each section's title line starts, with the sections opening there."""
    cuts: dict[int, list[Section]] = {0: []}
    for section in sections:
        match = re.search(rf"(?m)^[ \t]*{re.escape(section.title.strip())}", text)
        # A title the parser found but the text does not show opens its section at the top of the page.
        cuts.setdefault(match.start() if match else 0, []).append(section)
    bounds = sorted(cuts)
    ends = [*bounds[1:], len(text)]
    return [(text[start:end].strip(), cuts[start]) for start, end in zip(bounds, ends, strict=True)]
