"""The SQLite document store in the data directory and its schema migrations."""

from ingest.store.library import DocumentSummary, LibraryStore, now_iso
from ingest.store.schema import migrate, schema_version

__all__ = ["DocumentSummary", "LibraryStore", "migrate", "now_iso", "schema_version"]
