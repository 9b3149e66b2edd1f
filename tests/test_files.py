"""The shared file helpers: atomic writes and file hashes."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from ingest.store import sha256_file, write_atomic, write_bytes_atomic, write_text_atomic


def test_write_atomic_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "manifest.json"
    target.write_text("old")

    def broken(path: Path) -> None:
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]  # the half file is gone too
    write_atomic(target, lambda path: path.write_text("new"))
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_the_temporary_file_keeps_the_suffix(tmp_path: Path) -> None:
    seen: list[str] = []
    write_atomic(tmp_path / "ids.npy", lambda path: seen.append(path.suffix) or path.write_bytes(b"x"))
    assert seen == [".npy"]


def test_bytes_and_text_are_written_whole(tmp_path: Path) -> None:
    write_bytes_atomic(tmp_path / "body", b"\x00\x01")
    write_text_atomic(tmp_path / "plan.json", "计划 ✓")
    assert (tmp_path / "body").read_bytes() == b"\x00\x01"
    assert (tmp_path / "plan.json").read_bytes() == "计划 ✓".encode()


def test_concurrent_writers_never_share_a_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "summary.json"
    texts = [str(i) * 100_000 for i in range(8)]
    threads = [threading.Thread(target=write_text_atomic, args=(target, t)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert target.read_text() in texts  # one writer's whole text, never a mix
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_sha256_file_matches_hashlib_across_blocks(tmp_path: Path) -> None:
    data = bytes(range(256)) * 5000  # over one 1 MiB block
    (tmp_path / "f").write_bytes(data)
    assert sha256_file(tmp_path / "f") == hashlib.sha256(data).hexdigest()
