"""The text toolkit every layer shares: Chinese detection, sentences, content words."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？；])|\n{2,}")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-+]{2,}|\d+(?:\.\d+)?%?")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
STOPWORDS = frozenset(
    "the and for with that this from what which how does are was were has have had its into than then "  # noqa: SIM905 - a word list reads best as one string
    "their there these those they them can could would should will about also using used use paper papers "
    "between when where why who whom whose our your you not but all any each other such only more most "
    "some very".split()
)


def terms(text: str) -> set[str]:
    """Content words (lowercased, no stopwords) and Chinese character bigrams, for overlap scores."""
    words = {w.lower() for w in _WORD.findall(text)} - STOPWORDS
    for run in _CJK_RUN.findall(text):
        words.update(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return words


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage, whitespace collapsed, fragments under 4 characters dropped."""
    parts = (" ".join(p.split()) for p in _SENTENCE_END.split(text))
    return [p for p in parts if len(p) >= 4]
