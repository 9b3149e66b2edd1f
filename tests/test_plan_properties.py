"""Property tests of reading plans over random goals, budgets, known sets and prerequisite graphs."""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.models import Plan
from assistant.plans.builder import LibraryFacts, PlanRequest, build_plan, mark_done, replan
from assistant.plans.catalogue import build_catalogue, resolve_goal, resolve_known
from assistant.plans.export import plan_to_dict
from assistant.plans.graph import Edge, GraphItem, PrereqGraph, Topic, load_prerequisites
from ingest.models import Guide, Reference, RefKind, TaxonomyNode
from tests.conftest import REPO, SEED
from ui.services.guides import load_guides

SEED_GUIDE = load_guides([SEED])[0]
SEED_GRAPH = load_prerequisites(REPO / "seeds" / "prerequisites.toml")
SEED_CAT = build_catalogue([SEED_GUIDE], SEED_GRAPH)
PHRASES = sorted({p for t in SEED_GRAPH.topics.values() for p in (*t.keywords_en, *t.keywords_zh)})
TOPICS = sorted(SEED_GRAPH.topics)
WORKS = sorted(SEED_CAT.candidates)
EPS = 1e-6
PROPERTY = settings(max_examples=100, deadline=None)


def _scheduled(plan: Plan) -> list[tuple[str, list[str]]]:
    """(id, requires) of every unit in plan order: the weeks, then what was left out."""
    out = [(i.id, i.requires) for w in plan.weeks for i in w.items]
    return out + [(str(e["id"]), [str(r) for r in e["requires"]]) for e in plan.left_out]


def _base(unit_id: str) -> str:
    return unit_id.split("#", 1)[0]


def check_invariants(plan: Plan, request: PlanRequest) -> None:
    """What every plan must satisfy, whatever the input."""
    assert [w.week for w in plan.weeks] == list(range(1, request.weeks + 1))
    for week in plan.weeks:
        assert sum(i.hours for i in week.items) <= request.hours_per_week + EPS
        assert math.isclose(week.hours, sum(i.hours for i in week.items), abs_tol=0.02)
    seen: set[str] = set()
    for unit_id, requires in _scheduled(plan):
        assert unit_id not in seen, f"{unit_id} scheduled twice"
        assert set(requires) <= seen, f"{unit_id} comes before {set(requires) - seen}"
        seen.add(unit_id)
    for entry in plan.left_out:
        assert int(str(entry["week"])) > request.weeks
        assert entry["weeks_needed"] == int(str(entry["week"])) - request.weeks
    for unit_id in seen:
        if "#" in unit_id:  # every part of a split work is there
            count = sum(_base(u) == _base(unit_id) for u in seen)
            assert all(f"{_base(unit_id)}#{k}" in seen for k in range(1, count + 1))


def _total_hours(plan: Plan) -> float:
    return sum(i.hours for w in plan.weeks for i in w.items) + sum(float(str(e["hours"])) for e in plan.left_out)


# --- on the seed guide and the real graph ---

seed_requests = st.builds(
    PlanRequest,
    goal=st.lists(st.sampled_from(PHRASES), min_size=1, max_size=3).map(" ".join),
    hours_per_week=st.floats(min_value=0.5, max_value=30),
    weeks=st.integers(min_value=1, max_value=12),
    topics=st.lists(st.sampled_from(TOPICS), max_size=2).map(tuple),
    know=st.lists(st.sampled_from(TOPICS + WORKS), max_size=4).map(tuple),
    language=st.sampled_from(["en", "zh"]),
    preference=st.sampled_from([None, "papers", "code", "courses"]),
)


@PROPERTY
@given(request=seed_requests)
def test_seed_plans_keep_their_promises(request: PlanRequest) -> None:
    plan = build_plan([SEED_GUIDE], SEED_GRAPH, request)
    check_invariants(plan, request)
    known = resolve_known(SEED_CAT, request.know)
    planned = {_base(u) for u, _ in _scheduled(plan)}
    assert not planned & known.items
    assert all(not set(SEED_CAT.candidates[w].topics) <= known.topics or not SEED_CAT.candidates[w].topics
               for w in planned)
    goal = resolve_goal(SEED_CAT, request.goal, request.topics)
    wanted = {m for t in SEED_GRAPH.expand(goal.topics) - known.topics for m in SEED_CAT.members.get(t, [])}
    wanted = {w for w in wanted | goal.items if w not in known.items
              and not (SEED_CAT.candidates[w].topics and set(SEED_CAT.candidates[w].topics) <= known.topics)}
    assert wanted <= planned | {str(e["id"]) for e in plan.skipped}
    if _total_hours(plan) <= (request.weeks + 1) // 2 * request.hours_per_week:
        assert not plan.left_out  # when time allows, everything the goal needs fits
    assert plan_to_dict(build_plan([SEED_GUIDE], SEED_GRAPH, request)) == plan_to_dict(plan)


@PROPERTY
@given(request=seed_requests, done=st.lists(st.integers(min_value=0, max_value=200), max_size=4),
       days=st.integers(min_value=0, max_value=90))
def test_replanning_keeps_the_current_week_and_the_promises(request: PlanRequest, done: list[int], days: int) -> None:
    plan = build_plan([SEED_GUIDE], SEED_GRAPH, request, created_at="2025-01-06T08:00:00+00:00")
    units = [u for u, _ in _scheduled(plan)]
    for n in done:
        if units:
            plan = mark_done(plan, units[n % len(units)])
    today = date(2025, 1, 6) + timedelta(days=days)
    current = min(days // 7 + 1, request.weeks)
    again = replan(plan, [SEED_GUIDE], SEED_GRAPH, today=today)
    assert [plan_to_dict(w) for w in again.weeks[:current]] == [plan_to_dict(w) for w in plan.weeks[:current]]
    later_done = {i.id for w in plan.weeks[current:] for i in w.items if i.done}
    assert not later_done & {u for u, _ in _scheduled(again)}
    assert later_done <= {str(e["id"]) for e in again.skipped}
    for week in again.weeks:
        assert sum(i.hours for i in week.items) <= request.hours_per_week + EPS
    seen = set(later_done)
    for unit_id, requires in _scheduled(again):
        assert set(requires) <= seen, unit_id
        seen.add(unit_id)


# --- on random prerequisite graphs, against a direct statement of the rules ---

@st.composite
def worlds(draw: st.DrawFn) -> tuple[Guide, PrereqGraph, dict[str, LibraryFacts], PlanRequest]:
    """A random DAG of topics, papers in them, a goal, known topics and a budget."""
    n = draw(st.integers(min_value=2, max_value=7))
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] < p[1])
    edges = draw(st.sets(pairs, max_size=12))
    counts = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))  # 0: a topic with no works passes through
    topics = {f"t{i}": Topic(f"t{i}", f"Topic {i}", f"主题{i}") for i in range(n)}
    refs, items, library = [], {}, {}
    for t, count in enumerate(counts):
        for k in range(count):
            ref_id = f"arxiv:2101.{t:02d}{k:03d}"
            refs.append(Reference(ref_id, RefKind.ARXIV, ref_id.split(":")[1], f"Paper {t}.{k}"))
            items[ref_id] = GraphItem(ref_id, topics=(f"t{t}",))
            library[ref_id] = LibraryFacts(pages=draw(st.integers(1, 60)))
    graph = PrereqGraph(topics, items, tuple(Edge(f"t{a}", f"t{b}", "because") for a, b in sorted(edges)))
    guide = Guide("random", None, "", TaxonomyNode("", "random", 0), refs, {}, [])
    request = PlanRequest("", draw(st.floats(min_value=0.5, max_value=12)), draw(st.integers(1, 8)),
                          topics=tuple(sorted(draw(st.sets(st.sampled_from(sorted(topics)), min_size=1, max_size=2)))),
                          know=tuple(sorted(draw(st.sets(st.sampled_from(sorted(topics)), max_size=2)))))
    return guide, graph, library, request


def _reachable(graph: PrereqGraph, start: set[str], blocked: set[str], backwards: bool) -> set[str]:
    """Topics reachable from `start` along edges (backwards: to prerequisites), never through `blocked`."""
    found, stack = set(), [t for t in start if t not in blocked]
    while stack:
        topic = stack.pop()
        if topic in found:
            continue
        found.add(topic)
        nxt = [e.before for e in graph.edges if e.after == topic] if backwards else \
            [e.after for e in graph.edges if e.before == topic]
        stack.extend(t for t in nxt if t not in blocked)
    return found


@PROPERTY
@given(world=worlds())
def test_random_graphs_select_and_order_by_the_rules(world: tuple[Guide, PrereqGraph, dict[str, LibraryFacts],
                                                                  PlanRequest]) -> None:
    guide, graph, library, request = world
    plan = build_plan([guide], graph, request, library=library)
    check_invariants(plan, request)
    known = set(request.know)
    needed = _reachable(graph, set(request.topics), known, backwards=True)
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for n, (unit_id, _) in enumerate(_scheduled(plan)):
        first.setdefault(_base(unit_id), n)
        last[_base(unit_id)] = n
    topic_of = {ref: item.topics[0] for ref, item in graph.items.items()}
    assert set(first) == {ref for ref, t in topic_of.items() if t in needed}
    for before in needed:
        for after in _reachable(graph, {before}, known, backwards=False) - {before}:
            for x in (r for r in first if topic_of[r] == before):
                for y in (r for r in first if topic_of[r] == after):
                    assert last[x] < first[y], f"{x} ({before}) must come before {y} ({after})"
    if _total_hours(plan) <= (request.weeks + 1) // 2 * request.hours_per_week:
        assert not plan.left_out


@pytest.mark.parametrize("hours", [0.5, 2.5, 5.0])
def test_the_half_budget_bound_is_tight_enough_to_be_useful(hours: float) -> None:
    """A plan of many 2-hour papers fills at least half of each week but the last."""
    request = PlanRequest("distributed training", hours, 52)
    plan = build_plan([SEED_GUIDE], SEED_GRAPH, request)
    used = [w.hours for w in plan.weeks if w.items]
    assert all(a + b > hours - EPS for a, b in itertools.pairwise(used))
