"""The assistant service: cited answers, summaries and health checks, composed from Settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.answers import AnswerOptions, Assistant, LlmTranslator, TokenCallback
from assistant.errors import BackendUnavailable
from assistant.llm import ChatModel, make_chat_model
from assistant.models import Answer, Summary
from assistant.summaries import LibraryContext, Progress, Summarizer, SummaryOptions, library_context
from index.errors import EmbeddingModelMissing, IndexError_
from ingest.errors import InputError, ReadpathError, SourceNotFound
from ingest.models import DocKind, DocStatus, Guide
from ui.services import SETTINGS, Context, ResourceFamily
from ui.services import search as search_service
from ui.services.guides import load_guides
from ui.services.library import open_store
from ui.settings import Settings

SUMMARY_KINDS = (DocKind.PAPER, DocKind.REPO, DocKind.FILE)


def chat_params(settings: Settings, backend: str) -> dict[str, Any]:
    """The parameters of one backend, from Settings (the key stays inside, never printed)."""
    if backend == "openai":
        return {"base_url": settings.openai_base_url, "model": settings.openai_model,
                "api_key": settings.openai_key_value, "timeout": settings.http_timeout_s}
    if backend == "ollama":
        return {"host": settings.ollama_host, "model": settings.ollama_model, "context": settings.llm_context}
    return {"models_dir": settings.home / "models", "model_path": settings.llm_model_path,
            "threads": settings.llm_threads, "context": settings.llm_context}


CHAT_MODEL: ResourceFamily[ChatModel] = ResourceFamily(
    "chat_model", lambda ctx, name: make_chat_model(name, **chat_params(ctx.settings, name)),
    depends_on=lambda name: (SETTINGS,))
TRANSLATOR: ResourceFamily[LlmTranslator] = ResourceFamily(
    "translator", lambda ctx, name: LlmTranslator(ctx.get(CHAT_MODEL.of(name))),
    depends_on=lambda name: (CHAT_MODEL.of(name),))


def chat_model(ctx: Context, backend: str | None = None) -> ChatModel:
    """The chat model of `backend` (default: the llm_backend setting), built once per context."""
    return ctx.get(CHAT_MODEL.of(backend or ctx.settings.llm_backend))


def _guides() -> list[Guide]:
    try:
        return load_guides()
    except InputError:
        return []  # no readable seed guide: answers still work, without glossary or suggestions


def assistant(ctx: Context, backend: str | None = None, doc_ids: Sequence[str] = ()) -> Assistant:
    """An Assistant over the current index (rebuilt per call: the searcher changes after indexing), its
    retrieval limited to `doc_ids` when given."""
    settings = ctx.settings
    model = chat_model(ctx, backend)
    translator = ctx.get(TRANSLATOR.of(backend or settings.llm_backend))
    # The searcher never calls the translator: a Chinese question is searched by its glossary terms, jieba
    # words and the multilingual ranking, and a translation joins later as `Query.translated` (docs/benchmarks.md,
    # "Chinese without waiting"); when to translate is the answer flow's choice.
    retriever = search_service.searcher(ctx)
    retriever = retriever.scoped(doc_ids) if doc_ids else retriever
    store = open_store(ctx)
    titles = {s.doc_id: s.title for s in store.summaries(status=DocStatus.OK)}
    passages = settings.answer_passages
    options = AnswerOptions(sources=passages, retrieve=max(settings.top_k, 2 * passages),
                            max_tokens=settings.llm_max_tokens, temperature=settings.llm_temperature)
    return Assistant(model=model, retriever=retriever, guides=_guides(), library=store, titles=titles,
                     options=options, translator=translator)


def ask(ctx: Context, question: str, history: Sequence[tuple[str, str]] | None = None, backend: str | None = None,
        stream_callback: TokenCallback | None = None, doc_ids: Sequence[str] = ()) -> Answer:
    """A cited answer from the library (or from the documents `doc_ids`), streamed through `stream_callback`."""
    if not question.strip():
        raise InputError("Ask a question: the text is empty.")
    return assistant(ctx, backend, doc_ids).ask(question.strip(), history=history, on_token=stream_callback)


def warm_up(ctx: Context, backend: str | None = None) -> None:
    """Load the index and the chat model and prime the model's prompt cache, so the first question is quick."""
    assistant(ctx, backend).warm_up()


def summarizer(ctx: Context, backend: str | None = None) -> Summarizer:
    """A Summarizer caching in `<home>/cache/summaries/`."""
    settings = ctx.settings
    options = SummaryOptions(context=settings.llm_context, temperature=settings.llm_temperature)
    return Summarizer(chat_model(ctx, backend), settings.home / "cache" / "summaries", options)


def summarize(ctx: Context, doc_id: str, lang: str | None = None, backend: str | None = None,
              progress: Progress | None = None) -> Summary:
    """The structured summary of one library document, in `lang` (default: the language setting)."""
    store = open_store(ctx)
    doc = store.get(doc_id)
    if doc is None:
        raise SourceNotFound(f"No document {doc_id!r} in the library; `readpath library list` shows the ids.")
    context: LibraryContext = library_context(doc, store.list(), store.citations(doc_id), _guides())
    return summarizer(ctx, backend).summarize(doc, lang or ctx.settings.language, context, progress)


def summarizable(ctx: Context) -> list[str]:
    """The ids of the stored papers, repositories and files that can be summarised."""
    return [s.doc_id for s in open_store(ctx).summaries(status=DocStatus.OK) if s.kind in SUMMARY_KINDS]


@dataclass(frozen=True)
class Check:
    """One line of `readpath doctor`: what was checked, whether it is fine, and what to do if not."""

    name: str
    ok: bool
    detail: str


def _check(name: str, probe: Callable[[], str]) -> Check:
    try:
        return Check(name, True, probe())
    except (ReadpathError, OSError) as exc:
        return Check(name, False, str(exc))


def _embedding(ctx: Context) -> str:
    embedder = search_service.embedder(ctx)
    try:
        vector = embedder.embed_batch(["readpath doctor"])[0]
    except (OSError, RuntimeError) as exc:
        raise EmbeddingModelMissing(f"The embedding model loaded but cannot encode: {exc}") from exc
    return f"{embedder.name}: {len(vector)} dimensions"


def _index(ctx: Context) -> str:
    try:
        return f"{len(search_service.searcher(ctx))} chunks indexed"
    except IndexError_ as exc:
        raise IndexError_(f"{exc} (run `readpath index` after ingesting)") from exc


def doctor(ctx: Context, backend: str | None = None) -> list[Check]:
    """Separate checks of the embedding model, the index and the chosen LLM backend."""
    name = backend or ctx.settings.llm_backend

    def llm() -> str:
        try:
            return chat_model(ctx, name).check()
        except ImportError as exc:
            raise BackendUnavailable(f"{exc}: reinstall readpath") from exc

    return [_check("embedding model", lambda: _embedding(ctx)), _check("index", lambda: _index(ctx)),
            _check(f"llm backend ({name})", llm)]
