"""The SQLite document store in the data directory and its schema migrations."""

from ingest.store.library import DocumentSummary, LibraryStore, now_iso

__all__ = ["DocumentSummary", "LibraryStore", "now_iso"]
