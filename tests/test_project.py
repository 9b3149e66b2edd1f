"""Tests of the project itself: import direction, documented settings, documented commands."""

from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
import tomllib
from importlib.metadata import distribution, packages_distributions
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


def _subpackages() -> set[str]:
    """Dotted names of the folders inside the layers that are packages (`ingest.guide`, ...)."""
    return {
        ".".join(init.parent.relative_to(REPO).parts)
        for layer in LAYERS
        for init in (REPO / layer).rglob("__init__.py")
        if init.parent != REPO / layer
    }


def _declared_deep_imports() -> set[tuple[str, str]]:
    """(importer, module) pairs that docs/architecture.md allows past a subpackage's `__init__`."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    return set(re.findall(r"^- `([\w.]+)` imports `([\w.]+)`", text, re.MULTILINE))


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts)


def _deep_imports(source: str, me: str, subpackages: set[str]) -> set[str]:
    """Modules inside another subpackage that module `me` imports directly instead of through its `__init__`."""
    tree = ast.parse(source)
    modules: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.append(node.module)
    deep = set()
    for module in modules:
        owners = [pkg for pkg in subpackages if module.startswith(pkg + ".") and module not in subpackages]
        if any(not me.startswith(pkg + ".") for pkg in owners):
            deep.add(module)
    return deep


@pytest.mark.parametrize("layer", LAYERS)
def test_subpackages_are_entered_through_their_init(layer: str) -> None:
    subpackages, declared = _subpackages(), _declared_deep_imports()
    wrong = {
        f"{path.relative_to(REPO)} imports {module}"
        for path in _python_files(layer)
        for module in _deep_imports(path.read_text(encoding="utf-8"), _module_name(path), subpackages)
        if (_module_name(path), module) not in declared
    }
    assert not wrong, sorted(wrong)


def test_deep_import_checker_sees_a_deep_import() -> None:
    source = "from ingest.guide.loader import load_guide\nfrom ingest.guide import load_guide\nimport ingest.parse.pdf"
    assert _deep_imports(source, "ui.services.library", _subpackages()) == {"ingest.guide.loader", "ingest.parse.pdf"}
    # Inside its own subpackage a module imports its siblings directly.
    assert _deep_imports(source, "ingest.guide.parse", _subpackages()) == {"ingest.parse.pdf"}


def test_every_folder_is_described_in_the_architecture_doc() -> None:
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [pkg for pkg in sorted(_subpackages()) if f"`{pkg.replace('.', '/')}/`" not in text]
    assert not missing, missing


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


@functools.cache
def _third_party_imports() -> dict[str, set[str]]:
    """Module -> files of the library layers that import it, for every module outside the stdlib and readpath."""
    found: dict[str, set[str]] = {}
    for layer in LAYERS:
        for path in _python_files(layer):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in {*LAYERS, "seeds"}:
                        found.setdefault(module, set()).add(str(path.relative_to(REPO)))
    return found


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.cache
def _files(dist: str) -> tuple[str, ...]:
    return tuple(str(f) for f in distribution(dist).files or [])


def _providers(module: str) -> set[str]:
    """The installed distributions that provide `module`: for a namespace shared by several
    (llama_index), only those whose files hold this module."""
    candidates = set(_PACKAGES.get(module.split(".")[0], []))
    if len(candidates) > 1:
        path = module.replace(".", "/")
        candidates = {dist for dist in candidates
                      if any(f.startswith(f"{path}/") or f == f"{path}.py" for f in _files(dist))} or candidates
    return {_normalised(dist) for dist in candidates}


_PACKAGES = packages_distributions()
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
RUNTIME = {_normalised(re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0]) for spec in PYPROJECT["project"]["dependencies"]}
# Runtime dependencies that no library module imports, and why they are needed all the same.
NOT_IMPORTED = {
    "cryptography": "pypdf opens AES-encrypted PDFs with it",
    "wordfreq": "the repair reads its word-frequency files",
}


def test_every_third_party_import_is_a_declared_dependency() -> None:
    undeclared = {f"{module} ({', '.join(sorted(files))}): provided by {sorted(_providers(module)) or 'nothing'}"
                  for module, files in _third_party_imports().items() if not _providers(module) & RUNTIME}
    assert not undeclared, sorted(undeclared)


def test_every_runtime_dependency_is_used() -> None:
    imported = set().union(*(_providers(module) for module in _third_party_imports()))
    unused = RUNTIME - imported - set(NOT_IMPORTED)
    assert not unused, f"{sorted(unused)}: move what only bench/ or tests/ need to an extra"


def test_no_private_module_of_another_package_is_imported() -> None:
    private = {f"{module} ({', '.join(sorted(files))})" for module, files in _third_party_imports().items()
               if any(part.startswith("_") for part in module.split("."))}
    assert not private, sorted(private)


def test_a_pytest_run_that_collects_nothing_fails() -> None:
    # Exit 5 (no tests ran) must reach make, and through it CI: a selection that matches nothing, or a
    # broken collection, is a failure, never a green run.
    done = subprocess.run([sys.executable, "-m", "pytest", "tests/test_errors.py", "-q", "-p", "no:cacheprovider",
                           "-m", "llm and not llm"], cwd=REPO, capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 5, done.stdout
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    runs = [line.strip() for line in makefile.splitlines() if "/pytest" in line and line.startswith("\t")]
    assert runs and all(not line.startswith("-") and "||" not in line and ";" not in line for line in runs), runs
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "set -euo pipefail" in ci and ci.strip().splitlines()[-1] == "make test"


def test_the_fast_loop_and_the_full_run_are_documented() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r'^check: .*\n\t\$\(BIN\)/pytest -m "not llm and not browser and not slow"$', makefile, re.M)
    assert re.search(r"^test: lint typecheck pytest$", makefile, re.M)
    assert "make demo" in README and "make test" in README and "`make check`" in README
