"""A guide's text as typed lines: headings, bold titles, bullets, table rows, text and rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

TAB_WIDTH = 4
_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})(?:\s+(.*?))?\s*$")
_BOLD_RE = re.compile(r"^\*\*([^*]+)\*\*\s*[:：]?$")
# "- item", "* item", "+ item", "1. item", "1) item"; loose guides also write "- - item".
_BULLET_RE = re.compile(r"^(?:[-*+•]|\d{1,3}[.)])\s+(.*)$")
_REPEATED_MARKER_RE = re.compile(r"^(?:[-*+•]\s+)+")
_RULE_RE = re.compile(r"^([-*_])(?:\s*\1){2,}$")
_TABLE_SEP_CELL_RE = re.compile(r"^:?-{2,}:?$")
_MAX_JOINED = 3  # a link text broken over more lines than this is a stray "[" instead


class LineKind(Enum):
    """What a line of a guide is."""

    BLANK = "blank"
    RULE = "rule"  # a horizontal rule or a table's header separator
    HEADING = "heading"
    BOLD = "bold"  # a line that is only bold text, used as a heading
    BULLET = "bullet"
    TABLE = "table"
    TEXT = "text"


@dataclass(frozen=True)
class Line:
    """One typed line: its content without markers, its indent in columns, its heading level."""

    kind: LineKind
    text: str = ""
    indent: int = 0
    level: int = 0


def _join_broken_links(lines: list[str]) -> list[str]:
    # "[Sequence Parallelism: Long Sequence Training from  \n System Perspective](url)": a link
    # text wrapped over lines is joined back so the link is seen whole.
    out: list[str] = []
    i = 0
    while i < len(lines):
        line, joined = lines[i], 0
        while line.count("[") > line.count("]") and i + 1 < len(lines) and joined < _MAX_JOINED:
            i, joined = i + 1, joined + 1
            line = f"{line.rstrip()} {lines[i].strip()}"
        out.append(line)
        i += 1
    return out


def _table_line(stripped: str) -> Line:
    cells = [c.strip() for c in stripped.strip("|").split("|")]
    if all(_TABLE_SEP_CELL_RE.match(c) for c in cells if c):
        return Line(LineKind.RULE)
    return Line(LineKind.TABLE, stripped)


def classify(raw: str) -> Line:
    """The type of one line (tabs already expanded)."""
    stripped = raw.strip()
    indent = len(raw) - len(raw.lstrip())
    if not stripped:
        return Line(LineKind.BLANK)
    if _RULE_RE.match(stripped):
        return Line(LineKind.RULE)
    if heading := _HEADING_RE.match(raw):
        return Line(LineKind.HEADING, heading.group(2) or "", indent, len(heading.group(1)))
    if stripped.startswith("|") and stripped.count("|") >= 2:
        return _table_line(stripped)
    if bold := _BOLD_RE.match(stripped):
        return Line(LineKind.BOLD, bold.group(1), indent)
    if bullet := _BULLET_RE.match(stripped):
        content = _REPEATED_MARKER_RE.sub("", bullet.group(1)).strip()
        return Line(LineKind.BULLET, content, indent) if content else Line(LineKind.BLANK)
    return Line(LineKind.TEXT, stripped.lstrip("> ").strip() if stripped.startswith(">") else stripped, indent)


def joined_lines(text: str) -> list[str]:
    """The guide's lines as the parser reads them: tabs expanded, wrapped link texts joined."""
    return _join_broken_links([line.expandtabs(TAB_WIDTH).rstrip() for line in text.splitlines()])


def read_lines(text: str) -> list[Line]:
    """The guide's lines, typed, with wrapped link texts joined."""
    return [classify(line) for line in joined_lines(text)]
