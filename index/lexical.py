"""BM25 keyword search: jieba words for Chinese, Snowball stems for English, built from stored tokens."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import numpy as np

from ingest.text import CJK_RUN, chinese_stopwords, english_stopwords

_WORD = re.compile(r"[a-z0-9]+(?:\.[a-z0-9]+)*[+#]*")  # keeps "fp16", "c++", "v1.5" whole
_SPLIT = re.compile(f"({CJK_RUN.pattern})")  # a capturing group keeps the Chinese runs in re.split's output


@cache
def _stemmer() -> Any:
    try:
        import Stemmer
    except ImportError as exc:
        raise ImportError("PyStemmer is not installed: pip install PyStemmer") from exc
    return Stemmer.Stemmer("english")


@cache
def _jieba() -> Any:
    try:
        import jieba
    except ImportError as exc:
        raise ImportError("jieba is not installed: pip install jieba") from exc
    jieba.setLogLevel(60)  # its dictionary-loading chatter would land in the CLI's output
    return jieba


def stem(word: str) -> str:
    """The English Snowball stem of a lower-case word."""
    return str(_stemmer().stemWord(word))


def tokenize(text: str) -> list[str]:
    """BM25 terms: jieba search-mode words for Chinese runs, stemmed words for the rest; stopwords dropped."""
    english_stop, chinese_stop = english_stopwords(), chinese_stopwords()
    terms: list[str] = []
    for part in _SPLIT.split(text.lower()):
        if not part:
            continue
        if CJK_RUN.fullmatch(part):
            terms.extend(w for w in _jieba().lcut_for_search(part) if w.strip() and w not in chinese_stop)
        else:
            words = [w for w in _WORD.findall(part) if w not in english_stop]
            terms.extend(_stemmer().stemWords(words))
    return terms


def query_words(text: str) -> list[str]:
    """The words of a query as a reader sees them (no stems), for highlighting snippets."""
    english_stop, chinese_stop = english_stopwords(), chinese_stopwords()
    words: list[str] = []
    for part in _SPLIT.split(text.lower()):
        if CJK_RUN.fullmatch(part):
            words.extend(w for w in _jieba().lcut(part) if w.strip() and w not in chinese_stop)
        elif part:
            words.extend(w for w in _WORD.findall(part) if w not in english_stop)
    return words


class Bm25Index:
    """BM25 over chunk token lists, kept in memory and built from the tokens stored in SQLite."""

    def __init__(self, ids: np.ndarray, token_lists: Sequence[Sequence[str]]) -> None:
        import bm25s

        self.ids = np.asarray(ids, dtype=np.int64)
        # Document frequencies, for the rare-term rule of the fusion (bm25s keeps only its score matrix).
        self.df: Counter[str] = Counter(t for tokens in token_lists for t in set(tokens))
        self._bm25: Any = None
        if len(self.ids):
            self._bm25 = bm25s.BM25()
            # Empty chunks (a page with only a figure) still need a token for bm25s to index them.
            self._bm25.index([list(t) or [""] for t in token_lists], show_progress=False)

    def __len__(self) -> int:
        return len(self.ids)

    def idf(self, term: str) -> float:
        """log(N / df) of a term; 0 for a term no chunk holds (it cannot make any chunk an exact match)."""
        df = self.df.get(term, 0)
        return math.log(len(self.ids) / df) if df else 0.0

    def rare(self, terms: Iterable[str], share: float) -> dict[str, float]:
        """The terms held by at most `share` of the chunks (and by at least one), with their idf. Below
        1 / share chunks no term is rare: in a handful of passages one holding a word is chance, not rarity."""
        limit = share * len(self.ids)
        return {t: self.idf(t) for t in terms if 0 < self.df.get(t, 0) <= limit}

    def search(self, terms: Sequence[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The k best-scoring ids with positive scores, best first; only `allowed` ids when given."""
        known = [t for t in terms if self._bm25 is not None and t in self._bm25.vocab_dict]
        if not known or k <= 0:
            return []
        scores = self._bm25.get_scores(known)
        if allowed is not None:
            scores = np.where(np.isin(self.ids, allowed), scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(int(self.ids[i]), float(scores[i])) for i in top if scores[i] > 0]
