"""The outline of a cleaned paper: its sections, its reference list's text, its title and authors."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ingest.models import Page, Section
from ingest.parse.pdf_clean import expand_ligatures, join_hyphenated

_NUMBERED = re.compile(r"(?P<num>\d{1,2}(?:\.\d{1,2}){0,2})\.?\s+(?P<title>[A-Z].{1,90})")
# Appendix titles carry no commas, unlike reference lines that open with an initial ("A. Graves, S. Fern...").
_LETTERED = re.compile(r"(?:Appendix\s+)?(?P<num>[A-H](?:\.\d{1,2}){0,2})\.?:?\s+(?P<title>[A-Z][^,]{1,90})")
_APPENDIX = re.compile(r"(?i)appendix\b.*")
_REFERENCES = re.compile(r"(?i)(?:\d{1,2}\.?\s+)?(?:references|bibliography|literature cited)")
_LONE_NUMBER = re.compile(r"(?:^|\s)[\d.,%]+(?:\s|$)")
MAX_HEADING_WORDS = 12
MIN_HEADING_LETTERS = 0.7  # share of letters among a heading's visible characters
MAX_WRAPPED_WORDS = 6  # the second line of a heading that wraps ("E Evaluating Language Models Using")
# A heading's last word that leaves it unfinished: the title wrapped, or the line is prose.
_CONTINUATION = re.compile(r"(?i)a|an|and|as|at|be|by|can|for|from|in|is|of|on|or|the|to|using|via|with")
_JUNK_TITLES = re.compile(r"(?i)^(untitled|title|arxiv|microsoft word\b.*|.*\.(pdf|dvi|tex|docx?))$")
_AFFILIATION = re.compile(
    r"(?i)\b(universit\w*|institut\w*|department|school|college|lab\w*|research|inc|corp\w*|google|microsoft"
    r"|nvidia|facebook|meta|openai|deepmind|cent(er|re)|academy|technology|contribution|correspond\w*|preprint"
    r"|conference|proceedings|published|report|work|abstract|email|equal|division|dept|faculty|ltd|llc|gmbh)\b"
)
_NAME_WORD = re.compile(r"(?:[A-Z][.]|[A-Z][\w'`´-]*\.?)")
_AUTHOR_MARKS = re.compile(r"[∗*†‡§¶♯♮]|(?<=\s)\d+\b|(?<=[a-z])\d+\b|\band\b|;")
MAX_AUTHOR_LINES = 16  # one line per author with an e-mail under each, in some templates
FONT_TOLERANCE = 0.5  # points: title pieces set in the same size differ by rounding only
TITLE_SIZE_SHARE = 0.75  # small capitals run at 80% of the capitals' size; author lines at 70% or less
MAX_TITLE_CHARS = 300


@dataclass(frozen=True)
class Outline:
    """Sections found in a paper and the raw text of its reference list."""

    sections: list[Section]
    references_text: str


@dataclass(frozen=True)
class _Heading:
    index: int  # position among the document's lines
    number: tuple[int, ...]
    title: str


def _plausible_heading(title: str) -> bool:
    visible = title.replace(" ", "")
    letters = sum(char.isalpha() for char in visible)
    return (
        len(title.split()) <= MAX_HEADING_WORDS
        and letters >= max(MIN_HEADING_LETTERS * len(visible), 4)
        and not title.endswith((".", ",", ";"))
        and _LONE_NUMBER.search(title) is None  # "1 Transformer 12.5 3" is a table row
    )


def _heading_title(lines: list[str], index: int, title: str) -> str | None:
    """The heading's title with a run-in paragraph cut off or a wrapped second line added, or None."""
    if index and lines[index - 1].endswith((",", "-", " and")):
        return None  # the line continues a sentence or a reference entry: "..., and Ahmed,\nA. Scaling ..."
    head, dot, tail = title.partition(". ")
    if dot and len(tail.split()) >= 3:  # "5.1.1 Offload engine. ZeRO-Infinity is built" runs into its paragraph
        title = head
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if _CONTINUATION.fullmatch(title.split()[-1]):
        if not following[:1].isupper() or len(following.split()) > MAX_WRAPPED_WORDS:
            return None
        title = f"{title} {following}"
    return title if _plausible_heading(title) else None


def _follows(previous: tuple[int, ...], current: tuple[int, ...]) -> bool:
    """Whether `current` can be the heading right after `previous` ("2.3" after "2.2", "3" after "2.3")."""
    if current == (*previous, 1):
        return True
    depth = len(current)
    return depth <= len(previous) and current[:-1] == previous[: depth - 1] and current[-1] == previous[depth - 1] + 1


def _longest_chain(candidates: list[_Heading]) -> list[_Heading]:
    """The longest run of candidates numbered in order from 1: stray "3 GPUs" lines fall out of it."""
    best: list[list[_Heading]] = []
    for j, candidate in enumerate(candidates):
        chain = [candidate] if candidate.number == (1,) else []
        for k in range(j):  # on a tie the nearest predecessor wins: stray labels sit further away
            if best[k] and len(best[k]) + 1 >= len(chain) and _follows(best[k][-1].number, candidate.number):
                chain = [*best[k], candidate]
        best.append(chain)
    return max(best, key=len, default=[])


def _headings(lines: list[str], start: int, stop: int, pattern: re.Pattern[str]) -> list[_Heading]:
    found = []
    for index in range(start, stop):
        match = pattern.fullmatch(lines[index])
        title = _heading_title(lines, index, match.group("title")) if match else None
        if match and title:
            parts = match.group("num").split(".")
            first = int(parts[0]) if parts[0].isdigit() else ord(parts[0]) - ord("A") + 1
            found.append(_Heading(index, (first, *map(int, parts[1:])), title))
    return _longest_chain(found)


def _find(lines: list[str], test: Callable[[str], bool], indices: range) -> int | None:
    return next((i for i in indices if test(lines[i])), None)


def _is_abstract(line: str) -> bool:
    return line.lower().startswith("abstract") and not line[8:9].isalpha()


def outline(pages: list[Page]) -> Outline:
    """Abstract, numbered headings, References and lettered appendices, each with its first page."""
    numbers = [page.number for page in pages for _ in page.text.split("\n")]
    lines = [line for page in pages for line in page.text.split("\n")]
    first_pages = sum(len(page.text.split("\n")) for page in pages[:2])
    abstract = _find(lines, _is_abstract, range(first_pages))
    refs = _find(lines, lambda line: _REFERENCES.fullmatch(line) is not None, range(len(lines) - 1, -1, -1))
    start = 0 if abstract is None else abstract + 1
    body = _headings(lines, start, len(lines) if refs is None else refs, _NUMBERED)
    appendix = [] if refs is None else _headings(lines, refs + 1, len(lines), _LETTERED)
    sections = [Section(f"{'.'.join(map(str, h.number))} {h.title}", len(h.number), numbers[h.index]) for h in body]
    if abstract is not None:
        sections.insert(0, Section("Abstract", 1, numbers[abstract]))
    references_text = ""
    if refs is not None:
        sections.append(Section("References", 1, numbers[refs]))
        after = _find(lines, lambda line: _APPENDIX.fullmatch(line) is not None, range(refs + 1, len(lines)))
        end = min(appendix[0].index if appendix else len(lines), after or len(lines))
        references_text = "\n".join(lines[refs + 1 : end])
    for h in appendix:
        label = chr(ord("A") + h.number[0] - 1) + "".join(f".{n}" for n in h.number[1:])
        sections.append(Section(f"{label} {h.title}", len(h.number), numbers[h.index]))
    return Outline(sections, references_text)


def title_from_metadata(value: object) -> str | None:
    """The metadata title when it looks like a real one (not "untitled", "Microsoft Word - x.docx")."""
    title = " ".join(str(value or "").split())
    return title if len(title) >= 4 and not _JUNK_TITLES.match(title) else None


def title_from_fonts(pieces: list[tuple[str, float]]) -> str | None:
    """The run of large text around the largest font on a first page, given its (text, size) pieces in order."""
    lettered = [(i, size) for i, (text, size) in enumerate(pieces) if sum(char.isalpha() for char in text) >= 1]
    if not lettered:
        return None
    top = max(size for _, size in lettered)
    start = next(i for i, size in lettered if size >= top - FONT_TOLERANCE)
    raw = ""
    for text, size in pieces[start:]:
        if text.strip() and size < TITLE_SIZE_SHARE * top:
            break
        raw += text
    title = " ".join(" ".join(join_hyphenated(expand_ligatures(raw).splitlines())).split())
    return title[:MAX_TITLE_CHARS] if sum(char.isalpha() for char in title) >= 4 else None


def _normal(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _names(line: str) -> list[str]:
    names: list[str] = []
    for part in _AUTHOR_MARKS.sub(",", line).split(","):
        words = part.split()
        if not 2 <= len(words) <= 8 or not all(_NAME_WORD.fullmatch(word) for word in words):
            continue
        if len(words) >= 4 and not any(word.endswith(".") for word in words):
            # "Yuanzhi Li Shean Wang Lu Wang": names run together without marks; pair the words up.
            names.extend(" ".join(words[i : i + 2]) for i in range(0, len(words) - 1, 2))
        elif len(words) <= 4:
            names.append(" ".join(words))
    return names


def guess_authors(first_page: list[str], title: str | None) -> list[str]:
    """Author names from the lines between the title and the abstract, when they look like names."""
    first_page = join_hyphenated(first_page)  # "LARGE LAN-" + "GUAGE MODELS" must match the title
    normal_title = f" {_normal(title or '')} "
    after_title = [
        i + 1 for i, line in enumerate(first_page[:6]) if _normal(line) and f" {_normal(line)} " in normal_title
    ]
    if not after_title:
        return []
    start = max(after_title)
    stop = _find(first_page, _is_abstract, range(start, len(first_page))) or len(first_page)
    names: list[str] = []
    for line in first_page[start : min(stop, start + MAX_AUTHOR_LINES)]:
        if "@" not in line and _AFFILIATION.search(line) is None:
            names.extend(name for name in _names(line) if name not in names)
    return names
