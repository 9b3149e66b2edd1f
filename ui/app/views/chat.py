"""Chat page: streamed answers from the library, each citation a chip that opens the cited page."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import streamlit as st

from assistant.llm import backend_names
from assistant.models import Answer
from ingest.models import DocKind, DocStatus, Reference, RefKind
from ui.app import data, resources
from ui.app.adding import add_and_index, show_report
from ui.app.citation_view import open_citation
from ui.app.i18n import t
from ui.app.widgets import attempt, call, session_token
from ui.services import answers

TURNS_KEY = "chat_turns"
FETCHABLE = (RefKind.ARXIV, RefKind.GITHUB, RefKind.PDF_URL)


@dataclass
class Turn:
    """One question and what came back: an answer, or the error shown instead."""

    question: str
    answer: Answer | None = None
    error: str | None = None


def turns() -> list[Turn]:
    """This session's conversation; the same list lives in the process store, so a reload finds it."""
    if TURNS_KEY not in st.session_state:
        st.session_state[TURNS_KEY] = resources.conversations().setdefault(session_token(), [])
    conversation: list[Turn] = st.session_state[TURNS_KEY]
    return conversation


def new_chat() -> None:
    """Forget the conversation, here and in the process store."""
    turns().clear()


def _stream(question: str, history: list[tuple[str, str]], backend: str) -> tuple[Iterator[str], Future[Answer]]:
    """The answer's pieces as the model writes them, and the finished Answer (or its error) after."""
    pieces: queue.Queue[str | None] = queue.Queue()
    # The service calls back from its own thread; Streamlit elements are only written from this one.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readpath-answer")
    future = pool.submit(answers.ask, resources.context(), question, history=history, backend=backend,
                         stream_callback=pieces.put)
    future.add_done_callback(lambda _: pieces.put(None))
    pool.shutdown(wait=False)

    def tokens() -> Iterator[str]:
        while (piece := pieces.get()) is not None:
            yield piece

    return tokens(), future


def ask(question: str, backend: str) -> None:
    """Show the question, stream the answer, then replace it by the checked answer with its chips."""
    conversation = turns()
    # The last four exchanges: enough to resolve "it" and "that paper", small enough for a 4k context.
    history = [(turn.question, turn.answer.answer) for turn in conversation if turn.answer][-4:]
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        live = st.empty()
        tokens, future = _stream(question, history, backend)
        with live.container():
            st.write_stream(tokens)
        answer, error = attempt(future.result)
        live.empty()
    conversation.append(Turn(question, answer, error))
    st.rerun()  # draw the finished turn like the earlier ones, chips included


def show_suggestions(answer: Answer, index: int) -> None:
    """Guide papers that would answer the question, each with a button that adds it to the library."""
    guides = call(resources.guides) or []
    by_title = {ref.title: ref for guide in guides for ref in guide.references}
    for number, title in enumerate(answer.suggestions):
        ref: Reference | None = by_title.get(title)
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(f"- **{title}**" + (f" · `{ref.source_id}`" if ref and ref.source_id != title else ""))
        if ref and ref.kind in FETCHABLE and right.button(t("chat.add_button"), key=f"add-{index}-{number}",
                                                          icon=":material/add:"):
            report = add_and_index([ref.source_id])
            if report is not None:
                show_report(report)


def show_turn(turn: Turn, index: int) -> None:
    """One earlier question and its answer, with citation chips or the abstention's suggestions."""
    with st.chat_message("user"):
        st.markdown(turn.question)
    with st.chat_message("assistant"):
        if turn.answer is None:
            st.error(turn.error or t("chat.no_answer"), icon=":material/error:")
            return
        st.markdown(turn.answer.answer)
        if turn.answer.abstained:
            show_suggestions(turn.answer, index)
        show_chips(turn.answer, index)


def show_chips(answer: Answer, index: int) -> None:
    """One chip per citation, in a row; a click opens the cited page."""
    chips = st.container(horizontal=True, gap="small")
    for citation in answer.citations:
        label = f"[{citation.key}] {citation.title[:48]}" + (f" · p.{citation.page}" if citation.page else "")
        if chips.button(label, key=f"cite-{index}-{citation.key}", icon=":material/description:",
                        help=citation.quote[:300]):
            open_citation(citation)


def header() -> str:
    """Title, the backend and model in use, a backend picker and "new chat"; returns the backend."""
    title, picker, fresh = st.columns([5, 2, 1], vertical_alignment="bottom")
    title.title(t("chat.title"))
    settings = resources.context().settings
    backends = backend_names()
    chosen = backends.index(settings.llm_backend) if settings.llm_backend in backends else 0
    backend = picker.selectbox(t("chat.backend"), backends, index=chosen, key="chat_backend",
                               format_func=data.backend_label)
    fresh.button(t("chat.new"), icon=":material/add_comment:", on_click=new_chat, key="chat_new")
    st.caption(data.backend_line(backend))
    return backend


def welcome() -> str | None:
    """The empty chat: what to ask, with example questions one click away; returns the one clicked."""
    if not any(row.status is DocStatus.OK and row.kind is not DocKind.GUIDE for row in data.listing().values()):
        st.warning(t("chat.empty_library"), icon=":material/library_add:")
        st.page_link("views/add.py", label=t("nav.add"), icon=":material/add_circle:")
    st.info(t("chat.welcome"), icon=":material/waving_hand:")
    return st.pills(t("chat.examples"), [t(f"chat.example_{n}") for n in range(1, 4)], key="chat_pills")


def page() -> None:
    """Render the chat page."""
    backend = header()
    conversation = turns()
    for index, turn in enumerate(conversation):
        show_turn(turn, index)
    example = welcome() if not conversation else None
    question = st.chat_input(t("chat.placeholder"), key="chat_input") or example
    if question:
        ask(question, backend)


page()
