"""Hours, order and weekly packing of a plan's works.

A work longer than a whole week is split into equal parts, each at most a week's hours, read in
consecutive order ("(part 1/2)"); nothing else is split, so a paper is read within one week.
Works are ordered in waves: first everything without prerequisites, then what those unlock, and so
on; within a wave the preferred kind comes first, then the guide's order. Weeks are then filled in
that order, each taking every ready work that still fits, never more than the weekly hours.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from assistant.errors import PlanError

TYPICAL_PAPER_PAGES = 12  # a conference paper without appendices: the estimate for a paper not in the library
HOUR_STEP = 0.5  # paper estimates round up to half hours: a plan should not promise false precision
EPS = 1e-9  # hours are sums of floats: compare with a tolerance
PREFERENCES: dict[str, frozenset[str]] = {
    "papers": frozenset({"paper"}),
    "code": frozenset({"repo"}),
    "courses": frozenset({"course", "book", "web"}),
}


@dataclass(frozen=True)
class ReadingSpeed:
    """How long things take: reading speed for papers, fixed estimates for the rest."""

    pages_per_hour: float = 6.0
    repo_hours: float = 2.0
    course_hours: float = 6.0
    web_hours: float = 1.0
    typical_pages: int = TYPICAL_PAPER_PAGES


def estimate_hours(kind: str, pages: int | None, speed: ReadingSpeed) -> float:
    """Hours for one work: papers from their page count (or a typical one), the rest by kind."""
    if kind == "paper":
        raw = (pages or speed.typical_pages) / speed.pages_per_hour
        return max(HOUR_STEP, math.ceil(raw / HOUR_STEP - EPS) * HOUR_STEP)
    if kind == "repo":
        return speed.repo_hours
    if kind in ("course", "book"):
        return speed.course_hours
    return speed.web_hours


def kind_rank(kind: str, preference: str | None) -> int:
    """0 for the preferred kinds, 1 for the others; everything ranks 0 without a preference."""
    if preference is None:
        return 0
    if preference not in PREFERENCES:
        raise PlanError(f"Unknown preference {preference!r}: choose one of {', '.join(PREFERENCES)}.")
    return 0 if kind in PREFERENCES[preference] else 1


@dataclass(frozen=True)
class Unit:
    """What one week can hold: a whole work, or one part of a work longer than a week."""

    id: str  # the work's id, with "#k" for part k
    ref_id: str
    hours: float
    part: int = 1
    parts: int = 1


def split_units(ref_id: str, hours: float, budget: float) -> list[Unit]:
    """The work as one unit, or as near-equal parts of at most `budget` hours."""
    # Whole hundredths of an hour, so the hours a plan shows add up exactly and never pass the budget.
    cents, cap = max(1, round(hours * 100)), max(1, math.floor(budget * 100 + EPS))
    count = math.ceil(cents / cap)
    if count == 1:
        return [Unit(ref_id, ref_id, cents / 100)]
    base, extra = divmod(cents, count)
    return [Unit(f"{ref_id}#{k}", ref_id, (base + (k <= extra)) / 100, k, count) for k in range(1, count + 1)]


def unit_preds(units: Sequence[Unit], after: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Unit-level constraints: a part after the previous part, a first part after its work's prerequisites."""
    last = {u.ref_id: u.id for u in units}  # units come in part order, so the last one wins
    preds: dict[str, set[str]] = {}
    for i, unit in enumerate(units):
        if unit.part > 1:
            preds[unit.id] = {units[i - 1].id}
        else:
            preds[unit.id] = {last[p] for p in after.get(unit.ref_id, set()) if p in last}
    return preds


def order_units(units: Sequence[Unit], preds: Mapping[str, set[str]],
                rank: Callable[[Unit], tuple[int, ...]]) -> list[Unit]:
    """Units in waves: wave = 1 + the latest wave among its prerequisites; `rank` orders within a wave."""
    wave: dict[str, int] = {}
    by_id = {u.id: u for u in units}

    def depth(unit_id: str) -> int:
        if unit_id not in wave:
            wave[unit_id] = 0  # guards a malformed (cyclic) input from endless recursion
            wave[unit_id] = 1 + max((depth(p) for p in preds.get(unit_id, ()) if p in by_id), default=-1)
        return wave[unit_id]

    return sorted(units, key=lambda u: (depth(u.id), *rank(u), u.part))


def pack(order: Sequence[Unit], preds: Mapping[str, set[str]], budget: float, *,
         start_week: int = 1, placed: Mapping[str, int] | None = None) -> dict[str, int]:
    """unit id -> week, for every unit (as many weeks as it takes); `placed` units keep their weeks."""
    weeks = dict(placed or {})
    known = set(weeks) | {u.id for u in order}
    remaining = [u for u in order if u.id not in weeks]
    week = start_week
    while remaining:
        load, rest = 0.0, []
        for unit in remaining:
            ready = all(p in weeks or p not in known for p in preds.get(unit.id, ()))
            if ready and load + unit.hours <= budget + EPS:
                weeks[unit.id] = week
                load += unit.hours
            else:
                rest.append(unit)
        if len(rest) == len(remaining):  # cannot happen for a topological order of units within budget
            raise PlanError(f"Cannot schedule {rest[0].id!r}: its prerequisites never come first.")
        remaining, week = rest, week + 1
    return weeks
