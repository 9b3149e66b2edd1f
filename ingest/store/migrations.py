"""The library database's schema (schema "library"), as numbered migrations the shared runner applies in order."""

from __future__ import annotations

# Numbered migrations: entry i takes the schema from version i to i + 1 (ingest/store/schema.py).
# Version 1 is the one older readpath counted in PRAGMA user_version, so those databases carry on.
# Never edit one that has shipped; append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE documents (
        doc_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        source_id TEXT NOT NULL,
        title TEXT NOT NULL,
        status TEXT NOT NULL,
        status_reason TEXT NOT NULL DEFAULT '',
        url TEXT,
        content_hash TEXT NOT NULL DEFAULT '',
        fetched_at TEXT,
        record_hash TEXT NOT NULL,
        page_count INTEGER NOT NULL DEFAULT 0,
        char_count INTEGER NOT NULL DEFAULT 0,
        section_count INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL
    );
    CREATE INDEX documents_kind ON documents(kind, status);
    CREATE TABLE pages (
        doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        text TEXT NOT NULL,
        heading TEXT,
        PRIMARY KEY (doc_id, number)
    );
    CREATE TABLE sections (
        doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        ord INTEGER NOT NULL,
        title TEXT NOT NULL,
        level INTEGER NOT NULL,
        page INTEGER NOT NULL,
        PRIMARY KEY (doc_id, ord)
    );
    CREATE TABLE citations (
        citing TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        cited TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        entry TEXT NOT NULL,
        PRIMARY KEY (citing, cited)
    );
    CREATE TABLE aliases (
        alias TEXT PRIMARY KEY,
        doc_id TEXT NOT NULL
    );
    CREATE TABLE raw_cache (
        url TEXT PRIMARY KEY,
        file TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT,
        content_type TEXT,
        fetched_at TEXT NOT NULL
    );
    """,
)
