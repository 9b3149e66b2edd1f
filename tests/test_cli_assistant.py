"""`readpath ask`, `chat`, `summarize`, `doctor` through the console entry point, with a scripted model."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.index_support import SMALL_LIBRARY, stored_library
from tests.support.scripted import ScriptedChatModel, install
from ui.cli import main
from ui.services import make_context
from ui.services import search as search_service

BUBBLE = "When is the pipeline bubble overhead negligible?"
BUBBLE_ANSWER = "The bubble overhead is negligible when M >= 4K micro-batches [1]."


@pytest.fixture(scope="module")
def indexed_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cli-home")
    stored_library(home, SMALL_LIBRARY).close()
    search_service.index_library(make_context(home=home, crosslingual=False))
    return home


@pytest.fixture
def home(indexed_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("READPATH_HOME", str(indexed_home))
    monkeypatch.setenv("READPATH_CROSSLINGUAL", "false")
    return indexed_home


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str,
        stdin: str = "") -> tuple[int, str, str]:
    """Run the console entry point in-process: exit code, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["readpath", *args])
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(stdin))
    with pytest.raises(SystemExit) as done:
        main()
        sys.exit(0)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def test_ask_json_has_the_documented_fields(home: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    install(ScriptedChatModel([BUBBLE_ANSWER]))
    code, out, _ = run(monkeypatch, capsys, "ask", BUBBLE, "--json", "--backend", "scripted")
    assert code == 0
    data: dict[str, Any] = json.loads(out)
    assert {"answer", "language", "abstained", "citations"} <= data.keys()
    assert (data["language"], data["abstained"]) == ("en", False)
    (citation,) = data["citations"]
    assert {"key", "doc_id", "source_id", "title", "page", "url", "quote"} <= citation.keys()
    assert (citation["key"], citation["source_id"], citation["page"]) == (1, "1811.06965", 2)
    assert citation["url"] == "https://arxiv.org/pdf/1811.06965#page=2"


def test_ask_streams_the_answer_then_lists_its_sources(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    install(ScriptedChatModel([BUBBLE_ANSWER + " See also [5]."]))
    code, out, _ = run(monkeypatch, capsys, "ask", BUBBLE, "--backend", "scripted")
    assert code == 0
    assert out.startswith(BUBBLE_ANSWER)
    assert "GPipe" in out and "https://arxiv.org/pdf/1811.06965#page=2" in out
    assert "Removed [5]" in out


def test_ask_off_topic_abstains(home: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    model = install(ScriptedChatModel(["Paris [1]."]))
    code, out, _ = run(monkeypatch, capsys, "ask", "What is the capital of France?", "--json", "--backend", "scripted")
    data = json.loads(out)
    assert code == 0 and data["abstained"] and data["citations"] == []
    assert model.calls == []


def test_unknown_backend_is_a_usage_error(home: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(monkeypatch, capsys, "ask", BUBBLE, "--backend", "gpt-magic")
    assert code == 2 and "Unknown backend 'gpt-magic'" in err


def test_chat_keeps_the_conversation_and_rewrites_follow_ups(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    model = install(ScriptedChatModel([BUBBLE_ANSWER, "How does gradient checkpointing save memory?",
                                       "It recomputes activations in the backward pass [1].", "never used"]))
    stdin = f"{BUBBLE}\nAnd how does checkpointing save memory?\n/quit\nignored after quit\n"
    code, out, _ = run(monkeypatch, capsys, "chat", "--backend", "scripted", stdin=stdin)
    assert code == 0
    assert BUBBLE_ANSWER in out and "recomputes activations" in out
    rewrite = model.calls[1][1]["content"]
    assert f"User: {BUBBLE}" in rewrite and BUBBLE_ANSWER in rewrite
    assert model.replies == ["never used"]


def test_summarize_json_and_the_cache(home: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    model = install(ScriptedChatModel(["TL;DR: Pipelines micro-batches.\nKey results:\n- Bubble negligible at "
                                       "M >= 4K with 32 micro-batches [p2]"]))
    code, out, _ = run(monkeypatch, capsys, "summarize", "paper:1811.06965", "--json", "--backend", "scripted")
    assert code == 0
    data = json.loads(out)
    assert data["doc_id"] == "paper:1811.06965" and data["sections"]["tldr"] == "Pipelines micro-batches."
    assert len(model.calls) == 1
    run(monkeypatch, capsys, "summarize", "paper:1811.06965", "--backend", "scripted")
    assert len(model.calls) == 1  # cached


@pytest.mark.parametrize(("args", "code"), [
    (["summarize"], 2), (["summarize", "paper:1811.06965", "--all"], 2),
    (["summarize", "paper:0000.00000", "--backend", "extractive"], 3), (["summarize", "x", "--lang", "fr"], 2),
])
def test_summarize_bad_input(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                             args: list[str], code: int) -> None:
    assert run(monkeypatch, capsys, *args)[0] == code


def test_doctor_checks_each_part_separately_and_names_the_broken_one(
        home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(monkeypatch, capsys, "doctor", "--json", "--backend", "extractive")
    assert code == 0 and all(check["ok"] for check in json.loads(out))
    monkeypatch.setenv("READPATH_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-for-doctor")
    code, out, _ = run(monkeypatch, capsys, "doctor", "--json", "--backend", "openai")
    checks = {c["name"]: c for c in json.loads(out)}
    assert code == 6
    assert checks["embedding model"]["ok"] and checks["index"]["ok"]
    assert not checks["llm backend (openai)"]["ok"]
    assert "127.0.0.1:9" in checks["llm backend (openai)"]["detail"]
    assert "sk-secret-for-doctor" not in out


@pytest.mark.parametrize("command", ["ask", "chat", "summarize", "doctor"])
def test_every_command_has_help_with_an_example(command: str, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(monkeypatch, capsys, command, "--help")
    assert code == 0 and "Example:" in out


def test_ask_doc_answers_from_that_document_only(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    question = "How does the network train with O(sqrt(n)) memory and micro-batches?"
    model = install(ScriptedChatModel(["It splits the mini-batch into micro-batches [1]."]))
    code, out, _ = run(monkeypatch, capsys, "ask", question, "--json", "--backend", "scripted",
                       "--doc", "paper:1811.06965")
    assert code == 0
    assert {c["doc_id"] for c in json.loads(out)["citations"]} <= {"paper:1811.06965"}
    prompts = str(model.calls)
    assert "micro-batches" in prompts and "sqrt(n) layers" not in prompts  # the other paper was never retrieved
    code, _, err = run(monkeypatch, capsys, "ask", question, "--backend", "scripted", "--doc", "paper:0000.00000")
    assert code != 0 and "paper:0000.00000" in err and "readpath library" in err
