"""`readpath guide …` through Typer's runner, and through the installed console script."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ingest.models import Guide
from tests.conftest import REPO, SEED
from ui.cli import app
from ui.services.guides import default_guide_paths, load_guides

COMPILERS = REPO / "tests" / "data" / "guides" / "compilers_zh.md"
READPATH = Path(sys.executable).parent / "readpath"  # the console script `pip install -e .` put beside python
runner = CliRunner()


@pytest.fixture(scope="module")
def seed() -> Guide:
    return load_guides([SEED])[0]


def _invoke(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def _nodes(tree: dict[str, Any]) -> list[dict[str, Any]]:
    return [tree, *(n for child in tree["children"] for n in _nodes(child))]


def _under(node_id: str, path: str) -> bool:
    return node_id == "" or path == node_id or path.startswith(f"{node_id}/")


def test_the_seed_is_the_default_guide() -> None:
    assert SEED in default_guide_paths()
    assert all(p.suffix in (".txt", ".md") for p in default_guide_paths())


def test_show_json_counts_references_with_descendants(seed: Guide) -> None:
    shown = json.loads(_invoke("guide", "show", "--json").stdout)
    assert [g["path"] for g in shown] == [str(p) for p in default_guide_paths()]
    nodes = _nodes(shown[0]["root"])
    assert {"node_id", "label", "label_zh", "label_en", "stage", "count", "children"} <= nodes[0].keys()
    for node in nodes:
        expected = sum(any(_under(node["node_id"], p) for p in r.taxonomy_paths) for r in seed.references)
        assert node["count"] == expected, node["node_id"]
    assert nodes[0]["count"] == len(seed.references)
    data_parallel = [n for n in nodes if n["label_zh"] == "数据并行"]
    assert [n["label_en"] for n in data_parallel] == ["Data Parallel"]
    assert [n["stage"] for n in nodes if n["stage"] is not None] == list(range(1, len(seed.stages) + 1))


def test_show_draws_a_tree() -> None:
    out = _invoke("guide", "show", str(COMPILERS)).stdout
    assert "编译原理（Compilers）" in out and "stage 1" in out and "└──" in out


def test_refs_filters_by_kind() -> None:
    refs = json.loads(_invoke("guide", "refs", "--kind", "arxiv", "--json").stdout)
    assert len(refs) == 17 and {r["kind"] for r in refs} == {"arxiv"}
    assert {"ref_id", "kind", "source_id", "title", "url", "taxonomy_paths", "note"} <= refs[0].keys()
    table = _invoke("guide", "refs", str(COMPILERS), "--kind", "gitee").stdout
    assert "gitee:openeuler/bisheng-jdk" in table and "github:" not in table


def test_refs_rejects_an_unknown_kind() -> None:
    result = runner.invoke(app, ["guide", "refs", "--kind", "podcast"])
    assert result.exit_code == 2


def test_glossary_json() -> None:
    terms = json.loads(_invoke("guide", "glossary", str(COMPILERS), "--json").stdout)
    assert terms["静态单赋值形式"] == "SSA" and terms["编译原理"] == "Compilers"
    assert "数据并行" in _invoke("guide", "glossary").stdout


MOJIBAKE_SOURCE = "# 深度学习（Deep Learning）\n- 机器学习系统\n"


def _mojibake_file(tmp_path: Path) -> Path:
    path = tmp_path / "mojibake.md"
    path.write_text(MOJIBAKE_SOURCE.encode("utf-8").decode("cp1252", errors="ignore"), encoding="utf-8")
    return path


def test_repair_prints_the_text_and_reports_on_stderr(tmp_path: Path) -> None:
    path = _mojibake_file(tmp_path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = _invoke("guide", "repair", str(path))
    assert result.stdout.splitlines()[0] == MOJIBAKE_SOURCE.splitlines()[0]
    assert "Repaired" in result.stderr and "Repaired" not in result.stdout
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_repair_writes_out_and_never_overwrites_the_original(tmp_path: Path) -> None:
    path = _mojibake_file(tmp_path)
    out = tmp_path / "fixed.md"
    result = _invoke("guide", "repair", str(path), "--out", str(out))
    assert result.stdout == "" and out.read_text(encoding="utf-8").startswith("# 深度学习（Deep Learning）")
    refused = runner.invoke(app, ["guide", "repair", str(path), "--out", str(path)])
    assert refused.exit_code == 2 and "never overwrites" in refused.stderr


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    assert READPATH.exists(), f"{READPATH} missing: run `pip install -e .`"
    return subprocess.run([str(READPATH), *args], capture_output=True, text=True, encoding="utf-8", timeout=300,
                          check=False)


def test_console_script_shows_the_seed_as_json() -> None:
    done = _run("guide", "show", "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown[0]["root"]["count"] > 0 and len(shown[0]["stages"]) > 0


def test_console_script_exit_codes_for_broken_input(tmp_path: Path) -> None:
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    for path in (binary, empty, tmp_path / "missing.md"):
        done = _run("guide", "show", str(path), "--json")
        assert done.returncode == 2, (path, done.stderr)
        assert done.stderr.startswith("Error: ") and path.name in done.stderr and done.stdout == ""
