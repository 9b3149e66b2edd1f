"""Serve the real corpus (../shared/corpus) in arXiv's and GitHub's wire formats, and optionally ingest it.

    .venv/bin/python bench/serve_corpus.py                 # serve; prints the READPATH_* variables to use
    .venv/bin/python bench/serve_corpus.py --ingest        # serve, run `readpath ingest` twice, summarise

The arXiv API answers from metadata.json (titles, authors, abstracts, dates, categories), PDFs are the
real files under pdf/ at `<base>/<id>v<n>`, and the GitHub API serves each repo.json and README from
github/. Papers the corpus lacks answer 404 for their PDF, as a dead link would.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script from anywhere: the fake server lives in tests/support

from tests.support.fakeservers import FakeWeb  # noqa: E402 - needs the path above

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"


def load_corpus(web: FakeWeb, corpus: Path) -> None:
    """Register every paper and repository of the corpus with the server."""
    metadata = json.loads((corpus / "metadata.json").read_text(encoding="utf-8"))
    for entry in metadata["papers"]:
        _add_paper(web, corpus, entry)
    for folder in sorted((corpus / "github").iterdir()):
        record = json.loads((folder / "repo.json").read_text(encoding="utf-8"))
        record.pop("_fakeweb_notes", None)  # the corpus's own annotations, not part of GitHub's answer
        info = folder / "readme.json"  # absent for a repository without a README: the API answers 404
        readme = json.loads(info.read_text(encoding="utf-8")) if info.exists() else None
        # The bytes are kept as README.* whatever the real name; readme.json names the real one.
        content = next(folder.glob("README*")).read_bytes() if readme else None
        web.add_repo(record["full_name"], readme=content,
                     readme_path=readme["path"] if readme else "README.md", repo_json=record, repo_id=record["id"])


def _add_paper(web: FakeWeb, corpus: Path, entry: dict[str, Any]) -> None:
    found = re.search(r"arXiv v(\d+)", entry.get("version_in_corpus", ""))
    version = int(found.group(1)) if found else 1
    date = entry.get("first_version_date") or f"{entry.get('first_version_month', '2020-01')}-01"
    category = entry.get("primary_category") or "cs.LG"
    pdf = (corpus / entry["file"]).read_bytes() if entry.get("obtained") else None
    paper = web.add_paper(entry["arxiv_id"], entry["title"], None, authors=entry.get("authors", []),
                          abstract=entry.get("abstract", ""), published=f"{date}T00:00:00Z",
                          updated=f"{date}T00:00:00Z", primary_category=category, categories=[category], comment=None)
    paper.pdfs = {version: pdf}


def _readpath(env: dict[str, str], *args: str) -> tuple[int, Any, float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", "from ui.cli import main; main()", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, encoding="utf-8", check=False)
    elapsed = time.monotonic() - started
    try:
        return done.returncode, json.loads(done.stdout), elapsed
    except json.JSONDecodeError:
        sys.exit(f"readpath {' '.join(args)} printed no JSON (exit {done.returncode}):\n{done.stderr[-3000:]}")


def ingest_and_summarise(web: FakeWeb, home: Path) -> dict[str, Any]:
    """Run `readpath ingest` twice against the server; what it stored, what failed, how long it took."""
    env = {**os.environ, **web.env(), "READPATH_HOME": str(home), "READPATH_HTTP_RETRIES": "1"}
    code, report, first_s = _readpath(env, "ingest", "--json")
    requests = len(web.seen)
    again_code, again, second_s = _readpath(env, "ingest", "--json")
    _, rows, _ = _readpath(env, "library", "--json")
    with sqlite3.connect(home / "library.sqlite") as db:
        links = db.execute("SELECT citing, cited FROM citations ORDER BY citing, cited").fetchall()
    return {
        "first_run": {"exit": code, "seconds": round(first_s, 1), "counts": report["counts"], "notes": report["notes"]},
        "second_run": {"exit": again_code, "seconds": round(second_s, 1), "counts": again["counts"],
                       "requests": len(web.seen) - requests,
                       "changed": [r["item"] for r in again["results"] if r["outcome"] == "fetched"]},
        "papers": [{k: r[k] for k in ("doc_id", "status", "pages", "chars", "sections", "title")}
                   for r in rows if r["kind"] == "paper"],
        "repos": {"ok": sum(r["status"] == "ok" for r in rows if r["kind"] == "repo"),
                  "pages": sum(r["pages"] for r in rows if r["kind"] == "repo"),
                  "sections": sum(r["sections"] for r in rows if r["kind"] == "repo")},
        "citation_links": [f"{citing} -> {cited}" for citing, cited in links],
        "failed": [{"item": r["item"], "reason": r["reason"]} for r in report["results"] if r["outcome"] == "failed"],
    }


def main() -> None:
    """Serve the corpus until interrupted, or ingest it once and print a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the corpus folder")
    parser.add_argument("--ingest", action="store_true", help="run `readpath ingest` against it and summarise")
    parser.add_argument("--home", type=Path, help="data directory for --ingest (default: a temporary one)")
    args = parser.parse_args()
    with FakeWeb() as web:
        load_corpus(web, args.corpus)
        if args.ingest:
            with tempfile.TemporaryDirectory(prefix="readpath-corpus-") as tmp:
                print(json.dumps(ingest_and_summarise(web, args.home or Path(tmp)), ensure_ascii=False, indent=2))
            return
        for key, value in web.env().items():
            print(f"export {key}={value}")
        print("# serving; Ctrl-C to stop", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
