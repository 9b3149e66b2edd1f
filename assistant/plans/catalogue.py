"""The works a plan can draw on: the guides' references placed in the prerequisite graph.

Each guide reference becomes a Candidate with a plan kind, its position in the guide, the topics it
teaches (from the graph, else from the label of the guide section citing it) and its learning-path
stages. Goals and what the learner knows are resolved here to topics, guide sections and works.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from assistant.errors import PlanError
from assistant.plans.graph import Edge, PrereqGraph, norm_key
from assistant.plans.match import Keyword, best_matches, glossary_synonyms, keywords
from ingest.models import Guide, Reference, RefKind, TaxonomyNode

PLAN_KINDS: dict[RefKind, str] = {
    RefKind.ARXIV: "paper", RefKind.PDF_URL: "paper", RefKind.PAPER_TITLE: "paper",
    RefKind.GITHUB: "repo", RefKind.GITEE: "repo",
    RefKind.COURSE: "course", RefKind.BOOK: "book", RefKind.WEB: "web",
}
CORE_KINDS = frozenset({"paper", "course", "book", "web"})  # what a prerequisite needs; code is optional
MAX_LABEL_SEGMENTS = 6  # a section label with more words is prose, not a name a goal would use
TOPIC, NODE = "topic:", "node:"


@dataclass(frozen=True)
class Candidate:
    """A guide reference as plan material."""

    ref: Reference
    kind: str
    order: int  # position among all guides' references: the tie-break everywhere
    topics: tuple[str, ...]
    graph_id: str | None
    stages: tuple[tuple[str, int], ...] = ()  # (stage group, rank) of the learning-path stages citing it

    @property
    def id(self) -> str:
        """The reference id, which is also the plan item id."""
        return self.ref.ref_id


@dataclass(frozen=True)
class Resolved:
    """What a goal or a known list names: topic ids and works (ref ids); `names` echo them back."""

    topics: frozenset[str] = frozenset()
    items: frozenset[str] = frozenset()
    names: tuple[str, ...] = ()


@dataclass
class Catalogue:
    """Candidates by ref id in guide order, topic members, lookup keys and section labels."""

    graph: PrereqGraph
    candidates: dict[str, Candidate]
    nodes: dict[str, TaxonomyNode]
    topic_keywords: dict[str, tuple[Keyword, ...]]
    members: dict[str, list[str]] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    by_graph_id: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for cand in self.candidates.values():
            for key in (cand.ref.ref_id, cand.ref.source_id):
                self.by_key.setdefault(norm_key(key), cand.id)
            for topic in cand.topics:
                self.members.setdefault(topic, []).append(cand.id)
            if cand.graph_id:
                self.by_graph_id.setdefault(cand.graph_id, cand.id)

    def needed_members(self, topic: str) -> list[str]:
        """What a prerequisite topic asks for: its primary work, else its papers, courses, books and pages."""
        members = self.members.get(topic, [])
        primary = self.graph.topics[topic].primary
        if primary and (ref_id := self.by_key.get(norm_key(primary))) in members:
            return [ref_id]
        core = [m for m in members if self.candidates[m].kind in CORE_KINDS]
        return core or members

    def edges_into(self, node: str) -> list[Edge]:
        """The prerequisite edges of a work (a ref id or a graph item id) or of a topic."""
        if node in self.graph.topics:
            return self.graph.prerequisites(node)
        cand = self.candidates.get(node)
        graph_id = cand.graph_id if cand else node
        item = self.graph.items.get(graph_id) if graph_id else None
        topics = cand.topics if cand else (item.topics if item else ())
        edges = list(self.graph.prerequisites(graph_id)) if graph_id else []
        for topic in topics:
            edges.extend(self.graph.prerequisites(topic))
        return edges

    def subtree_refs(self, node_id: str) -> list[str]:
        """Ref ids cited in a guide section and its subsections, in guide order."""
        ids = {r for n in self.nodes[node_id].walk() for r in n.ref_ids}
        return [c for c in self.candidates if c in ids]

    @cached_property
    def concepts(self) -> dict[str, tuple[Keyword, ...]]:
        """Everything a goal can name: topics, and guide sections that cite works."""
        out = {f"{TOPIC}{t}": kws for t, kws in self.topic_keywords.items()}
        for node_id, node in self.nodes.items():
            labels = [node.label_en or "", node.label_zh or ""] if (node.label_en or node.label_zh) else [node.label]
            kws = tuple(k for k in keywords(labels) if len(k.words) + len(k.runs) <= MAX_LABEL_SEGMENTS)
            if node_id and kws and self.subtree_refs(node_id):
                out[f"{NODE}{node_id}"] = kws
        return out


def _stages(guide: Guide) -> dict[str, tuple[str, int]]:
    # Stages are ordered within their parent section: one guide may hold several learning paths.
    return {s: (f"{guide.name}:{s.rpartition('/')[0]}", rank) for rank, s in enumerate(guide.stages)}


def _stage_of(paths: Sequence[str], stages: dict[str, tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    found = {stages[s] for p in paths for s in stages if p == s or p.startswith(f"{s}/")}
    return tuple(sorted(found))


def _derived_topics(ref: Reference, nodes: dict[str, TaxonomyNode], kws: dict[str, tuple[Keyword, ...]]) -> list[str]:
    topics: list[str] = []
    for path in ref.taxonomy_paths:
        node = nodes.get(path)
        if node is not None and path:
            for label in {node.label, node.label_en or "", node.label_zh or ""} - {""}:
                topics.extend(t for t in best_matches(label, kws) if t not in topics)
    return topics


def build_catalogue(guides: Sequence[Guide], graph: PrereqGraph) -> Catalogue:
    """The guides' works placed in the graph; the first guide wins where two cite the same work."""
    glossary = {zh: en for g in reversed(guides) for zh, en in g.glossary.items()}
    topic_kws = graph.topic_keywords(glossary_synonyms(glossary))
    nodes: dict[str, TaxonomyNode] = {}
    refs: list[tuple[Reference, tuple[tuple[str, int], ...]]] = []
    seen: set[str] = set()
    for guide in guides:
        stages = _stages(guide)
        for node in guide.root.walk():
            nodes.setdefault(node.node_id, node)
        for ref in guide.references:
            if ref.ref_id not in seen:
                seen.add(ref.ref_id)
                refs.append((ref, _stage_of(ref.taxonomy_paths, stages)))
    graph_ids = {key: item.id for item in reversed(graph.items.values()) for key in item.keys()}  # noqa: SIM118 - GraphItem.keys is a method, not a dict
    candidates: dict[str, Candidate] = {}
    for order, (ref, stage) in enumerate(refs):
        graph_id = graph_ids.get(norm_key(ref.ref_id)) or graph_ids.get(norm_key(ref.source_id))
        topics = graph.items[graph_id].topics if graph_id else tuple(_derived_topics(ref, nodes, topic_kws))
        candidates[ref.ref_id] = Candidate(ref, PLAN_KINDS.get(ref.kind, "web"), order, tuple(topics), graph_id, stage)
    return Catalogue(graph, candidates, nodes, topic_kws)


def _exact(cat: Catalogue, name: str) -> tuple[set[str], set[str]] | None:
    lowered = name.strip().lower()
    for topic in cat.graph.topics.values():
        if lowered in (topic.id, topic.en.lower(), topic.zh.lower()):
            return {topic.id}, set()
    if name.strip() in cat.nodes and name.strip():
        return set(), {f"{NODE}{name.strip()}"}
    return None


def _concepts_in(cat: Catalogue, text: str) -> tuple[set[str], set[str]]:
    found = best_matches(text, cat.concepts) if text.strip() else []
    return {c.removeprefix(TOPIC) for c in found if c.startswith(TOPIC)}, {c for c in found if c.startswith(NODE)}


def resolve_goal(cat: Catalogue, goal: str, topics: Sequence[str]) -> Resolved:
    """The topics and guide sections a goal and explicit topics name; PlanError when none is found."""
    found_topics, found_nodes = _concepts_in(cat, goal)
    for name in topics:
        hit = _exact(cat, name) or _concepts_in(cat, name)
        if not hit[0] and not hit[1]:
            raise PlanError(f"Unknown topic {name!r}: use a topic id such as "
                            f"{', '.join(sorted(cat.graph.topics)[:6])}, ... or a guide section id.")
        found_topics |= hit[0]
        found_nodes |= hit[1]
    if not found_topics and not found_nodes:
        raise PlanError(f"No topic of the guide matches the goal {goal!r}; name one with --topic "
                        f"(for example {', '.join(sorted(cat.graph.topics)[:5])}).")
    items = {r for n in sorted(found_nodes) for r in cat.subtree_refs(n.removeprefix(NODE))}
    names = (*sorted(found_topics), *sorted(n.removeprefix(NODE) for n in found_nodes))
    return Resolved(frozenset(found_topics), frozenset(items), names)


def resolve_known(cat: Catalogue, know: Sequence[str]) -> Resolved:
    """The topics (with their parts) and works a learner says they know; PlanError for an unknown name."""
    topics: set[str] = set()
    items: set[str] = set()
    for name in know:
        if ref_id := cat.by_key.get(norm_key(name)):
            items.add(ref_id)
            continue
        hit = _exact(cat, name) or _concepts_in(cat, name)
        if not hit[0] and not hit[1]:
            raise PlanError(f"Unknown --know {name!r}: name a topic (such as data-parallel) or a work "
                            f"by its id (such as arxiv:1909.08053).")
        topics |= hit[0]
        items |= {r for n in hit[1] for r in cat.subtree_refs(n.removeprefix(NODE))}
    return Resolved(frozenset(cat.graph.expand(topics)), frozenset(items), tuple(know))
