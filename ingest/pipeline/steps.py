"""One ingestion step per kind of item: an arXiv paper, a PDF link, a repository, a file, a reference, a guide."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from ingest.errors import EmptyInput, InputError, PdfUnreadable, SourceNotFound
from ingest.models import DocKind, DocStatus, Document, Guide, Reference
from ingest.parse import ParsedMarkdown, parse_markdown, parse_pdf, parse_text
from ingest.pipeline.documents import (
    check_text,
    guide_document,
    health,
    paper_doc_id,
    paper_document,
    pdf_document,
    reference_document,
    repo_document,
    sha256,
    text_document,
)
from ingest.repair import decode_bytes
from ingest.sources import MIB, ArxivPaper, ArxivRef, CachePolicy, HttpClient, RepoRef, arxiv, github, require_ok
from ingest.store import LibraryStore

MARKDOWN_SUFFIXES = (".md", ".markdown")


@dataclass(frozen=True)
class Sources:
    """Where and how to fetch: the HTTP client, the base URLs, the token and the size limit."""

    client: HttpClient
    arxiv_api_url: str
    arxiv_pdf_url: str
    github_api_url: str
    github_raw_url: str
    github_token: str | None = None
    max_pdf_bytes: int = 50 * MIB


class Outcome(StrEnum):
    """What happened to one item in a run."""

    FETCHED = "fetched"  # new or changed content stored
    UNCHANGED = "unchanged"  # already in the library as it is
    FAILED = "failed"
    PENDING = "pending"  # offline: kept for the next run
    UNRESOLVED = "unresolved"  # named by title only, or a source readpath does not fetch


@dataclass(frozen=True)
class ItemResult:
    """One item's outcome, the document it made and that document's health."""

    item: str
    outcome: Outcome
    doc_id: str | None = None
    title: str = ""
    reason: str = ""
    note: str = ""
    pages: int = 0
    chars: int = 0
    sections: int = 0


@dataclass(frozen=True)
class Job:
    """One item to ingest: what was asked, the document it makes, and the step that makes it."""

    item: str
    kind: DocKind
    doc_id: str
    source_id: str
    title: str
    run: Callable[[Step, Job], ItemResult]
    url: str | None = None
    topics: tuple[str, ...] = ()
    network: bool = True
    version: int | None = None  # the arXiv version asked for, if any
    reuse_stored: bool = True  # False: the step itself decides (files compare their content hash)


@dataclass
class Step:
    """What every step needs: the store, the sources, whether to refresh, and notes for the report."""

    store: LibraryStore
    sources: Sources
    refresh: bool = False
    retry_failed: bool = False  # items asked for by name are tried again even after a permanent failure
    notes: list[str] = field(default_factory=list)

    def save(self, job: Job, doc: Document, note: str = "") -> ItemResult:
        """Store a document (topics merged with the stored ones) unless that would replace a good one by a failure."""
        stored = self.store.get(doc.doc_id, with_pages=False)
        if stored is not None:
            doc.topics = merge_topics(stored.topics, doc.topics)
            if doc.status is DocStatus.FAILED and stored.status is DocStatus.OK:
                return result_for(job, doc, changed=False, note="the stored version is kept")
        return result_for(job, doc, changed=self.store.upsert(doc), note=note)

    def keep(self, job: Job, stored: Document) -> ItemResult:
        """Report a stored document as it is, adding the job's topics if it brings new ones."""
        topics = merge_topics(stored.topics, list(job.topics))
        if topics != stored.topics:
            full = self.store.get(stored.doc_id)
            if full is not None:
                full.topics = topics
                self.store.upsert(full)
        summary = self.store.summary(stored.doc_id)
        counts = (summary.pages, summary.chars, summary.sections) if summary else (0, 0, 0)
        reason = stored.status_reason
        if stored.status is DocStatus.FAILED:
            reason += " (from an earlier run; `readpath ingest --refresh` tries again)"
        return ItemResult(job.item, _outcome(stored.status, changed=False), stored.doc_id, stored.title, reason, "",
                          *counts)


def merge_topics(old: list[str], new: list[str]) -> list[str]:
    """Topics from earlier runs then new ones, each once, in order."""
    return list(dict.fromkeys([*old, *new]))


def result_for(job: Job, doc: Document, *, changed: bool, note: str = "") -> ItemResult:
    """The ItemResult for a document a step made."""
    counts = health(doc)
    return ItemResult(job.item, _outcome(doc.status, changed), doc.doc_id, doc.title, doc.status_reason, note,
                      counts.pages, counts.chars, counts.sections)


def _outcome(status: DocStatus, changed: bool) -> Outcome:
    if status is DocStatus.FAILED:
        return Outcome.FAILED
    if status is DocStatus.UNRESOLVED:
        return Outcome.UNRESOLVED
    if status is DocStatus.PENDING:
        return Outcome.PENDING
    return Outcome.FETCHED if changed else Outcome.UNCHANGED


# --- steps: each takes the Step and its Job, returns an ItemResult, raises named errors ---


def paper(step: Step, job: Job, *, ref: ArxivRef) -> ItemResult:
    """An arXiv paper: metadata from the API, text from the PDF; a stored same version is kept."""
    src = step.sources
    found = arxiv.fetch_paper(src.client, ref, api_url=src.arxiv_api_url, refresh=step.refresh)
    stored = step.store.get(job.doc_id, with_pages=False)
    if stored is not None and stored.status is DocStatus.OK and stored.version == found.version:
        return step.keep(job, stored)
    return _store_paper(step, job, found)


def _store_paper(step: Step, job: Job, found: ArxivPaper) -> ItemResult:
    src = step.sources
    url = arxiv.pdf_url(src.arxiv_pdf_url, found)
    try:
        data = arxiv.fetch_pdf(src.client, found, pdf_base=src.arxiv_pdf_url)
        parsed = parse_pdf(data, name=f"arXiv {found.versioned_id}", max_bytes=src.max_pdf_bytes)
        doc = paper_document(found, parsed, url=url, content_hash=sha256(data), topics=list(job.topics))
    except (PdfUnreadable, SourceNotFound) as exc:
        # The metadata is still worth keeping: the paper is listed, with why its text is missing.
        doc = paper_document(found, None, url=url, content_hash="", topics=list(job.topics))
        doc.status, doc.status_reason = DocStatus.FAILED, str(exc)
        doc.meta["retry"] = "permanent"
    return step.save(job, doc)


def pdf_link(step: Step, job: Job, *, title: str) -> ItemResult:
    """A PDF by URL (a GitHub blob link goes through the raw host); on 404, the paper found by its title on arXiv."""
    src = step.sources
    link = job.url or job.source_id
    target = github.blob_to_raw(link, src.github_raw_url) or link
    try:
        response = src.client.get(target, expect_pdf=True, cache=CachePolicy.PREFER)
        data = require_ok(response, f"The PDF {link}").content
    except SourceNotFound as exc:
        return _paper_by_title(step, job, title, exc)
    parsed = parse_pdf(data, name=link, max_bytes=src.max_pdf_bytes)
    doc = pdf_document(job.doc_id, DocKind.PAPER, link, parsed, title=title, url=link, content_hash=sha256(data),
                       topics=list(job.topics))
    return step.save(job, doc)


def _paper_by_title(step: Step, job: Job, title: str, gone: SourceNotFound) -> ItemResult:
    src = step.sources
    found = arxiv.search_by_title(src.client, title, api_url=src.arxiv_api_url)
    if found is None:
        raise SourceNotFound(f"{gone} arXiv has no paper titled {title!r} either; find another copy and "
                             f"`readpath add` it.") from gone
    link = job.url or job.source_id
    note = (f"{link} is gone (404); ingested arXiv {found.versioned_id} \"{found.title}\", "
            f"found by the guide's title, instead")
    step.notes.append(note)
    paper_job = dataclasses.replace(job, doc_id=paper_doc_id(found.arxiv_id), source_id=found.arxiv_id)
    # Through the id, like any paper: a refresh then sees a new version the (cached) search would not.
    result = dataclasses.replace(paper(step, paper_job, ref=ArxivRef(found.arxiv_id)), note=note)
    if result.outcome is not Outcome.FAILED:
        step.store.set_alias(link, paper_job.doc_id)
        step.store.remove(paper_doc_id(link))  # a placeholder from an earlier failed or offline run
    return result


def repo(step: Step, job: Job, *, ref: RepoRef) -> ItemResult:
    """A GitHub repository: metadata and README, kept as it is when GitHub answers 304 to both."""
    src = step.sources
    fetched = github.fetch_repo(src.client, ref, api_url=src.github_api_url, token=src.github_token)
    stored = step.store.get(job.doc_id, with_pages=False)
    if stored is not None and stored.status is DocStatus.OK and fetched.unchanged:
        return step.keep(job, stored)
    readme = None
    if fetched.readme is not None:
        readme = _read_text(fetched.readme.content, f"{ref} {fetched.readme.path}", fetched.readme.path)
    doc = repo_document(ref, fetched, readme[0] if readme else None, topics=list(job.topics))
    note = ""
    if fetched.info.full_name.lower() != str(ref).lower():
        note = f"{ref} was renamed to {fetched.info.full_name}"
        doc.meta["renamed_to"] = fetched.info.full_name
    return step.save(job, doc, note)


def _read_text(data: bytes, name: str, filename: str) -> tuple[ParsedMarkdown, int] | None:
    """Parsed Markdown or text with the encoding repaired, and how many characters were repaired."""
    try:
        repaired = decode_bytes(data, name=name)
    except EmptyInput:
        return None
    parse = parse_markdown if filename.lower().endswith(MARKDOWN_SUFFIXES) else parse_text
    return parse(repaired.text, name=name), repaired.report.repaired


def local_file(step: Step, job: Job, *, path: Path) -> ItemResult:
    """A local PDF, Markdown or text file; an unchanged file (same content hash) is not parsed again."""
    limit = step.sources.max_pdf_bytes
    if path.stat().st_size > limit:
        raise InputError(f"{path} is larger than the {limit / MIB:.0f} MiB limit; raise the max_pdf_mb setting "
                         f"to add it.")
    data = path.read_bytes()
    digest = sha256(data)
    stored = step.store.get(job.doc_id, with_pages=False)
    if stored is not None and stored.status is DocStatus.OK and stored.content_hash == digest:
        return step.keep(job, stored)
    if path.suffix.lower() == ".pdf":
        parsed_pdf = parse_pdf(data, name=str(path), max_bytes=limit)
        doc = pdf_document(job.doc_id, DocKind.FILE, job.source_id, parsed_pdf, title=path.stem, url=None,
                           content_hash=digest, topics=list(job.topics))
    else:
        text = _read_text(data, str(path), path.name)
        if text is None:
            raise InputError(f"{path} is empty; nothing to add.")
        doc = text_document(job.doc_id, job.source_id, text[0], title=path.stem, content_hash=digest,
                            repaired=text[1])
        check_text(doc, what=str(path))
    return step.save(job, doc)


def reference(step: Step, job: Job, *, ref: Reference) -> ItemResult:
    """A reference that is not fetched, stored as unresolved so a later version can resolve it."""
    return step.save(job, reference_document(ref, topics=list(job.topics)))


def guide(step: Step, job: Job, *, parsed: Guide) -> ItemResult:
    """The guide itself as a document: its text searchable, its taxonomy headings as sections."""
    return step.save(job, guide_document(parsed))
