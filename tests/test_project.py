"""Tests of the project itself: import direction, documented settings, documented commands."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from tests.conftest import REPO
from ui.cli import app
from ui.errors import EXIT_CODES
from ui.settings import Settings

LAYERS = ["ingest", "index", "assistant", "ui"]
# Each layer may import itself and the layers before it; seeds/ is data, not code.
ALLOWED = {layer: set(LAYERS[: i + 1]) for i, layer in enumerate(LAYERS)}
README = (REPO / "README.md").read_text(encoding="utf-8")


def _python_files(layer: str) -> list[Path]:
    return sorted((REPO / layer).rglob("*.py"))


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & set(LAYERS)


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_flow_one_way(layer: str) -> None:
    wrong = {
        f"{path.relative_to(REPO)} imports {bad}"
        for path in _python_files(layer)
        for bad in _imported_layers(path) - ALLOWED[layer]
    }
    assert not wrong, sorted(wrong)


def test_import_checker_sees_a_wrong_way_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from ui.services import Context\nimport index.search\n", encoding="utf-8")
    assert _imported_layers(sample) == {"ui", "index"}


@pytest.mark.parametrize("layer", ["ingest", "index", "assistant"])
def test_library_layers_do_not_read_the_environment(layer: str) -> None:
    """Only ui/ resolves settings; the library takes parameters."""
    offenders = []
    for path in _python_files(layer):
        source = path.read_text(encoding="utf-8")
        if re.search(r"os\.getenv\(|os\.environ\.get\(|os\.environ\[[^\]]+\](?!\s*=)", source):
            offenders.append(str(path.relative_to(REPO)))
    assert not offenders


def test_every_setting_has_a_description() -> None:
    missing = [name for name, info in Settings.model_fields.items() if not (info.description or "").strip()]
    assert not missing


def _commands(cmd: Any, prefix: str) -> list[tuple[str, Any]]:
    out = [(prefix, cmd)]
    if hasattr(cmd, "commands"):
        for name, sub in sorted(cmd.commands.items()):
            out.extend(_commands(sub, f"{prefix} {name}"))
    return out


COMMANDS = _commands(typer.main.get_command(app), "readpath")


def test_the_cli_has_the_commands_the_issues_name() -> None:
    names = {name for name, _ in COMMANDS}
    expected = {"readpath config", "readpath guide show", "readpath guide refs", "readpath guide glossary",
                "readpath guide repair"}
    assert expected <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_has_help_and_is_in_the_readme(name: str, command: Any) -> None:
    assert (command.help or "").strip(), f"{name} has no help text"
    assert f"`{name}" in README, f"{name} is not documented in README.md"


def test_exit_codes_are_documented_in_the_readme() -> None:
    for code, meaning in EXIT_CODES.items():
        assert re.search(rf"^\|\s*{code}\s*\|", README, re.MULTILINE), f"exit code {code} ({meaning}) missing"
