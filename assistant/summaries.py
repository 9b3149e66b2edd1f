"""Structured summaries of papers and repositories: notes per window of pages, one summary, cached as JSON.

What the model writes (TL;DR, problem, idea, method, results, limitations) comes from the text;
what the library knows (prerequisites, related papers, papers a repository implements) is looked up,
never generated, so it cannot be invented.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant import prompts
from assistant.answers import name_pattern, source_url
from assistant.llm import ChatModel
from assistant.models import Citation, Summary
from index.models import Chunk
from ingest.models import CitationLink, DocKind, Document, Guide, Page
from ingest.store import write_text_atomic
from ingest.text import short_name, split_sentences

Progress = Callable[[int, int], None]  # (steps done, steps in all)
CHARS_PER_TOKEN = 3.5  # English paper text in Qwen's tokenizer, measured on the corpus PDFs
_PAGE_KEY = re.compile(r"\[p(\d+)\]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_START_WORDS = re.compile(r"install|quick ?start|getting started|usage|example|build", re.IGNORECASE)


@dataclass(frozen=True)
class SummaryOptions:
    """The model's context and how much it may write."""

    context: int = 4096
    max_tokens: int = 512
    notes_tokens: int = 200
    temperature: float = 0.2

    @property
    def window_chars(self) -> int:
        """Characters of source text that fit one prompt beside the instructions and the answer."""
        return int((self.context - self.max_tokens - 300) * CHARS_PER_TOKEN)


@dataclass(frozen=True)
class LibraryContext:
    """What the library itself says around a document (looked up, not generated)."""

    prerequisites: list[str]
    related: list[str]
    implements: list[str]


def library_context(doc: Document, catalog: Sequence[Document], links: Sequence[CitationLink],
                    guides: Sequence[Guide] = ()) -> LibraryContext:
    """Read-first topics and papers, related papers and (for a repository) the papers it implements."""
    titles = {d.doc_id: d.title for d in catalog}
    labels = {n.node_id: n.label_en or n.label for guide in guides for n in guide.root.walk()}
    cites = [titles[link.cited] for link in links if link.citing == doc.doc_id and link.cited in titles]
    cited_by = [titles[link.citing] for link in links if link.cited == doc.doc_id and link.citing in titles]
    shared = [d.title for d in catalog if d.doc_id != doc.doc_id and d.kind == DocKind.PAPER
              and set(d.topics) & set(doc.topics)]
    prerequisites = [f"topic: {labels.get(t, t)}" for t in doc.topics] + cites
    implements = []
    if doc.kind == DocKind.REPO:
        for paper in (d for d in catalog if d.kind == DocKind.PAPER):
            name = short_name(paper.title)
            if paper.source_id in doc.text or (name and name_pattern(name).search(doc.text)):
                implements.append(paper.title)
    return LibraryContext(list(dict.fromkeys(prerequisites)), list(dict.fromkeys(cited_by + shared))[:6], implements)


def body_pages(doc: Document) -> list[Page]:
    """The pages before the reference list (the references cost tokens and say nothing new)."""
    start = next((s.page for s in doc.sections if s.title.strip().lower() in ("references", "bibliography")), None)
    return [p for p in doc.pages if start is None or p.number < start] or doc.pages


def windows(pages: Sequence[Page], limit: int) -> list[str]:
    """Page-marked text in windows of at most `limit` characters; a page longer than that is cut."""
    out, current = [], ""
    for page in pages:
        block = f"{prompts.PAGE_MARK.format(page=page.number)} {' '.join(page.text.split())}"[:limit]
        if current and len(current) + len(block) + 1 > limit:
            out.append(current)
            current = ""
        current = f"{current}\n{block}" if current else block
    return [*out, current] if current else out


def parse_sections(text: str, headings: dict[str, str]) -> dict[str, str]:
    """The text under each heading label ("TL;DR:", "**Method:**", "## Key results"), by key."""
    by_label = {label.lower(): key for key, label in headings.items()}
    labels = "|".join(re.escape(label) for label in headings.values())
    pattern = re.compile(rf"^[#*\s\-]*({labels})[*\s]*[:：][*\s]*", re.IGNORECASE | re.MULTILINE)
    found = list(pattern.finditer(text))
    sections = dict.fromkeys(headings, "")
    ends = [m.start() for m in found[1:]] + [len(text)] if found else []
    for match, end in zip(found, ends, strict=True):
        sections[by_label[match.group(1).lower()]] = text[match.end() : end].strip()
    if not found and text.strip():
        # A model (or the extractive backend) that wrote no headings: keep its text as the TL;DR.
        sections[next(iter(headings))] = text.strip()
    return sections


def _page_with(numbers: list[str], pages: Sequence[Page]) -> Page | None:
    return next((p for p in pages if all(n in p.text for n in numbers)), None)


def check_pages(text: str, doc: Document) -> tuple[str, list[Citation]]:
    """Each [pN] pointed at a page that holds the claim's numbers; marked [p?] where none does."""
    chunk = Chunk(doc.doc_id, doc.doc_id, doc.source_id, doc.kind.value, doc.title, "", 0)
    pages = body_pages(doc)
    by_number = {p.number: p for p in doc.pages}
    lines, citations = [], {}
    for line in text.splitlines():
        numbers = [n for n in _NUMBER.findall(_PAGE_KEY.sub("", line)) if len(n.replace(".", "")) > 1 or "." in n]
        cited = [int(n) for n in _PAGE_KEY.findall(line)]
        if numbers and cited:
            named = [by_number[n] for n in cited if n in by_number]
            page = _page_with(numbers, named) or _page_with(numbers, pages)
            mark = prompts.PAGE_MARK.format(page=page.number) if page else "[p?]"
            line = _PAGE_KEY.sub("", line).rstrip() + f" {mark}"
            if page:
                quote = next((s for s in split_sentences(page.text) if numbers[0] in s), "")
                citations[page.number] = Citation(page.number, doc.doc_id, doc.source_id, doc.title, page.number,
                                                  source_url(chunk, page.number), quote[:320])
        lines.append(line)
    return "\n".join(lines), list(citations.values())


def cache_key(doc: Document, model_id: str, language: str) -> str:
    """The cache key of a summary: (document content hash, model, language)."""
    content = doc.content_hash or hashlib.sha256(doc.text.encode()).hexdigest()
    return hashlib.sha256(f"{content}|{model_id}|{language}".encode()).hexdigest()[:32]


class Summarizer:
    """Writes and caches summaries with one chat model."""

    def __init__(self, model: ChatModel, cache_dir: Path, options: SummaryOptions | None = None) -> None:
        self.model, self.cache_dir, self.options = model, cache_dir, options or SummaryOptions()

    def cached(self, doc: Document, language: str) -> Summary | None:
        """The stored summary for this document version, model and language, if there is one."""
        path = self.cache_dir / f"{cache_key(doc, self.model.model_id, language)}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["citations"] = [Citation(**c) for c in data.get("citations", [])]
            return Summary(**data)
        except (OSError, ValueError, TypeError):
            return None  # absent or from an older format: write it again

    def summarize(self, doc: Document, language: str, context: LibraryContext,
                  progress: Progress | None = None) -> Summary:
        """The summary of `doc` in `language`, from the cache when this version was done before."""
        summary = self.cached(doc, language)
        if summary is None:
            summary = self._repo(doc, language, context) if doc.kind == DocKind.REPO else \
                self._paper(doc, language, context, progress)
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            path = self.cache_dir / f"{cache_key(doc, self.model.model_id, language)}.json"
            write_text_atomic(path, json.dumps(dataclasses.asdict(summary), ensure_ascii=False, indent=1))
        return summary

    def _complete(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        return self.model.complete(messages, max_tokens=max_tokens, temperature=self.options.temperature)

    def _material(self, doc: Document, progress: Progress | None) -> str:
        """The paper itself when it fits one prompt, else notes taken window by window."""
        parts = windows(body_pages(doc), self.options.window_chars)
        if len(parts) <= 1:
            return parts[0] if parts else doc.abstract
        notes = []
        for done, part in enumerate(parts, start=1):
            notes.append(self._complete(prompts.notes_messages(doc.title, part), self.options.notes_tokens))
            if progress:
                progress(done, len(parts) + 1)
        share = self.options.window_chars // len(notes)  # many windows: each note gets its share of the prompt
        return "\n".join(note.strip()[:share] for note in notes)

    def _paper(self, doc: Document, language: str, context: LibraryContext, progress: Progress | None) -> Summary:
        material = self._material(doc, progress)
        text = self._complete(prompts.summary_messages(doc.title, material, language), self.options.max_tokens)
        sections = parse_sections(text, prompts.SUMMARY_HEADINGS)
        sections["results"], citations = check_pages(sections["results"], doc)
        sections["prerequisites"] = "\n".join(f"- {p}" for p in context.prerequisites)
        sections["related"] = "\n".join(f"- {r}" for r in context.related)
        if progress:
            progress(1, 1)
        return Summary(doc.doc_id, language, self.model.model_id, sections, citations)

    def _repo(self, doc: Document, language: str, context: LibraryContext) -> Summary:
        # The opening section says what it is; install and quick-start sections say how to start.
        pages = doc.pages[:1] + [p for p in doc.pages[1:] if _START_WORDS.search(p.heading or "")]
        material = "\n\n".join(f"{p.heading or ''}\n{p.text}" for p in pages)[: self.options.window_chars]
        text = self._complete(prompts.summary_messages(doc.title, material or doc.abstract, language, repo=True),
                              self.options.max_tokens)
        sections = parse_sections(text, prompts.REPO_HEADINGS)
        sections["implements"] = "\n".join(f"- {t}" for t in context.implements)
        sections["related"] = "\n".join(f"- {r}" for r in context.related)
        return Summary(doc.doc_id, language, self.model.model_id, sections, [])
