"""`readpath search`, `readpath index`, `readpath reindex`: build the index and search it."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from index.indexer import IndexReport
from index.models import Hit
from ingest.models import DocKind
from ui.cli.output import console, print_json
from ui.cli.progress import stage_progress
from ui.services import make_context
from ui.services import search as service

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def register(app: typer.Typer) -> None:
    """Add the search, index and reindex commands to the app."""
    app.command("search")(search)
    app.command("index")(index)
    app.command("reindex")(reindex)


def search(
    query: Annotated[str, typer.Argument(help="The question or keywords, in English or Chinese.")],
    k: Annotated[int | None, typer.Option("-k", "--top", min=1, max=100, help="How many passages (default: top_k).")]
    = None,
    kind: Annotated[list[DocKind] | None, typer.Option("--kind", help="Only documents of this kind (repeatable).",
                                                      case_sensitive=False)] = None,
    topic: Annotated[list[str] | None, typer.Option("--topic", help="Only documents under this taxonomy node id "
                                                    "(repeatable).")] = None,
    doc: Annotated[list[str] | None, typer.Option("--doc", help="Only this document id (repeatable).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the library: ranked passages with title, page, score and the matching words in **bold**.

    Keyword (BM25) and embedding rankings are fused; Chinese questions also find English passages.

    Example: readpath search "流水线并行的气泡" -k 3 --kind paper --json
    """
    hits = service.search(make_context(), query, k=k, kinds=[str(x) for x in kind or []],
                          topics=topic or [], doc_ids=doc or [])
    if as_json:
        print_json([_hit_json(hit) for hit in hits])
        return
    if not hits:
        console.print("No passages found. Is the library indexed? Run `readpath index`.")
    for number, hit in enumerate(hits, start=1):
        _print_hit(number, hit)


def _hit_json(hit: Hit) -> dict[str, Any]:
    c = hit.chunk
    return {"doc_id": c.doc_id, "source_id": c.source_id, "title": c.title, "kind": c.kind, "page": c.page_start,
            "page_end": c.page_end, "section": c.section, "heading_path": c.heading_path, "score": hit.score,
            "ranks": hit.ranks, "chunk_id": c.chunk_id, "topics": list(c.topics), "snippet": hit.snippet,
            "text": c.text}


def _print_hit(number: int, hit: Hit) -> None:
    c = hit.chunk
    where = [f"p. {c.page_start}" if c.page_start is not None else "", c.heading_path or c.section or ""]
    place = " · ".join(escape(part) for part in where if part)
    console.print(f"[bold]{number}. {escape(c.title)}[/bold]  [dim]{c.doc_id}[/dim]", highlight=False)
    console.print(f"   {place}{' · ' if place else ''}score {hit.score:.4f}", highlight=False)
    console.print(f"   {escape(hit.snippet)}\n", highlight=False, soft_wrap=True)


def _print_report(report: IndexReport, as_json: bool) -> None:
    if as_json:
        print_json(report)
        return
    kind = "approximate (IVF-SQ8, re-ranked)" if report.approximate else "exact"
    console.print(f"Documents: {report.added} added, {report.updated} updated, {report.removed} removed, "
                  f"{report.unchanged} unchanged. Chunks: {report.chunks_total} "
                  f"(+{report.chunks_added}, -{report.chunks_removed}); {kind} index, generation "
                  f"{report.generation}, {report.seconds:.1f} s.", highlight=False)


def index(as_json: JsonOpt = False) -> None:
    """Index the library: chunk and embed new or changed documents, drop removed ones.

    Safe to interrupt: the index keeps its previous state until the new one is complete.

    Example: readpath index
    """
    with stage_progress() as progress:
        report = service.index_library(make_context(), progress)
    _print_report(report, as_json)


def reindex(as_json: JsonOpt = False) -> None:
    """Rebuild the whole index from the stored text, fetching nothing.

    Use it after `readpath search` reports a damaged index or a different embedding model.

    Example: readpath reindex
    """
    with stage_progress() as progress:
        report = service.reindex(make_context(), progress)
    _print_report(report, as_json)
