"""Progress of long commands on stderr, whatever the output format: stdout carries only the result."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingest.pipeline import ProgressEvent, ProgressFn
from ui.cli.output import err_console

StageFn = Callable[[str, int, int], None]
_COLUMNS = (TextColumn("{task.description}", style="bold"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


class ProgressLines:
    """Progress as plain lines, for a stderr that is not a terminal (a pipe, a CI log, a script), where a
    rich bar draws nothing at all: a line when a stage starts, then one per tenth of it, so a ten-minute
    index run shows it is alive without flooding the log."""

    def __init__(self) -> None:
        self._tenths: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int, detail: str = "") -> None:
        tenth = 10 * done // total if total > 0 else 0
        if self._tenths.get(stage) == tenth:
            return
        self._tenths[stage] = tenth
        line = f"{stage}: {done}/{total}" + (f"  {detail}" if detail else "")
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)


@contextmanager
def stage_progress() -> Iterator[StageFn]:
    """A callback (stage, done, total): one bar per stage on a terminal, plain lines elsewhere."""
    if not err_console.is_terminal:
        yield ProgressLines()
        return
    with Progress(*_COLUMNS, console=err_console, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        yield update


@contextmanager
def item_progress(enabled: bool) -> Iterator[ProgressFn | None]:
    """A callback for the ingestion pipeline's events: a bar on a terminal, plain lines elsewhere, or none."""
    if not enabled:
        yield None
        return
    if not err_console.is_terminal:
        lines = ProgressLines()

        def line(event: ProgressEvent) -> None:
            lines("items", event.done, event.total, event.item[:80])

        yield line
        return
    with Progress(*_COLUMNS, console=err_console, transient=True) as bar:
        task = bar.add_task("starting", total=None)

        def update(event: ProgressEvent) -> None:
            label = f"{event.item[:60]}" if event.stage == "start" else f"{event.item[:48]}: {event.stage}"
            bar.update(task, total=event.total, completed=event.done, description=label)

        yield update
