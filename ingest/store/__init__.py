"""The SQLite document store in the data directory, its schema migrations, and file helpers."""

from ingest.store.files import sha256_file, write_atomic, write_bytes_atomic, write_text_atomic
from ingest.store.library import DocumentSummary, LibraryStore, now_iso
from ingest.store.schema import migrate, schema_version

__all__ = ["DocumentSummary", "LibraryStore", "migrate", "now_iso", "schema_version", "sha256_file", "write_atomic",
           "write_bytes_atomic", "write_text_atomic"]
