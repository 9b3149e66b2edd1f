"""`readpath ask`, `chat`, `summarize`, `doctor`: cited answers, summaries and health checks."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from assistant.llm import backend_names
from assistant.models import Answer, Summary
from ingest.errors import InputError
from ui.cli.output import console, err_console, print_json, to_jsonable
from ui.errors import EXIT_BACKEND
from ui.services import Context, make_context
from ui.services import answers as service

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
BackendOpt = Annotated[str | None, typer.Option(
    "--backend", help="LLM backend for this command: local, openai, ollama or extractive (default: llm_backend).")]
QUIT = "/quit"


def register(app: typer.Typer) -> None:
    """Add ask, chat, summarize and doctor to the app."""
    app.command("ask")(ask)
    app.command("chat")(chat)
    app.command("summarize")(summarize)
    app.command("doctor")(doctor)


def _backend(name: str | None) -> str | None:
    if name is not None and name not in backend_names():
        raise InputError(f"Unknown backend {name!r}: choose one of {', '.join(backend_names())}.")
    return name


def answer_json(answer: Answer) -> dict[str, Any]:
    """The --json object of an answer: answer, language, abstained, citations and the rest."""
    data: dict[str, Any] = to_jsonable(answer)
    data["citations"] = [{k: c[k] for k in ("key", "doc_id", "source_id", "title", "page", "url", "quote", "heading")}
                         for c in data["citations"]]
    return data


def _print_sources(answer: Answer) -> None:
    for c in answer.citations:
        where = f"p. {c.page}" if c.page else (c.heading or "")
        place = escape(c.source_id) + (f", {where}" if where else "")
        console.print(f"  [bold][{c.key}][/bold] {escape(c.title)} ({place}){'  ' + c.url if c.url else ''}",
                      highlight=False, soft_wrap=True)
        console.print(f"      [dim]“{escape(c.quote)}”[/dim]", highlight=False, soft_wrap=True)
    if answer.dropped_citations:
        keys = ", ".join(f"[{k}]" for k in answer.dropped_citations)
        console.print(f"  [yellow]Removed {keys}: not among the sources retrieved.[/yellow]", highlight=False)


def _stream(piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()


def _answer(ctx: Context, question: str, history: list[tuple[str, str]], backend: str | None,
            doc_ids: Sequence[str] = ()) -> Answer:
    answer = service.ask(ctx, question, history=history, backend=backend, stream_callback=_stream, doc_ids=doc_ids)
    sys.stdout.write("\n")
    _print_sources(answer)
    return answer


def ask(
    question: Annotated[str, typer.Argument(help="The question, in English or Chinese.")],
    as_json: JsonOpt = False,
    backend: BackendOpt = None,
    doc: Annotated[list[str] | None, typer.Option(
        "--doc", help="Answer from this document only (an id from `readpath library`; repeatable).")] = None,
) -> None:
    """Answer a question from the library, citing papers to the page; says so when the library has no answer.

    The answer streams as it is written, in the language of the question, followed by its sources.

    Example: readpath ask "How does GPipe reduce the pipeline bubble?" --json
    Example: readpath ask "Do they perform error analysis?" --doc paper:2106.09685
    """
    ctx = make_context()
    if as_json:
        print_json(answer_json(service.ask(ctx, question, backend=_backend(backend), doc_ids=doc or [])))
        return
    _answer(ctx, question, [], _backend(backend), doc or [])


def chat(backend: BackendOpt = None) -> None:
    """Talk with the library in the terminal: follow-up questions keep the conversation's context.

    Reads questions line by line from standard input; ends at end of input or on /quit.

    Example: printf 'What is LoRA?\\nHow much memory does it save?\\n' | readpath chat
    """
    ctx, name = make_context(), _backend(backend)
    service.warm_up(ctx, name)  # before the first prompt, so the first answer is as quick as the next
    history: list[tuple[str, str]] = []
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            err_console.print("[bold]>[/bold] ", end="")
        line = sys.stdin.readline()
        if not line or line.strip() == QUIT:
            return
        if line.strip():
            answer = _answer(ctx, line.strip(), history, name)
            history.append((line.strip(), answer.answer))


def _print_summary(summary: Summary, title: str) -> None:
    console.print(f"[bold]{escape(title)}[/bold]  [dim]{summary.doc_id} · {summary.language} · {summary.model}[/dim]",
                  highlight=False)
    for key, text in summary.sections.items():
        if text.strip():
            console.print(f"\n[bold]{key.replace('_', ' ').capitalize()}[/bold]\n{escape(text)}", highlight=False)
    for c in summary.citations:
        console.print(f"  [dim][p{c.page}] {c.url or ''} “{escape(c.quote)}”[/dim]", highlight=False, soft_wrap=True)
    console.print()


def summarize(
    doc_id: Annotated[str | None, typer.Argument(help="A document id from `readpath library` (paper:2106.09685).")]
    = None,
    all_docs: Annotated[bool, typer.Option("--all", help="Summarise every paper and repository in the library.")]
    = False,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of the summary: en or zh (default: language).")]
    = None,
    as_json: JsonOpt = False,
    backend: BackendOpt = None,
) -> None:
    """Write a structured summary: TL;DR, problem, key idea, method, results cited to pages, limitations.

    Long papers are summarised window by window, then combined; summaries are cached per document version,
    model and language, so asking again is instant.

    Example: readpath summarize paper:2205.14135 --lang zh
    """
    if lang not in (None, "en", "zh"):
        raise InputError(f"--lang must be en or zh, not {lang!r}.")
    if (doc_id is None) == (not all_docs):
        raise InputError("Give one document id, or --all.")
    ctx = make_context()
    ids = service.summarizable(ctx) if all_docs else [str(doc_id)]
    summaries = _summaries(ctx, ids, lang, _backend(backend), show=not as_json)
    if as_json:
        print_json(summaries if all_docs else summaries[0])


def _summaries(ctx: Context, ids: list[str], lang: str | None, backend: str | None, show: bool) -> list[Summary]:
    """Each document summarised in turn under a progress bar on stderr (windows of a long paper as steps)."""
    summaries = []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        for number, one in enumerate(ids, start=1):
            task = bar.add_task(f"{number}/{len(ids)} {one}", total=1)

            def step(done: int, total: int, task: Any = task) -> None:
                bar.update(task, completed=done, total=total)

            summaries.append(service.summarize(ctx, one, lang, backend, progress=step))
            bar.remove_task(task)
            if show:
                _print_summary(summaries[-1], one)
    return summaries


def doctor(as_json: JsonOpt = False, backend: BackendOpt = None) -> None:
    """Check the embedding model, the index and the LLM backend separately, saying what is wrong.

    Exits with status 6 when a check fails. Spends no tokens: an API key is checked by listing models.

    Example: readpath doctor --backend openai
    """
    checks = service.doctor(make_context(), _backend(backend))
    if as_json:
        print_json(checks)
    else:
        for check in checks:
            mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
            console.print(f"{mark} {check.name}: {escape(check.detail)}", highlight=False, soft_wrap=True)
    if not all(check.ok for check in checks):
        raise typer.Exit(EXIT_BACKEND)
