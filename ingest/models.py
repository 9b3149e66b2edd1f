"""Data classes at the ingest seam: the parsed Guide, its References, and stored Documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class RefKind(StrEnum):
    """What a guide reference points at."""

    ARXIV = "arxiv"
    PDF_URL = "pdf_url"
    PAPER_TITLE = "paper_title"
    GITHUB = "github"
    GITEE = "gitee"
    COURSE = "course"
    BOOK = "book"
    WEB = "web"


class DocKind(StrEnum):
    """What a library document is."""

    PAPER = "paper"
    REPO = "repo"
    GUIDE = "guide"
    FILE = "file"
    REFERENCE = "reference"  # named by title only, not fetched: kept so it can be resolved later


class DocStatus(StrEnum):
    """Where a document is in its life: stored, waiting for the network, or failed."""

    OK = "ok"
    PENDING = "pending"
    FAILED = "failed"
    UNRESOLVED = "unresolved"


@dataclass
class TaxonomyNode:
    """One heading or bullet of a guide, with its children and the references under it."""

    node_id: str  # "/"-joined path of slugs, stable across runs
    label: str  # as the guide writes it (repaired)
    level: int
    label_zh: str | None = None
    label_en: str | None = None
    stage: int | None = None  # order within the guide's learning path, when it is a path stage
    line: int | None = None  # where the parser read it: an index into guide_lines.joined_lines(text)
    children: list[TaxonomyNode] = field(default_factory=list)
    ref_ids: list[str] = field(default_factory=list)

    def walk(self) -> list[TaxonomyNode]:
        """This node and all its descendants, depth first."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


@dataclass
class Reference:
    """One thing a guide cites: a paper, a repository, a course, a book or a page."""

    ref_id: str  # "<kind>:<source_id>", unique within a guide
    kind: RefKind
    source_id: str  # arXiv id without version, "owner/name", or the URL / title
    title: str
    url: str | None = None
    taxonomy_paths: list[str] = field(default_factory=list)  # node_ids where it appears
    note: str = ""  # the guide's own sentence about it


@dataclass
class Guide:
    """A parsed reading guide: taxonomy, references, glossary, learning-path stages."""

    name: str
    path: str | None
    text: str  # repaired text
    root: TaxonomyNode
    references: list[Reference]
    glossary: dict[str, str]  # zh -> en
    stages: list[str]  # node_ids of the learning-path stages, in order
    repaired_chars: int = 0

    @property
    def title(self) -> str:
        """What to call the guide in the library: its one top-level heading, or "Reading guide: " and its first
        three (the title also tells the model, in a prompt, that a passage comes from the reading list)."""
        tops = [node.label for node in self.root.children]
        if len(tops) <= 1:
            return tops[0] if tops else f"Reading guide {self.name}"
        return "Reading guide: " + ", ".join(tops[:3]) + (" …" if len(tops) > 3 else "")

    def reference(self, ref_id: str) -> Reference | None:
        """The reference with this id, if the guide has it."""
        return next((r for r in self.references if r.ref_id == ref_id), None)


@dataclass(frozen=True)
class Page:
    """One page of a PDF (1-based) or one heading section of a Markdown file."""

    number: int
    text: str
    heading: str | None = None  # heading path for Markdown ("Install > pip"), None for PDF pages


@dataclass(frozen=True)
class Section:
    """A recognised section: its title, heading level and first page."""

    title: str
    level: int
    page: int


@dataclass
class Document:
    """A stored document with its full text, metadata and health."""

    doc_id: str  # stable: "<kind>:<source_id>"
    kind: DocKind
    source_id: str
    title: str
    status: DocStatus = DocStatus.OK
    status_reason: str = ""
    url: str | None = None
    authors: list[str] = field(default_factory=list)
    abstract: str = ""
    published: str | None = None  # ISO date
    updated: str | None = None
    categories: list[str] = field(default_factory=list)
    version: int | None = None
    doi: str | None = None
    comment: str | None = None
    topics: list[str] = field(default_factory=list)  # taxonomy node_ids from the guide
    pages: list[Page] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    references: list[str] = field(default_factory=list)  # parsed reference-list entries
    content_hash: str = ""
    fetched_at: str | None = None
    meta: dict[str, str] = field(default_factory=dict)  # source-specific extras (stars, license...)

    @property
    def text(self) -> str:
        """The whole text, pages joined."""
        return "\n\n".join(p.text for p in self.pages)


@dataclass(frozen=True)
class CitationLink:
    """A library paper citing another library paper, found in its reference list."""

    citing: str  # doc_id
    cited: str  # doc_id
    entry: str  # the reference-list entry that matched
