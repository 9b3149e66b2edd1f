"""Deterministic stand-ins for the assistant's tests: a scripted chat model and a word-overlap retriever."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from assistant.llm.backends import ChatModel, Messages, register_backend
from assistant.prompts import NO_ANSWER
from index.models import Chunk, Hit
from ingest.text import terms

Reply = Callable[[Messages], str]


class ScriptedChatModel(ChatModel):
    """Answers from a queue of replies (or a function of the messages) and records every prompt."""

    name = "scripted"
    model_id = "scripted-1"

    def __init__(self, replies: Sequence[str] = (), reply: Reply | None = None) -> None:
        self.replies = list(replies)
        self.reply = reply
        self.calls: list[Messages] = []

    def enqueue(self, *texts: str) -> None:
        """Add replies, used in order."""
        self.replies.extend(texts)

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float) -> Iterator[str]:
        """The next reply, word by word, as a real model streams."""
        self.calls.append(messages)
        text = self.reply(messages) if self.reply else (self.replies.pop(0) if self.replies else NO_ANSWER)
        yield from re.findall(r"\S+\s*|\s+", text)


def install(model: ScriptedChatModel) -> ScriptedChatModel:
    """Register `model` as the backend "scripted", as a plugin would register a real one."""
    register_backend("scripted", lambda: model)
    return model


class WordRetriever:
    """Ranks chunks by shared words with the query: enough to drive the assistant without an index."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = list(chunks)
        self.queries: list[str] = []

    def search(self, query: str, k: int = 5, *, kinds: list[str] | None = None, topics: list[str] | None = None,
               doc_ids: list[str] | None = None) -> list[Hit]:
        """The k chunks sharing most words with the query (ties in the order given)."""
        self.queries.append(query)
        wanted = terms(query)
        scored = [(len(terms(c.text) & wanted), -i, c) for i, c in enumerate(self.chunks)]
        ranked = sorted((s for s in scored if s[0] > 0), key=lambda s: (s[0], s[1]), reverse=True)
        return [Hit(chunk=c, score=float(score)) for score, _, c in ranked[:k]]


def chunk(doc_id: str, text: str, *, page: int | None = 1, title: str | None = None, kind: str = "paper",
          ordinal: int = 0) -> Chunk:
    """A chunk of a document "<kind>:<source_id>" on one page."""
    source_id = doc_id.split(":", 1)[1]
    return Chunk(chunk_id=f"{doc_id}#{ordinal}", doc_id=doc_id, source_id=source_id, kind=kind,
                 title=title or source_id, text=text, ordinal=ordinal, page_start=page, page_end=page)
