"""Personalised reading plans: from a goal to an ordered path of works, week by week.

`build_plan` resolves the goal and what the learner knows against the guides and the prerequisite
graph, selects what serves the goal, orders it by prerequisites, estimates hours, fills weeks and
writes why each item is there. `mark_done` records progress and `replan` re-makes the weeks after
the current one from what remains, leaving the current week (and earlier ones) as they were.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from assistant.errors import PlanError
from assistant.models import Plan, PlanItem, PlanWeek
from assistant.plans.catalogue import Catalogue, Resolved, build_catalogue, resolve_goal, resolve_known
from assistant.plans.export import reference_url
from assistant.plans.graph import PrereqGraph, norm_key
from assistant.plans.schedule import (
    PREFERENCES,
    ReadingSpeed,
    Unit,
    estimate_hours,
    kind_rank,
    order_units,
    pack,
    split_units,
    unit_preds,
)
from assistant.plans.select import Selection, precedence, select
from assistant.plans.text import ItemContext, PlanWriter, skipped_note
from ingest.models import Guide

MAX_WEEKS = 520  # ten years: anything longer is a typo
MIN_WEEKLY_HOURS = 0.25  # a quarter of an hour: less cannot hold a part of anything
DEFAULT_SPEED = ReadingSpeed()


@dataclass(frozen=True)
class PlanRequest:
    """What the learner asks for."""

    goal: str
    hours_per_week: float
    weeks: int
    topics: tuple[str, ...] = ()
    know: tuple[str, ...] = ()
    language: str = "en"
    preference: str | None = None

    def check(self) -> None:
        """PlanError for a request no plan can meet."""
        if not self.hours_per_week >= MIN_WEEKLY_HOURS:
            raise PlanError(f"Hours per week must be at least {MIN_WEEKLY_HOURS}, not {self.hours_per_week}.")
        if not 1 <= self.weeks <= MAX_WEEKS:
            raise PlanError(f"Weeks must be between 1 and {MAX_WEEKS}, not {self.weeks}.")
        if self.language not in ("en", "zh"):
            raise PlanError(f"Language must be en or zh, not {self.language!r}.")
        if self.preference is not None and self.preference not in PREFERENCES:
            raise PlanError(f"Preference must be one of {', '.join(PREFERENCES)}, not {self.preference!r}.")
        if not self.goal.strip() and not self.topics:
            raise PlanError("Give a goal (--goal) or at least one topic (--topic).")


@dataclass(frozen=True)
class LibraryFacts:
    """What the library knows of one work (by ref id): its real title, page count, abstract, citations."""

    title: str = ""
    pages: int | None = None
    abstract: str = ""
    cites: tuple[str, ...] = ()  # ref ids of the guide works it cites


@dataclass
class _Draft:
    """Everything decided before weeks are filled."""

    request: PlanRequest
    cat: Catalogue
    goal: Resolved
    selection: Selection
    requires: dict[str, dict[str, str]]
    order: list[Unit]
    preds: dict[str, set[str]]


def _draft(guides: Sequence[Guide], graph: PrereqGraph, request: PlanRequest, speed: ReadingSpeed,
           library: Mapping[str, LibraryFacts]) -> _Draft:
    request.check()
    cat = build_catalogue(guides, graph)
    goal = resolve_goal(cat, request.goal, request.topics)
    known = resolve_known(cat, request.know)
    selection = select(cat, goal, known)
    prec = precedence(cat, selection, known, {r: f.cites for r, f in library.items()})
    units = [unit for ref_id in selection.items for unit in split_units(
        ref_id, estimate_hours(cat.candidates[ref_id].kind, library.get(ref_id, LibraryFacts()).pages, speed),
        request.hours_per_week)]
    preds = unit_preds(units, prec.after)

    def rank(unit: Unit) -> tuple[int, ...]:
        cand = cat.candidates[unit.ref_id]
        return kind_rank(cand.kind, request.preference), cand.order

    return _Draft(request, cat, goal, selection, prec.requires, order_units(units, preds, rank), preds)


class _Assembler:
    """Turns units with weeks into PlanItems, writing each work's text once."""

    def __init__(self, draft: _Draft, library: Mapping[str, LibraryFacts], writer: PlanWriter,
                 texts: Mapping[str, tuple[str, list[str]]]) -> None:
        self.draft, self.library, self.writer, self.texts = draft, library, writer, dict(texts)
        self.units = {u.id: u for u in draft.order}
        self.last = {u.ref_id: u.id for u in sorted(draft.order, key=lambda u: u.part)}  # a work's last part

    def title(self, unit: Unit, *, whole: bool = False) -> str:
        cand = self.draft.cat.candidates[unit.ref_id]
        title = self.library.get(unit.ref_id, LibraryFacts()).title or cand.ref.title
        if unit.parts == 1 or whole:
            return title
        return f"{title}（第 {unit.part}/{unit.parts} 部分）" if self.draft.request.language == "zh" \
            else f"{title} (part {unit.part}/{unit.parts})"

    def _text(self, unit: Unit) -> tuple[str, list[str]]:
        if unit.id in self.texts:
            return self.texts[unit.id]
        if unit.ref_id not in self.texts:  # the parts of one work share its text
            cat, lang = self.draft.cat, self.draft.request.language
            cand, facts = cat.candidates[unit.ref_id], self.library.get(unit.ref_id, LibraryFacts())
            goal = self.draft.request.goal.strip() or ", ".join(
                cat.graph.topics[t].label(lang) for t in sorted(self.draft.goal.topics))
            earlier = self.draft.requires.get(unit.ref_id, {})
            titles = tuple(self.title(self.units[self.last[p]], whole=True) for p in earlier if p in self.last)
            reasons = tuple(dict.fromkeys(why for why in earlier.values() if why))
            ctx = ItemContext(goal, lang, self.title(unit, whole=True), cand.kind,
                              tuple(cat.graph.topics[t].label(lang) for t in cand.topics), titles, reasons,
                              facts.abstract, cand.ref.note)
            self.texts[unit.ref_id] = self.writer.write(ctx)
        return self.texts[unit.ref_id]

    def item(self, unit: Unit, position: Mapping[str, int]) -> PlanItem:
        cand = self.draft.cat.candidates[unit.ref_id]
        graph_item = self.draft.cat.graph.items.get(cand.graph_id or "")
        why, questions = self._text(unit)
        return PlanItem(
            id=unit.id, kind=cand.kind, source_id=cand.ref.source_id, title=self.title(unit),
            hours=round(unit.hours, 2), why=why, questions=list(questions),
            requires=sorted((p for p in self.draft.preds[unit.id] if p in position), key=position.__getitem__),
            implementations=list(graph_item.implemented_by) if graph_item else [], url=reference_url(cand.ref))

    def left_out(self, unit: Unit, week: int, position: Mapping[str, int]) -> dict[str, object]:
        cand = self.draft.cat.candidates[unit.ref_id]
        return {"id": unit.id, "kind": cand.kind, "source_id": cand.ref.source_id, "title": self.title(unit),
                "hours": round(unit.hours, 2), "week": week, "weeks_needed": week - self.draft.request.weeks,
                "requires": sorted((p for p in self.draft.preds[unit.id] if p in position), key=position.__getitem__)}


def _skipped(draft: _Draft) -> list[dict[str, str]]:
    lang, cat = draft.request.language, draft.cat
    out = []
    for ref_id, topics in draft.selection.skipped.items():
        cand = cat.candidates[ref_id]
        note = skipped_note(lang, [cat.graph.topics[t].label(lang) for t in topics])
        out.append({"id": ref_id, "kind": cand.kind, "source_id": cand.ref.source_id, "title": cand.ref.title,
                    "note": note})
    return out


def _assemble(draft: _Draft, weeks_of: Mapping[str, int], *, writer: PlanWriter, library: Mapping[str, LibraryFacts],
              pinned: Sequence[PlanWeek] = (), texts: Mapping[str, tuple[str, list[str]]] | None = None,
              extra_skipped: Sequence[dict[str, str]] = (), created_at: str | None = None) -> Plan:
    request = draft.request
    build = _Assembler(draft, library, writer, texts or {})
    placed = sorted((u for u in draft.order if u.id in weeks_of and weeks_of[u.id] > len(pinned)),
                    key=lambda u: weeks_of[u.id])  # stable: keeps the prerequisite order within a week
    position = {i.id: n for n, i in enumerate(i for w in pinned for i in w.items)}
    position.update({u.id: len(position) + n for n, u in enumerate(placed)})
    weeks = [copy.deepcopy(w) for w in pinned]
    for number in range(len(pinned) + 1, request.weeks + 1):
        items = [build.item(u, position) for u in placed if weeks_of[u.id] == number]
        weeks.append(PlanWeek(number, round(sum(i.hours for i in items), 2), items))
    left = [build.left_out(u, weeks_of[u.id], position) for u in placed if weeks_of[u.id] > request.weeks]
    return Plan(goal=request.goal, language=request.language, hours_per_week=request.hours_per_week, weeks=weeks,
                skipped=[*_skipped(draft), *extra_skipped], left_out=left, topics=list(draft.goal.names),
                know=list(request.know), preference=request.preference, created_at=created_at)


def build_plan(guides: Sequence[Guide], graph: PrereqGraph, request: PlanRequest, *,
               speed: ReadingSpeed = DEFAULT_SPEED, library: Mapping[str, LibraryFacts] | None = None,
               writer: PlanWriter | None = None, created_at: str | None = None) -> Plan:
    """A plan for `request` from the guides' works; the same inputs always give the same plan."""
    facts = library or {}
    draft = _draft(guides, graph, request, speed, facts)
    weeks_of = pack(draft.order, draft.preds, request.hours_per_week)
    return _assemble(draft, weeks_of, writer=writer or PlanWriter(), library=facts, created_at=created_at)


def request_of(plan: Plan) -> PlanRequest:
    """The request a plan was made for (its resolved topics stand in for the explicit ones)."""
    return PlanRequest(plan.goal, plan.hours_per_week, len(plan.weeks), tuple(plan.topics), tuple(plan.know),
                       plan.language, plan.preference)


def current_week(plan: Plan, today: date) -> int:
    """The plan's week that `today` falls in, counted from its creation date (1 without one)."""
    if not plan.created_at:
        return 1
    try:
        start = date.fromisoformat(plan.created_at[:10])
    except ValueError as exc:
        raise PlanError(f"The saved plan has a bad date {plan.created_at!r}; make a new plan.") from exc
    return min(max(1, (today - start).days // 7 + 1), len(plan.weeks))


def _matches(name: str, item_id: str, source_id: str) -> bool:
    key = norm_key(name)
    base = item_id.split("#", 1)[0]
    return key in (norm_key(item_id), norm_key(base), norm_key(source_id))


def mark_done(plan: Plan, name: str) -> Plan:
    """A copy of the plan with the named item (an id, or a work's id or source id: all its parts) done."""
    marked = copy.deepcopy(plan)
    hits = [i for w in marked.weeks for i in w.items if _matches(name, i.id, i.source_id)]
    for item in hits:
        item.done = True
    left = [e for e in marked.left_out if _matches(name, str(e["id"]), str(e["source_id"]))]
    for entry in left:
        entry["done"] = True
    if not hits and not left:
        raise PlanError(f"No item {name!r} in the plan; `readpath plan show` lists the item ids.")
    return marked


def replan(plan: Plan, guides: Sequence[Guide], graph: PrereqGraph, *, today: date,
           speed: ReadingSpeed = DEFAULT_SPEED, library: Mapping[str, LibraryFacts] | None = None,
           writer: PlanWriter | None = None) -> Plan:
    """The plan re-made after the current week from what remains; weeks up to the current one stay as they are."""
    facts = library or {}
    draft = _draft(guides, graph, request_of(plan), speed, facts)
    current = current_week(plan, today)
    pinned = plan.weeks[:current]
    fixed = {i.id: w.week for w in pinned for i in w.items}
    ahead = [i for w in plan.weeks[current:] for i in w.items if i.done]
    ahead_entries = [{"id": i.id, "kind": i.kind, "source_id": i.source_id, "title": i.title} for i in ahead]
    ahead_entries += [{k: str(e[k]) for k in ("id", "kind", "source_id", "title")}
                      for e in plan.left_out if e.get("done")]
    gone = set(fixed) | {e["id"] for e in ahead_entries}
    pool = [u for u in draft.order if u.id not in gone]
    weeks_of = pack(pool, draft.preds, plan.hours_per_week, start_week=current + 1, placed=fixed)
    texts = {i.id: (i.why, i.questions) for w in plan.weeks for i in w.items}
    done_note = skipped_note(plan.language, [], done=True)
    return _assemble(draft, weeks_of, writer=writer or PlanWriter(), library=facts, pinned=pinned, texts=texts,
                     extra_skipped=[{**e, "note": done_note} for e in ahead_entries], created_at=plan.created_at)
