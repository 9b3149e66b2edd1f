"""End to end with the real local model: store, index, hybrid search, packaged GGUF, checked citations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answers.language import detect_language
from assistant.prompts import SYSTEM
from tests.support.index_support import SMALL_LIBRARY, stored_library
from tests.support.llm import packaged_gguf
from ui.services import Context, make_context, search
from ui.services import answers as service

pytestmark = pytest.mark.llm


@pytest.fixture(scope="module")
def library_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("e2e-home")
    stored_library(home, SMALL_LIBRARY).close()
    return home


@pytest.fixture
def ctx(library_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    monkeypatch.setenv("READPATH_HOME", str(library_home))
    monkeypatch.setenv("READPATH_LLM_MODEL_PATH", str(packaged_gguf()))
    monkeypatch.setenv("READPATH_LLM_TEMPERATURE", "0")
    context = make_context()
    if not (library_home / "index").exists():
        search.index_library(context)
    yield context


def test_english_question_gets_an_english_answer_cited_to_the_page(ctx: Context) -> None:
    answer = service.ask(ctx, "When is the pipeline bubble overhead negligible in GPipe?")
    assert not answer.abstained
    assert answer.language == "en" and detect_language(answer.answer) == "en"
    assert answer.citations, answer.answer
    assert {(c.doc_id, c.page) for c in answer.citations} == {("paper:1811.06965", 2)}
    assert answer.citations[0].url == "https://arxiv.org/pdf/1811.06965#page=2"
    assert "4K" in answer.answer.replace(" ", "") or "four" in answer.answer.lower()


def test_chinese_question_gets_a_chinese_answer_cited_to_the_english_paper(ctx: Context) -> None:
    answer = service.ask(ctx, "梯度检查点如何用计算换取显存？")
    assert not answer.abstained
    assert answer.language == "zh"
    assert detect_language(answer.answer) == "zh", answer.answer
    assert answer.citations, answer.answer
    assert {c.doc_id for c in answer.citations} == {"paper:1604.06174"}


def test_a_question_the_library_cannot_answer_is_declined_in_its_language(ctx: Context) -> None:
    answer = service.ask(ctx, "怎么在家做酸面包？")
    assert answer.abstained
    assert answer.citations == []
    assert answer.language == "zh" and detect_language(answer.answer) == "zh"


def test_warming_up_leaves_only_the_question_to_evaluate(ctx: Context) -> None:
    model = service.chat_model(ctx)
    model.complete([{"role": "user", "content": "hi"}], max_tokens=1, temperature=0)  # the cache holds no SYSTEM
    service.warm_up(ctx)
    before = model.counters()
    model.complete([{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Say OK."}], max_tokens=2,
                   temperature=0)
    evaluated = model.counters()["prompt_tokens"] - before["prompt_tokens"]
    assert 0 < evaluated < 20 < len(model._llama().tokenize(SYSTEM.encode()))  # only the user turn was new
