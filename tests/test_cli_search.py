"""`readpath index`, `reindex` and `search` through Typer, on files added with `readpath add`."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from index.embeddings import PACKAGED_MODEL, Embedder
from tests.support.index_support import Delegating, minilm, use_multilingual
from tests.support.pdfgen import make_pdf
from ui.cli import app, main
from ui.services import search as service

# The real embedding model (loaded once per session, then every test embeds with it): not for `make check`.
pytestmark = pytest.mark.slow

runner = CliRunner()
PAGES = ["# 1 Introduction\nWe study how to train very deep networks on one accelerator.",
         "# 2 Recomputation\nActivation checkpoints are kept every sqrt(n) layers; the other activations are "
         "recomputed during the backward pass, so memory grows as O(sqrt(n))."]
README = "# quantkit\n\n量化工具包把浮点权重压缩为八位整数。\n\n## 安装\n\n使用 pip install quantkit 安装。\n"


def _embedder(name: str) -> Embedder:
    """The session's packaged model, or the same weights under the name a test configured."""
    if name == PACKAGED_MODEL:
        return minilm()
    renamed = Delegating()
    renamed.name = name  # type: ignore[misc]
    return renamed


@pytest.fixture(autouse=True)
def models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real models, loaded once per session rather than once per command."""
    monkeypatch.setattr(service, "SentenceTransformerEmbedder", _embedder)
    monkeypatch.setattr(service, "MultilingualUseEmbedder", use_multilingual)


def invoke(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result


@pytest.fixture
def library(tmp_path: Path) -> None:
    pdf = tmp_path / "sublinear.pdf"
    pdf.write_bytes(make_pdf(PAGES, title="Sublinear Memory"))
    readme = tmp_path / "quantkit.md"
    readme.write_text(README, encoding="utf-8")
    invoke("add", str(pdf), str(readme))


def _run_main(args: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """The console script in-process: its exit code (named errors become codes in main())."""
    monkeypatch.setattr(sys, "argv", ["readpath", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return int(exit_info.value.code or 0)


def test_index_then_search_as_json(library: None) -> None:
    assert "2 added" in invoke("index").output
    hits = json.loads(invoke("search", "how much memory does recomputation need", "-k", "2", "--json").output)
    assert len(hits) == 2
    assert {"doc_id", "source_id", "title", "page", "section", "score", "text"} <= set(hits[0])
    assert (hits[0]["page"], hits[0]["section"]) == (2, "2 Recomputation")
    assert hits[0]["doc_id"].startswith("file:") and "sqrt(n)" in hits[0]["text"]
    assert hits[0]["score"] >= hits[1]["score"] > 0


def test_index_as_json_shows_progress_on_stderr(library: None) -> None:
    result = invoke("index", "--json")
    assert json.loads(result.stdout)["added"] == 2  # stdout: the report alone
    assert re.search(r"^\w[\w ]*: \d+/\d+", result.stderr, re.MULTILINE), result.stderr


def test_search_prints_title_page_score_and_highlights(library: None) -> None:
    invoke("index")
    output = invoke("search", "activation checkpoints", "-k", "1").output
    assert "1. Sublinear Memory" in output and "p. 2" in output and re.search(r"score \d+\.\d{4}", output)
    assert "**Activation checkpoints**" in output


def test_a_chinese_question_and_the_markdown_page_without_a_number(library: None) -> None:
    invoke("index")
    hits = json.loads(invoke("search", "如何用 pip 安装？", "--json").output)
    assert hits[0]["page"] is None and hits[0]["section"] == "安装"
    assert "crosslingual" in hits[0]["ranks"]


def test_filters_narrow_the_results(library: None) -> None:
    invoke("index")
    everything = json.loads(invoke("search", "memory", "-k", "10", "--json").output)
    doc_id = next(h["doc_id"] for h in everything if h["page"] is None)
    only = json.loads(invoke("search", "memory", "-k", "10", "--doc", doc_id, "--json").output)
    assert only and {h["doc_id"] for h in only} == {doc_id}
    assert json.loads(invoke("search", "memory", "--kind", "paper", "--json").output) == []
    assert "No passages found" in invoke("search", "memory", "--topic", "nowhere").output
    unknown = invoke("search", "memory", "--doc", "paper:0000.00000", code=2)  # an input error, named
    assert "paper:0000.00000" in unknown.output and "readpath library" in unknown.output


def test_reindex_rebuilds_a_damaged_index(library: None, readpath_home: Path,
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    invoke("index")
    faiss_file = next((readpath_home / "index").glob("gen-*/dense.faiss"))
    faiss_file.write_bytes(b"not a faiss index")
    assert _run_main(["search", "memory"], monkeypatch) == 5
    assert "readpath reindex" in capsys.readouterr().err
    report = json.loads(invoke("reindex", "--json").stdout)
    assert (report["chunks_total"], report["generation"]) == (4, 2)
    assert json.loads(invoke("search", "activation checkpoints", "--json").output)[0]["page"] == 2


def test_another_embedding_model_is_a_named_error(library: None, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    invoke("index")
    monkeypatch.setenv("READPATH_EMBEDDING_MODEL", "/models/bge-m3")
    assert _run_main(["search", "memory"], monkeypatch) == 5
    assert "/models/bge-m3" in (err := capsys.readouterr().err) and "readpath reindex" in err


def test_searching_before_indexing_says_what_to_run(library: None, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert _run_main(["search", "memory"], monkeypatch) == 5
    assert "readpath index" in capsys.readouterr().err


def test_help_shows_an_example() -> None:
    assert "Example: readpath search" in invoke("search", "--help").output
    assert "readpath reindex" in invoke("reindex", "--help").output
