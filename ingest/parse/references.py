"""Reference lists: split into entries, and matched against the papers already in the library."""

from __future__ import annotations

import re
import unicodedata

from ingest.models import CitationLink

_BRACKETED = re.compile(r"^\s*\[(\d{1,3})\]\s*", re.MULTILINE)  # "[12] Vaswani, A. ..."
_DOTTED = re.compile(r"^\s*(\d{1,3})\.\s+", re.MULTILINE)  # "12. Vaswani, A. ..."
# An author-year entry opens with a name: "Liu, Y., ...", "Tom Brown, Benjamin Mann, ..." or "J.-P. David, ..."
_AUTHOR_START = re.compile(
    r"[A-Z][\w'`´ˇ-]+(?:,\s+(?:[A-Z]\.|[A-Z][a-z]+)|(?:\s+(?:[A-Z]\.|[A-Z][\w'`´-]+)){1,3}(?:,|\s+and\b))"
    r"|(?:[A-Z]\.[\s-]?){1,3}[A-Z][\w'`´ˇ-]+(?:,|\s+and\b)"
)
_LONE_INITIAL = re.compile(r"(?:^|[\s.])[A-Z]\.$")
MAX_LAST_ENTRY_CHARS = 600  # text after the list (an appendix) would otherwise run into the last entry
MIN_TITLE_WORDS = 4  # shorter titles ("BERT", "Adam") match entries they do not name
_ARXIV_VERSION = re.compile(r"v\d+$")


def _numbered_starts(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """(entry start, text start) of labels numbered 1, 2, 3... in order; other numbers are not labels."""
    starts: list[tuple[int, int]] = []
    for match in pattern.finditer(text):
        if int(match.group(1)) == len(starts) + 1:
            starts.append((match.start(), match.end()))
    return starts


def _author_year_starts(text: str) -> list[tuple[int, int]]:
    """Offsets of lines that open an entry: a name right after a line that closed the previous one."""
    starts: list[tuple[int, int]] = []
    offset = 0
    previous = "."
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        closed = previous.endswith(".") and _LONE_INITIAL.search(previous) is None
        if stripped and closed and _AUTHOR_START.match(stripped):
            starts.append((offset, offset))
        offset += len(line)
        previous = stripped or previous
    return starts


def _entry(text: str) -> str:
    return " ".join(text.split())


def split_references(text: str) -> list[str]:
    """Entries of a reference list, numbered ("[1]", "1.") or author-year, one string each without labels."""
    starts = _numbered_starts(text, _BRACKETED)
    if len(starts) < 2:
        starts = _numbered_starts(text, _DOTTED)
    if len(starts) < 2:
        starts = _author_year_starts(text)
    if len(starts) < 2:
        return []
    ends = [start for start, _ in starts[1:]] + [len(text)]
    entries = [_entry(text[begin:end]) for (_, begin), end in zip(starts, ends, strict=True)]
    entries[-1] = _cap_last(text[starts[-1][1] :])
    return [entry for entry in entries if entry]


def _cap_last(text: str) -> str:
    kept: list[str] = []
    for line in text.splitlines():
        if sum(map(len, kept)) >= MAX_LAST_ENTRY_CHARS:
            break
        kept.append(line)
    return _entry("\n".join(kept))


def _squash(text: str) -> str:
    """Lower-case letters and digits only: NFKD also spells out ligatures and drops accents."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed.lower() if char.isalnum())


def _cites(entry: str, arxiv_id: str | None, title: str) -> bool:
    compact = "".join(entry.split())  # "arxiv.org/abs/1902. 00751" broke across a line
    if arxiv_id:
        bare = re.escape(_ARXIV_VERSION.sub("", arxiv_id))
        if re.search(rf"(?<![\d.]){bare}(?!\d)", compact):
            return True
    if len(re.findall(r"\w+", title)) < MIN_TITLE_WORDS:
        return False
    return _squash(title) in _squash(entry)


def match_citations(
    citing_doc_id: str, entries: list[str], library: list[tuple[str, str | None, str]]
) -> list[CitationLink]:
    """Links from a paper to the library papers its entries name, by arXiv id or title; never to itself."""
    links: list[CitationLink] = []
    for entry in entries:
        for doc_id, arxiv_id, title in library:
            cited = {link.cited for link in links}
            if doc_id != citing_doc_id and doc_id not in cited and _cites(entry, arxiv_id, title):
                links.append(CitationLink(citing=citing_doc_id, cited=doc_id, entry=entry))
    return links
