"""`readpath ingest`, `add`, `library`, `remove`: build the library and look into it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ingest.models import DocKind, DocStatus
from ingest.pipeline import IngestReport, Outcome
from ui.cli.output import console, print_json
from ui.cli.progress import item_progress
from ui.errors import EXIT_PARTIAL
from ui.services import library, make_context

_STYLES = {Outcome.FETCHED: "green", Outcome.UNCHANGED: "dim", Outcome.FAILED: "red", Outcome.PENDING: "yellow",
           Outcome.UNRESOLVED: "cyan"}


def _finish(report: IngestReport, *, as_json: bool, quiet: bool) -> None:
    """Print the report (a table, or JSON), then exit 1 when some item failed."""
    if as_json:
        counts = {outcome.value: len(report.of(outcome)) for outcome in Outcome}
        print_json({"ok": report.ok, "offline": report.offline, "counts": counts, "notes": report.notes,
                    "results": report.results})
    elif not quiet or not report.ok:
        _print_report(report, quiet=quiet)
    if not report.ok:
        raise typer.Exit(EXIT_PARTIAL)


def _print_report(report: IngestReport, *, quiet: bool) -> None:
    if not quiet:
        summary = Table(title="Ingestion")
        summary.add_column("outcome")
        summary.add_column("items", justify="right")
        for outcome in Outcome:
            summary.add_row(f"[{_STYLES[outcome]}]{outcome.value}[/]", str(len(report.of(outcome))))
        console.print(summary)
        for note in report.notes:
            console.print(f"[cyan]note:[/] {note}")
    if report.offline:
        console.print(f"[yellow]Offline:[/] {len(report.of(Outcome.PENDING))} items are pending; what is cached was "
                      f"kept. Run the command again when connected.")
    failed = report.of(Outcome.FAILED)
    if failed:
        table = Table(title="Failed", title_style="red")
        table.add_column("item", overflow="fold")
        table.add_column("reason", overflow="fold")
        for result in failed:
            table.add_row(result.item, result.reason)
        console.print(table)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar; print only failures.")]


def register(app: typer.Typer) -> None:
    """Add the ingest, add, library and remove commands to the app."""
    app.command("ingest")(ingest)
    app.command("add")(add)
    app.command("library")(library_list)
    app.command("remove")(remove)


def ingest(
    guides: Annotated[list[Path] | None, typer.Argument(
        help="Guide files (default: the guides shipped in seeds/).")] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Check for new arXiv versions and changed READMEs.")]
    = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Fetch every paper and repository the guides cite into the library; a second run fetches nothing.

    Example: readpath ingest --refresh
    """
    ctx = make_context()
    with item_progress(enabled=not quiet) as progress:
        report = library.ingest(ctx, guides or None, refresh=refresh, progress=progress)
    _finish(report, as_json=as_json, quiet=quiet)


def add(
    items: Annotated[list[str], typer.Argument(
        help="arXiv ids or URLs, GitHub owner/name or URLs, PDF links, files or folders.")],
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Add papers, repositories and local files to the library.

    Example: readpath add 2205.14135 arXiv:2303.06865v2 FMInference/FlexGen ~/papers/
    """
    ctx = make_context()
    with item_progress(enabled=not quiet) as progress:
        report = library.add(ctx, items, progress=progress)
    _finish(report, as_json=as_json, quiet=quiet)


def library_list(
    kind: Annotated[DocKind | None, typer.Option(help="Only this kind of document.", case_sensitive=False)] = None,
    status: Annotated[DocStatus | None, typer.Option(help="Only documents with this status.",
                                                     case_sensitive=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """List what is in the library: id, kind, status (and why), pages and title.

    Example: readpath library --kind paper --status failed
    """
    rows = library.list_documents(make_context(), kind, status)
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"Library: {len(rows)} documents")
    for column in ("doc_id", "kind", "status", "pages", "chars", "title", "reason"):
        table.add_column(column, overflow="fold", justify="right" if column in ("pages", "chars") else "left")
    for row in rows:
        table.add_row(row.doc_id, row.kind.value, row.status.value, str(row.pages), str(row.chars), row.title,
                      row.status_reason)
    console.print(table)


def remove(doc_id: Annotated[str, typer.Argument(help="The id that `readpath library` lists.")]) -> None:
    """Remove a document from the library.

    Example: readpath remove paper:2205.14135
    """
    library.remove_document(make_context(), doc_id)
    console.print(f"Removed {doc_id}.")
