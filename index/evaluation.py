"""Retrieval evaluation: labelled questions, recall@k, and the search variants compared for Chinese questions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from index.models import Hit
from index.search import RRF, Searcher, SearchOptions, Weights
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


@dataclass(frozen=True)
class Variant:
    """A search configuration compared: its options, and whether questions carry their English translation
    (the stand-in for the LLM's: each Chinese question's labelled English twin)."""

    options: SearchOptions
    translated: bool = False


def recall_at_k(searcher: Searcher, questions: Sequence[Question], k: int = 5, *, translated: bool = False) -> float:
    """Share of questions whose answering page is among the top k hits."""
    if not questions:
        return 0.0
    queries = [searcher.query(q.text, q.english if translated else "") for q in questions]
    found = sum(any(q.answered_by(hit) for hit in searcher.search(query, k))
                for q, query in zip(questions, queries, strict=True))
    return found / len(questions)


def variants(base: SearchOptions, glossary: Mapping[str, str]) -> dict[str, Variant]:
    """The configurations compared: the fusion before, each ranking alone, hybrid, and the cross-lingual
    candidates (a), (b), (c); "translator" ones give each Chinese question its labelled English twin."""
    w = base.weights
    plain = replace(base, glossary={})
    return {
        "RRF 1:1:1, no exact-match rule (before)": Variant(replace(base, weights=replace(w, dense=1, bm25=1,
                                                                                         crosslingual=1, named=2),
                                                                   fusion=RRF, exact_match=False)),
        "dense only": Variant(replace(base, weights=Weights(dense=w.dense, bm25=0, crosslingual=0, named=0))),
        "bm25 only": Variant(replace(base, weights=Weights(dense=0, bm25=w.bm25, crosslingual=0, named=0))),
        "hybrid, no cross-lingual help": Variant(replace(plain, weights=replace(w, crosslingual=0))),
        "(a) glossary": Variant(replace(plain, glossary=glossary, weights=replace(w, crosslingual=0))),
        "(a) glossary + translator": Variant(replace(plain, glossary=glossary, weights=replace(w, crosslingual=0)),
                                             translated=True),
        "(b) multilingual USE": Variant(plain),
        "(c) glossary + USE": Variant(replace(plain, glossary=glossary)),
        "(c) glossary + translator + USE": Variant(replace(plain, glossary=glossary), translated=True),
    }


def evaluate(searcher: Searcher, questions: Sequence[Question], glossary: Mapping[str, str],
             k: int = 5) -> dict[str, dict[str, float]]:
    """recall@k of every variant, for all, English and Chinese questions."""
    groups = {"all": list(questions), "en": [q for q in questions if not q.chinese],
              "zh": [q for q in questions if q.chinese]}
    return {name: {group: round(recall_at_k(searcher.using(v.options), qs, k, translated=v.translated), 3)
                   for group, qs in groups.items()}
            for name, v in variants(searcher.options, glossary).items()}


def table(results: Mapping[str, Mapping[str, float]], k: int = 5) -> str:
    """A Markdown table of evaluate()'s results."""
    lines = [f"| variant | recall@{k} all | English | Chinese |", "|---|---|---|---|"]
    lines += [f"| {name} | {r['all']:.3f} | {r['en']:.3f} | {r['zh']:.3f} |" for name, r in results.items()]
    return "\n".join(lines)
