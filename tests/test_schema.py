"""The one migration runner: whole statements, one atomic transaction per migration, old databases carry on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from index.catalog import MIGRATIONS as INDEX_MIGRATIONS
from index.catalog import Catalog
from ingest.errors import StorageError
from ingest.store import LibraryStore, migrate, schema_version
from ingest.store.migrations import MIGRATIONS as LIBRARY_MIGRATIONS
from ingest.store.schema import statements


def _old_style_library(path: Path) -> None:
    """A library.sqlite exactly as readpath wrote it before the shared runner: each schema split on ';',
    the library's version in PRAGMA user_version, the index's in its own idx_schema table."""
    db = sqlite3.connect(path, isolation_level=None)
    for statement in filter(str.strip, LIBRARY_MIGRATIONS[0].split(";")):
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute("CREATE TABLE IF NOT EXISTS idx_schema (version INTEGER NOT NULL)")
    for statement in filter(str.strip, INDEX_MIGRATIONS[0].split(";")):
        db.execute(statement)
    db.execute("INSERT INTO idx_schema (version) VALUES (1)")
    db.execute("INSERT INTO documents (doc_id, kind, source_id, title, status, record_hash, data) "
               "VALUES ('paper:1', 'paper', '1', 'Old paper', 'ok', 'h', '{}')")
    db.execute("INSERT INTO idx_state (key, value) VALUES ('generation', '7')")
    db.close()


def test_a_database_written_by_the_old_runners_opens_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite"
    _old_style_library(path)
    store = LibraryStore(path)  # would fail with "table documents already exists" if it re-ran migration 1
    catalog = Catalog(store)
    db = store.connection()
    assert schema_version(db, "library") == len(LIBRARY_MIGRATIONS)
    assert schema_version(db, "index") == len(INDEX_MIGRATIONS)
    assert db.execute("SELECT title FROM documents").fetchall() == [("Old paper",)]
    assert catalog.state().generation == 7


def test_a_new_database_counts_both_schemas_in_one_table(tmp_path: Path) -> None:
    store = LibraryStore(tmp_path / "library.sqlite")
    Catalog(store)
    rows = dict(store.connection().execute("SELECT schema, version FROM schema_versions").fetchall())
    assert rows == {"library": len(LIBRARY_MIGRATIONS), "index": len(INDEX_MIGRATIONS)}


def test_semicolons_inside_literals_comments_and_triggers_stay_in_their_statement() -> None:
    script = """
        CREATE TABLE t (note TEXT DEFAULT 'a;b');  -- a comment; with a semicolon
        CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN
            UPDATE t SET note = note || ';' WHERE rowid = new.rowid;
        END;
        INSERT INTO t DEFAULT VALUES;
    """
    parts = list(statements(script))
    assert len(parts) == 3 and "CREATE TRIGGER" in parts[1] and parts[1].endswith("END;")
    db = sqlite3.connect(":memory:")
    for part in parts:
        db.execute(part)
    assert db.execute("SELECT note FROM t").fetchone() == ("a;b;",)


def test_an_unterminated_statement_is_refused() -> None:
    with pytest.raises(ValueError, match="incomplete SQL"):
        list(statements("CREATE TABLE a (x); CREATE TABLE b (y"))


def test_a_failing_migration_leaves_the_schema_at_the_previous_whole_version(tmp_path: Path) -> None:
    store = LibraryStore(tmp_path / "library.sqlite")
    good = "CREATE TABLE x_one (a INTEGER);"
    broken = "CREATE TABLE x_two (a INTEGER); INSERT INTO no_such_table VALUES (1);"
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        migrate(store, "x", (good, broken))
    db = store.connection()
    assert schema_version(db, "x") == 1
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "x_one" in tables and "x_two" not in tables  # the broken migration's first statement rolled back
    assert migrate(store, "x", (good, "CREATE TABLE x_two (a INTEGER);")) == 2


def test_a_database_from_a_newer_readpath_is_refused_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite"
    LibraryStore(path).connection().execute("UPDATE schema_versions SET version = 99 WHERE schema = 'library'")
    with pytest.raises(StorageError, match="newer than this readpath knows"):
        LibraryStore(path)
