"""Guides for the CLI and the app: the shipped seed guides, parsed once per file version, and repair."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import seeds
from ingest.errors import InputError
from ingest.guide import load_guide, read_repaired
from ingest.models import Guide, TaxonomyNode
from ingest.repair import RepairResult

GUIDE_SUFFIXES = (".txt", ".md")


def default_guide_paths() -> list[Path]:
    """The guides shipped in the seeds package: its .txt and .md files, README excepted."""
    folder = Path(seeds.__file__).resolve().parent
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix in GUIDE_SUFFIXES and not p.name.lower().startswith("readme"))


@lru_cache(maxsize=32)
def _parsed(path: str, mtime_ns: int, size: int) -> Guide:
    # mtime and size are part of the key so an edited file is parsed again.
    return load_guide(Path(path))


def load_guide_cached(path: Path) -> Guide:
    """One guide, parsed once per version of the file in this process; treat it as read-only."""
    try:
        stat = path.stat()
    except OSError:
        return load_guide(path)  # raises the InputError that names the file
    return _parsed(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def load_guides(paths: list[Path] | None = None) -> list[Guide]:
    """The guides at `paths`, or the shipped seed guides when none are given."""
    chosen = paths if paths else default_guide_paths()
    if not chosen:
        raise InputError(f"No guides in {Path(seeds.__file__).parent}; pass a guide file.")
    return [load_guide_cached(path) for path in chosen]


def repair_file(path: Path) -> RepairResult:
    """A file's text with its mojibake repaired and the report of what changed; the file is untouched."""
    return read_repaired(path)


def subtree_counts(root: TaxonomyNode) -> dict[str, int]:
    """node_id -> how many distinct references the node and its descendants cite."""
    counts: dict[str, int] = {}

    def refs_under(node: TaxonomyNode) -> set[str]:
        found = set(node.ref_ids)
        for child in node.children:
            found |= refs_under(child)
        counts[node.node_id] = len(found)
        return found

    refs_under(root)
    return counts


def merged_glossary(guides: list[Guide]) -> dict[str, str]:
    """zh -> en over several guides; a term's first guide wins."""
    merged: dict[str, str] = {}
    for guide in guides:
        for zh, en in guide.glossary.items():
            merged.setdefault(zh, en)
    return merged
