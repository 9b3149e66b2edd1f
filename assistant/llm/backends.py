"""The ChatModel interface and its backends: local GGUF, OpenAI-compatible, Ollama, extractive.

Each backend is one class with its capabilities as class attributes; `make_chat_model` builds one
by name from plain parameters, so the service layer can hand it every setting at once.
"""

from __future__ import annotations

import inspect
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from assistant.errors import BackendUnavailable
from assistant.llm import local_model
from assistant.prompts import NO_ANSWER, parse_sources
from ingest.errors import InputError
from ingest.text import split_sentences, terms

Messages = list[dict[str, str]]


class ChatModel(ABC):
    """A chat model: messages in, text out, whole or streamed."""

    name: ClassVar[str]
    needs_key: ClassVar[bool] = False
    generative: ClassVar[bool] = True  # False: cannot translate or rewrite, only answer from sources
    model_id: str = ""  # names the model in summary caches and reports

    @abstractmethod
    def stream(self, messages: Messages, *, max_tokens: int, temperature: float) -> Iterator[str]:
        """The answer to `messages`, piece by piece as the model writes it."""

    def complete(self, messages: Messages, *, max_tokens: int, temperature: float) -> str:
        """The whole answer to `messages`."""
        return "".join(self.stream(messages, max_tokens=max_tokens, temperature=temperature))

    def check(self) -> str:
        """A line saying the backend is usable; raises BackendUnavailable saying what is wrong."""
        return f"{self.name}: {self.model_id}"

    def prime(self, system: str) -> None:
        """Evaluate the fixed system prompt ahead of the first request; only an in-process model keeps it."""
        return None  # a server-side backend caches (or not) on its own


class LocalChatModel(ChatModel):
    """A GGUF model run in-process by llama.cpp, with the chat template stored in the GGUF (ChatML)."""

    name = "local"

    def __init__(self, models_dir: Path, model_path: Path | None = None, threads: int = 2, context: int = 4096):
        self.models_dir, self.model_path, self.threads, self.context = models_dir, model_path, threads, context
        self.model_id = model_path.name if model_path else local_model.PACKAGED_NAME
        self._lock = threading.Lock()  # one llama.cpp context: generations must not interleave

    def _llama(self) -> Any:
        path = local_model.resolve_model(self.models_dir, self.model_path)
        return local_model.load_llama(path, threads=self.threads, context=self.context)

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float) -> Iterator[str]:
        """Tokens from llama.cpp's chat completion, which applies the GGUF's own template."""
        llama = self._llama()
        with self._lock:
            chunks = llama.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=temperature, stream=True
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece

    def prime(self, system: str) -> None:
        """Load the model and leave `system` evaluated in its cache: llama.cpp reuses the longest prefix a new
        prompt shares with the last one, so the first question then pays only for its own tokens."""
        llama = self._llama()
        with self._lock:
            llama.create_chat_completion(messages=[{"role": "system", "content": system}], max_tokens=1)

    def counters(self) -> dict[str, float]:
        """llama.cpp's running totals for this model (see local_model.perf_counters)."""
        return local_model.perf_counters(self._llama())

    def check(self) -> str:
        """Assemble, verify and load the GGUF (no generation)."""
        path = local_model.resolve_model(self.models_dir, self.model_path)
        self._llama()
        verified = ", sha256 verified" if self.model_path is None else ""
        return f"local: {path} ({path.stat().st_size / 2**30:.2f} GiB{verified}, {self.threads} threads, loaded)"


class _LlamaIndexChatModel(ChatModel):
    """A backend built on a llama-index LLM integration; subclasses make the LLM per call settings."""

    where = ""

    @abstractmethod
    def _llm(self, max_tokens: int, temperature: float) -> Any: ...

    @abstractmethod
    def _errors(self) -> tuple[type[BaseException], ...]: ...

    def _explain(self, exc: BaseException) -> str:
        return f"{self.name} backend at {self.where} failed: {exc}"

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float) -> Iterator[str]:
        """Deltas of llama-index's stream_chat, connection failures as BackendUnavailable."""
        from llama_index.core.llms import ChatMessage

        chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
        try:
            for response in self._llm(max_tokens, temperature).stream_chat(chat):
                if response.delta:
                    yield response.delta
        except self._errors() as exc:
            raise BackendUnavailable(self._explain(exc)) from exc


def _require(module: str, package: str) -> None:
    try:
        __import__(module)
    except ImportError as exc:
        raise BackendUnavailable(f"{module} is not installed: pip install {package}") from exc


class OpenAIChatModel(_LlamaIndexChatModel):
    """Any OpenAI-compatible server (OpenAI, DeepSeek, vLLM, llama.cpp server, LM Studio)."""

    name = "openai"
    needs_key = True

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 60.0):
        _require("llama_index.llms.openai_like", "llama-index-llms-openai-like")
        from llama_index.llms.openai_like import OpenAILike

        self.where, self.model_id, self._key = base_url.rstrip("/"), model, api_key
        # Local servers accept any key; OpenAI itself answers 401, which check() explains.
        self._client = OpenAILike(
            model=model, api_base=self.where, api_key=api_key or "no-key", is_chat_model=True,
            max_tokens=None, timeout=timeout, max_retries=2,
        )

    def __repr__(self) -> str:  # never the key
        return f"OpenAIChatModel(base_url={self.where!r}, model={self.model_id!r})"

    def _llm(self, max_tokens: int, temperature: float) -> Any:
        return self._client.model_copy(update={"max_tokens": max_tokens, "temperature": temperature})

    def _errors(self) -> tuple[type[BaseException], ...]:
        import httpx
        import openai

        return (openai.APIError, httpx.HTTPError)

    def _explain(self, exc: BaseException) -> str:
        text = super()._explain(exc)
        text = text.replace(self._key, "***") if self._key else text
        if "401" in text or "uthentication" in text:
            text += " (check READPATH_OPENAI_API_KEY or OPENAI_API_KEY)"
        return text

    def check(self) -> str:
        """List the server's models: proves the URL and key without spending tokens."""
        import httpx

        headers = {"Authorization": f"Bearer {self._key or 'no-key'}"}
        try:
            response = httpx.get(f"{self.where}/models", headers=headers, timeout=10)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise BackendUnavailable(self._explain(exc)) from exc
        names = [m.get("id", "") for m in response.json().get("data", [])]
        note = "" if not names or self.model_id in names else f" (model {self.model_id!r} not listed: {names[:5]})"
        return f"openai: {self.where}, model {self.model_id}{note}"


class OllamaChatModel(_LlamaIndexChatModel):
    """A model served by Ollama."""

    name = "ollama"

    def __init__(self, host: str, model: str, context: int = 4096, timeout: float = 120.0):
        _require("llama_index.llms.ollama", "llama-index-llms-ollama")
        from llama_index.llms.ollama import Ollama

        self.where, self.model_id = host.rstrip("/"), model
        # context_window given so llama-index does not ask the server for it on every call
        self._client = Ollama(model=model, base_url=self.where, context_window=context, request_timeout=timeout)

    def _llm(self, max_tokens: int, temperature: float) -> Any:
        options = {"num_predict": max_tokens}  # Ollama's name for max_tokens
        return self._client.model_copy(update={"temperature": temperature, "additional_kwargs": options})

    def _errors(self) -> tuple[type[BaseException], ...]:
        import httpx
        import ollama

        return (ollama.ResponseError, httpx.HTTPError, ConnectionError)

    def check(self) -> str:
        """Ask the server which models it has pulled."""
        import httpx

        try:
            response = httpx.get(f"{self.where}/api/tags", timeout=10)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{self._explain(exc)}: is `ollama serve` running?") from exc
        names = [m.get("name", "") for m in response.json().get("models", [])]
        if not any(n == self.model_id or n.split(":")[0] == self.model_id for n in names):
            raise BackendUnavailable(
                f"Ollama at {self.where} has no model {self.model_id!r}: run `ollama pull {self.model_id}`")
        return f"ollama: {self.where}, model {self.model_id}"


class ExtractiveChatModel(ChatModel):
    """No LLM: answers with the source sentences that share most words with the question."""

    name = "extractive"
    generative = False
    model_id = "extractive"

    def __init__(self, sentences: int = 3):
        self.sentences = sentences

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float) -> Iterator[str]:
        """The best-matching sentences, each followed by its source key."""
        question, sources = parse_sources(messages[-1]["content"])
        wanted = terms(question)
        scored = [
            (len(terms(sentence) & wanted), -key, sentence)
            for key, text in sources
            for sentence in split_sentences(text)
        ]
        picked = sorted((s for s in scored if s[0] > 0), reverse=True)[: self.sentences]
        if not picked:  # no shared words (a Chinese question over English text): lead sentences
            picked = [(0, -key, split_sentences(text)[0]) for key, text in sources[:2] if split_sentences(text)]
        if not picked:
            yield NO_ANSWER
            return
        for _, neg_key, sentence in picked:
            yield f"{sentence} [{-neg_key}]\n"


_BACKENDS: dict[str, Callable[..., ChatModel]] = {
    "local": LocalChatModel,
    "openai": OpenAIChatModel,
    "ollama": OllamaChatModel,
    "extractive": ExtractiveChatModel,
}


def register_backend(name: str, factory: Callable[..., ChatModel]) -> None:
    """Make a backend available to `make_chat_model` under `name` (tests register fakes here)."""
    _BACKENDS[name] = factory


def backend_names() -> list[str]:
    """The names `make_chat_model` accepts."""
    return sorted(_BACKENDS)


def make_chat_model(backend: str, **params: Any) -> ChatModel:
    """The chat model `backend`, given the parameters it takes; others are ignored."""
    try:
        factory = _BACKENDS[backend]
    except KeyError:
        raise InputError(f"Unknown LLM backend {backend!r}: choose one of {', '.join(backend_names())}.") from None
    # One settings dict serves every backend, so each takes only the parameters it names.
    accepted = inspect.signature(factory).parameters
    return factory(**{k: v for k, v in params.items() if k in accepted})
