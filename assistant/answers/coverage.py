"""Does the library cover a question? Names it asks about, successors of library papers, guide suggestions.

A small model answers from memory when the sources are beside the point, so the decision to abstain
is taken before generation, from the retrieved text itself; the model's NO_ANSWER sentinel is the
second line of defence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ingest.models import Guide, Reference, RefKind
from ingest.text import QUESTION_WORDS, URL_RE, content_stopwords, split_sentences, terms

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*(?:\+\+|\+)?")
_SUFFIX = re.compile(r"(?:[-\s]?(?:v?\d+(?:\.\d+)?|xl|plus|turbo|large|small)|\+\+|\+)$", re.IGNORECASE)
_PAPER_KINDS = (RefKind.ARXIV, RefKind.PDF_URL, RefKind.PAPER_TITLE, RefKind.GITHUB)
# Words about the reading list itself: "what does the guide list under Pipeline Parallel" asks for the list
# entries, so the guide naming them is the answer, not a bare mention beside the point.
_GUIDE_WORDS = frozenset(
    "guide guides list lists listed under recommend recommends recommended read reading first start begin "  # noqa: SIM905
    "papers paper".split()
)
MIN_TERM_COVERAGE = 0.34  # share of the question's content words that must occur in the passages


@dataclass
class Coverage:
    """The verdict on a question: covered or not, with the names that are missing and why."""

    covered: bool
    missing: list[str] = field(default_factory=list)  # names asked about that the passages never mention
    adjacent: list[tuple[str, str]] = field(default_factory=list)  # (missing name, library title it follows)


def _is_common(word: str) -> bool:
    """A function word, a word about papers, or a word that shapes a question: never a name."""
    return word in content_stopwords() or word in QUESTION_WORDS


def distinctive_names(text: str) -> list[str]:
    """Names in a question: CamelCase, mixed case, with digits or ++, acronyms, capitalised rare words."""
    names = []
    for token in _TOKEN.findall(text):
        body = token.rstrip("+")
        mixed = any(c.isupper() for c in body[1:]) and any(c.islower() for c in body)
        digits = any(c.isdigit() for c in body) and any(c.isalpha() for c in body)
        acronym = body.isupper() and len(body) >= 3
        capital = body[:1].isupper() and body[1:].islower() and len(body) >= 4 and not _is_common(body.lower())
        if mixed or digits or acronym or capital or token.endswith("+"):
            names.append(token)
    return list(dict.fromkeys(names))


def name_pattern(name: str) -> re.Pattern[str]:
    """A pattern finding `name` in text whatever its spacing, hyphens or case ("Flash Attention-2")."""
    plus = re.escape(name[len(name.rstrip("+")) :])
    runs = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+(?:\.\d+)?", name.rstrip("+"))
    body = r"[\s\-_]?".join(re.escape(r) for r in runs)
    # Not followed by more figures or a unit: "FlashAttention 2 4 6" and "FlashAttention 2k" are table cells.
    end = r"(?![0-9]|\.[0-9]|[A-Za-z×%]|\s+[0-9])" if runs and runs[-1][0].isdigit() else ""
    return re.compile(rf"(?<![A-Za-z0-9]){body}{plus}{end}", re.IGNORECASE)


def stems(name: str) -> list[str]:
    """Names `name` may be a successor or variant of: FlashAttention-2 → FlashAttention, QLoRA → LoRA."""
    out = []
    trimmed = _SUFFIX.sub("", name)
    if trimmed and trimmed != name:
        out.append(trimmed)
    if "-" in name:
        out.append(name.rsplit("-", 1)[0])
    if len(name) > 3 and name[0].isupper() and name[1].isupper() and any(c.islower() for c in name):
        out.append(name[1:])  # one-letter prefix variants: QLoRA, SGPipe
    return [s for s in dict.fromkeys(out) if len(s) >= 3]


def _mentions(name: str, texts: Iterable[str]) -> bool:
    pattern = name_pattern(name)
    return any(pattern.search(t) for t in texts)


def _shares_a_term(text: str, context: set[str]) -> bool:
    lowered = URL_RE.sub(" ", text).lower()
    return any(t in lowered or (len(t) >= 6 and t[:5] in lowered) for t in context)


def _discussed(name: str, passages: Sequence[str], context: set[str]) -> bool:
    """A passage sentence names `name` beside another word of the question: a bare list entry is not enough."""
    pattern = name_pattern(name)
    # The name itself is taken out first: "SmoothQuant" must not count as sharing the word "smooth".
    return any(
        pattern.search(sentence) and (not context or _shares_a_term(pattern.sub(" ", sentence), context))
        for passage in passages
        for line in passage.splitlines()
        for sentence in split_sentences(line)
    )


def _followed_title(name: str, titles: Sequence[str]) -> str | None:
    for stem in stems(name):
        title = next((t for t in titles if _mentions(stem, [t])), None)
        if title:
            return title
    return None


def term_coverage(query: str, passages: Sequence[str]) -> float:
    """Share of the query's English content words found in the passages (prefixes allow inflection)."""
    wanted = {t for t in terms(query) if t.isascii() and not t.isdigit()}
    if not wanted:
        return 1.0
    text = " ".join(passages).lower()
    found = sum(1 for t in wanted if t in text or (len(t) >= 6 and t[:5] in text))
    return found / len(wanted)


def assess(queries: Sequence[str], passages: Sequence[str], titles: Sequence[str]) -> Coverage:
    """Whether the passages can answer the question, given its wordings (original, translated)."""
    names = list(dict.fromkeys(n for q in queries for n in distinctive_names(q)))
    name_terms = {t for n in names for t in terms(n)}
    context = {t for q in queries for t in terms(q) if t.isascii() and not t[0].isdigit()} - name_terms - _GUIDE_WORDS
    missing = [n for n in names if not _mentions(n, titles) and not _discussed(n, passages, context)]
    adjacent = [(n, t) for n in missing if (t := _followed_title(n, titles)) is not None]
    if adjacent or (names and len(missing) == len(names)):
        return Coverage(False, missing, adjacent)
    english = [q for q in queries if q.isascii()] or list(queries)
    if max(term_coverage(q, passages) for q in english) < MIN_TERM_COVERAGE:
        return Coverage(False, missing, adjacent)
    return Coverage(True, missing, adjacent)


def suggest(
    guides: Sequence[Guide], queries: Sequence[str], library_ids: set[str], missing: Sequence[str] = (),
    limit: int = 3,
) -> list[Reference]:
    """Guide papers and repositories, not in the library, that would cover the question."""
    wanted = set().union(*(terms(q) for q in queries)) if queries else set()
    node_hits = {
        node.node_id
        for guide in guides
        for node in guide.root.walk()
        if terms(" ".join(filter(None, (node.label, node.label_en, node.label_zh)))) & wanted
    }
    scored, seen = [], set(library_ids)
    for ref in (r for guide in guides for r in guide.references):
        if ref.kind not in _PAPER_KINDS or ref.source_id in seen:
            continue
        seen.add(ref.source_id)
        score = 3 * sum(1 for n in missing if _mentions(n, [ref.title]))
        score += len(terms(f"{ref.title} {ref.note}") & wanted)
        score += sum(1 for path in ref.taxonomy_paths if path in node_hits)
        if score >= 2:
            scored.append((score, ref.title, ref))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [ref for _, _, ref in scored[:limit]]
