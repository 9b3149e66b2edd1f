"""`readpath plan`: a personalised reading plan, its progress, and its export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.status import Status
from rich.text import Text

from assistant.models import Plan
from assistant.plans import PlanRequest, plan_to_dict, weeks_needed
from ingest.errors import StorageError
from ui.cli.output import console, err_console, print_json
from ui.services import make_context, plans

plan_app = typer.Typer(help="A personalised reading plan: ordered by prerequisites, fitted to your weekly hours.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the plan as one JSON object.")]
NoLlmOpt = Annotated[bool, typer.Option("--no-llm", help="Write why and questions from templates, without the LLM.")]


def register(app: typer.Typer) -> None:
    """Add the plan command group to the app."""
    app.add_typer(plan_app, name="plan")


def _print_plan(plan: Plan) -> None:
    console.print(Text(f"Reading plan: {plan.goal}  ({plan.hours_per_week:g} h/week, {len(plan.weeks)} weeks)",
                       style="bold"))
    for week in plan.weeks:
        console.print(Text(f"\nWeek {week.week}  ({week.hours:g} / {plan.hours_per_week:g} h)", style="bold cyan"))
        for item in week.items:
            mark = "[x]" if item.done else "[ ]"
            console.print(Text(f"  {mark} {item.title}  ({item.kind}, {item.hours:g} h)  {item.id}"))
            console.print(Text(f"      {item.why}", style="dim"))
    if plan.skipped:
        console.print(Text(f"\nSkipped, already known: {', '.join(str(e['title']) for e in plan.skipped)}"))
    if plan.left_out:
        titles = ", ".join(str(e["title"]) for e in plan.left_out)
        console.print(Text(f"\nLeft out ({weeks_needed(plan)} more week(s) needed): {titles}", style="yellow"))


def _progress(status: Status) -> Callable[[str], None]:
    return lambda title: status.update(f"Writing why and questions: {title}")


def _report(result: plans.PlanResult, as_json: bool) -> None:
    for note in result.notes:
        err_console.print(Text(note, style="yellow"))
    if as_json:
        print_json(plan_to_dict(result.plan))
        return
    _print_plan(result.plan)
    console.print(Text(f"\nSaved to {result.path}", style="dim"))


@plan_app.callback(invoke_without_command=True)
def plan(
    ctx: typer.Context,
    goal: Annotated[str, typer.Option("--goal", "-g", help="What you want to learn, in English or Chinese.")] = "",
    topic: Annotated[list[str] | None, typer.Option(
        "--topic", help="A topic id or guide section to cover (repeatable).")] = None,
    know: Annotated[list[str] | None, typer.Option(
        "--know", help="A topic or work you already know (repeatable).")] = None,
    hours: Annotated[float, typer.Option("--hours", help="Hours per week.", min=0.25)] = 6.0,
    weeks: Annotated[int, typer.Option("--weeks", help="Number of weeks.", min=1, max=520)] = 4,
    lang: Annotated[str | None, typer.Option("--lang", help="zh or en (default: the language setting).")] = None,
    prefer: Annotated[str | None, typer.Option("--prefer", help="papers, code or courses first.")] = None,
    as_json: JsonOpt = False,
    no_llm: NoLlmOpt = False,
) -> None:
    """Build a reading plan for a goal, save it, and print it week by week.

    Example: readpath plan --goal "LLM distributed training" --know "data parallel" --hours 5 --weeks 6
    """
    if ctx.invoked_subcommand is not None:
        return
    if not goal and not topic:
        console.print(ctx.get_help())
        raise typer.Exit(0)
    context = make_context()
    request = PlanRequest(goal, hours, weeks, tuple(topic or ()), tuple(know or ()),
                          lang or context.settings.language, prefer)
    with err_console.status("Planning…") as status:
        result = plans.make_plan(context, request, use_llm=not no_llm, progress=_progress(status))
    _report(result, as_json)


@plan_app.command("show")
def show(as_json: JsonOpt = False) -> None:
    """Show the saved plan, week by week, with what is done.

    Example: readpath plan show --json
    """
    plan = plans.current_plan(make_context().settings)
    if as_json:
        print_json(plan_to_dict(plan))
    else:
        _print_plan(plan)


@plan_app.command("done")
def done(
    item: Annotated[str, typer.Argument(help="An item id from `readpath plan show`, or a work's id (all its parts).")],
    as_json: JsonOpt = False,
    no_llm: NoLlmOpt = False,
) -> None:
    """Mark an item done and re-plan the weeks after this one (this week stays as it is).

    Example: readpath plan done arxiv:2006.15704
    """
    with err_console.status("Re-planning…") as status:
        result = plans.mark_item_done(make_context(), item, use_llm=not no_llm, progress=_progress(status))
    _report(result, as_json)


@plan_app.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(plans.FORMATS)}.")] = "md",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Export the saved plan as Markdown (with links) or JSON.

    Example: readpath plan export --format md --out plan.md
    """
    text = plans.export_plan(make_context().settings, fmt)
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise StorageError(f"Cannot write {out} ({exc.strerror or exc}); check the path.") from exc
    err_console.print(f"Wrote {out}")
