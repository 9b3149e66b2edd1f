"""Split Markdown (READMEs) along its headings, and plain text into blocks, as pages for the library."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.errors import EmptyInput
from ingest.models import Page, Section

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r" {0,3}(?P<marks>#{1,6})(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*")
_SETEXT = re.compile(r" {0,3}(?P<rule>=+|-{2,})[ \t]*")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")
_IMAGE = re.compile(r"\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)|!\[[^\]]*\]\([^)]*\)|<img\b[^>]*>", re.IGNORECASE)
_CODE_SPAN = re.compile(r"(`+)[^`]*?\1")
_BLANK_RUN = re.compile(r"\n{3,}")
_HTML_HEADING = re.compile(r"^[ \t]*<h([1-6])\b[^>]*>(.*?)</h\1>[ \t]*$", re.IGNORECASE | re.MULTILINE)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"[*_`]+")
HEADING_SEPARATOR = " > "
TEXT_PAGE_CHARS = 2000  # plain text is cut into pages of about this size, at blank lines


@dataclass(frozen=True)
class ParsedMarkdown:
    """A Markdown or text file as pages (one per heading section), its sections and its title."""

    title: str | None
    pages: list[Page]
    sections: list[Section]


@dataclass
class _Open:
    """The section being collected: heading path, level and lines."""

    path: list[tuple[int, str]]
    lines: list[str]


def _closes(line: str, fence: str) -> bool:
    """Whether the line closes a code block opened by `fence`: the same character, at least as many, alone."""
    marks = line.strip()
    return marks[:1] == fence[0] and len(marks) >= len(fence) and marks == marks[0] * len(marks)


def _segments(text: str) -> list[tuple[bool, list[str]]]:
    """Runs of lines, each flagged True when inside a fenced code block (fences included)."""
    segments: list[tuple[bool, list[str]]] = []
    fence: str | None = None
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            segments.append((True, [line]))
        elif fence is not None:
            segments[-1][1].append(line)
            if _closes(line, fence):
                fence = None
        elif segments and not segments[-1][0]:
            segments[-1][1].append(line)
        else:
            segments.append((False, [line]))
    return segments


def _strip_html(line: str) -> str:
    """A prose line without image-only markup and HTML tags (their text kept), code spans untouched."""
    out, last = [], 0
    for span in _CODE_SPAN.finditer(line):
        out.append(_TAG.sub("", _IMAGE.sub("", line[last : span.start()])))
        out.append(span.group())
        last = span.end()
    out.append(_TAG.sub("", _IMAGE.sub("", line[last:])))
    cleaned = "".join(out)
    return "" if not cleaned.strip() and line.strip() else cleaned.rstrip()


def _prose_lines(lines: list[str]) -> list[str]:
    text = _HTML_HEADING.sub(lambda m: "#" * int(m.group(1)) + " " + m.group(2), "\n".join(lines))
    return [_strip_html(line) for line in _COMMENT.sub("", text).split("\n")]


def _label(text: str) -> str:
    """Heading text without link targets and emphasis marks: "[`pip`](#pip) **install**" -> "pip install"."""
    return " ".join(_EMPHASIS.sub("", _LINK.sub(r"\1", text)).split())


def _heading(lines: list[str], index: int) -> tuple[int, str] | None:
    """(level, text) when the line at `index` is an ATX heading or the underline of a setext one."""
    atx = _ATX.fullmatch(lines[index])
    if atx:
        return len(atx.group("marks")), _label(atx.group("text") or "")
    setext = _SETEXT.fullmatch(lines[index])
    previous = lines[index - 1].strip() if index else ""
    if setext and previous and not _ATX.fullmatch(lines[index - 1]):
        return (1 if setext.group("rule")[0] == "=" else 2), _label(previous)
    return None


def _page_text(lines: list[str]) -> str:
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()


def _close(current: _Open, pages: list[Page], sections: list[Section]) -> None:
    text = _page_text(current.lines)
    if not text:
        return
    heading = HEADING_SEPARATOR.join(label for _, label in current.path) or None
    pages.append(Page(number=len(pages) + 1, text=text, heading=heading))
    if current.path:
        sections.append(Section(title=current.path[-1][1], level=current.path[-1][0], page=len(pages)))


def _walk(segments: list[tuple[bool, list[str]]]) -> tuple[list[Page], list[Section]]:
    pages: list[Page] = []
    sections: list[Section] = []
    current = _Open([], [])
    for is_code, raw in segments:
        lines = raw if is_code else _prose_lines(raw)
        for index, line in enumerate(lines):
            found = None if is_code else _heading(lines, index)
            if found is None:
                current.lines.append(line)
                continue
            if not _ATX.fullmatch(line):
                current.lines.pop()  # a setext heading's text line was taken as prose a line ago
            _close(current, pages, sections)
            path = [(level, label) for level, label in current.path if level < found[0]] + [found]
            current = _Open(path, [found[1]])
    _close(current, pages, sections)
    return pages, sections


def parse_markdown(text: str, *, name: str) -> ParsedMarkdown:
    """Markdown as one page per heading section, headed "Top > Sub"; comments, badges and HTML tags removed."""
    pages, sections = _walk(_segments(text.replace("\r\n", "\n").replace("\r", "\n")))
    if not pages:
        raise EmptyInput(f"{name} has no text: check that it is the right file")
    title = next((section.title for section in sections if section.level == 1), None)
    return ParsedMarkdown(title=title, pages=pages, sections=sections)


def parse_text(text: str, *, name: str, page_chars: int = TEXT_PAGE_CHARS) -> ParsedMarkdown:
    """Plain text as pages of about `page_chars` characters, cut at blank lines; no headings or title."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if block.strip()]
    if not blocks:
        raise EmptyInput(f"{name} has no text: check that it is the right file")
    groups: list[list[str]] = [[]]
    for block in blocks:
        if groups[-1] and sum(len(b) for b in groups[-1]) + len(block) > page_chars:
            groups.append([])
        groups[-1].append(block)
    pages = [Page(number=i, text="\n\n".join(group)) for i, group in enumerate(groups, start=1)]
    return ParsedMarkdown(title=None, pages=pages, sections=[])
