"""`readpath ingest`, `add`, `library`, `remove` against a real local server, through Typer and the console script."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import REPO
from tests.support.fakeservers import FakeWeb
from tests.support.pdfgen import make_pdf
from ui.cli import app
from ui.services.library import http_config
from ui.settings import Settings

runner = CliRunner()
GUIDE = """# Mini guide

## Papers
- [Sublinear memory](https://arxiv.org/abs/1604.06174)

## Repositories
- [pybind11](https://github.com/pybind/pybind11)

## Books
- 《Computer Architecture: A Quantitative Approach》
"""


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeb]:
    with FakeWeb() as server:
        server.add_paper("1604.06174", "Training Deep Nets with Sublinear Memory Cost",
                         make_pdf(["# Abstract\n\n" + "We trade computation for memory. " * 30] * 2))
        server.add_repo("pybind/pybind11", readme=b"# pybind11\n\nSeamless operability.\n\n## Installing\n\npip\n")
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        yield server


@pytest.fixture
def guide(tmp_path: Path) -> Path:
    path = tmp_path / "mini.md"
    path.write_text(GUIDE, encoding="utf-8")
    return path


def invoke(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result


def test_ingest_prints_a_table_and_a_second_run_fetches_nothing(web: FakeWeb, guide: Path) -> None:
    out = invoke("ingest", str(guide)).stdout
    assert "Ingestion" in out and "fetched" in out and "unresolved" in out
    again = json.loads(invoke("ingest", str(guide), "--json").stdout)
    assert again["ok"] and again["counts"]["fetched"] == 0 and again["counts"]["unchanged"] == 3
    assert {"item", "outcome", "doc_id", "reason", "pages"} <= again["results"][0].keys()


def test_quiet_prints_nothing_when_all_is_well(web: FakeWeb, guide: Path) -> None:
    assert invoke("ingest", str(guide), "--quiet").stdout == ""


def test_offline_ingest_says_so_and_leaves_papers_pending(monkeypatch: pytest.MonkeyPatch, guide: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    for key, path in (("ARXIV_API_URL", "/api/query"), ("ARXIV_PDF_URL", "/pdf"), ("GITHUB_API_URL", "/gh"),
                      ("GITHUB_RAW_URL", "/raw")):
        monkeypatch.setenv(f"READPATH_{key}", dead + path)
    out = invoke("ingest", str(guide)).stdout
    assert "Offline" in out and "2 items are pending" in out
    rows = json.loads(invoke("library", "--json").stdout)
    assert {r["doc_id"]: r["status"] for r in rows}["paper:1604.06174"] == "pending"


def test_add_reports_failures_and_exits_1(web: FakeWeb, tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text("# A note\n\nSome text about memory.\n", encoding="utf-8")
    result = invoke("add", "1604.06174", "pybind/pybind11", str(note), "nobody/nothing", code=1)
    assert "Failed" in result.stdout and "nobody/nothing" in result.stdout and "does not exist" in result.stdout
    report = json.loads(invoke("add", "2301.99999", "--json", code=1).stdout)
    assert report["results"][0]["outcome"] == "failed"


def test_library_lists_with_filters_and_json_fields(web: FakeWeb, guide: Path) -> None:
    invoke("ingest", str(guide), "--quiet")
    rows = json.loads(invoke("library", "--json").stdout)
    assert {"doc_id", "source_id", "kind", "title", "status", "pages"} <= rows[0].keys()
    papers = json.loads(invoke("library", "--kind", "paper", "--json").stdout)
    assert [(r["doc_id"], r["status"], r["pages"]) for r in papers] == [("paper:1604.06174", "ok", 2)]
    unresolved = json.loads(invoke("library", "--status", "unresolved", "--json").stdout)
    assert [r["kind"] for r in unresolved] == ["reference"]
    assert "Library: 4 documents" in invoke("library").stdout


def test_remove(web: FakeWeb) -> None:
    invoke("add", "1604.06174", "--quiet")
    assert "Removed paper:1604.06174" in invoke("remove", "paper:1604.06174").stdout
    assert json.loads(invoke("library", "--json").stdout) == []


def test_the_console_script_maps_an_unknown_id_to_exit_3(readpath_home: Path) -> None:
    done = subprocess.run([sys.executable, "-c", "from ui.cli import main; main()", "remove", "paper:0000.00000"],
                          cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 3 and "No document paper:0000.00000" in done.stderr


def test_a_truncated_pdf_says_so_in_its_reason_without_raw_pypdf_lines(tmp_path: Path) -> None:
    whole = make_pdf(["# Abstract\n\n" + "We trade computation for memory. " * 30] * 2)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(whole[: len(whole) * 2 // 3])  # an interrupted download: no xref, no %%EOF
    # The console script in its own process: under pytest, pytest's log capture would hide pypdf's
    # records that Python otherwise prints raw on stderr.
    done = subprocess.run([sys.executable, "-c", "from ui.cli import main; main()", "add", str(broken)],
                          cwd=REPO, capture_output=True, text=True, check=False, env={**os.environ, "COLUMNS": "1000"})
    assert done.returncode == 1, done.stderr
    output = done.stdout + done.stderr
    assert not re.search(r"^(EOF marker|CAUTION|Stream has ended)", output, re.MULTILINE), output
    assert "broken.pdf is damaged" in done.stdout and "the file looks truncated" in done.stdout, done.stdout
    assert "EOF marker not found" in done.stdout  # pypdf's own words kept inside the reason, for a bug report


def test_progress_goes_to_stderr_and_json_stays_pure(web: FakeWeb) -> None:
    result = invoke("add", "1604.06174", "pybind/pybind11", "--json")
    assert json.loads(result.stdout)["counts"]["fetched"] == 2
    # CliRunner's stderr is no terminal: the plain-line form, which a CI log or a pipe shows.
    assert "items: 2/2" in result.stderr


@pytest.mark.parametrize("command", ["ingest", "add", "library", "remove"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    assert "Example:" in invoke(command, "--help").stdout


def test_settings_become_the_http_clients_behaviour() -> None:
    config = http_config(Settings(arxiv_delay_s=3.0, max_pdf_mb=2))
    assert config.min_interval_s == {"export.arxiv.org": 3.0, "arxiv.org": 3.0}  # GitHub is not paced
    assert set(config.allowed_bases) == {"https://export.arxiv.org/api/query", "https://arxiv.org/pdf",
                                         "https://api.github.com", "https://raw.githubusercontent.com"}
    assert config.max_bytes == 2 * 1024 * 1024 and "readpath" in config.user_agent
