"""Text clean-up for extracted PDF pages: ligatures, arXiv stamps, running headers, hyphenation."""

from __future__ import annotations

import math
import re
from collections import Counter

from ingest.text import ARXIV_ID, ARXIV_VERSION

LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "ft", "ﬆ": "st"})

# The stamp arXiv prints up the left margin: "arXiv:2205.14135v2  [cs.LG]  23 Jun 2022".
ARXIV_STAMP = re.compile(
    rf"arXiv:(?P<id>{ARXIV_ID})(?P<version>{ARXIV_VERSION})?\s+"
    r"\[[\w.-]+\]\s+\d{1,2}\s+[A-Z][a-z]{2}\s+\d{4}"
)
_PAGE_NUMBER = re.compile(r"(?i)(page\s*)?(\d{1,4}|[ivxlc]{1,6})(\s*(of|/)\s*\d{1,4})?")
EDGE_LINES = 3  # running headers and footers sit within the first or last three lines of a page
PAGE_NUMBER_LINES = 2  # a bare number this close to either end of a page is its page number
RUNNING_SHARE = 0.5  # a line at the page edge on half the pages or more is a running header or footer
_HYPHENATED = re.compile(r"(?P<word>[^\W\d_]+(?:-[^\W\d_]+)*)-$")


def expand_ligatures(text: str) -> str:
    """The text with typographic ligatures (ﬁ, ﬂ, ﬀ, ﬃ, ﬄ) spelled out as plain letters."""
    return text.translate(LIGATURES)


def remove_arxiv_stamp(lines: list[str]) -> tuple[list[str], str | None]:
    """The lines without arXiv's margin stamp, and the stamp itself when one was found."""
    stamp: str | None = None
    out: list[str] = []
    for line in lines:
        match = ARXIV_STAMP.search(line)
        if match is None:
            out.append(line)
            continue
        stamp = stamp or " ".join(match.group().split())
        rest = (line[: match.start()] + line[match.end() :]).strip()
        if rest:
            out.append(rest)
    return out, stamp


def _edge_indices(lines: list[str], count: int) -> list[int]:
    """Indices of the first and last `count` non-blank lines."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return sorted(set(filled[:count] + filled[-count:]))


def _zone(lines: list[str]) -> list[int]:
    """Where running lines may sit: fewer lines on a short page, so that its body is not taken for edges."""
    filled = sum(1 for line in lines if line.strip())
    return _edge_indices(lines, max(1, min(EDGE_LINES, filled // 4)))


def _keys(lines: list[str]) -> dict[int, set[str]]:
    """Comparison keys of a page's edge lines: the exact text, and for the outermost lines the text with
    its digits masked, since only there a varying number ("Page 3", "ICLR 2018 - 3") marks a running line."""
    keys = {i: {"=" + " ".join(lines[i].lower().split())} for i in _zone(lines)}
    for i in _edge_indices(lines, 1):
        keys[i].add(re.sub(r"\d+", "#", "#" + " ".join(lines[i].lower().split())))
    return keys


def is_page_number(line: str) -> bool:
    """Whether a line is only a page number ("3", "iv", "Page 3 of 10")."""
    return _PAGE_NUMBER.fullmatch(line.strip()) is not None


def remove_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Pages without page numbers and without the header and footer lines repeated at most page edges."""
    page_keys = [_keys(lines) for lines in pages]
    counts = Counter(key for keys in page_keys for key in set().union(*keys.values()))
    threshold = max(2, math.ceil(RUNNING_SHARE * len(pages)))
    out = []
    for lines, keys in zip(pages, page_keys, strict=True):
        drop = {i for i, line_keys in keys.items() if any(counts[key] >= threshold for key in line_keys)}
        drop |= {i for i in _edge_indices(lines, PAGE_NUMBER_LINES) if is_page_number(lines[i])}
        out.append([line for i, line in enumerate(lines) if i not in drop])
    return out


def _drops_hyphen(word: str, following: str) -> bool:
    """Whether "word-" + following is one word split by a line break rather than a real compound."""
    if "-" in word:  # "state-of-the-" + "art": the earlier hyphens say this one is real too
        return False
    if word[-1].islower() and following[0].islower():
        return True
    return len(word) >= 3 and word.isupper() and following[:2].isupper()  # "NET-" + "WORKS" in titles


def join_hyphenated(lines: list[str]) -> list[str]:
    """Lines with words split across a line break joined back ("compu-" + "tation" -> "computation")."""
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        previous = out[-1] if out else ""
        match = _HYPHENATED.search(previous)
        if match is None or not stripped[:1].isalnum():
            out.append(line)
            continue
        head = previous if not _drops_hyphen(match.group("word"), stripped) else previous[:-1]
        first, _, rest = stripped.partition(" ")
        out[-1] = head + first
        if rest:
            out.append(rest)
    return out


def clean_lines(text: str) -> list[str]:
    """One page's extracted text as stripped lines, ligatures expanded and NUL characters dropped."""
    text = expand_ligatures(text).replace("\x00", "")
    return [" ".join(line.split()) for line in text.splitlines()]


def finish_page(lines: list[str]) -> str:
    """A page's lines as text: hyphenation joined, blank lines dropped."""
    return "\n".join(line for line in join_hyphenated(lines) if line)
