"""Library documents built from what the fetchers and parsers return, with a health check on the text."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from ingest.errors import PdfUnreadable
from ingest.guide import joined_lines
from ingest.models import DocKind, DocStatus, Document, Guide, Page, Reference, RefKind, Section, TaxonomyNode
from ingest.parse import LOW_TEXT_CHARS_PER_PAGE, ParsedMarkdown, ParsedPdf
from ingest.sources import ArxivPaper, FetchedRepo, RepoRef
from ingest.store import now_iso

GUIDE_SECTION_DEPTH = 2  # taxonomy headings kept as the guide document's sections
GUIDE_MIN_SECTION_CHARS = 200  # a shorter guide section joins its neighbour under the heading they share

UNRESOLVED_REASONS = {
    RefKind.PAPER_TITLE: "named by title only; not resolved to a source yet",
    RefKind.BOOK: "a book: not fetched",
    RefKind.COURSE: "a course: not fetched",
    RefKind.WEB: "a web page: only arXiv and GitHub are fetched",
    RefKind.GITEE: "a gitee repository: not fetched (readpath only talks to the GitHub API)",
}


@dataclass(frozen=True)
class Health:
    """How much text a document yielded."""

    pages: int
    chars: int
    sections: int


def health(doc: Document) -> Health:
    """Pages, characters and sections of a document."""
    return Health(len(doc.pages), sum(len(p.text) for p in doc.pages), len(doc.sections))


def sha256(data: bytes) -> str:
    """Hex SHA-256 of some bytes: the content hash of a raw download or file."""
    return hashlib.sha256(data).hexdigest()


def check_text(doc: Document, *, what: str, floor_per_page: int = 0) -> None:
    """PdfUnreadable when a document has no text; a low-text flag in its status reason under the floor."""
    counts = health(doc)
    if counts.chars == 0:
        raise PdfUnreadable(f"{what} yielded no text (a scan without a text layer?); run OCR on it and add the "
                            f"result as a file.")
    if counts.chars < floor_per_page * counts.pages:
        doc.status_reason = (f"low text: {counts.chars} characters on {counts.pages} pages "
                             f"(scanned pages?); check the source")


def paper_document(paper: ArxivPaper, parsed: ParsedPdf | None, *, url: str, content_hash: str,
                   topics: list[str]) -> Document:
    """An arXiv paper: API metadata, and the PDF's pages when it was read (None: metadata only)."""
    doc = Document(
        doc_id=paper_doc_id(paper.arxiv_id), kind=DocKind.PAPER, source_id=paper.arxiv_id, title=paper.title,
        url=url, authors=paper.authors, abstract=paper.abstract, published=paper.published,
        updated=paper.updated, categories=paper.categories, version=paper.version, doi=paper.doi,
        comment=paper.comment, topics=topics, content_hash=content_hash, fetched_at=now_iso(),
        meta={"primary_category": paper.primary_category, **({"journal_ref": paper.journal_ref}
                                                              if paper.journal_ref else {})},
    )
    if parsed is not None:
        _take_pdf(doc, parsed)
    return doc


def pdf_document(doc_id: str, kind: DocKind, source_id: str, parsed: ParsedPdf, *, title: str, url: str | None,
                 content_hash: str, topics: list[str]) -> Document:
    """A PDF with no API behind it: title and authors from its first page, else the given title."""
    doc = Document(doc_id=doc_id, kind=kind, source_id=source_id, title=parsed.title or title, url=url,
                   authors=parsed.authors, topics=topics, content_hash=content_hash, fetched_at=now_iso())
    _take_pdf(doc, parsed)
    return doc


def _take_pdf(doc: Document, parsed: ParsedPdf) -> None:
    doc.pages, doc.sections, doc.references = parsed.pages, parsed.sections, parsed.references
    if parsed.arxiv_stamp:
        doc.meta["arxiv_stamp"] = parsed.arxiv_stamp
    if parsed.warnings:
        doc.meta["warnings"] = "; ".join(parsed.warnings)
    check_text(doc, what=doc.url or doc.source_id, floor_per_page=LOW_TEXT_CHARS_PER_PAGE)


def repo_document(repo: RepoRef, fetched: FetchedRepo, readme: ParsedMarkdown | None, *,
                  topics: list[str]) -> Document:
    """A GitHub repository: its metadata, and its README's headings as pages and sections."""
    info = fetched.info
    meta = {"full_name": info.full_name, "default_branch": info.default_branch,
            "github_topics": ", ".join(info.topics)}
    meta |= {"stars": str(info.stars)} if info.stars is not None else {}
    meta |= {"license": info.license} if info.license else {}
    doc = Document(doc_id=repo_doc_id(repo), kind=DocKind.REPO, source_id=str(repo), title=info.full_name,
                   url=info.html_url or None, abstract=info.description, topics=topics, fetched_at=now_iso(),
                   meta=meta)
    if readme is not None and fetched.readme is not None:
        doc.pages, doc.sections = readme.pages, readme.sections
        doc.meta["readme_path"] = fetched.readme.path
        doc.content_hash = sha256(fetched.readme.content)
    else:
        doc.status_reason = "the repository has no README"
        doc.pages = [Page(1, info.description)] if info.description else []
    return doc


def text_document(doc_id: str, source_id: str, parsed: ParsedMarkdown, *, title: str, content_hash: str,
                  repaired: int) -> Document:
    """A local Markdown or text file."""
    doc = Document(doc_id=doc_id, kind=DocKind.FILE, source_id=source_id, title=parsed.title or title,
                   pages=parsed.pages, sections=parsed.sections, content_hash=content_hash, fetched_at=now_iso())
    if repaired:
        doc.meta["repaired_chars"] = str(repaired)
    return doc


def guide_pages(guide: Guide) -> list[Page]:
    """The guide's text cut where its taxonomy headings (to GUIDE_SECTION_DEPTH) start, each piece under its
    heading path, so that a passage of the guide is cited as "系统 > 数据库" rather than a page number
    the guide does not have. Each section starts at the line the parser read its heading from."""
    lines = joined_lines(guide.text)
    starts = sorted(_heading_paths(guide.root, []))
    if not starts or starts[0][0] > 0:
        starts.insert(0, (0, []))  # the lines before the first heading
    bounds = [*(i for i, _ in starts[1:]), len(lines)]
    pieces: list[tuple[str, list[str]]] = []
    for (i, path), end in zip(starts, bounds, strict=True):
        text = "\n".join(lines[i:end]).strip()
        # commonprefix compares any sequences item by item: here heading paths, label by label.
        common = list(os.path.commonprefix([pieces[-1][1], path])) if pieces else []  # noqa: RUF071
        # Sections of a line or two ("- 计算机视觉 (CV)") join their neighbours under the heading they share:
        # alone they would be passages too short to say anything, and keyword search favours short ones.
        if pieces and common and min(len(pieces[-1][0]), len(text)) < GUIDE_MIN_SECTION_CHARS:
            pieces[-1] = (f"{pieces[-1][0]}\n{text}".strip(), common)
        elif text:
            pieces.append((text, path))
    return [Page(n, text, " > ".join(path) or None) for n, (text, path) in enumerate(pieces, start=1)]


def _heading_paths(node: TaxonomyNode, above: list[str]) -> list[tuple[int, list[str]]]:
    paths = []
    for child in node.children:
        if child.level <= GUIDE_SECTION_DEPTH and child.line is not None:
            paths.append((child.line, [*above, child.label]))
            paths.extend(_heading_paths(child, [*above, child.label]))
    return paths


def guide_document(guide: Guide) -> Document:
    """The guide itself, so its text can be searched and cited: taxonomy headings are its sections."""
    pages = guide_pages(guide)
    sections = [Section(node.label, node.level, _page_of(node.label, pages))
                for node in guide.root.walk()[1:] if node.level <= GUIDE_SECTION_DEPTH]
    return Document(doc_id=f"guide:{guide.name}", kind=DocKind.GUIDE, source_id=guide.name, title=guide.title,
                    url=guide.path, pages=pages, sections=sections,
                    content_hash=sha256(guide.text.encode()), meta={"references": str(len(guide.references))})


def _page_of(label: str, pages: list[Page]) -> int:
    return next((p.number for p in pages if label in p.text), pages[0].number if pages else 1)


def reference_document(ref: Reference, *, topics: list[str]) -> Document:
    """A reference that is not fetched (title only, book, course, web page, gitee), kept unresolved."""
    return Document(doc_id=reference_doc_id(ref), kind=DocKind.REFERENCE, source_id=ref.source_id,
                    title=ref.title, status=DocStatus.UNRESOLVED,
                    status_reason=UNRESOLVED_REASONS.get(ref.kind, "not fetched"), url=ref.url, topics=topics,
                    meta={"ref_kind": ref.kind.value, **({"note": ref.note} if ref.note else {})})


def placeholder(doc_id: str, kind: DocKind, source_id: str, *, title: str, status: DocStatus, reason: str,
                url: str | None, topics: list[str]) -> Document:
    """A document known only by name: pending (offline) or failed, with the reason."""
    return Document(doc_id=doc_id, kind=kind, source_id=source_id, title=title or source_id, status=status,
                    status_reason=reason, url=url, topics=topics)


def paper_doc_id(source_id: str) -> str:
    """The doc_id of a paper: its arXiv id (no version), or the URL it was fetched from."""
    return f"paper:{source_id}"


def repo_doc_id(repo: RepoRef) -> str:
    """The doc_id of a repository; GitHub names are case-insensitive, so it is lower-cased."""
    return f"repo:{str(repo).lower()}"


def reference_doc_id(ref: Reference) -> str:
    """The doc_id of an unresolved reference."""
    return f"reference:{ref.source_id}"
