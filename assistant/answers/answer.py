"""Cited answers from the library: retrieve, decide coverage, prompt tightly, stream, check citations."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from assistant import prompts
from assistant.answers.citations import Source, check_citations
from assistant.answers.coverage import Coverage, assess, suggest
from assistant.answers.language import detect_language, glossary_pairs
from assistant.llm import ChatModel
from assistant.models import Answer
from index.models import Hit
from ingest.models import Document, Guide
from ingest.text import render_links, split_sentences, terms

TokenCallback = Callable[[str], None]
History = Sequence[tuple[str, str]]  # (question, answer) pairs, oldest first


class Retriever(Protocol):
    """What answers need from the index: the hybrid search."""

    def search(self, query: str, k: int = 5, *, kinds: list[str] | None = None, topics: list[str] | None = None,
               doc_ids: list[str] | None = None) -> list[Hit]:
        """The best chunks for `query`."""
        ...


class DocumentLookup(Protocol):
    """What answers need from the library store: a document's pages, to place a quote on its page."""

    def get(self, doc_id: str, *, with_pages: bool = True) -> Document | None:
        """The stored document, or None."""
        ...


@dataclass(frozen=True)
class AnswerOptions:
    """How much to retrieve and generate."""

    sources: int = 3  # passages in the prompt: 3 of ~100 tokens give the first token in ~3.5 s at 92 tokens/s
    retrieve: int = 6  # passages read to decide whether the library covers the question
    passage_chars: int = 420
    max_tokens: int = 384
    temperature: float = 0.2


class LlmTranslator:
    """The index's Translator, backed by a chat model; remembers what it translated."""

    def __init__(self, model: ChatModel, max_tokens: int = 60) -> None:
        self.model, self.max_tokens = model, max_tokens
        self._memo: dict[tuple[str, str], str] = {}

    def translate(self, text: str, target: str) -> str:
        """`text` in the language `target` ("en" or "zh"); the text itself when the model cannot."""
        if not self.model.generative or detect_language(text) == target:
            return text
        if (text, target) not in self._memo:
            out = self.model.complete(prompts.translate_messages(text, target), max_tokens=self.max_tokens,
                                      temperature=0.0)
            lines = [line.strip() for line in out.strip().splitlines() if line.strip()]
            self._memo[(text, target)] = lines[0] if lines else text
        return self._memo[(text, target)]


def trim_passage(text: str, wanted: set[str], limit: int) -> str:
    """The sentences of a chunk sharing most words with the question, in their order, within `limit`."""
    sentences = split_sentences(text)
    ranked = sorted(range(len(sentences)), key=lambda i: (-len(terms(sentences[i]) & wanted), i))
    chosen: list[int] = []
    used = 0
    for i in ranked:
        if used + len(sentences[i]) > limit and chosen:
            break
        chosen.append(i)
        used += len(sentences[i]) + 1
    passage = " ".join(sentences[i] for i in sorted(chosen))
    return passage[:limit]


def repeats_question(answer: str, question: str) -> bool:
    """True when the answer only restates the question, as the 1.5B model sometimes does: it says nothing."""
    def letters(text: str) -> str:
        return re.sub(r"\[\d+\]|[\W_]+", "", text.lower())

    said, asked = letters(answer), letters(question)
    return bool(said) and (said in asked or (asked in said and len(said) <= 1.2 * len(asked)))


def _closest(hits: Sequence[Hit], wanted: set[str]) -> list[Hit]:
    """Hits by how many of the question's words they hold (figures count double), retrieval order on ties."""
    english = {t for t in wanted if t.isascii()}

    def shared(hit: Hit) -> int:
        return sum(2 if t[0].isdigit() else 1 for t in english & terms(hit.chunk.text))

    return sorted(hits, key=shared, reverse=True)  # sorted is stable: equal scores keep the fused rank


class _HoldSentinel:
    """Passes tokens on, but holds back text that may be the start of the NO_ANSWER sentinel, and takes out
    <source> tags the model copies from the prompt (the 1.5B model sometimes lists sources with them)."""

    def __init__(self, callback: TokenCallback | None) -> None:
        self.callback, self.raw, self.sent = callback, "", 0

    @property
    def text(self) -> str:
        """Everything generated so far, without source tags."""
        return prompts.without_source_tags(self.raw)

    def feed(self, piece: str) -> None:
        """Take the next piece; pass on everything that can no longer turn out to be the sentinel or a tag."""
        self.raw += piece
        shown = self.text
        stripped = shown.lstrip()
        if self.callback is None or prompts.NO_ANSWER.startswith(stripped) or stripped.startswith(prompts.NO_ANSWER):
            return
        if len(shown) > self.sent:
            self.callback(shown[self.sent :])
            self.sent = len(shown)

    def flush(self) -> None:
        """Send what was held back, unless it turned out to be the sentinel."""
        text = self.text
        if self.callback and self.sent < len(text) and prompts.NO_ANSWER not in text:
            self.callback(text[self.sent :])
            self.sent = len(text)


@dataclass
class Assistant:
    """Answers questions from one library with one chat model."""

    model: ChatModel
    retriever: Retriever
    guides: Sequence[Guide] = ()
    library: DocumentLookup | None = None
    titles: dict[str, str] = field(default_factory=dict)  # doc_id -> title of every library document
    options: AnswerOptions = field(default_factory=AnswerOptions)
    translator: LlmTranslator | None = None

    def __post_init__(self) -> None:
        self.translator = self.translator or LlmTranslator(self.model)
        self.glossary: dict[str, str] = {}
        for guide in self.guides:  # the first guide's term wins, as in the index
            for zh, en in guide.glossary.items():
                self.glossary.setdefault(zh, en)

    def warm_up(self) -> None:
        """Load the model and evaluate the system prompt every question starts with, before the first one."""
        self.model.prime(prompts.SYSTEM)

    def ask(self, question: str, history: History | None = None, on_token: TokenCallback | None = None) -> Answer:
        """A cited answer in the question's language, or an abstention naming what would cover it."""
        timings: dict[str, float] = {}
        started = time.perf_counter()
        language = detect_language(question)
        standalone = self._standalone(question, history)
        queries = self._queries(standalone, language)
        timings["prepare_s"] = time.perf_counter() - started
        hits = self.retriever.search(standalone, k=self.options.retrieve)
        timings["retrieval_s"] = time.perf_counter() - started - timings["prepare_s"]
        # Glossary terms widen the wording for passage choice and suggestions, never the names asked about.
        coverage = assess(queries[:2], [h.chunk.text for h in hits], self._titles(hits))
        if not hits or not coverage.covered:
            answer = self._abstain(question, language, queries, coverage, on_token)
        else:
            answer = self._answer(question, standalone, language, hits, queries, on_token, timings)
        answer.standalone_question = standalone if standalone != question else None
        answer.timings = {**timings, **answer.timings, "total_s": time.perf_counter() - started}
        return answer

    def _standalone(self, question: str, history: History | None) -> str:
        if not history:
            return question
        if not self.model.generative:  # no model to rewrite with: the previous question carries the referent
            return f"{history[-1][0]} {question}"
        out = self.model.complete(prompts.rewrite_messages(question, history), max_tokens=80, temperature=0.0)
        lines = [line.strip() for line in out.strip().splitlines() if line.strip()]
        return lines[0] if lines else question

    def _queries(self, question: str, language: str) -> list[str]:
        """The question's wordings: itself, its English translation (when not English), then glossary terms."""
        queries = [question]
        if language != "en" and self.translator is not None:
            queries.append(self.translator.translate(question, "en"))
        pairs = glossary_pairs(question, self.glossary)
        if pairs:
            queries.append(" ".join(en for _, en in pairs))
        return list(dict.fromkeys(queries))

    def _titles(self, hits: Sequence[Hit]) -> list[str]:
        return list(dict.fromkeys([*self.titles.values(), *(h.chunk.title for h in hits)]))

    def _sources(self, hits: Sequence[Hit], queries: Sequence[str]) -> list[Source]:
        wanted = set().union(*(terms(q) for q in queries))
        docs: dict[str, Document | None] = {}
        sources = []
        for key, hit in enumerate(_closest(hits, wanted)[: self.options.sources], start=1):
            # Links as their text: in a guide or a README the URLs would take half the passage budget and tell
            # the model nothing (the citation still links the document).
            passage = trim_passage(render_links(hit.chunk.text), wanted, self.options.passage_chars)
            sources.append(Source(key, hit.chunk, passage, self._page_of(hit, passage, docs)))
        return sources

    def _page_of(self, hit: Hit, passage: str, docs: dict[str, Document | None]) -> int | None:
        """The page the passage is on, when its chunk spans several; the chunk's first page otherwise."""
        chunk = hit.chunk
        if chunk.page_start is None or not chunk.page_end or chunk.page_end == chunk.page_start or not self.library:
            return chunk.page_start
        if chunk.doc_id not in docs:
            docs[chunk.doc_id] = self.library.get(chunk.doc_id)
        doc = docs[chunk.doc_id]
        probe = " ".join(passage.split())[:60]
        for page in doc.pages if doc else []:
            if chunk.page_start <= page.number <= chunk.page_end and probe in " ".join(page.text.split()):
                return page.number
        return chunk.page_start

    def _generate(self, messages: list[dict[str, str]], on_token: TokenCallback | None,
                  timings: dict[str, float]) -> str:
        hold = _HoldSentinel(on_token)
        started = time.perf_counter()
        stream: Iterator[str] = self.model.stream(messages, max_tokens=self.options.max_tokens,
                                                  temperature=self.options.temperature)
        pieces = 0
        for piece in stream:
            if pieces == 0:
                timings["first_token_s"] = time.perf_counter() - started
            pieces += 1
            hold.feed(piece)
        hold.flush()
        timings["generation_s"] = time.perf_counter() - started
        timings["tokens"] = float(pieces)
        return hold.text.strip()

    def _answer(self, question: str, standalone: str, language: str, hits: Sequence[Hit], queries: list[str],
                on_token: TokenCallback | None, timings: dict[str, float]) -> Answer:
        sources = self._sources(hits, queries)
        shown = [prompts.PromptSource(s.key, s.chunk.title, s.passage, f"page {s.page}" if s.page else
                                      (s.chunk.heading_path or "")) for s in sources]
        pairs = glossary_pairs(standalone, self.glossary)
        text = self._generate(prompts.answer_messages(standalone, shown, language, pairs), on_token, timings)
        checked = check_citations(text, sources)
        # The sentinel, text no source supports (an answer from memory), or the question said back.
        if not checked.citations or repeats_question(checked.text, standalone):
            if on_token and prompts.NO_ANSWER not in text:
                on_token(f"\n{prompts.WITHDRAWN[language]}\n")
            return self._abstain(question, language, queries, Coverage(False), on_token)
        return Answer(question=question, answer=checked.text, language=language, abstained=False,
                      citations=checked.citations, dropped_citations=checked.dropped)

    def _abstain(self, question: str, language: str, queries: list[str], coverage: Coverage,
                 on_token: TokenCallback | None) -> Answer:
        lines = [prompts.ADJACENT[language].format(title=t, name=n) for n, t in coverage.adjacent[:1]]
        lines.append(prompts.ABSTAIN[language])
        library_ids = {doc_id.split(":", 1)[-1] for doc_id in self.titles}
        refs = suggest(self.guides, queries, library_ids, coverage.missing)
        if refs:
            items = "; ".join(f"{r.title} ({r.source_id})" if r.source_id != r.title else r.title for r in refs)
            lines.append(prompts.SUGGEST[language].format(items=items))
        text = " ".join(lines)
        if on_token:
            on_token(text)
        return Answer(question=question, answer=text, language=language, abstained=True,
                      suggestions=[r.title for r in refs])

