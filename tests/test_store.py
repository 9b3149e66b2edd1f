"""LibraryStore: documents with pages in one transaction, idempotent upserts, migrations, the raw cache."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ingest.errors import StorageError
from ingest.models import CitationLink, DocKind, DocStatus, Document, Page, Section
from ingest.store import schema_version
from ingest.store.library import MIGRATIONS, LibraryStore


def paper(doc_id: str = "paper:2205.14135", pages: int = 3, **fields: object) -> Document:
    doc = Document(doc_id=doc_id, kind=DocKind.PAPER, source_id=doc_id.split(":", 1)[1], title="FlashAttention",
                   pages=[Page(n, f"text of page {n}") for n in range(1, pages + 1)],
                   sections=[Section("1 Introduction", 1, 1)], authors=["Tri Dao"], topics=["mlsys/attention"],
                   meta={"primary_category": "cs.LG"}, version=2)
    for name, value in fields.items():
        setattr(doc, name, value)
    return doc


@pytest.fixture
def store(tmp_path: Path) -> LibraryStore:
    return LibraryStore(tmp_path / "library.sqlite")


def test_round_trips_a_document_with_its_pages_and_sections(store: LibraryStore) -> None:
    doc = paper()
    assert store.upsert(doc) is True
    got = store.get(doc.doc_id)
    assert got is not None and got.fetched_at
    got.fetched_at = doc.fetched_at
    assert got == doc


def test_an_identical_upsert_changes_nothing(store: LibraryStore) -> None:
    store.upsert(paper())
    assert store.upsert(paper(fetched_at="2030-01-01T00:00:00+00:00")) is False
    assert store.upsert(paper(pages=4)) is True
    stored = store.get("paper:2205.14135")
    assert stored is not None and len(stored.pages) == 4


def test_a_failed_write_leaves_the_previous_document_whole(store: LibraryStore) -> None:
    store.upsert(paper(pages=3))
    broken = paper(pages=5)
    broken.pages.append(Page(5, "duplicate page number"))  # violates the primary key mid-transaction
    with pytest.raises(StorageError):
        store.upsert(broken)
    stored = store.get("paper:2205.14135")
    assert stored is not None and [p.number for p in stored.pages] == [1, 2, 3]


def test_lists_and_summarises_by_kind_and_status(store: LibraryStore) -> None:
    store.upsert(paper())
    store.upsert(paper("paper:1706.03762", pages=0, status=DocStatus.PENDING, title="Attention"))
    store.upsert(Document(doc_id="repo:a/b", kind=DocKind.REPO, source_id="a/b", title="a/b"))
    assert [d.doc_id for d in store.list(kind=DocKind.PAPER)] == ["paper:1706.03762", "paper:2205.14135"]
    assert [d.doc_id for d in store.list(status=DocStatus.PENDING)] == ["paper:1706.03762"]
    assert store.list(kind=DocKind.PAPER, with_pages=False)[1].pages == []
    assert len(store.list(kind=DocKind.PAPER, with_pages=True)[1].pages) == 3
    summary = store.summary("paper:2205.14135")
    assert summary is not None and (summary.pages, summary.chars, summary.sections) == (3, 42, 1)


def test_set_status_and_remove(store: LibraryStore) -> None:
    store.upsert(paper())
    store.set_status("paper:2205.14135", DocStatus.FAILED, "broken")
    stored = store.get("paper:2205.14135")
    assert stored is not None and (stored.status, stored.status_reason, len(stored.pages)) == (DocStatus.FAILED,
                                                                                              "broken", 3)
    assert store.remove("paper:2205.14135") is True
    assert store.get("paper:2205.14135") is None and store.remove("paper:2205.14135") is False
    pages = store.connection().execute("SELECT count(*) FROM pages").fetchone()[0]
    assert pages == 0


def test_citation_links_are_replaced_and_removed_with_their_documents(store: LibraryStore) -> None:
    store.upsert(paper())
    store.upsert(paper("paper:1706.03762", title="Attention"))
    link = CitationLink("paper:2205.14135", "paper:1706.03762", "[1] Vaswani et al. Attention is all you need.")
    assert store.set_citations("paper:2205.14135", [link]) is True
    assert store.set_citations("paper:2205.14135", [link]) is False
    assert store.citations("paper:1706.03762") == [link]
    store.remove("paper:1706.03762")
    assert store.citations("paper:2205.14135") == []


def test_aliases(store: LibraryStore) -> None:
    store.set_alias("https://github.com/x/y/blob/main/paper.pdf", "paper:2303.06865")
    assert store.alias("https://github.com/x/y/blob/main/paper.pdf") == "paper:2303.06865"
    assert store.alias("other") is None


def test_the_raw_cache_keeps_bodies_on_disk_and_drops_damaged_ones(store: LibraryStore, tmp_path: Path) -> None:
    store.save("http://h/p.pdf", b"%PDF-1.4 body", etag='"abc"', content_type="application/pdf")
    kept = store.lookup("http://h/p.pdf")
    assert kept is not None and (kept.body, kept.etag) == (b"%PDF-1.4 body", '"abc"')
    files = list((tmp_path / "cache").rglob("*"))
    (cached,) = [f for f in files if f.is_file()]
    cached.write_bytes(b"tampered")
    assert store.lookup("http://h/p.pdf") is None


def test_migrations_are_numbered_and_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite"
    LibraryStore(path).upsert(paper())
    reopened = LibraryStore(path)
    assert schema_version(reopened.connection(), "library") == len(MIGRATIONS)
    assert reopened.connection().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert reopened.get("paper:2205.14135") is not None


def test_a_damaged_database_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match=r"move a damaged library\.sqlite away"):
        LibraryStore(path)


def test_an_unwritable_data_directory_is_a_storage_error(tmp_path: Path) -> None:
    # A file where the data directory should be: unwritable even for root, who ignores permissions.
    blocker = tmp_path / "home"
    blocker.write_text("not a directory")
    with pytest.raises(StorageError, match="writable"):
        LibraryStore(blocker / "library.sqlite")


def test_other_layers_can_keep_tables_in_the_same_database(store: LibraryStore) -> None:
    store.upsert(paper())
    db = store.connection()
    db.execute("CREATE TABLE chunks (doc_id TEXT REFERENCES documents(doc_id) ON DELETE CASCADE, text TEXT)")
    db.execute("INSERT INTO chunks VALUES ('paper:2205.14135', 'x')")
    store.remove("paper:2205.14135")
    assert db.execute("SELECT count(*) FROM chunks").fetchone()[0] == 0
    assert isinstance(db, sqlite3.Connection)
