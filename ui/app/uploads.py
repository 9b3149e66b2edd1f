"""Uploaded PDFs: checked by content and size, stored under <home>/uploads/ with a safe name."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from ingest.errors import InputError, PdfUnreadable, StorageError
from ingest.store import write_bytes_atomic

PDF_MAGIC = b"%PDF-"
# A PDF may start after a little junk (some writers emit a BOM or a header); readers look in the first KiB.
MAGIC_WINDOW = 1024
_UNSAFE = re.compile(r"[^\w.-]+")


def safe_name(original: str) -> str:
    """The upload's name reduced to letters, digits, "-", "_" and "." (so it cannot leave its folder), as .pdf."""
    stem = unicodedata.normalize("NFKC", Path(original.replace("\\", "/")).stem)
    return f"{_UNSAFE.sub('-', stem).strip('.-_')[:80] or 'upload'}.pdf"


def upload_path(home: Path, original: str, data: bytes) -> Path:
    """<home>/uploads/<content digest>/<safe name>: the same content always lands in the same place, and
    two different files with one name never collide; the name stays readable, as it becomes the title."""
    return home / "uploads" / hashlib.sha256(data).hexdigest()[:16] / safe_name(original)


def check_pdf(name: str, data: bytes, max_mb: float) -> None:
    """PdfUnreadable unless `data` is a PDF (by its content, whatever the name says) within the size limit."""
    if not data:
        raise PdfUnreadable(f"{name} is empty; choose the PDF again.")
    if len(data) > max_mb * 1024 * 1024:
        raise PdfUnreadable(f"{name} is {len(data) / 1024 / 1024:.1f} MiB, over the {max_mb:g} MiB limit "
                            f"(setting max_pdf_mb).")
    if PDF_MAGIC not in data[:MAGIC_WINDOW]:
        raise PdfUnreadable(f"{name} is not a PDF (its content does not start like one); upload a PDF file.")


def store_upload(home: Path, name: str, data: bytes, max_mb: float) -> Path:
    """Check the upload and write it to <home>/uploads/; the same content always gets the same path."""
    if not name.strip():
        raise InputError("The uploaded file has no name; upload it again.")
    check_pdf(name, data, max_mb)
    target = upload_path(home, name, data)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            write_bytes_atomic(target, data)  # a reader never sees half a file
    except OSError as exc:
        raise StorageError(f"Cannot write {target} ({exc.strerror}); check that {target.parent} is writable.") from exc
    return target
