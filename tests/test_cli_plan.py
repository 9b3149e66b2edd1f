"""`readpath plan …` through Typer's runner: the JSON shape, saving, progress, export and the LLM path."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.support.scripted import ScriptedChatModel
from ui.cli import app
from ui.services import plans as plan_service

runner = CliRunner()
GOAL = ["plan", "--goal", "LLM distributed training", "--hours", "5", "--weeks", "6"]
ITEM_KEYS = {"id", "kind", "source_id", "title", "hours", "why", "requires", "questions"}


def invoke(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result


def build(*extra: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(invoke(*GOAL, "--json", "--no-llm", *extra).stdout)
    return data


def test_plan_json_has_the_promised_shape(readpath_home: Path) -> None:
    data = build()
    assert {"weeks", "skipped", "left_out", "goal", "hours_per_week"} <= data.keys()
    assert [w["week"] for w in data["weeks"]] == [1, 2, 3, 4, 5, 6]
    for week in data["weeks"]:
        assert {"week", "hours", "items"} <= week.keys() and week["hours"] <= 5
        for item in week["items"]:
            assert item.keys() >= ITEM_KEYS and item["why"] and len(item["questions"]) == 3
    ids = [i["id"] for w in data["weeks"] for i in w["items"]]
    assert ids.index("arxiv:1811.06965") < ids.index("arxiv:1909.08053")
    assert data["left_out"] and {"id", "title", "hours", "week", "weeks_needed"} <= data["left_out"][0].keys()
    saved = json.loads((readpath_home / "plans" / "current.json").read_text(encoding="utf-8"))
    assert saved == data


def test_know_lang_and_prefer_reach_the_plan() -> None:
    data = build("--know", "parallelism", "--lang", "zh", "--prefer", "papers")
    ids = {i["id"] for w in data["weeks"] for i in w["items"]}
    assert "arxiv:1909.08053" not in ids and any(e["id"] == "arxiv:1909.08053" for e in data["skipped"])
    assert data["language"] == "zh" and data["preference"] == "papers"
    assert all(re.search(r"[\u4e00-\u9fff]", i["why"]) for w in data["weeks"] for i in w["items"])


def test_show_done_and_export(tmp_path: Path) -> None:
    first = build()["weeks"][0]["items"][0]["id"]
    assert "Week 1" in invoke("plan", "show").stdout
    done = json.loads(invoke("plan", "done", first, "--json", "--no-llm").stdout)
    assert done["weeks"][0]["items"][0]["done"] is True
    assert json.loads(invoke("plan", "show", "--json").stdout) == done
    out = tmp_path / "plan.md"
    invoke("plan", "export", "--format", "md", "--out", str(out))
    text = out.read_text(encoding="utf-8")
    assert "# Reading plan: LLM distributed training" in text and "- [x]" not in text
    assert "1. [x]" in text and "https://arxiv.org/abs/1909.08053" in text and "https://github.com/" in text
    assert json.loads(invoke("plan", "export", "--format", "json").stdout) == done


def test_a_new_plan_keeps_the_previous_one(readpath_home: Path) -> None:
    build()
    build("--hours", "8")
    names = sorted(p.name for p in (readpath_home / "plans").iterdir())
    assert names[0] == "current.json" and len(names) == 2 and names[1].startswith("plan-")


@pytest.mark.parametrize(("args", "message"), [
    (("plan", "show"), "No saved plan"),
    (("plan", "export", "--format", "md"), "No saved plan"),
    (("plan", "--goal", "underwater basket weaving", "--no-llm"), "No topic of the guide matches"),
    (("plan", "--goal", "LoRA", "--prefer", "videos", "--no-llm"), "Preference must be"),
    (("plan", "--goal", "LoRA", "--know", "basket weaving", "--no-llm"), "Unknown --know"),
])
def test_errors_are_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    result = invoke(*args, code=2)
    assert message in result.output and "Traceback" not in result.output


def test_unknown_item_and_format_exit_2() -> None:
    build()
    assert "No item" in invoke("plan", "done", "arxiv:0000.00000", "--no-llm", code=2).output
    assert "Unknown format" in invoke("plan", "export", "--format", "pdf", code=2).output


def test_plan_without_a_goal_prints_help() -> None:
    assert "Usage" in invoke("plan").stdout


def test_the_llm_writes_why_and_questions_from_the_guide_note(monkeypatch: pytest.MonkeyPatch) -> None:
    reply = "WHY: 它讲张量并行。它是路径的一步。\nQ: 问题一？\nQ: 问题二？\nQ: 问题三？"
    model = ScriptedChatModel(reply=lambda _: reply)
    monkeypatch.setattr(plan_service, "chat_model", lambda ctx: model)
    data = json.loads(invoke("plan", "--goal", "张量并行", "--lang", "zh", "--weeks", "6", "--json").stdout)
    repo = next(i for w in data["weeks"] for i in w["items"] if i["id"] == "github:NVIDIA/Megatron-LM")
    assert repo["why"] == "它讲张量并行。它是路径的一步。" and repo["questions"] == ["问题一？", "问题二？", "问题三？"]
    prompt = next(m[-1]["content"] for m in model.calls if "NVIDIA做的模型并行库" in m[-1]["content"])
    assert "<source" in prompt and "学习目标：张量并行" in prompt and "简体中文" in model.calls[0][0]["content"]


def test_a_missing_local_model_falls_back_to_templates(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("READPATH_LLM_BACKEND", "local")
    monkeypatch.setenv("READPATH_LLM_MODEL_PATH", str(tmp_path / "missing.gguf"))
    result = invoke("plan", "--goal", "tensor parallelism", "--json")
    assert "LLM unavailable" in result.stderr
    assert json.loads(result.stdout)["weeks"][0]["items"]
