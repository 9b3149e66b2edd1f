"""The prerequisite graph over topics and works, read from a TOML file such as seeds/prerequisites.toml.

Node ids: a topic id has no colon ("data-parallel"); a work is named by a guide ref_id
("arxiv:1909.08053"), a source id or a URL. An edge (before, after) says `before` is a
prerequisite of `after`; a topic edge applies to every work that teaches the topic.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import PlanError
from assistant.plans.match import Keyword, keywords

_URL_PREFIXES = ("https://", "http://")


def norm_key(key: str) -> str:
    """A reference key compared loosely: case, URL scheme, "www." and a trailing "/" or "#" ignored."""
    key = key.strip().lower()
    kind, sep, rest = key.partition(":")
    if sep and kind not in ("http", "https") and rest.startswith(_URL_PREFIXES):
        return f"{kind}:{norm_key(rest)}"  # "course:https://…" keeps its kind
    if key.startswith(_URL_PREFIXES):
        return key.split("://", 1)[1].removeprefix("www.").rstrip("/#")
    return key


@dataclass(frozen=True)
class Topic:
    """A subject: bilingual labels, the keywords that find it, its parts and its primary work."""

    id: str
    en: str
    zh: str
    keywords_en: tuple[str, ...] = ()
    keywords_zh: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    primary: str | None = None

    def phrases(self) -> tuple[str, ...]:
        """Everything that names the topic: labels, id and keywords in both languages."""
        return (self.en, self.zh, self.id.replace("-", " "), *self.keywords_en, *self.keywords_zh)

    def label(self, language: str) -> str:
        """The label in `language` ("zh" or "en")."""
        return self.zh if language == "zh" else self.en


@dataclass(frozen=True)
class GraphItem:
    """A work in the graph: the keys that identify it, what it teaches and who implements it."""

    id: str
    aliases: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    implemented_by: tuple[str, ...] = ()

    def keys(self) -> set[str]:
        """Normalised keys (a ref_id, source id or URL) a guide reference may carry to be this work."""
        return {norm_key(k) for k in (self.id, *self.aliases)}


@dataclass(frozen=True)
class Edge:
    """`before` is a prerequisite of `after`, for the reason `why`."""

    before: str
    after: str
    why: str


@dataclass
class PrereqGraph:
    """Topics, works and prerequisite edges, checked for unknown ids and cycles."""

    topics: dict[str, Topic]
    items: dict[str, GraphItem]
    edges: tuple[Edge, ...]
    _into: dict[str, list[Edge]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for edge in self.edges:
            self._into.setdefault(edge.after, []).append(edge)

    def prerequisites(self, node: str) -> list[Edge]:
        """The edges into `node` (a topic id or an item id), in file order."""
        return self._into.get(node, [])

    def expand(self, topic_ids: Iterable[str]) -> set[str]:
        """The topics with all their parts, recursively."""
        out: set[str] = set()
        stack = list(topic_ids)
        while stack:
            topic = stack.pop()
            if topic not in out and topic in self.topics:
                out.add(topic)
                stack.extend(self.topics[topic].parts)
        return out

    def topic_keywords(self, synonyms: dict[str, set[str]] | None = None) -> dict[str, tuple[Keyword, ...]]:
        """topic id -> its keywords, with the glossary's translations of any keyword added."""
        out = {}
        for topic in self.topics.values():
            phrases = list(topic.phrases())
            for phrase in topic.phrases():
                phrases.extend(sorted((synonyms or {}).get(phrase.lower(), ())))
            out[topic.id] = keywords(phrases)
        return out


def _strings(raw: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = raw.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PlanError(f"{where}: '{name}' must be a list of strings.")
    return tuple(value)


def _text(raw: dict[str, Any], name: str, where: str, required: bool = True) -> str:
    value = raw.get(name)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if required:
        raise PlanError(f"{where}: '{name}' is missing or empty.")
    return ""


def _topic(raw: dict[str, Any], where: str) -> Topic:
    return Topic(
        id=_text(raw, "id", where), en=_text(raw, "en", where), zh=_text(raw, "zh", where),
        keywords_en=_strings(raw, "keywords_en", where), keywords_zh=_strings(raw, "keywords_zh", where),
        parts=_strings(raw, "parts", where), primary=_text(raw, "primary", where, required=False) or None,
    )


def _item(raw: dict[str, Any], where: str) -> GraphItem:
    return GraphItem(id=_text(raw, "id", where), aliases=_strings(raw, "aliases", where),
                     topics=_strings(raw, "topics", where), implemented_by=_strings(raw, "implemented_by", where))


def _check(graph: PrereqGraph, source: str) -> None:
    known = set(graph.topics) | set(graph.items)
    for topic in graph.topics.values():
        for part in topic.parts:
            if part not in graph.topics:
                raise PlanError(f"{source}: topic {topic.id!r} has unknown part {part!r}.")
    for item in graph.items.values():
        for topic_id in item.topics:
            if topic_id not in graph.topics:
                raise PlanError(f"{source}: item {item.id!r} names unknown topic {topic_id!r}.")
    for edge in graph.edges:
        for end in (edge.before, edge.after):
            if end not in known:
                raise PlanError(f"{source}: edge {edge.before!r} -> {edge.after!r} names unknown {end!r}.")
    successors: dict[str, list[str]] = {}
    for edge in graph.edges:
        successors.setdefault(edge.before, []).append(edge.after)
    if cycle := find_cycle(successors):
        raise PlanError(f"{source}: the prerequisites form a cycle: {' -> '.join(cycle)}.")
    if cycle := find_cycle({t.id: list(t.parts) for t in graph.topics.values()}):
        raise PlanError(f"{source}: topic parts form a cycle: {' -> '.join(cycle)}.")


def find_cycle(successors: dict[str, list[str]]) -> list[str] | None:
    """A cycle in a directed graph given as node -> next nodes, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in successors.get(node, []):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt] if nxt in path else [node, nxt]
            if nxt not in state and (cycle := visit(nxt, [*path, nxt])):
                return cycle
        state[node] = 2
        return None

    for start in sorted(successors):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return None


def parse_prerequisites(text: str, source: str = "prerequisites") -> PrereqGraph:
    """The graph in a TOML text; PlanError naming the problem when it is malformed or cyclic."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{source} is not valid TOML ({exc}).") from exc
    topics = [_topic(t, f"{source} topic {i + 1}") for i, t in enumerate(data.get("topic", []))]
    items = [_item(t, f"{source} item {i + 1}") for i, t in enumerate(data.get("item", []))]
    edges = tuple(Edge(_text(e, "before", f"{source} edge {i + 1}"), _text(e, "after", f"{source} edge {i + 1}"),
                       _text(e, "why", f"{source} edge {i + 1}")) for i, e in enumerate(data.get("edge", [])))
    for kind, ids in (("topic", [t.id for t in topics]), ("item", [i.id for i in items])):
        if dupes := sorted({x for x in ids if ids.count(x) > 1}):
            raise PlanError(f"{source}: duplicate {kind} ids {dupes}.")
    graph = PrereqGraph({t.id: t for t in topics}, {i.id: i for i in items}, edges)
    _check(graph, source)
    return graph


def load_prerequisites(path: Path) -> PrereqGraph:
    """The graph in a TOML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"Cannot read the prerequisite graph {path} ({exc.strerror or exc}).") from exc
    return parse_prerequisites(text, str(path))
