"""ui/errors.py is the one table from exception to exit code; the exception classes carry none."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import assistant.errors
import index.errors
import ingest.errors
from ui.errors import EXIT_BY_CLASS, EXIT_CODES, exit_code

ROOT = Path(__file__).resolve().parent.parent


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


NAMED = sorted({c for c in _subclasses(ingest.errors.ReadpathError)
                if c.__module__ in {m.__name__ for m in (ingest.errors, index.errors, assistant.errors)}},
               key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", NAMED, ids=[c.__name__ for c in NAMED])
def test_no_exception_class_carries_its_own_exit_code(cls: type) -> None:
    assert "exit_code" not in vars(cls), f"{cls.__name__}.exit_code: exit codes live only in ui/errors.py"
    assert exit_code(cls("x")) in EXIT_CODES


def test_every_table_entry_is_reachable() -> None:
    # A class listed after one of its bases can never match: the first isinstance wins.
    for position, (cls, _) in enumerate(EXIT_BY_CLASS):
        earlier = [base for base, _ in EXIT_BY_CLASS[:position] if issubclass(cls, base)]
        assert not earlier, f"{cls.__name__} is shadowed by {earlier[0].__name__}"


@pytest.mark.parametrize(("error", "code"), [
    (ingest.errors.Offline("no route"), 4),
    (ingest.errors.HostNotAllowed("h"), 2),
    (ingest.errors.SourceNotFound("s"), 3),
    (ingest.errors.PdfUnreadable("p"), 2),
    (index.errors.IndexMissing("i"), 5),
    (index.errors.EmbeddingModelMissing("e"), 6),
    (assistant.errors.ModelMissing("m"), 6),
    (assistant.errors.PlanError("p"), 2),
    (PermissionError(13, "denied"), 5),
    (RuntimeError("bug"), 70),
    (KeyboardInterrupt(), 130),
])
def test_errors_map_to_the_documented_codes(error: BaseException, code: int) -> None:
    assert exit_code(error) == code


def test_the_readme_table_lists_exactly_the_codes_readpath_uses() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    documented = {int(code) for code in re.findall(r"^\|\s*(\d+)\s*\|", section, re.MULTILINE)}
    assert documented == set(EXIT_CODES)
