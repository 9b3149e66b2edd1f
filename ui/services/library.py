"""The library service: ingest guides, add items, list and remove documents, composed from Settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from ingest.errors import SourceNotFound
from ingest.models import DocKind, DocStatus
from ingest.pipeline import IngestReport, ProgressFn, Sources, add_items, ingest_guides
from ingest.sources import MIB, HttpClient, HttpConfig
from ingest.store import DocumentSummary, LibraryStore
from ui.services import SETTINGS, Context, Resource
from ui.services.guides import load_guides
from ui.settings import Settings


def library_path(settings: Settings) -> Path:
    """The library database in the data directory."""
    return settings.home / "library.sqlite"


STORE: Resource[LibraryStore] = Resource(
    "library_store", lambda ctx: LibraryStore(library_path(ctx.settings), cache_dir=ctx.settings.home / "cache"),
    depends_on=(SETTINGS,))


def open_store(ctx: Context) -> LibraryStore:
    """The context's LibraryStore, opened once; raw downloads go to `<home>/cache/`."""
    return ctx.get(STORE)


def http_config(settings: Settings) -> HttpConfig:
    """The HTTP client's behaviour from Settings: allowed hosts, pacing, retries, size limit."""
    bases = (settings.arxiv_api_url, settings.arxiv_pdf_url, settings.github_api_url, settings.github_raw_url)
    arxiv_hosts = {urlsplit(settings.arxiv_api_url).hostname, urlsplit(settings.arxiv_pdf_url).hostname}
    return HttpConfig(
        allowed_bases=bases,
        user_agent=settings.user_agent,
        timeout_s=settings.http_timeout_s,
        retries=settings.http_retries,
        backoff_base_s=settings.backoff_base_s,
        # arxiv_delay_s (3 s by default) between calls to arXiv's hosts: its API terms ask for it.
        min_interval_s={host: settings.arxiv_delay_s for host in arxiv_hosts if host},
        max_bytes=int(settings.max_pdf_mb * MIB),
    )


@contextmanager
def sources(ctx: Context) -> Iterator[Sources]:
    """Fetch sources for one run: an HTTP client whose raw cache is the library's, and the base URLs."""
    settings = ctx.settings
    with HttpClient(http_config(settings), cache=open_store(ctx)) as client:
        yield Sources(client=client, arxiv_api_url=settings.arxiv_api_url, arxiv_pdf_url=settings.arxiv_pdf_url,
                      github_api_url=settings.github_api_url, github_raw_url=settings.github_raw_url,
                      github_token=settings.github_token_value, max_pdf_bytes=int(settings.max_pdf_mb * MIB))


def ingest(ctx: Context, guide_paths: list[Path] | None = None, *, refresh: bool = False,
           progress: ProgressFn | None = None) -> IngestReport:
    """Ingest the guides (default: the shipped seed guides) and everything they cite."""
    guides = load_guides(guide_paths)
    with sources(ctx) as src:
        return ingest_guides(guides, open_store(ctx), src, refresh=refresh, progress=progress)


def add(ctx: Context, items: list[str], *, refresh: bool = False, progress: ProgressFn | None = None) -> IngestReport:
    """Add arXiv ids or URLs, GitHub repositories, PDF links, files or folders to the library."""
    with sources(ctx) as src:
        return add_items(items, open_store(ctx), src, refresh=refresh, progress=progress)


def list_documents(ctx: Context, kind: DocKind | None = None,
                   status: DocStatus | None = None) -> list[DocumentSummary]:
    """What is in the library, with status and health, optionally of one kind and status."""
    return open_store(ctx).summaries(kind, status)


def remove_document(ctx: Context, doc_id: str) -> None:
    """Remove a document (its pages, sections and citation links go with it); SourceNotFound if unknown."""
    if not open_store(ctx).remove(doc_id):
        raise SourceNotFound(f"No document {doc_id} in the library; `readpath library` lists the ids.")
