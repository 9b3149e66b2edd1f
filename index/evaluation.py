"""Retrieval evaluation: labelled questions, recall@k, and the search variants compared for Chinese questions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from index.models import Hit
from index.search import Searcher, SearchOptions, Weights
from ingest.text import has_cjk


@dataclass(frozen=True)
class Question:
    """A question, the place that answers it (a PDF page or a Markdown heading), and its English twin."""

    text: str
    doc_id: str
    pages: tuple[int, ...] = ()  # PDF pages that answer it (any one counts)
    heading: str | None = None  # or the Markdown heading path that answers it
    english: str = ""  # the same question in English, for the table translator

    @property
    def chinese(self) -> bool:
        """True for a question written in Chinese."""
        return has_cjk(self.text)

    def answered_by(self, hit: Hit) -> bool:
        """True when the hit is the answering page or section."""
        c = hit.chunk
        if c.doc_id != self.doc_id:
            return False
        if self.pages:
            start = c.page_start or 0
            return any(start <= page <= (c.page_end or start) for page in self.pages)
        return self.heading is None or c.heading_path == self.heading


class TableTranslator:
    """Translates the sentences of a fixed table: a stand-in for the LLM when measuring translation's effect."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self.table = dict(table)

    def translate(self, text: str, target: str) -> str:
        """The table's translation, or the text unchanged."""
        return self.table.get(text, text)


def recall_at_k(searcher: Searcher, questions: Sequence[Question], k: int = 5) -> float:
    """Share of questions whose answering page is among the top k hits."""
    if not questions:
        return 0.0
    found = sum(any(q.answered_by(hit) for hit in searcher.search(q.text, k)) for q in questions)
    return found / len(questions)


def variants(base: SearchOptions, glossary: Mapping[str, str],
             questions: Sequence[Question]) -> dict[str, SearchOptions]:
    """The configurations compared: each ranking alone, hybrid, and the cross-lingual candidates (a), (b), (c)."""
    translator = TableTranslator({q.text: q.english for q in questions if q.english})
    w = base.weights
    plain = replace(base, glossary={}, translator=None)
    return {
        "dense only": replace(base, weights=Weights(dense=w.dense, bm25=0, crosslingual=0, named=0)),
        "bm25 only": replace(base, weights=Weights(dense=0, bm25=w.bm25, crosslingual=0, named=0)),
        "hybrid, no cross-lingual help": replace(plain, weights=replace(w, crosslingual=0)),
        "(a) glossary": replace(plain, glossary=glossary, weights=replace(w, crosslingual=0)),
        "(a) glossary + translator": replace(plain, glossary=glossary, translator=translator,
                                             weights=replace(w, crosslingual=0)),
        "(b) multilingual USE": plain,
        "(c) glossary + USE": replace(plain, glossary=glossary),
        "(c) glossary + translator + USE": replace(plain, glossary=glossary, translator=translator),
    }


def evaluate(searcher: Searcher, questions: Sequence[Question], glossary: Mapping[str, str],
             k: int = 5) -> dict[str, dict[str, float]]:
    """recall@k of every variant, for all, English and Chinese questions."""
    groups = {"all": list(questions), "en": [q for q in questions if not q.chinese],
              "zh": [q for q in questions if q.chinese]}
    return {name: {group: round(recall_at_k(searcher.using(options), qs, k), 3) for group, qs in groups.items()}
            for name, options in variants(searcher.options, glossary, questions).items()}


def table(results: Mapping[str, Mapping[str, float]], k: int = 5) -> str:
    """A Markdown table of evaluate()'s results."""
    lines = [f"| variant | recall@{k} all | English | Chinese |", "|---|---|---|---|"]
    lines += [f"| {name} | {r['all']:.3f} | {r['en']:.3f} | {r['zh']:.3f} |" for name, r in results.items()]
    return "\n".join(lines)
