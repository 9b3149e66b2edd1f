"""The plan service: reading plans built from the guides, the prerequisite graph, the library and
the LLM, saved as JSON in <home>/plans/ (current.json is the plan in use; older ones are kept)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import seeds
from assistant.errors import BackendUnavailable, PlanError
from assistant.models import Plan
from assistant.plans import (
    LibraryFacts,
    PlanRequest,
    PlanWriter,
    PrereqGraph,
    ReadingSpeed,
    build_plan,
    load_prerequisites,
    mark_done,
    plan_from_dict,
    plan_markdown,
    plan_to_dict,
    replan,
)
from ingest.errors import StorageError
from ingest.models import DocKind, DocStatus, Guide
from ingest.pipeline import reference_job
from ingest.store import write_text_atomic
from ui.services import SETTINGS, Context, Resource
from ui.services.answers import chat_model
from ui.services.guides import load_guides
from ui.services.library import library_path, open_store
from ui.settings import Settings

CURRENT = "current.json"
FORMATS = ("md", "json")
Progress = Callable[[str], None]  # told the title of each item before the LLM writes about it


@dataclass
class PlanResult:
    """A plan, where it was saved, and notes for the user (a fallback to template text, say)."""

    plan: Plan
    path: Path
    notes: list[str] = field(default_factory=list)


def plans_dir(settings: Settings) -> Path:
    """Where plans are saved."""
    return settings.home / "plans"


def graph_path(settings: Settings) -> Path:
    """The prerequisite graph in use: the setting, else the packaged seeds/prerequisites.toml."""
    return settings.prerequisites_path or Path(seeds.__file__).resolve().parent / "prerequisites.toml"


PLAN_GRAPH: Resource[PrereqGraph] = Resource(
    "plan_graph", lambda ctx: load_prerequisites(graph_path(ctx.settings)), depends_on=(SETTINGS,))


def load_graph(ctx: Context) -> PrereqGraph:
    """The prerequisite graph, read once per context."""
    return ctx.get(PLAN_GRAPH)


def reading_speed(settings: Settings) -> ReadingSpeed:
    """The hour estimates from Settings."""
    return ReadingSpeed(settings.pages_per_hour, settings.repo_hours, settings.course_hours, settings.web_hours)


def library_facts(ctx: Context, guides: list[Guide]) -> dict[str, LibraryFacts]:
    """Titles, page counts, abstracts and citations of the guides' works that are in the library."""
    if not library_path(ctx.settings).exists():
        return {}  # nothing ingested yet: plan from the guide alone, without creating a library
    store = open_store(ctx)
    stored = {s.doc_id: s for s in store.summaries(status=DocStatus.OK)}
    ref_of: dict[str, str] = {}
    for guide in guides:
        for ref in guide.references:
            doc_id = reference_job(ref, store).doc_id
            if doc_id in stored:
                ref_of.setdefault(doc_id, ref.ref_id)
    facts = {}
    for doc_id, ref_id in ref_of.items():
        doc = store.get(doc_id, with_pages=False)
        if doc is None:
            continue
        cites = tuple(ref_of[link.cited] for link in store.citations(doc_id)
                      if link.citing == doc_id and link.cited in ref_of)
        pages = stored[doc_id].pages if doc.kind is DocKind.PAPER else None  # a README's "pages" are sections
        facts[ref_id] = LibraryFacts(title=doc.title, pages=pages or None, abstract=doc.abstract, cites=cites)
    return facts


def _writer(ctx: Context, use_llm: bool, progress: Progress | None) -> PlanWriter:
    if not use_llm:
        return PlanWriter()
    settings = ctx.settings
    # why plus three questions need about 200 tokens, even when answers are set shorter
    return PlanWriter(chat_model(ctx), max_tokens=max(settings.llm_max_tokens, 200),
                      temperature=settings.llm_temperature, progress=progress)


def _with_fallback(ctx: Context, use_llm: bool, make: Callable[[PlanWriter], Plan],
                   progress: Progress | None) -> tuple[Plan, list[str]]:
    """Run `make` with the LLM writer; when the backend is unavailable, again with templates."""
    try:
        return make(_writer(ctx, use_llm, progress)), []
    except BackendUnavailable as exc:
        note = f"LLM unavailable ({exc}); why and questions come from templates. `readpath doctor` checks the backend."
        return make(PlanWriter()), [note]


def make_plan(ctx: Context, request: PlanRequest, *, use_llm: bool = True,
              progress: Progress | None = None) -> PlanResult:
    """Build a plan, save it as the current plan (keeping the previous one), and return it."""
    guides, graph = load_guides(), load_graph(ctx)
    facts, speed = library_facts(ctx, guides), reading_speed(ctx.settings)
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    plan, notes = _with_fallback(ctx, use_llm, lambda writer: build_plan(
        guides, graph, request, speed=speed, library=facts, writer=writer, created_at=created), progress)
    _archive_current(ctx.settings)
    return PlanResult(plan, save_plan(ctx.settings, plan), notes)


def current_plan(settings: Settings) -> Plan:
    """The saved current plan; PlanError when there is none."""
    path = plans_dir(settings) / CURRENT
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError('No saved plan yet: make one with `readpath plan --goal "..." --hours 6 --weeks 4`.') from None
    except (OSError, ValueError) as exc:
        raise PlanError(f"Cannot read the saved plan {path} ({exc}); make a new one.") from exc
    return plan_from_dict(data)


def save_plan(settings: Settings, plan: Plan) -> Path:
    """Write the plan as the current plan (whole file written, then renamed into place)."""
    folder = plans_dir(settings)
    path = folder / CURRENT
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(plan_to_dict(plan), ensure_ascii=False, indent=2))
    except OSError as exc:
        raise StorageError(f"Cannot save the plan in {folder} ({exc.strerror or exc}); "
                           "check the data directory.") from exc
    return path


def _archive_current(settings: Settings) -> None:
    """Keep the current plan under its creation time before a new one replaces it."""
    path = plans_dir(settings) / CURRENT
    if not path.exists():
        return
    try:
        stamp = re.sub(r"\D", "", current_plan(settings).created_at or "")[:14] or "undated"
    except PlanError:
        stamp = "damaged"
    target, n = path.with_name(f"plan-{stamp}.json"), 1
    while target.exists():
        n += 1
        target = path.with_name(f"plan-{stamp}-{n}.json")
    os.replace(path, target)


def mark_item_done(ctx: Context, item: str, *, today: date | None = None, use_llm: bool = True,
                   progress: Progress | None = None) -> PlanResult:
    """Mark an item done in the current plan and re-plan the weeks after this one."""
    marked = mark_done(current_plan(ctx.settings), item)
    guides, graph = load_guides(), load_graph(ctx)
    facts, speed = library_facts(ctx, guides), reading_speed(ctx.settings)
    plan, notes = _with_fallback(ctx, use_llm, lambda writer: replan(
        marked, guides, graph, today=today or date.today(), speed=speed, library=facts, writer=writer), progress)
    return PlanResult(plan, save_plan(ctx.settings, plan), notes)


def export_plan(settings: Settings, fmt: str) -> str:
    """The current plan as Markdown ("md") or JSON ("json")."""
    if fmt not in FORMATS:
        raise PlanError(f"Unknown format {fmt!r}: choose md or json.")
    plan = current_plan(settings)
    return plan_markdown(plan) if fmt == "md" else json.dumps(plan_to_dict(plan), ensure_ascii=False, indent=2) + "\n"
