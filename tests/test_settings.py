"""Settings: defaults, TOML file, environment, sources shown, secrets never printed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ui.cli import app
from ui.settings import describe_settings, load_settings

runner = CliRunner()


def _views(**kw: object) -> dict[str, tuple[str, str]]:
    return {v.name: (v.value, v.source) for v in describe_settings(load_settings(**kw))}


def test_defaults_and_home_from_environment(readpath_home: Path) -> None:
    settings = load_settings()
    assert settings.home == readpath_home
    assert settings.llm_backend == "local"
    assert _views()["top_k"] == ("5", "default")


def test_toml_file_then_environment_override(readpath_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readpath_home.mkdir(parents=True)
    (readpath_home / "config.toml").write_text("[readpath]\ntop_k = 9\nlanguage = 'zh'\n", encoding="utf-8")
    views = _views()
    assert views["top_k"][0] == "9" and views["top_k"][1].startswith("file ")
    monkeypatch.setenv("READPATH_TOP_K", "3")
    views = _views()
    assert views["top_k"] == ("3", "env READPATH_TOP_K")
    assert views["language"][0] == "zh"


def test_secrets_are_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READPATH_OPENAI_API_KEY", "sk-very-secret-123")
    monkeypatch.setenv("READPATH_GITHUB_TOKEN", "ghp_secret456")
    result = runner.invoke(app, ["config", "--json"])
    assert result.exit_code == 0, result.output
    assert "sk-very-secret-123" not in result.output and "ghp_secret456" not in result.output
    data = json.loads(result.output)
    shown = {s["name"]: s for s in data["settings"]}
    assert shown["openai_api_key"]["value"] == "(set)"
    assert shown["openai_api_key"]["source"] == "env READPATH_OPENAI_API_KEY"
    assert load_settings().openai_key_value == "sk-very-secret-123"


def test_settings_named_like_secrets_are_shown_only_secrets_by_type_are_masked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READPATH_CHUNK_TOKENS", "256")
    monkeypatch.setenv("READPATH_LLM_MAX_TOKENS", "300")
    result = runner.invoke(app, ["config", "--json"])
    assert result.exit_code == 0, result.output
    shown = {s["name"]: s["value"] for s in json.loads(result.output)["settings"]}
    assert (shown["chunk_tokens"], shown["llm_max_tokens"]) == ("256", "300")
    assert shown["github_token"] in {"(set)", "(not set)"}  # masked even when empty: it is a SecretStr


def test_invalid_value_is_a_clear_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READPATH_TOP_K", "many")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 2
    assert "top_k" in result.output and "Traceback" not in result.output


def test_broken_toml_file_is_named(readpath_home: Path) -> None:
    readpath_home.mkdir(parents=True)
    (readpath_home / "config.toml").write_text("top_k = = 3\n", encoding="utf-8")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 2
    assert "config.toml" in result.output


def test_console_script_version_and_exit_codes() -> None:
    exe = Path(sys.executable).parent / "readpath"
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout.startswith("readpath ")
    bad = subprocess.run([str(exe), "no-such-command"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2
