"""The index's chunk metadata in the library's SQLite database: idx_* tables and their migrations."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from index.errors import IndexError_
from index.models import Chunk
from ingest.store import LibraryStore, migrate

# Numbered migrations of the idx_* tables, schema "index" of the shared runner (ingest.store.migrate).
# Entry i takes the schema from version i to i + 1; never edit a shipped one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE idx_chunks (
        vec_id INTEGER PRIMARY KEY,
        chunk_id TEXT NOT NULL UNIQUE,
        doc_id TEXT NOT NULL,
        source_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        ordinal INTEGER NOT NULL,
        page_start INTEGER,
        page_end INTEGER,
        section TEXT,
        heading_path TEXT,
        topics TEXT NOT NULL,
        terms TEXT NOT NULL
    );
    CREATE INDEX idx_chunks_doc ON idx_chunks(doc_id);
    CREATE TABLE idx_documents (
        doc_id TEXT PRIMARY KEY,
        digest TEXT NOT NULL,
        chunks INTEGER NOT NULL
    );
    CREATE TABLE idx_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
)

_CHUNK_COLUMNS = ("vec_id, chunk_id, doc_id, source_id, kind, title, text, ordinal, page_start, page_end, section, "
                  "heading_path, topics, terms")


def _idx_schema_version(db: sqlite3.Connection) -> int:
    """The version an older readpath counted in its own idx_schema table (0 when there is none)."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'idx_schema'").fetchone():
        return 0
    row = db.execute("SELECT version FROM idx_schema").fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as the index keeps it: its vector id, the chunk, and its BM25 terms."""

    vec_id: int
    chunk: Chunk
    terms: tuple[str, ...]


@dataclass(frozen=True)
class IndexState:
    """The committed index: which generation of files is current and the digest of its manifest."""

    generation: int
    manifest_sha256: str
    next_vec_id: int


class Catalog:
    """Reads and writes the idx_* tables through the library store's connection."""

    def __init__(self, store: LibraryStore) -> None:
        self.store = store
        self.db = store.connection()
        migrate(store, "index", MIGRATIONS, legacy=_idx_schema_version)

    @contextmanager
    def snapshot(self) -> Iterator[Catalog]:
        """Reads inside one transaction, so state and chunks come from the same commit."""
        with self.store.transaction():
            yield self

    def state(self) -> IndexState:
        """The committed generation (0 when nothing was indexed yet)."""
        values = dict(self.db.execute("SELECT key, value FROM idx_state").fetchall())
        return IndexState(int(values.get("generation", 0)), values.get("manifest_sha256", ""),
                          int(values.get("next_vec_id", 1)))

    def digests(self) -> dict[str, str]:
        """Indexed documents and the digest of the content they were chunked from."""
        return dict(self.db.execute("SELECT doc_id, digest FROM idx_documents").fetchall())

    def vec_ids(self, doc_ids: Iterable[str]) -> list[int]:
        """Vector ids of the chunks of these documents."""
        out: list[int] = []
        for doc_id in doc_ids:
            out.extend(r[0] for r in self.db.execute("SELECT vec_id FROM idx_chunks WHERE doc_id = ?", (doc_id,)))
        return out

    def chunks(self) -> list[StoredChunk]:
        """Every indexed chunk, by vector id."""
        rows = self.db.execute(f"SELECT {_CHUNK_COLUMNS} FROM idx_chunks ORDER BY vec_id")
        return [_stored(row) for row in rows]

    def commit(self, *, expected: IndexState, new: IndexState, drop_docs: Iterable[str],
               chunks: Iterable[StoredChunk], digests: dict[str, str],
               before_commit: Callable[[], None] | None = None) -> None:
        """Replace the chunks of `drop_docs` and record the new generation, all in one transaction."""
        with self.store.transaction() as db:
            if self.state() != expected:
                raise IndexError_("Another indexing run changed the index meanwhile; run `readpath index` again.")
            for doc_id in drop_docs:
                db.execute("DELETE FROM idx_chunks WHERE doc_id = ?", (doc_id,))
                db.execute("DELETE FROM idx_documents WHERE doc_id = ?", (doc_id,))
            db.executemany(f"INSERT INTO idx_chunks ({_CHUNK_COLUMNS}) VALUES ({', '.join('?' * 14)})",
                           [_row(c) for c in chunks])
            counts = dict(db.execute("SELECT doc_id, COUNT(*) FROM idx_chunks GROUP BY doc_id").fetchall())
            db.executemany("INSERT INTO idx_documents (doc_id, digest, chunks) VALUES (?, ?, ?)",
                           [(d, digest, counts.get(d, 0)) for d, digest in digests.items()])
            db.executemany("INSERT OR REPLACE INTO idx_state (key, value) VALUES (?, ?)",
                           [("generation", str(new.generation)), ("manifest_sha256", new.manifest_sha256),
                            ("next_vec_id", str(new.next_vec_id))])
            if before_commit is not None:
                before_commit()


def _row(stored: StoredChunk) -> tuple[object, ...]:
    c = stored.chunk
    return (stored.vec_id, c.chunk_id, c.doc_id, c.source_id, c.kind, c.title, c.text, c.ordinal, c.page_start,
            c.page_end, c.section, c.heading_path, json.dumps(list(c.topics), ensure_ascii=False),
            " ".join(stored.terms))


def _stored(row: tuple[object, ...]) -> StoredChunk:
    (vec_id, chunk_id, doc_id, source_id, kind, title, text, ordinal, page_start, page_end, section, heading_path,
     topics, terms) = row
    chunk = Chunk(chunk_id=str(chunk_id), doc_id=str(doc_id), source_id=str(source_id), kind=str(kind),
                  title=str(title), text=str(text), ordinal=int(str(ordinal)),
                  page_start=page_start if isinstance(page_start, int) else None,
                  page_end=page_end if isinstance(page_end, int) else None,
                  section=section if isinstance(section, str) else None,
                  heading_path=heading_path if isinstance(heading_path, str) else None,
                  topics=tuple(json.loads(str(topics))))
    return StoredChunk(int(str(vec_id)), chunk, tuple(str(terms).split()))
