"""A reading guide as data: its taxonomy, references, zh→en glossary and learning-path stages."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.errors import GuideParseError, InputError
from ingest.guide.lines import read_lines
from ingest.guide.parse import TreeBuilder
from ingest.guide.refs import merge_mentions
from ingest.models import Guide, Reference, TaxonomyNode
from ingest.repair import RepairResult, decode_bytes

_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
_STAGE_PATTERNS = (
    re.compile(r"^第\s*([零一二三四五六七八九十\d]{1,3})\s*(?:阶段|步|部分|周)"),
    re.compile(r"^(?:stage|phase|step|part|level)\s*(\d{1,2})\b", re.IGNORECASE),
    re.compile(r"^(\d{1,2})\s*[.、．)]\s*\S"),
)
# A numbered run of sections is a learning path when it, or the section holding it, says so.
_PATH_WORDS = re.compile(r"阶段|路径|路线|步骤|stage|phase|step|path|roadmap|curriculum", re.IGNORECASE)


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return _CN_DIGITS.get(text, 0)
    # Chinese numerals up to 99: 十二 = 12, 二十 = 20, 二十三 = 23.
    tens, _, units = text.partition("十")
    return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + _CN_DIGITS.get(units, 0)


def stage_number(label: str) -> int | None:
    """The position a section title claims in a sequence ("第二阶段", "Stage 2", "2. …"), if any."""
    for pattern in _STAGE_PATTERNS:
        if match := pattern.match(label):
            return _number(match.group(1)) or None
    return None


def _runs(headings: list[tuple[TaxonomyNode, TaxonomyNode]]) -> list[list[TaxonomyNode]]:
    # A run is sibling sections numbered 1, 2, 3… in document order; a new "1" starts another.
    open_runs: dict[str, list[TaxonomyNode]] = {}  # parent node_id -> its current run
    runs: list[tuple[TaxonomyNode, list[TaxonomyNode]]] = []
    for node, parent in headings:
        number = stage_number(node.label)
        run = open_runs.get(parent.node_id)
        if number == 1:
            open_runs[parent.node_id] = [node]
            runs.append((parent, open_runs[parent.node_id]))
        elif run is not None and number == len(run) + 1:
            run.append(node)
    return [run for parent, run in runs if len(run) >= 2
            and any(_PATH_WORDS.search(n.label) for n in (parent, *run))]


def find_stages(headings: list[tuple[TaxonomyNode, TaxonomyNode]]) -> list[str]:
    """Number the learning-path sections 1, 2, … in document order and return their node_ids.

    `headings` are (section, parent) pairs in document order. A guide with several paths (the
    seed has a 5-stage one for LLM/MLSys, then a 6-stage one for distributed systems) gets them
    as one path, in the order it gives them.
    """
    stages = [node for run in _runs(headings) for node in run]
    for position, node in enumerate(stages, start=1):
        node.stage = position
    return [node.node_id for node in stages]


def build_glossary(root: TaxonomyNode) -> dict[str, str]:
    """zh -> en from every label that pairs the two; the first pairing of a term wins."""
    glossary: dict[str, str] = {}
    for node in root.walk():
        if node.label_zh and node.label_en:
            glossary.setdefault(node.label_zh, node.label_en)
    return glossary


def _references(builder: TreeBuilder) -> list[Reference]:
    found = [(c.mention, c.node.node_id, builder.note_for(c)) for c in builder.citations]
    by_key = merge_mentions(found)
    for citation in builder.citations:
        ref_id = by_key[citation.mention.key].ref_id
        if ref_id not in citation.node.ref_ids:
            citation.node.ref_ids.append(ref_id)
    return list(by_key.values())


def parse_guide(text: str, *, name: str, path: str | None = None) -> Guide:
    """Parse a guide's (already repaired) text; a text with no headings, lists or links is refused."""
    builder = TreeBuilder(read_lines(text), root_label=name)
    root = builder.build()
    references = _references(builder)
    if not root.children and not references:
        raise GuideParseError(
            f"{path or name} has no headings, lists or links, so it is not a reading guide readpath can "
            "read; give a Markdown or text file with sections, bullets or links.")
    stages = find_stages(builder.heading_nodes)
    return Guide(name=name, path=path, text=text, root=root, references=references,
                 glossary=build_glossary(root), stages=stages)


def read_repaired(path: Path) -> RepairResult:
    """A text file's bytes decoded and its mojibake repaired; errors name the file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"File {path} does not exist; check the path.") from exc
    except OSError as exc:
        raise InputError(f"Cannot read {path} ({exc.strerror}); check its path and permissions.") from exc
    return decode_bytes(data, name=str(path))


def load_guide(path: Path) -> Guide:
    """Read a guide file, repair its encoding, and parse it; errors name the file."""
    repaired = read_repaired(path)
    guide = parse_guide(repaired.text, name=path.stem, path=str(path))
    guide.repaired_chars = repaired.report.repaired
    return guide
