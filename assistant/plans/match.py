"""Finding topics in free text, in English and Chinese, without a tokenizer model.

A keyword matches a text when each of its English words occurs in the text as a word and each of
its runs of Chinese characters occurs as a substring, in any order. When one concept's matched
part of the text is strictly inside another's, only the larger survives: "LLM distributed
training" is about distributed training, not about LLMs in general.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ingest.text import CJK_RUN

# Words keep "c++", "6.824" and "gpt-3"'s parts; Chinese is kept as runs of ideographs.
_WORD = re.compile(r"[a-z0-9]+(?:\.[a-z0-9]+)*\+*")
_GLOSSARY_SPLIT = re.compile(r"\s*(?:[,，/、;；]|\bor\b)\s*")

Unit = tuple[str, int]  # ("w", word position) or ("c", character position) in the text


def _stem(word: str) -> str:
    # A plural and its singular match ("GPUs", "gpu"); "ss" words ("process") keep their s.
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


@dataclass(frozen=True)
class Text:
    """A text prepared for matching: its stemmed words with positions, and its raw characters."""

    raw: str
    words: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Text:
        """Prepare `text`."""
        lowered = text.lower()
        return cls(lowered, tuple(_stem(w) for w in _WORD.findall(lowered)))


@dataclass(frozen=True)
class Keyword:
    """A keyword split into the English words and Chinese runs that must all occur."""

    words: tuple[str, ...]
    runs: tuple[str, ...]

    @classmethod
    def of(cls, keyword: str) -> Keyword:
        """Split `keyword`."""
        lowered = keyword.lower()
        return cls(tuple(_stem(w) for w in _WORD.findall(lowered)), tuple(CJK_RUN.findall(lowered)))

    def __bool__(self) -> bool:
        return bool(self.words or self.runs)

    def covers(self, text: Text) -> frozenset[Unit] | None:
        """The parts of `text` this keyword matches, or None when it does not occur."""
        if not self:
            return None
        units: set[Unit] = set()
        for word in self.words:
            found = [("w", i) for i, w in enumerate(text.words) if w == word]
            if not found:
                return None
            units.update(found)
        for run in self.runs:
            start = text.raw.find(run)
            if start < 0:
                return None
            while start >= 0:
                units.update(("c", i) for i in range(start, start + len(run)))
                start = text.raw.find(run, start + 1)
        return frozenset(units)


def keywords(phrases: Iterable[str]) -> tuple[Keyword, ...]:
    """Non-empty keywords from phrases, in order, without repeats."""
    out: list[Keyword] = []
    for phrase in phrases:
        keyword = Keyword.of(phrase)
        if keyword and keyword not in out:
            out.append(keyword)
    return tuple(out)


def coverage(text: Text, concept_keywords: Iterable[Keyword]) -> frozenset[Unit]:
    """Everything in `text` that any of a concept's keywords matches (empty: no match)."""
    units: set[Unit] = set()
    for keyword in concept_keywords:
        units |= keyword.covers(text) or frozenset()
    return frozenset(units)


def best_matches(text: str, concepts: Mapping[str, tuple[Keyword, ...]]) -> list[str]:
    """The concepts found in `text`, less those whose match lies strictly inside another's; sorted."""
    prepared = Text.of(text)
    found = {name: units for name, kws in concepts.items() if (units := coverage(prepared, kws))}
    return sorted(name for name, units in found.items() if not any(units < other for other in found.values()))


def glossary_synonyms(glossary: Mapping[str, str]) -> dict[str, set[str]]:
    """Each glossary term (lower case) -> its translations: zh -> en parts and each en part -> zh."""
    synonyms: dict[str, set[str]] = {}
    for zh, en in glossary.items():
        parts = [p for p in _GLOSSARY_SPLIT.split(en) if p.strip()]
        for part in parts:
            synonyms.setdefault(zh.lower(), set()).add(part.strip())
            synonyms.setdefault(part.strip().lower(), set()).add(zh)
    return synonyms
