"""Cross-lingual queries: glossary expansion (zh <-> en) and a translation interface for an LLM to fill."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ingest.text import has_cjk


@runtime_checkable
class Translator(Protocol):
    """Translates a short text into a target language ("en" or "zh"); the assistant plugs its LLM in here."""

    def translate(self, text: str, target: str) -> str:
        """The text in the target language."""
        ...


@dataclass(frozen=True)
class QueryForms:
    """A query with what it is expanded into for each ranking."""

    original: str
    chinese: bool
    terms: tuple[str, ...] = ()  # glossary terms in the other language
    translation: str = ""  # the translator's English (for a Chinese query), else empty

    @property
    def dense_text(self) -> str:
        """Text for the English embedder: the query, or a Chinese query's translation (else empty).

        Empty leaves that ranking out: the English model's vector of Chinese text is noise against English
        passages (cosine 0.001 with its answer), and a bag of glossary terms embedded alone drew generic
        passages (Chinese recall@5 0.5 instead of 0.9 on held-out questions); the terms serve BM25 instead.
        """
        return self.translation if self.chinese else self.original

    @property
    def lexical_text(self) -> str:
        """Text for BM25: the query, its glossary terms and its translation together."""
        return " ".join(part for part in (self.original, *self.terms, self.translation) if part)


def glossary_terms(query: str, glossary: Mapping[str, str]) -> list[str]:
    """The other-language terms of glossary entries the query mentions, longest match first."""
    found: list[str] = []
    if has_cjk(query):
        rest = query
        for zh in sorted(glossary, key=len, reverse=True):
            if zh and zh in rest:
                found.append(glossary[zh])
                rest = rest.replace(zh, " ")  # a shorter term inside a longer one is not matched again
        return found
    lowered = f" {query.lower()} "
    for zh, en in sorted(glossary.items(), key=lambda item: len(item[1]), reverse=True):
        if en and re.search(rf"(?<![a-z0-9]){re.escape(en.lower())}(?![a-z0-9])", lowered):
            found.append(zh)
    return found


def expand_query(query: str, *, glossary: Mapping[str, str] | None = None,
                 translator: Translator | None = None) -> QueryForms:
    """The query with glossary terms, and for a Chinese query an English translation when a translator is given."""
    chinese = has_cjk(query)
    terms = tuple(glossary_terms(query, glossary or {}))
    translation = translator.translate(query, "en").strip() if chinese and translator is not None else ""
    return QueryForms(query, chinese, terms, translation)
