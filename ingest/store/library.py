"""LibraryStore: the document library in one SQLite database, and the raw-download cache beside it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.errors import StorageError
from ingest.models import CitationLink, DocKind, DocStatus, Document, Page, Section
from ingest.sources import CachedBody
from ingest.store.files import write_bytes_atomic
from ingest.store.migrations import MIGRATIONS
from ingest.store.schema import migrate

# Document fields kept as JSON in the `data` column; the rest are columns or child tables.
_DATA_FIELDS = ("authors", "abstract", "published", "updated", "categories", "version", "doi", "comment",
                "topics", "references", "meta")
# Aliases because LibraryStore.list shadows the builtin inside the class body.
Documents = list[Document]
Links = list[CitationLink]
Summaries = list["DocumentSummary"]


@dataclass(frozen=True)
class DocumentSummary:
    """One document's listing row: identity, status and health, without its text."""

    doc_id: str
    source_id: str
    kind: DocKind
    title: str
    status: DocStatus
    status_reason: str
    url: str | None
    pages: int
    chars: int
    sections: int
    fetched_at: str | None


def now_iso() -> str:
    """The current UTC time, ISO 8601, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def record_hash(doc: Document) -> str:
    """A digest of everything stored for a document except when it was fetched."""
    record = asdict(doc)
    record.pop("fetched_at")
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()


class LibraryStore:
    """Documents, pages, sections, citation links and the raw-download cache index, in SQLite (WAL)."""

    def __init__(self, path: Path, *, cache_dir: Path | None = None) -> None:
        self.path = path
        self.cache_dir = cache_dir or path.parent / "cache"
        self._lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL with synchronous=NORMAL survives a killed process intact; only power loss may drop
            # the last commits, and never leaves a half-written one.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            # Before the shared runner, the library counted its version in PRAGMA user_version.
            migrate(self, "library", MIGRATIONS, legacy=lambda db: int(db.execute("PRAGMA user_version").fetchone()[0]))
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"Cannot open the library {path} ({exc}); check that the data directory "
                               f"is writable, or move a damaged library.sqlite away and ingest again.") from exc

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def connection(self) -> sqlite3.Connection:
        """The open connection (autocommit mode), for layers that keep their own tables here."""
        return self._db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: everything inside commits together or not at all."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    # --- documents ---

    def upsert(self, doc: Document) -> bool:
        """Store a document with its pages and sections in one transaction; False when nothing changed."""
        digest = record_hash(doc)
        row = self._db.execute("SELECT record_hash FROM documents WHERE doc_id = ?", (doc.doc_id,)).fetchone()
        if row and row[0] == digest:
            return False
        data = json.dumps({name: getattr(doc, name) for name in _DATA_FIELDS}, ensure_ascii=False)
        with self._writing(), self.transaction() as db:
            db.execute(
                """INSERT INTO documents (doc_id, kind, source_id, title, status, status_reason, url, content_hash,
                       fetched_at, record_hash, page_count, char_count, section_count, data)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(doc_id) DO UPDATE SET kind=excluded.kind, source_id=excluded.source_id,
                       title=excluded.title, status=excluded.status, status_reason=excluded.status_reason,
                       url=excluded.url, content_hash=excluded.content_hash, fetched_at=excluded.fetched_at,
                       record_hash=excluded.record_hash, page_count=excluded.page_count,
                       char_count=excluded.char_count, section_count=excluded.section_count, data=excluded.data""",
                (doc.doc_id, doc.kind.value, doc.source_id, doc.title, doc.status.value, doc.status_reason, doc.url,
                 doc.content_hash, doc.fetched_at or now_iso(), digest, len(doc.pages),
                 sum(len(p.text) for p in doc.pages), len(doc.sections), data),
            )
            db.execute("DELETE FROM pages WHERE doc_id = ?", (doc.doc_id,))
            db.execute("DELETE FROM sections WHERE doc_id = ?", (doc.doc_id,))
            db.executemany("INSERT INTO pages (doc_id, number, text, heading) VALUES (?, ?, ?, ?)",
                           [(doc.doc_id, p.number, p.text, p.heading) for p in doc.pages])
            db.executemany("INSERT INTO sections (doc_id, ord, title, level, page) VALUES (?, ?, ?, ?, ?)",
                           [(doc.doc_id, i, s.title, s.level, s.page) for i, s in enumerate(doc.sections)])
        return True

    def get(self, doc_id: str, *, with_pages: bool = True) -> Document | None:
        """The stored document, with its pages and sections unless asked not to."""
        row = self._db.execute(f"SELECT {_COLUMNS} FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return self._document(row, with_pages) if row else None

    def remove(self, doc_id: str) -> bool:
        """Delete a document, its pages, sections, citation links and aliases; False if it was not there."""
        with self._writing(), self.transaction() as db:
            db.execute("DELETE FROM aliases WHERE doc_id = ?", (doc_id,))
            return db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,)).rowcount > 0

    def set_status(self, doc_id: str, status: DocStatus, reason: str = "") -> None:
        """Change a stored document's status and reason, leaving its content as it is."""
        doc = self.get(doc_id)
        if doc is None:
            raise StorageError(f"No document {doc_id} in the library; run `readpath library` to list them.")
        doc.status, doc.status_reason = status, reason
        self.upsert(doc)

    def summaries(self, kind: DocKind | None = None, status: DocStatus | None = None) -> Summaries:
        """Listing rows with health counts, ordered by kind then title."""
        return [_summary(row) for row in self._select(_SUMMARY_COLUMNS, kind, status)]

    def summary(self, doc_id: str) -> DocumentSummary | None:
        """One document's listing row, if it is stored."""
        row = self._db.execute(f"SELECT {_SUMMARY_COLUMNS} FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return _summary(row) if row else None

    def list(self, kind: DocKind | None = None, status: DocStatus | None = None,
             with_pages: bool = False) -> Documents:
        """Stored documents, optionally of one kind and status, ordered by kind then title."""
        return [self._document(row, with_pages) for row in self._select(_COLUMNS, kind, status)]

    def _select(self, columns: str, kind: DocKind | None, status: DocStatus | None) -> Iterator[Any]:
        filters = {"kind": kind.value if kind else None, "status": status.value if status else None}
        used = {name: value for name, value in filters.items() if value is not None}
        clause = ("WHERE " + " AND ".join(f"{name} = ?" for name in used)) if used else ""
        return iter(self._db.execute(f"SELECT {columns} FROM documents {clause} ORDER BY kind, title, doc_id",
                                     tuple(used.values())))

    def _document(self, row: Any, with_pages: bool) -> Document:
        doc_id, kind, source_id, title, status, reason, url, content_hash, fetched_at, data = row
        doc = Document(doc_id=doc_id, kind=DocKind(kind), source_id=source_id, title=title, status=DocStatus(status),
                       status_reason=reason, url=url, content_hash=content_hash, fetched_at=fetched_at,
                       **json.loads(data))
        if with_pages:
            doc.pages = [Page(n, t, h) for n, t, h in self._db.execute(
                "SELECT number, text, heading FROM pages WHERE doc_id = ? ORDER BY number", (doc_id,))]
            doc.sections = [Section(t, lv, p) for t, lv, p in self._db.execute(
                "SELECT title, level, page FROM sections WHERE doc_id = ? ORDER BY ord", (doc_id,))]
        return doc

    # --- citation links and aliases ---

    def citations(self, doc_id: str) -> Links:
        """Links where this document cites, or is cited by, another library document."""
        rows = self._db.execute("SELECT citing, cited, entry FROM citations WHERE citing = ? OR cited = ? "
                                "ORDER BY citing, cited", (doc_id, doc_id))
        return [CitationLink(*row) for row in rows]

    def set_citations(self, citing: str, links: Links) -> bool:
        """Replace the links a document makes; False when they were already these."""
        wanted = {(link.cited, link.entry) for link in links if link.cited != citing}
        current = set(self._db.execute("SELECT cited, entry FROM citations WHERE citing = ?", (citing,)))
        if wanted == current:
            return False
        with self._writing(), self.transaction() as db:
            db.execute("DELETE FROM citations WHERE citing = ?", (citing,))
            db.executemany("INSERT OR IGNORE INTO citations (citing, cited, entry) VALUES (?, ?, ?)",
                           [(citing, cited, entry) for cited, entry in sorted(wanted)])
        return True

    def alias(self, alias: str) -> str | None:
        """The doc_id another name (a dead PDF link, say) was resolved to, if any."""
        row = self._db.execute("SELECT doc_id FROM aliases WHERE alias = ?", (alias,)).fetchone()
        return str(row[0]) if row else None

    def set_alias(self, alias: str, doc_id: str) -> None:
        """Remember that a name resolves to a stored document."""
        if self.alias(alias) != doc_id:
            with self._writing(), self.transaction() as db:
                db.execute("INSERT OR REPLACE INTO aliases (alias, doc_id) VALUES (?, ?)", (alias, doc_id))

    # --- raw-download cache (implements ingest.sources.http.ResponseCache) ---

    def lookup(self, url: str) -> CachedBody | None:
        """The kept body for a URL, if its file is still there and intact."""
        row = self._db.execute("SELECT file, sha256, etag, content_type FROM raw_cache WHERE url = ?",
                               (url,)).fetchone()
        if not row:
            return None
        try:
            body = (self.cache_dir / row[0]).read_bytes()
        except OSError:
            return None
        return CachedBody(body, row[2], row[3]) if hashlib.sha256(body).hexdigest() == row[1] else None

    def save(self, url: str, body: bytes, *, etag: str | None, content_type: str | None) -> None:
        """Keep a downloaded body on disk (written whole, then renamed into place) and index it."""
        name = hashlib.sha256(url.encode()).hexdigest()
        relative = f"{name[:2]}/{name}"
        target = self.cache_dir / relative
        with self._writing():
            target.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(target, body)
            with self.transaction() as db:
                db.execute("INSERT OR REPLACE INTO raw_cache (url, file, sha256, size, etag, content_type, fetched_at)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?)", (url, relative, hashlib.sha256(body).hexdigest(),
                                                              len(body), etag, content_type, now_iso()))

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Turn disk and database failures during a write into a StorageError that says what to do."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"Cannot write to the library in {self.path.parent} ({exc}); check free space "
                               f"and permissions of the data directory.") from exc


_SUMMARY_COLUMNS = ("doc_id, source_id, kind, title, status, status_reason, url, page_count, char_count, "
                    "section_count, fetched_at")


def _summary(row: Any) -> DocumentSummary:
    doc_id, source_id, kind, title, status, reason, url, pages, chars, sections, fetched_at = row
    return DocumentSummary(doc_id, source_id, DocKind(kind), title, DocStatus(status), reason, url, pages, chars,
                           sections, fetched_at)


_COLUMNS = "doc_id, kind, source_id, title, status, status_reason, url, content_hash, fetched_at, data"
