"""The arXiv fetcher against a real server speaking arXiv's Atom format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.errors import FetchError, InputError, SourceNotFound
from ingest.sources import arxiv
from ingest.sources.arxiv import ArxivRef, parse_arxiv_ref
from ingest.sources.http import HttpClient, HttpConfig
from ingest.store.library import LibraryStore
from tests.support.fakeservers import FakeWeb, Reply
from tests.support.wire import FakePaper, atom_feed

PDF = b"%PDF-1.4\n% a stand-in: the fetcher returns bytes, it does not parse them\n%%EOF\n"
FLASH = "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness"


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with FakeWeb() as server:
        paper = server.add_paper("2205.14135", FLASH, PDF, authors=["Tri Dao", "Daniel Y. Fu"],
                                 doi="10.48550/arXiv.2205.14135", comment="NeurIPS 2022")
        paper.pdfs[2] = PDF + b"v2"
        yield server


@pytest.fixture
def client(web: FakeWeb, tmp_path: Path) -> Iterator[HttpClient]:
    config = HttpConfig(allowed_bases=(web.url,), user_agent="t", retries=2, backoff_base_s=0.01)
    with HttpClient(config, cache=LibraryStore(tmp_path / "lib.sqlite")) as http:
        yield http


@pytest.mark.parametrize(("text", "expected"), [
    ("2205.14135", ArxivRef("2205.14135")),
    ("2205.14135v2", ArxivRef("2205.14135", 2)),
    ("arXiv:2205.14135", ArxivRef("2205.14135")),
    ("https://arxiv.org/abs/2205.14135v1", ArxivRef("2205.14135", 1)),
    ("https://arxiv.org/pdf/2205.14135.pdf", ArxivRef("2205.14135")),
    ("http://export.arxiv.org/abs/hep-th/9901001", ArxivRef("hep-th/9901001")),
    ("owner/name", None),
    ("2205.1", None),
])
def test_parses_every_way_of_writing_an_id(text: str, expected: ArxivRef | None) -> None:
    assert parse_arxiv_ref(text) == expected


def test_fetches_metadata_of_the_latest_version(web: FakeWeb, client: HttpClient) -> None:
    paper = arxiv.fetch_paper(client, ArxivRef("2205.14135"), api_url=web.api_url)
    assert (paper.arxiv_id, paper.version, paper.title) == ("2205.14135", 2, FLASH)
    assert paper.authors == ["Tri Dao", "Daniel Y. Fu"]
    assert (paper.doi, paper.comment, paper.primary_category) == ("10.48550/arXiv.2205.14135", "NeurIPS 2022", "cs.LG")
    assert paper.published == "2022-05-27" and paper.abstract == "We study things."
    assert web.hits("/api/query")[0].query["id_list"] == ["2205.14135"]


def test_fetches_an_asked_version(web: FakeWeb, client: HttpClient) -> None:
    paper = arxiv.fetch_paper(client, ArxivRef("2205.14135", 1), api_url=web.api_url)
    assert paper.version == 1
    assert arxiv.fetch_pdf(client, paper, pdf_base=web.pdf_url) == PDF
    assert web.hits("/pdf/2205.14135v1")


def test_a_kept_answer_is_reused_unless_refreshing(web: FakeWeb, client: HttpClient) -> None:
    for refresh in (False, False, True):
        arxiv.fetch_paper(client, ArxivRef("2205.14135"), api_url=web.api_url, refresh=refresh)
    assert len(web.hits("/api/query")) == 2


def test_an_unknown_id_is_an_empty_feed_and_source_not_found(web: FakeWeb, client: HttpClient) -> None:
    with pytest.raises(SourceNotFound, match=r"arXiv has no paper 2301\.99999"):
        arxiv.fetch_paper(client, ArxivRef("2301.99999"), api_url=web.api_url)


def test_a_malformed_id_is_arxivs_400_error_entry_and_an_input_error(web: FakeWeb, client: HttpClient) -> None:
    with pytest.raises(InputError, match=r"incorrect id format for 2213\.14135"):
        arxiv.fetch_paper(client, ArxivRef("2213.14135"), api_url=web.api_url)


def test_a_429_with_a_plain_text_body_is_retried(web: FakeWeb, client: HttpClient) -> None:
    web.queue("/api/query", Reply(429, b"Rate exceeded.", {"Content-Type": "text/plain"}))
    assert arxiv.fetch_paper(client, ArxivRef("2205.14135"), api_url=web.api_url).version == 2
    assert len(web.hits("/api/query")) == 2


def test_persistent_503_is_a_fetch_error(web: FakeWeb, client: HttpClient) -> None:
    web.queue("/api/query", *[Reply(503, b"down")] * 3)
    with pytest.raises(FetchError, match="HTTP 503"):
        arxiv.fetch_paper(client, ArxivRef("2205.14135"), api_url=web.api_url)


def test_parse_feed_reads_arxivs_entry_ids_and_skips_others() -> None:
    feed = atom_feed([(FakePaper("1706.03762", "Attention Is All You Need", {7: None}), 7)], "id_list=1706.03762")
    papers = arxiv.parse_feed(feed, status=200, asked="x")
    assert [(p.arxiv_id, p.version) for p in papers] == [("1706.03762", 7)]
    assert arxiv.parse_feed(atom_feed([], "id_list="), status=200, asked="x") == []


def test_a_missing_pdf_is_source_not_found(web: FakeWeb, client: HttpClient) -> None:
    web.add_paper("2303.06865", "FlexGen", None)
    paper = arxiv.fetch_paper(client, ArxivRef("2303.06865"), api_url=web.api_url)
    with pytest.raises(SourceNotFound, match=r"2303\.06865v1"):
        arxiv.fetch_pdf(client, paper, pdf_base=web.pdf_url)


def test_searches_by_title_and_keeps_only_a_close_match(web: FakeWeb, client: HttpClient) -> None:
    web.add_paper("2303.06865", "FlexGen: High-Throughput Generative Inference of Large Language Models with a "
                  "Single GPU", PDF)
    found = arxiv.search_by_title(client, "FlexGen: High-throughput Generative Inference of Large Language Models "
                                  "with a Single GPU", api_url=web.api_url)
    assert found is not None and found.arxiv_id == "2303.06865"
    assert "ti:flexgen AND ti:high" in web.hits("/api/query")[0].query["search_query"][0]
    assert arxiv.search_by_title(client, "Large Language Models", api_url=web.api_url) is None
