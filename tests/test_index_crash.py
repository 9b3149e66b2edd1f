"""A killed indexing run leaves the old index or the new one, never a mix: kill a subprocess at each step."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from index.indexer import sync_index
from index.search import Searcher
from ingest.store.library import LibraryStore
from tests.conftest import REPO
from tests.support.index_support import minilm, paper, stored_library

OLD = {"paper:a": "Alpha pages describe pipeline stages.", "paper:b": "Beta explains gradient checkpointing."}
NEW = {"paper:b": "Beta now explains mixed precision and loss scaling.", "paper:c": "Gamma covers tensor parallelism."}

# The child indexes the library and stops at one progress stage, telling the parent, which kills it there.
CHILD = """
import sys, time
from pathlib import Path
from index.indexer import sync_index
from ingest.store.library import LibraryStore
from tests.support.index_support import minilm
home, stop = Path(sys.argv[1]), sys.argv[2]
def progress(stage, done, total):
    if stage == stop:
        print("PAUSED", stage, flush=True)
        time.sleep(600)
sync_index(LibraryStore(home / "library.sqlite"), minilm(), index_dir=home / "index", progress=progress)
print("FINISHED", flush=True)
"""


def _contents(store: LibraryStore, index_dir: Path) -> dict[str, str]:
    searcher = Searcher.open(store, minilm(), index_dir=index_dir)
    return {c.doc_id: c.text for c in searcher.chunks.values()}


def _kill_at(home: Path, stage: str) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(home), stage], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.split() == ["PAUSED", stage], line
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=300)
    assert child.returncode == -signal.SIGKILL


@pytest.mark.slow
@pytest.mark.parametrize(("stage", "survivor"), [
    ("chunking", OLD), ("embedding", OLD), ("writing", OLD), ("committing", OLD), ("committed", NEW),
])
def test_a_killed_sync_leaves_the_old_or_the_new_index(tmp_path: Path, stage: str,
                                                       survivor: dict[str, str]) -> None:
    store = stored_library(tmp_path, [paper(d[6:], d, [text]) for d, text in OLD.items()])
    index_dir = tmp_path / "index"
    sync_index(store, minilm(), index_dir=index_dir)
    store.remove("paper:a")
    for doc_id, text in NEW.items():
        store.upsert(paper(doc_id[6:], doc_id, [text]))

    _kill_at(tmp_path, stage)

    assert _contents(store, index_dir) == survivor
    report = sync_index(store, minilm(), index_dir=index_dir)  # the next run finishes the job
    assert _contents(store, index_dir) == NEW
    assert report.chunks_total == 2
    generations = sorted(p.name for p in index_dir.glob("gen-*"))
    assert generations[-1] == f"gen-{report.generation:06d}" and len(generations) <= 2
