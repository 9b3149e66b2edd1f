"""The SQLite document store in the data directory, its schema migrations, and file helpers."""

from ingest.store.files import sha256_file, write_atomic, write_bytes_atomic, write_text_atomic
from ingest.store.library import DocumentSummary, LibraryStore, now_iso

__all__ = ["DocumentSummary", "LibraryStore", "now_iso", "sha256_file", "write_atomic", "write_bytes_atomic",
           "write_text_atomic"]
