"""Ingestion: what guides cite and what users add, into the library; idempotent, incremental, resumable."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from ingest.errors import InputError, Offline, PdfUnreadable, ReadpathError, SourceNotFound, StorageError
from ingest.models import DocKind, DocStatus, Document, Guide, Reference, RefKind
from ingest.parse import match_citations
from ingest.pipeline import steps
from ingest.pipeline.documents import paper_doc_id, placeholder, reference_doc_id, repo_doc_id
from ingest.pipeline.steps import ItemResult, Job, Outcome, Sources, Step
from ingest.sources import is_gitee, parse_arxiv_ref, parse_repo_ref
from ingest.store import LibraryStore

__all__ = ["IngestReport", "ItemResult", "Outcome", "ProgressEvent", "ProgressFn", "Sources", "add_items",
           "ingest_guides", "link_citations"]

log = logging.getLogger(__name__)

FILE_SUFFIXES = (".pdf", ".md", ".markdown", ".txt")
# Failures that asking again will not fix; they wait for --refresh instead of being fetched every run.
_PERMANENT = (SourceNotFound, InputError, PdfUnreadable)


@dataclass(frozen=True)
class ProgressEvent:
    """Progress of a run: `done` of `total` items; `stage` is "start" or the item's outcome."""

    done: int
    total: int
    item: str
    stage: str


ProgressFn = Callable[[ProgressEvent], None]


@dataclass
class IngestReport:
    """Every item's outcome, whether the run found itself offline, and notes worth telling."""

    results: list[ItemResult] = field(default_factory=list)
    offline: bool = False
    notes: list[str] = field(default_factory=list)

    def of(self, outcome: Outcome) -> list[ItemResult]:
        """The results with this outcome."""
        return [r for r in self.results if r.outcome is outcome]

    @property
    def ok(self) -> bool:
        """True when no item failed (pending and unresolved items are not failures)."""
        return not self.of(Outcome.FAILED)


def ingest_guides(guides: list[Guide], store: LibraryStore, sources: Sources, *, refresh: bool = False,
                  progress: ProgressFn | None = None) -> IngestReport:
    """Store each guide as a document and ingest everything it cites; `refresh` checks for new versions."""
    jobs: dict[str, Job] = {}
    for guide in guides:
        guide_job = Job(f"guide {guide.name}", DocKind.GUIDE, f"guide:{guide.name}", guide.name, guide.title,
                        partial(steps.guide, parsed=guide), url=guide.path, network=False, reuse_stored=False)
        jobs[guide_job.doc_id] = guide_job
        for ref in guide.references:
            job = reference_job(ref, store)
            seen = jobs.get(job.doc_id)
            # A work cited by several guides (or twice) is ingested once, under all its topics.
            jobs[job.doc_id] = replace(seen, topics=(*seen.topics, *job.topics)) if seen else job
    return _run(list(jobs.values()), Step(store, sources, refresh), progress)


def add_items(items: list[str], store: LibraryStore, sources: Sources, *, refresh: bool = False,
              progress: ProgressFn | None = None) -> IngestReport:
    """Add arXiv ids or URLs, GitHub repositories, PDF links, files and folders; bad items fail alone."""
    jobs: list[Job] = []
    refused: list[ItemResult] = []
    for item in items:
        try:
            jobs.extend(item_jobs(item, store))
        except InputError as exc:
            refused.append(ItemResult(item, Outcome.FAILED, reason=str(exc)))
    report = _run(jobs, Step(store, sources, refresh, retry_failed=True), progress)
    report.results[:0] = refused  # refused items first: they never reached a job
    return report


def reference_job(ref: Reference, store: LibraryStore) -> Job:
    """The job for one guide reference: fetch it (arXiv, PDF link, GitHub) or keep it unresolved."""
    topics = tuple(ref.taxonomy_paths)
    arxiv_ref = parse_arxiv_ref(ref.source_id) if ref.kind is RefKind.ARXIV else None
    repo_ref = parse_repo_ref(ref.source_id) if ref.kind is RefKind.GITHUB else None
    if arxiv_ref is not None:
        return Job(ref.ref_id, DocKind.PAPER, paper_doc_id(arxiv_ref.arxiv_id), arxiv_ref.arxiv_id, ref.title,
                   partial(steps.paper, ref=arxiv_ref), url=ref.url, topics=topics, version=arxiv_ref.version)
    if ref.kind is RefKind.PDF_URL:
        return _pdf_link_job(ref.ref_id, ref.url or ref.source_id, ref.title, store, topics)
    if repo_ref is not None:
        return Job(ref.ref_id, DocKind.REPO, repo_doc_id(repo_ref), str(repo_ref), ref.title,
                   partial(steps.repo, ref=repo_ref), url=ref.url, topics=topics)
    return Job(ref.ref_id, DocKind.REFERENCE, reference_doc_id(ref), ref.source_id, ref.title,
               partial(steps.reference, ref=ref), url=ref.url, topics=topics, network=False, reuse_stored=False)


def _pdf_link_job(item: str, url: str, title: str, store: LibraryStore, topics: tuple[str, ...] = ()) -> Job:
    # A dead link resolved earlier (to an arXiv paper found by title) is remembered as an alias.
    doc_id = store.alias(url) or paper_doc_id(url)
    return Job(item, DocKind.PAPER, doc_id, url, title, partial(steps.pdf_link, title=title), url=url,
               topics=topics)


def item_jobs(item: str, store: LibraryStore) -> list[Job]:
    """The jobs for one `readpath add` item; InputError when it is none of the kinds readpath knows."""
    path = Path(item).expanduser()
    if path.exists():
        return _path_jobs(path)
    arxiv_ref = parse_arxiv_ref(item)
    if arxiv_ref is not None:
        return [Job(item, DocKind.PAPER, paper_doc_id(arxiv_ref.arxiv_id), arxiv_ref.arxiv_id, item,
                    partial(steps.paper, ref=arxiv_ref), version=arxiv_ref.version)]
    if item.lower().split("?")[0].endswith(".pdf") and "://" in item:
        return [_pdf_link_job(item, item, "", store)]
    repo_ref = parse_repo_ref(item)
    if repo_ref is not None:
        return [Job(item, DocKind.REPO, repo_doc_id(repo_ref), str(repo_ref), str(repo_ref),
                    partial(steps.repo, ref=repo_ref))]
    if is_gitee(item):
        ref = Reference(f"gitee:{item}", RefKind.GITEE, item, item, url=item)
        return [Job(item, DocKind.REFERENCE, reference_doc_id(ref), item, item, partial(steps.reference, ref=ref),
                    url=item, network=False, reuse_stored=False)]
    raise InputError(f"{item!r} is not an arXiv id or URL, a GitHub repository (owner/name or URL), a PDF link "
                     f"or an existing file or folder; check it.")


def _path_jobs(path: Path) -> list[Job]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FILE_SUFFIXES
                       and not any(part.startswith(".") for part in p.relative_to(path).parts))
        if not files:
            raise InputError(f"{path} holds no PDF, Markdown or text files; nothing to add.")
    else:
        files = [path]
    return [Job(str(f), DocKind.FILE, f"file:{f.resolve()}", str(f.resolve()), f.stem,
                partial(steps.local_file, path=f.resolve()), network=False, reuse_stored=False) for f in files]


def _run(jobs: list[Job], step: Step, progress: ProgressFn | None) -> IngestReport:
    report = IngestReport()
    for number, job in enumerate(jobs):
        if progress:
            progress(ProgressEvent(number, len(jobs), job.item, "start"))
        result = _attempt(step, job, report)
        report.results.append(result)
        if progress:
            progress(ProgressEvent(number + 1, len(jobs), job.item, result.outcome.value))
    link_citations(step.store)
    report.notes.extend(step.notes)
    return report


def _attempt(step: Step, job: Job, report: IngestReport) -> ItemResult:
    """One job; its failure is recorded and never stops the run (except an unwritable library)."""
    if job.network and report.offline:
        return _unfinished(step, job, DocStatus.PENDING, "offline: kept pending for the next run")
    stored = step.store.get(job.doc_id, with_pages=False) if job.reuse_stored and not step.refresh else None
    if stored is not None and _settled(stored, job, step.retry_failed):
        return step.keep(job, stored)
    try:
        return job.run(step, job)
    except Offline as exc:
        report.offline = True
        return _unfinished(step, job, DocStatus.PENDING, str(exc))
    except StorageError:
        raise
    except ReadpathError as exc:
        return _unfinished(step, job, DocStatus.FAILED, str(exc), permanent=isinstance(exc, _PERMANENT))
    except Exception as exc:
        log.exception("Unexpected error on %s", job.item)
        return _unfinished(step, job, DocStatus.FAILED, f"unexpected error {exc!r} (a bug: please report it)")


def _settled(stored: Document, job: Job, retry_failed: bool) -> bool:
    """Whether the stored document answers the job without asking the network again."""
    if job.version is not None and stored.version != job.version:
        return False
    if stored.status is DocStatus.FAILED:
        return not retry_failed and stored.meta.get("retry") == "permanent"
    return stored.status in (DocStatus.OK, DocStatus.UNRESOLVED)


def _unfinished(step: Step, job: Job, status: DocStatus, reason: str, *, permanent: bool = False) -> ItemResult:
    """Record a pending or failed item; a good stored version is kept, and so is what an earlier run learnt."""
    stored = step.store.get(job.doc_id)
    if stored is not None and stored.status is DocStatus.OK:
        return replace(step.keep(job, stored), outcome=Outcome(status.value), reason=reason,
                       note="the stored version is kept")
    doc = stored or placeholder(job.doc_id, job.kind, job.source_id, title=job.title, status=status, reason=reason,
                                url=job.url, topics=list(job.topics))
    doc.status, doc.status_reason = status, reason
    doc.meta.pop("retry", None)
    if permanent:
        doc.meta["retry"] = "permanent"
    return step.save(job, doc)


def link_citations(store: LibraryStore) -> int:
    """Record which library papers cite which, from their parsed reference lists; the number of links."""
    docs = [d for d in store.list(status=DocStatus.OK) if d.kind in (DocKind.PAPER, DocKind.FILE)]
    library = [(d.doc_id, _arxiv_id(d), d.title) for d in docs]
    total = 0
    for doc in docs:
        if doc.references:
            links = match_citations(doc.doc_id, doc.references, library)
            store.set_citations(doc.doc_id, links)
            total += len(links)
    return total


def _arxiv_id(doc: Document) -> str | None:
    ref = parse_arxiv_ref(doc.source_id) or parse_arxiv_ref(doc.meta.get("arxiv_stamp", ""))
    return ref.arxiv_id if ref else None
