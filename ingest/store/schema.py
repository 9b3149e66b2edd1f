"""The one migration runner for every SQLite schema readpath keeps (the library's, the index's).

Each schema is a name and a tuple of numbered migrations: entry i takes it from version i to i + 1.
Versions live in one table, `schema_versions`, keyed by schema name. Each migration runs in its own
write transaction together with the bump of its version, so a crash leaves the schema at a whole
version, never between two.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from ingest.errors import StorageError


class Database(Protocol):
    """What the runner needs of a database: LibraryStore is one."""

    def connection(self) -> sqlite3.Connection:
        """The open connection in autocommit mode, for reads outside a transaction."""

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE): a second process opening the same file waits
        instead of applying the same migration twice."""


# Reads the version an older readpath kept elsewhere (PRAGMA user_version, the idx_schema table);
# called only while schema_versions has no row for the schema yet.
LegacyVersion = Callable[[sqlite3.Connection], int]

_VERSIONS_TABLE = "CREATE TABLE IF NOT EXISTS schema_versions (schema TEXT PRIMARY KEY, version INTEGER NOT NULL)"


def statements(script: str) -> Iterator[str]:
    """The complete SQL statements of a migration script, in order; each must end with ';'.

    A ';' ends a statement only where SQLite says the text so far is complete, so semicolons inside
    string literals, comments and trigger bodies (BEGIN ... END) stay inside their statement.
    """
    pieces = script.split(";")
    pending = ""
    for piece in pieces[:-1]:
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    rest = (pending + pieces[-1]).strip()
    if rest:
        raise ValueError(f"incomplete SQL statement at the end of a migration (missing ';'?): {rest[:80]!r}")


def _recorded(db: sqlite3.Connection, schema: str) -> int | None:
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions'").fetchone():
        return None
    row = db.execute("SELECT version FROM schema_versions WHERE schema = ?", (schema,)).fetchone()
    return None if row is None else int(row[0])


def schema_version(db: sqlite3.Connection, schema: str, legacy: LegacyVersion | None = None) -> int:
    """The version the database is at for `schema` (0 when it was never created); reads only."""
    version = _recorded(db, schema)
    if version is None:
        version = legacy(db) if legacy else 0
    return version


def migrate(database: Database, schema: str, migrations: Sequence[str], *,
            legacy: LegacyVersion | None = None) -> int:
    """Bring `schema` up to len(migrations), one atomic transaction per migration; the version reached.

    A version found by `legacy` is recorded in schema_versions on the way, so it is read only once.
    A database whose version is ahead of the migrations this code knows was written by a newer
    readpath: it is left alone and reported, because running old code on it could lose data.
    """
    target = len(migrations)
    # The common case, an up-to-date database, takes no write lock.
    if _recorded(database.connection(), schema) == target:
        return target
    while True:
        with database.transaction() as db:
            # Read inside the transaction: another process may have migrated since we last looked.
            version = schema_version(db, schema, legacy)
            if version > target:
                raise StorageError(f"The database's {schema} schema is at version {version}, newer than this "
                                   f"readpath knows ({target}): upgrade readpath, or use another "
                                   f"data directory.")
            db.execute(_VERSIONS_TABLE)
            if version < target:
                for statement in statements(migrations[version]):
                    db.execute(statement)
                version += 1
            db.execute("INSERT INTO schema_versions (schema, version) VALUES (?, ?) "
                       "ON CONFLICT(schema) DO UPDATE SET version = excluded.version", (schema, version))
        if version == target:
            return version
