"""File helpers every layer shares: atomic writes and file hashes."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

_BLOCK = 1 << 20  # read 1 MiB at a time: large files (the model, FAISS indexes) never sit in memory whole


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def fsync_dir(directory: Path) -> None:
    """Make renames inside `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Have `write` fill a new file in the same folder, fsync it, then rename it over `path`.

    A crash or an exception from `write` leaves the old file (or none) under `path`, never a half-written
    one; the temporary file is removed. It is unique per call, so two writers never share it, and keeps
    `path`'s suffix, so writers that add one when it is missing (np.save) do not.
    """
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.stem}-", suffix=path.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (see write_atomic)."""
    write_atomic(path, lambda tmp: tmp.write_bytes(data))


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` as UTF-8 to `path` atomically (see write_atomic)."""
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
