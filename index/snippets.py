"""Snippets: the passage of a chunk that best matches a query, with the matching words in **bold**."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from index.lexical import stem
from index.models import Hit
from index.query import Query
from ingest.text import has_cjk, split_sentences

SNIPPET_CHARS = 240
_LATIN_WORD = re.compile(r"[A-Za-z0-9]+")
_ADJACENT = re.compile(r"\*\*([- ]?)\*\*")  # "**micro**-**batches**" -> "**micro-batches**"


class Highlighter:
    """Marks words of a chunk that match a query's words (English by stem, Chinese by word)."""

    def __init__(self, words: Iterable[str]) -> None:
        words = set(words)
        self.stems = {stem(w) for w in words if not has_cjk(w)}
        chinese = sorted((w for w in words if has_cjk(w)), key=len, reverse=True)
        alternatives = [*map(re.escape, chinese), _LATIN_WORD.pattern]
        self._pattern = re.compile("|".join(alternatives))

    def _matches(self, word: str) -> bool:
        return has_cjk(word) or stem(word.lower()) in self.stems

    def score(self, text: str) -> int:
        """How many query words the text contains."""
        return sum(self._matches(m.group(0)) for m in self._pattern.finditer(text))

    def mark(self, text: str) -> str:
        """The text with matching words wrapped in ** **; neighbouring matches share one pair."""
        marked = self._pattern.sub(lambda m: f"**{m.group(0)}**" if self._matches(m.group(0)) else m.group(0), text)
        return _ADJACENT.sub(r"\1", marked)

    def snippet(self, text: str, limit: int = SNIPPET_CHARS) -> str:
        """The best-matching run of sentences, about `limit` characters, highlighted."""
        sentences = split_sentences(text)
        if not sentences:
            return ""
        best = max(range(len(sentences)), key=lambda i: (self.score(sentences[i]), -i))
        start = end = best
        size = len(sentences[best])
        while end + 1 < len(sentences) and size + len(sentences[end + 1]) <= limit:
            end += 1
            size += len(sentences[end]) + 1
        passage = " ".join(sentences[start : end + 1])
        if len(passage) > limit:
            passage = passage[:limit].rsplit(" ", 1)[0] if not has_cjk(passage[:limit]) else passage[:limit]
            passage += "…"
        prefix = "…" if start > 0 else ""
        return prefix + self.mark(passage)


def with_snippets(hits: Sequence[Hit], query: Query) -> list[Hit]:
    """The hits with their snippets for the query: made only where hits are shown, not in every search."""
    highlighter = Highlighter(query.words)
    return [replace(hit, snippet=highlighter.snippet(hit.chunk.text)) for hit in hits]
