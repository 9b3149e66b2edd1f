"""Kill a real `readpath ingest` mid-run (kill -9 and Ctrl-C), run it again: no duplicate, nothing half-written."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support.fakeservers import FakeWeb
from tests.support.pdfgen import make_pdf

PAPERS = [f"2201.0000{n}" for n in range(1, 7)]
PDF_DELAY_S = 1.5  # slow PDFs, so the run is caught in the middle even when this machine is busy


def _guide(path: Path) -> Path:
    lines = ["# Kill test guide", "", "## Papers"] + [f"- [Paper {i}](https://arxiv.org/abs/{i})" for i in PAPERS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _start(guide: Path, web: FakeWeb) -> subprocess.Popen[str]:
    env = {**os.environ, **web.env()}
    return subprocess.Popen([sys.executable, "-c", "from ui.cli import main; main()", "ingest", str(guide), "--quiet"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _ok_papers(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db, timeout=5) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM documents WHERE kind = 'paper' AND status = 'ok'")
                       .fetchone()[0])
        except sqlite3.OperationalError:  # the schema is not created yet
            return 0


def _assert_whole(db: Path) -> None:
    """Every stored document has exactly the pages and sections its row says: none is half-written."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("""SELECT d.doc_id, d.page_count, d.section_count,
                                      (SELECT count(*) FROM pages p WHERE p.doc_id = d.doc_id),
                                      (SELECT count(*) FROM sections s WHERE s.doc_id = d.doc_id)
                               FROM documents d""").fetchall()
    for doc_id, pages, sections, page_rows, section_rows in rows:
        assert (pages, sections) == (page_rows, section_rows), doc_id


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_a_killed_ingest_resumes_without_duplicates(sig: signal.Signals, tmp_path: Path,
                                                    readpath_home: Path) -> None:
    guide = _guide(tmp_path / "guide.md")
    db = readpath_home / "library.sqlite"
    with FakeWeb() as web:
        for number, arxiv_id in enumerate(PAPERS, start=1):
            web.add_paper(arxiv_id, f"Paper {arxiv_id}", make_pdf([f"Paper {number} body text. " * 40] * 2))
        web.delays["/pdf/"] = PDF_DELAY_S
        process = _start(guide, web)
        deadline = time.monotonic() + 300  # generous: only a broken run gets near it
        while _ok_papers(db) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        process.send_signal(sig)
        process.communicate(timeout=300)
        stored_before = _ok_papers(db)
        assert 2 <= stored_before < len(PAPERS), "the run was not caught in the middle"
        if sig == signal.SIGINT:
            assert process.returncode == 130
        _assert_whole(db)
        pdf_requests = len(web.hits("/pdf/"))

        again = _start(guide, web)
        out, err = again.communicate(timeout=600)
        assert again.returncode == 0, (out, err)
        _assert_whole(db)
        assert _ok_papers(db) == len(PAPERS)
        with sqlite3.connect(db) as conn:
            ids = [row[0] for row in conn.execute("SELECT doc_id FROM documents WHERE kind = 'paper'")]
        assert sorted(ids) == sorted(f"paper:{i}" for i in PAPERS)
        # What was stored (or downloaded whole into the cache) is not fetched again.
        assert len(web.hits("/pdf/")) - pdf_requests <= len(PAPERS) - stored_before
