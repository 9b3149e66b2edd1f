"""The ingestion pipeline end to end against a real local server: every source, incremental runs, bad input."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ingest.guide.loader import parse_guide
from ingest.models import DocKind, DocStatus, Guide
from ingest.pipeline.run import IngestReport, Outcome, Sources, add_items, ingest_guides
from ingest.sources.http import HttpClient, HttpConfig
from ingest.store.library import LibraryStore
from tests.support.fakeservers import FakeWeb, Reply
from tests.support.pdfgen import make_pdf, make_scanned_pdf

FLASH = "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness"
FLEXGEN = "FlexGen: High-Throughput Generative Inference of Large Language Models with a Single GPU"
BLOB = "https://github.com/FMInference/FlexGen/blob/main/docs/paper.pdf"
GUIDE = f"""# MLSys reading guide

## Papers
- [{FLASH}](https://arxiv.org/abs/2205.14135)
- [FlexGen: High-throughput Generative Inference of Large Language Models with a Single GPU]({BLOB})

## Repositories
- [FlexGen](https://github.com/FMInference/FlexGen)
- [MindSpore](https://gitee.com/mindspore/mindspore)

## Books
- 《Designing Data-Intensive Applications》
"""
BODY = "Transformers are slow and memory-hungry on long sequences. " * 12


def flash_pdf(marker: str = "tiling") -> bytes:
    """Three pages: known text on known pages, numbered sections, and a reference to FlexGen's arXiv id."""
    return make_pdf([
        f"# Abstract\n\n{BODY}\n\n# 1 Introduction\n\n{BODY}",
        f"# 2 Method\n\nWe use {marker} to reduce reads and writes between levels of GPU memory. {BODY}",
        f"# References\n\n[1] Y. Sheng et al. {FLEXGEN}. arXiv:2303.06865, 2023.\n\n"
        f"[2] A. Vaswani et al. Attention is all you need. NeurIPS, 2017.",
    ], title=FLASH)


def flexgen_pdf() -> bytes:
    return make_pdf([f"# Abstract\n\nOffloading lets a single GPU serve a large model. {BODY}",
                     f"# 1 Introduction\n\n{BODY}"], title=FLEXGEN)


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with FakeWeb() as server:
        server.add_paper("2205.14135", FLASH, flash_pdf(), authors=["Tri Dao"])
        server.add_paper("2303.06865", FLEXGEN, flexgen_pdf(), authors=["Ying Sheng"])
        server.add_repo("FMInference/FlexGen", readme=b"# FlexGen\n\nHigh-throughput inference.\n\n"
                                                       b"## Install\n\npip install flexgen\n\n## Usage\n\nRun it.\n")
        yield server


@pytest.fixture
def store(tmp_path: Path) -> LibraryStore:
    return LibraryStore(tmp_path / "home" / "library.sqlite")


def sources_for(base: str, store: LibraryStore, sleep: Callable[[float], None] = time.sleep,
                **config: object) -> Sources:
    # A generous timeout: the fake servers answer in milliseconds, but not on a machine busy with other work.
    settings = dict(allowed_bases=(base,), user_agent="readpath-test", retries=1, backoff_base_s=0.01, timeout_s=30.0)
    settings.update(config)
    client = HttpClient(HttpConfig(**settings), cache=store, sleep=sleep)  # type: ignore[arg-type]
    return Sources(client, f"{base}/api/query", f"{base}/pdf", f"{base}/gh", f"{base}/raw",
                   max_pdf_bytes=int(settings.get("max_bytes", 50 * 1024 * 1024)))  # type: ignore[call-overload]


@pytest.fixture
def sources(web: FakeWeb, store: LibraryStore) -> Sources:
    return sources_for(web.url, store)


@pytest.fixture
def guide() -> Guide:
    return parse_guide(GUIDE, name="mini")


def outcomes(report: IngestReport) -> dict[str, Outcome]:
    return {r.item: r.outcome for r in report.results}


def test_ingests_everything_a_guide_cites(guide: Guide, store: LibraryStore, sources: Sources) -> None:
    report = ingest_guides([guide], store, sources)
    assert outcomes(report) == {
        "guide mini": Outcome.FETCHED, "arxiv:2205.14135": Outcome.FETCHED, f"pdf_url:{BLOB}": Outcome.FETCHED,
        "github:FMInference/FlexGen": Outcome.FETCHED, "gitee:mindspore/mindspore": Outcome.UNRESOLVED,
        "book:Designing Data-Intensive Applications": Outcome.UNRESOLVED}
    assert report.ok and not report.offline
    flash = store.get("paper:2205.14135")
    assert flash is not None and (flash.title, flash.version, flash.authors) == (FLASH, 1, ["Tri Dao"])
    assert [p.number for p in flash.pages] == [1, 2, 3] and "tiling" in flash.pages[1].text
    assert any("Method" in s.title and s.page == 2 for s in flash.sections)
    assert flash.topics == ["mlsys-reading-guide/papers"] and flash.content_hash


def test_a_dead_pdf_link_is_replaced_by_the_paper_found_by_title(guide: Guide, store: LibraryStore,
                                                                 sources: Sources, web: FakeWeb) -> None:
    report = ingest_guides([guide], store, sources)
    assert web.hits("/raw/FMInference/FlexGen/main/docs/paper.pdf")  # tried the raw-content host first
    (flexgen,) = [r for r in report.results if r.item == f"pdf_url:{BLOB}"]
    assert flexgen.doc_id == "paper:2303.06865" and "2303.06865" in flexgen.note and "404" in flexgen.note
    assert any("found by the guide's title" in note for note in report.notes)
    assert store.get(f"paper:{BLOB}") is None


def test_a_live_pdf_link_is_ingested_with_metadata_from_the_pdf(guide: Guide, store: LibraryStore,
                                                               sources: Sources, web: FakeWeb) -> None:
    web.files["/raw/FMInference/FlexGen/main/docs/paper.pdf"] = Reply(200, flexgen_pdf(),
                                                                       {"Content-Type": "application/pdf"})
    ingest_guides([guide], store, sources)
    doc = store.get(f"paper:{BLOB}")
    assert doc is not None and doc.status is DocStatus.OK and "FlexGen" in doc.title and len(doc.pages) == 2


def test_repositories_the_guide_itself_and_unresolved_references(guide: Guide, store: LibraryStore,
                                                                 sources: Sources) -> None:
    ingest_guides([guide], store, sources)
    repo = store.get("repo:fminference/flexgen")
    assert repo is not None and repo.kind is DocKind.REPO and repo.meta["stars"] == "42"
    assert {s.title for s in repo.sections} >= {"Install", "Usage"} and "pip install flexgen" in repo.text
    gitee = store.get("reference:mindspore/mindspore")
    assert gitee is not None and gitee.status is DocStatus.UNRESOLVED and "gitee" in gitee.status_reason
    book = store.get("reference:Designing Data-Intensive Applications")
    assert book is not None and book.status is DocStatus.UNRESOLVED
    guide_doc = store.get("guide:mini")
    assert guide_doc is not None and "FlashAttention" in guide_doc.text
    assert guide_doc.title == "MLSys reading guide"  # its one top-level heading, not the file name
    assert {s.title for s in guide_doc.sections} == {"MLSys reading guide", "Papers", "Repositories", "Books"}


def test_citation_links_are_computed_after_papers_are_stored(guide: Guide, store: LibraryStore,
                                                             sources: Sources) -> None:
    ingest_guides([guide], store, sources)
    links = store.citations("paper:2205.14135")
    assert [(link.citing, link.cited) for link in links] == [("paper:2205.14135", "paper:2303.06865")]


def test_a_second_run_fetches_nothing_and_changes_nothing(guide: Guide, store: LibraryStore, sources: Sources,
                                                          web: FakeWeb) -> None:
    ingest_guides([guide], store, sources)
    requests = len(web.seen)
    before = store.connection().execute("SELECT doc_id, record_hash, fetched_at FROM documents").fetchall()
    again = ingest_guides([guide], store, sources)
    assert len(web.seen) == requests
    assert {r.outcome for r in again.results} == {Outcome.UNCHANGED, Outcome.UNRESOLVED}
    assert store.connection().execute("SELECT doc_id, record_hash, fetched_at FROM documents").fetchall() == before


def test_refresh_replaces_only_a_new_arxiv_version_and_a_changed_readme(guide: Guide, store: LibraryStore,
                                                                        sources: Sources, web: FakeWeb) -> None:
    ingest_guides([guide], store, sources)
    web.papers["2205.14135"].pdfs[2] = flash_pdf(marker="recomputation")
    web.repos["fminference/flexgen"].readme = b"# FlexGen\n\n## Changed\n\nNew text.\n"
    report = ingest_guides([guide], store, sources, refresh=True)
    changed = {r.item for r in report.results if r.outcome is Outcome.FETCHED}
    assert changed == {"arxiv:2205.14135", "github:FMInference/FlexGen"}
    flash = store.get("paper:2205.14135")
    assert flash is not None and flash.version == 2 and "recomputation" in flash.pages[1].text
    readme_hits = len(web.hits("/gh/repos/FMInference/FlexGen/readme"))
    ingest_guides([guide], store, sources, refresh=True)
    assert web.hits("/gh/repos/FMInference/FlexGen/readme")[readme_hits].headers.get("if-none-match")


def test_a_failed_refresh_keeps_the_stored_version(store: LibraryStore, sources: Sources, web: FakeWeb) -> None:
    add_items(["2205.14135"], store, sources)
    web.queue("/api/query", *[Reply(503, b"down")] * 2)
    (result,) = add_items(["2205.14135"], store, sources, refresh=True).results
    assert result.outcome is Outcome.FAILED and result.note == "the stored version is kept"
    stored = store.get("paper:2205.14135")
    assert stored is not None and stored.status is DocStatus.OK and len(stored.pages) == 3


def test_one_bad_item_never_stops_the_others(store: LibraryStore, sources: Sources, web: FakeWeb) -> None:
    web.add_paper("2101.00001", "Broken", b"%PDF-1.4\nthis is not really a pdf")
    web.add_paper("2101.00002", "Encrypted", make_pdf([BODY], encrypt="secret"))
    web.add_paper("2101.00003", "Scanned", make_scanned_pdf(2))
    web.files["/files/login.pdf"] = Reply(200, b"<html><body>Please sign in</body></html>",
                                          {"Content-Type": "text/html"})
    items = ["2101.00001", "2101.00002", "2101.00003", "2301.99999", "arXiv:2213.14135", "nobody/nothing",
             f"{web.url}/files/login.pdf", "https://evil.example/paper.pdf", "not an item", "2205.14135"]
    report = add_items(items, store, sources)
    results = {r.item: r for r in report.results}
    assert results["2205.14135"].outcome is Outcome.FETCHED
    failed = {item: r.reason for item, r in results.items() if r.outcome is Outcome.FAILED}
    assert set(failed) == set(items) - {"2205.14135"}
    assert "no text layer" in failed["2101.00003"]
    assert "2301.99999" in failed["2301.99999"] and "incorrect id format" in failed["arXiv:2213.14135"]
    assert "does not exist" in failed["nobody/nothing"] and "HTML" in failed[f"{web.url}/files/login.pdf"]
    assert "evil.example" in failed["https://evil.example/paper.pdf"]
    scanned = store.get("paper:2101.00003")
    assert scanned is not None and scanned.status is DocStatus.FAILED and scanned.pages == []
    assert scanned.title == "Scanned"  # the metadata is kept with the reason
    assert not report.ok


def test_permanent_failures_wait_for_refresh_transient_ones_are_retried(store: LibraryStore, sources: Sources,
                                                                        web: FakeWeb) -> None:
    guide = parse_guide("# G\n\n- [Gone](https://arxiv.org/abs/2101.00404)\n"
                        "- [Flash](https://arxiv.org/abs/2205.14135)\n", name="g")
    web.add_paper("2101.00404", "Gone", None)  # metadata, but the PDF answers 404
    web.queue("/pdf/2205.14135", *[Reply(503, b"busy")] * 2)
    first = ingest_guides([guide], store, sources)
    assert [r.outcome for r in first.results[1:]] == [Outcome.FAILED, Outcome.FAILED]
    requests = len(web.seen)
    second = ingest_guides([guide], store, sources)
    assert [r.outcome for r in second.results[1:]] == [Outcome.FAILED, Outcome.FETCHED]
    assert "--refresh" in second.results[1].reason
    assert [hit.path for hit in web.seen[requests:]] == ["/pdf/2205.14135v1"]  # only the transient one, again
    ingest_guides([guide], store, sources, refresh=True)
    assert web.hits("/pdf/2101.00404v1")[1:]  # --refresh tries the permanent one again


def test_add_tries_a_failed_item_again(store: LibraryStore, sources: Sources, web: FakeWeb) -> None:
    web.add_paper("2101.00404", "Gone", None)
    add_items(["2101.00404"], store, sources)
    web.papers["2101.00404"].pdfs[1] = flexgen_pdf()  # the PDF is back
    assert add_items(["2101.00404"], store, sources).results[0].outcome is Outcome.FETCHED


def test_a_pdf_over_the_size_limit_fails_with_the_limit(store: LibraryStore, web: FakeWeb) -> None:
    big = make_pdf([BODY * 3] * 40)
    web.add_paper("2101.00009", "Long", big)
    small = sources_for(web.url, store, max_bytes=len(big) // 2)
    (result,) = add_items(["2101.00009"], store, small).results
    assert result.outcome is Outcome.FAILED and "larger than" in result.reason


def test_offline_finishes_quickly_and_leaves_the_rest_pending(guide: Guide, store: LibraryStore,
                                                              web: FakeWeb) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    backoffs: list[float] = []
    report = ingest_guides([guide], store, sources_for(dead, store, sleep=backoffs.append, retries=4))
    # Quickly, whatever the machine's load: a refused connection means offline, so no backoff is waited out
    # (4 retries would be), and the items after it are left pending untried.
    assert backoffs == []
    assert report.offline and report.ok
    assert outcomes(report)["guide mini"] is Outcome.FETCHED
    assert len(report.of(Outcome.PENDING)) == 3
    pending = store.get("paper:2205.14135")
    assert pending is not None and pending.status is DocStatus.PENDING
    online = ingest_guides([guide], store, sources_for(web.url, store))
    assert outcomes(online)["arxiv:2205.14135"] is Outcome.FETCHED and not online.of(Outcome.PENDING)


def test_adds_every_kind_of_item(store: LibraryStore, sources: Sources, web: FakeWeb, tmp_path: Path) -> None:
    web.add_repo("octo/cat", readme=b"# Cat\n\nMeow.\n")
    web.files["/files/paper.pdf"] = Reply(200, flexgen_pdf(), {"Content-Type": "application/pdf"})
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("# Notes\n\n## Tiling\n\nBlocks of the attention matrix stay in SRAM.\n")
    (folder / "b.txt").write_text("Plain notes about offloading weights to CPU memory and disk.\n")
    (folder / ".hidden.md").write_text("# skipped\n")
    pdf = tmp_path / "zh.pdf"
    pdf.write_bytes(make_pdf(["注意力机制把长序列分块计算，减少显存读写。" * 8], chinese=True))
    items = ["2205.14135v1", "arXiv:2303.06865", "https://arxiv.org/abs/2205.14135", "https://github.com/octo/cat",
             "FMInference/FlexGen", f"{web.url}/files/paper.pdf", str(folder), str(pdf)]
    report = add_items(items, store, sources)
    assert report.ok, [r.reason for r in report.of(Outcome.FAILED)]
    ids = {r.doc_id for r in report.results}
    assert ids >= {"paper:2205.14135", "paper:2303.06865", "repo:octo/cat", "repo:fminference/flexgen",
                   f"paper:{web.url}/files/paper.pdf", f"file:{folder.resolve() / 'a.md'}",
                   f"file:{folder.resolve() / 'b.txt'}", f"file:{pdf.resolve()}"}
    assert f"file:{folder.resolve() / '.hidden.md'}" not in ids
    chinese = store.get(f"file:{pdf.resolve()}")
    assert chinese is not None and "注意力机制" in chinese.text


def test_an_unchanged_local_file_is_not_parsed_again_and_an_edited_one_is(store: LibraryStore, sources: Sources,
                                                                          tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text("# Note\n\nFirst version of the note.\n")
    assert add_items([str(note)], store, sources).results[0].outcome is Outcome.FETCHED
    assert add_items([str(note)], store, sources).results[0].outcome is Outcome.UNCHANGED
    note.write_text("# Note\n\nSecond version of the note.\n")
    assert add_items([str(note)], store, sources).results[0].outcome is Outcome.FETCHED


def test_mojibake_in_a_text_file_is_repaired(store: LibraryStore, sources: Sources, tmp_path: Path) -> None:
    # UTF-8 bytes once read as cp1252 and saved again as UTF-8: the guide's own kind of damage.
    garbled = "# 大模型推理加速\n\n分块注意力与显存读写。\n".encode().decode("cp1252", errors="ignore")
    path = tmp_path / "garbled.txt"
    path.write_text(garbled, encoding="utf-8")
    add_items([str(path)], store, sources)
    doc = store.get(f"file:{path.resolve()}")
    assert doc is not None and "大模型推理加速" in doc.text


def test_a_pdf_with_little_text_is_stored_but_flagged(store: LibraryStore, sources: Sources, web: FakeWeb) -> None:
    web.add_paper("2101.00005", "Mostly scans", make_pdf(["Tiny.", "x", "y"], footer_page_numbers=False))
    (result,) = add_items(["2101.00005"], store, sources).results
    assert result.outcome is Outcome.FETCHED and result.reason.startswith("low text")
    stored = store.get("paper:2101.00005")
    assert stored is not None and stored.status_reason.startswith("low text") and len(stored.pages) == 3


def test_the_parser_and_the_pipeline_share_one_low_text_floor(store: LibraryStore, sources: Sources,
                                                              web: FakeWeb) -> None:
    # About 250 characters a page: under the one floor (300), so the parser warns and the pipeline flags alike.
    words = "alpha hotel oscar victor charlie juliet quebec xray echo lima sierra zulu golf november".split()  # noqa: SIM905
    pages = [" ".join(words[(i * 3 + n) % len(words)] for i in range(40)) for n in range(2)]  # no running lines
    web.add_paper("2101.00006", "Half scans", make_pdf(pages, footer_page_numbers=False))
    add_items(["2101.00006"], store, sources)
    stored = store.get("paper:2101.00006")
    assert stored is not None and stored.status_reason.startswith("low text")
    assert "far fewer characters than pages suggest" in stored.meta.get("warnings", "")


def test_a_renamed_repository_is_followed_and_noted(store: LibraryStore, sources: Sources, web: FakeWeb) -> None:
    web.rename_repo("Ying1123/FlexGen", "FMInference/FlexGen")
    (result,) = add_items(["Ying1123/FlexGen"], store, sources).results
    assert result.outcome is Outcome.FETCHED and "renamed to FMInference/FlexGen" in result.note


def test_a_429_during_ingest_is_retried(guide: Guide, store: LibraryStore, sources: Sources, web: FakeWeb) -> None:
    web.queue("/api/query", Reply(429, b"Rate exceeded.", {"Content-Type": "text/plain"}))
    assert ingest_guides([guide], store, sources).ok
