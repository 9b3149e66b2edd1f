"""One query, built once: the question, its language, its glossary terms and the text each ranking reads.

The searcher and the assistant read the same object, so a question is expanded by one glossary (the
built-in ML terms under the guides', `index.terms.merged`) and scored with one word list, and a Chinese
question is searched at once: its English translation is optional and can be added later
(`Query.translated`) by whoever has a translator, never awaited inside a search.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from index.lexical import query_words, tokenize
from ingest.text import has_cjk


@runtime_checkable
class Translator(Protocol):
    """Translates a short text into a target language ("en" or "zh"); the assistant plugs its LLM in here."""

    def translate(self, text: str, target: str) -> str:
        """The text in the target language."""
        ...


@dataclass(frozen=True)
class Query:
    """A search question with everything derived from it; build it with `make_query`."""

    original: str
    language: str  # "zh" when the question holds Chinese characters, else "en"
    glossary_terms: tuple[tuple[str, str], ...]  # the (zh, en) glossary entries the question mentions
    translation: str = ""  # English of a Chinese question, when a translator has been asked; else empty
    terms: tuple[str, ...] = ()  # BM25 terms of `lexical_text` (stems, jieba words), in order, no repeats
    words: tuple[str, ...] = ()  # the same words as a reader sees them (no stems), for highlighting

    @property
    def chinese(self) -> bool:
        """True for a question written in Chinese."""
        return self.language == "zh"

    @property
    def expansions(self) -> tuple[str, ...]:
        """The glossary terms in the other language than the question's."""
        return tuple(en if self.chinese else zh for zh, en in self.glossary_terms)

    @property
    def lexical_text(self) -> str:
        """Text for BM25: the question, its glossary terms in the other language and its translation."""
        return " ".join(part for part in (self.original, *self.expansions, self.translation) if part)

    @property
    def dense_text(self) -> str:
        """Text for the English embedder: the question, or a Chinese question's translation (else empty).

        Empty leaves that ranking out: the English model's vector of Chinese text is noise against English
        passages (cosine 0.001 with its answer), and a bag of glossary terms embedded alone drew generic
        passages (Chinese recall@5 0.5 instead of 0.9 on held-out questions); the terms serve BM25 instead.
        """
        return self.translation if self.chinese else self.original

    def translated(self, translation: str) -> Query:
        """The same query with an English translation added (a Chinese question's LLM translation)."""
        return _build(self.original, self.language, self.glossary_terms, translation.strip())


def glossary_matches(text: str, glossary: Mapping[str, str]) -> list[tuple[str, str]]:
    """The (zh, en) entries whose side in the text's language occurs in it, longest match first; a shorter
    term inside a longer matched one is not matched again ("流水线并行" does not also yield "并行")."""
    found: list[tuple[str, str]] = []
    if has_cjk(text):
        rest = text
        for zh in sorted(glossary, key=len, reverse=True):
            if zh and zh in rest:
                found.append((zh, glossary[zh]))
                rest = rest.replace(zh, " ")
        return found
    rest = f" {text.lower()} "
    for zh, en in sorted(glossary.items(), key=lambda item: len(item[1]), reverse=True):
        pattern = re.compile(rf"(?<![a-z0-9]){re.escape(en.lower())}(?![a-z0-9])")
        if en and pattern.search(rest):
            found.append((zh, en))
            rest = pattern.sub(" ", rest)
    return found


def make_query(text: str, glossary: Mapping[str, str] | None = None, *, translation: str = "") -> Query:
    """The query for a question: its language, the glossary entries it mentions and its BM25 terms."""
    text = " ".join(text.split())
    language = "zh" if has_cjk(text) else "en"
    return _build(text, language, tuple(glossary_matches(text, glossary or {})), translation.strip())


def _build(original: str, language: str, pairs: tuple[tuple[str, str], ...], translation: str) -> Query:
    draft = Query(original, language, pairs, translation if language == "zh" else "")
    return Query(draft.original, draft.language, draft.glossary_terms, draft.translation,
                 terms=tuple(dict.fromkeys(tokenize(draft.lexical_text))),
                 words=tuple(dict.fromkeys(query_words(draft.lexical_text))))
