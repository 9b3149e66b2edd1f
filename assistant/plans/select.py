"""Which works serve a goal, and in which order they must come.

Selection walks backwards from the goal through prerequisites only, and stops at what the learner
knows: knowing something includes knowing what it builds on. Order constraints come from the graph
(first, so the authored edges always hold), then the guide's learning-path stages, then citations
between library papers; a stage or citation constraint that would close a cycle is left out.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from assistant.plans.catalogue import Catalogue, Resolved

CITES = ""  # the reason recorded for a citation constraint; the text layer words it


@dataclass
class Selection:
    """The chosen works in guide order, and the known works met on the way with the topics that made them known."""

    items: list[str]
    skipped: dict[str, tuple[str, ...]]  # ref id -> known topics; () when the work itself was named


@dataclass
class Precedence:
    """Order constraints among chosen works."""

    requires: dict[str, dict[str, str]]  # work -> {earlier work: why}: the graph's and citations' constraints
    after: dict[str, set[str]]  # work -> every work that must come before it (stages included)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (before, after) left out: they closed a cycle


def known_reason(cat: Catalogue, ref_id: str, known: Resolved) -> tuple[str, ...] | None:
    """Why a work counts as known: () when named, else the known topics covering all it teaches; None if not."""
    if ref_id in known.items:
        return ()
    topics = cat.candidates[ref_id].topics
    return topics if topics and all(t in known.topics for t in topics) else None


def select(cat: Catalogue, goal: Resolved, known: Resolved) -> Selection:
    """The works reachable backwards from the goal, minus what the learner knows."""
    chosen: dict[str, None] = {}
    skipped: dict[str, tuple[str, ...]] = {}
    seen: set[tuple[str, bool]] = set()

    def need_item(ref_id: str) -> None:
        if ref_id in chosen or ref_id in skipped:
            return
        if (reason := known_reason(cat, ref_id, known)) is not None:
            skipped[ref_id] = reason
            return
        chosen[ref_id] = None
        for edge in cat.edges_into(ref_id):
            need_node(edge.before)

    def need_node(node: str) -> None:
        if node in cat.graph.topics:
            need_topic(node, as_goal=False)
        elif ref_id := cat.by_graph_id.get(node):
            need_item(ref_id)
        elif (node, False) not in seen:  # a work the guides do not cite: pass through to its prerequisites
            seen.add((node, False))
            for edge in cat.edges_into(node):
                need_node(edge.before)

    def need_topic(topic: str, as_goal: bool) -> None:
        if (topic, as_goal) in seen:
            return
        seen.add((topic, as_goal))
        members = cat.members.get(topic, []) if as_goal else cat.needed_members(topic)
        if topic in known.topics:
            for member in members:
                if member not in chosen and (reason := known_reason(cat, member, known)) is not None:
                    skipped[member] = reason
            return
        if not members:
            for edge in cat.edges_into(topic):
                need_node(edge.before)
        for member in members:
            need_item(member)

    for topic in sorted(cat.graph.expand(goal.topics)):
        need_topic(topic, as_goal=True)
    for ref_id in sorted(goal.items, key=lambda r: cat.candidates[r].order):
        need_item(ref_id)
    order = cat.candidates
    return Selection(sorted(chosen, key=lambda r: order[r].order),
                     dict(sorted(skipped.items(), key=lambda kv: order[kv[0]].order)))


def _resolver(cat: Catalogue, chosen: set[str], known_topics: frozenset[str]) -> Callable[[str], set[str]]:
    """node -> the chosen works that stand for it as a prerequisite (empty when known or absent)."""
    memo: dict[str, set[str]] = {}

    def through(node: str) -> set[str]:
        return {w for edge in cat.edges_into(node) for w in resolve(edge.before)}

    def resolve(node: str) -> set[str]:
        if node not in memo:
            memo[node] = set()  # the graph is acyclic; this only guards a malformed one
            if node in cat.graph.topics:
                members = cat.needed_members(node)
                if node in known_topics:
                    out = set()
                else:  # a topic without works in the guides passes through to its own prerequisites
                    out = {m for m in members if m in chosen} if members else through(node)
            elif ref_id := cat.by_graph_id.get(node):
                out = {ref_id} & chosen
            else:
                out = through(node)
            memo[node] = out
        return memo[node]

    return resolve


class _Dag:
    """A DAG that refuses an edge closing a cycle."""

    def __init__(self, nodes: Iterable[str]) -> None:
        self.succ: dict[str, set[str]] = {n: set() for n in nodes}
        self.pred: dict[str, set[str]] = {n: set() for n in self.succ}

    def _reaches(self, start: str, goal: str) -> bool:
        stack, seen = [start], {start}
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            fresh = self.succ[node] - seen
            seen |= fresh
            stack.extend(fresh)
        return False

    def add(self, before: str, after: str) -> bool:
        """Add before -> after; False (and nothing added) when it would close a cycle."""
        if before == after or self._reaches(after, before):
            return False
        self.succ[before].add(after)
        self.pred[after].add(before)
        return True


def _stage_pairs(cat: Catalogue, items: Sequence[str]) -> list[tuple[str, str]]:
    groups: dict[str, dict[int, list[str]]] = {}
    for ref_id in items:
        for group, rank in cat.candidates[ref_id].stages:
            groups.setdefault(group, {}).setdefault(rank, []).append(ref_id)
    pairs: list[tuple[str, str]] = []
    for ranks in groups.values():
        ordered = sorted(ranks)
        for low, high in itertools.pairwise(ordered):  # consecutive stages; transitivity does the rest
            pairs.extend((a, b) for a in ranks[low] for b in ranks[high])
    return pairs


def precedence(cat: Catalogue, selection: Selection, known: Resolved,
               cites: Mapping[str, Sequence[str]] | None = None) -> Precedence:
    """Constraints among the chosen works: graph edges, then stages, then citations (cites: work -> cited works)."""
    chosen = set(selection.items)
    resolve = _resolver(cat, chosen, known.topics)
    dag = _Dag(selection.items)
    result = Precedence({i: {} for i in selection.items}, dag.pred)
    order = cat.candidates
    for ref_id in selection.items:
        for edge in cat.edges_into(ref_id):
            for pred in sorted(resolve(edge.before) - {ref_id}, key=lambda r: order[r].order):
                if pred in result.requires[ref_id]:
                    continue
                if dag.add(pred, ref_id):
                    result.requires[ref_id][pred] = edge.why
                else:
                    result.dropped.append((pred, ref_id))
    for before, after in _stage_pairs(cat, selection.items):
        if not dag.add(before, after):
            result.dropped.append((before, after))
    for citing in selection.items:
        for cited in sorted(set((cites or {}).get(citing, ())) & chosen - {citing}, key=lambda r: order[r].order):
            if dag.add(cited, citing):
                result.requires[citing].setdefault(cited, CITES)
            else:
                result.dropped.append((cited, citing))
    return result
