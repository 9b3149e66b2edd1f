"""The HTTP client against a real server on 127.0.0.1: allow-list, pacing, retries, limits, cache."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.errors import FetchError, HostNotAllowed, Offline, PdfUnreadable
from ingest.sources.http import MIB, CachePolicy, HttpClient, HttpConfig, retry_after_s
from ingest.store.library import LibraryStore
from tests.support.fakeservers import FakeWeb, Reply

PDF = b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n"


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with FakeWeb() as server:
        yield server


def client_for(web: FakeWeb, **overrides: object) -> HttpClient:
    config = dict(allowed_bases=(web.url,), user_agent="readpath-test/1 (+mailto:test@example.org)", timeout_s=30.0,
                  retries=2, backoff_base_s=0.01)
    config.update(overrides)
    return HttpClient(HttpConfig(**config))  # type: ignore[arg-type]


def test_sends_a_descriptive_user_agent(web: FakeWeb) -> None:
    web.files["/x"] = Reply(200, b"hello")
    with client_for(web) as client:
        assert client.get(f"{web.url}/x").content == b"hello"
    assert web.hits("/x")[0].headers["user-agent"] == "readpath-test/1 (+mailto:test@example.org)"


def test_retries_503_then_succeeds(web: FakeWeb) -> None:
    web.files["/x"] = Reply(200, b"ok")
    web.queue("/x", Reply(503, b"busy"), Reply(503, b"busy"))
    with client_for(web) as client:
        assert client.get(f"{web.url}/x").content == b"ok"
    assert len(web.hits("/x")) == 3


def test_retries_a_429_with_a_plain_text_body(web: FakeWeb, caplog: pytest.LogCaptureFixture) -> None:
    web.files["/x"] = Reply(200, b"ok")
    web.queue("/x", Reply(429, b"Rate exceeded.", {"Content-Type": "text/plain"}))
    with client_for(web) as client:
        assert client.get(f"{web.url}/x").status == 200
    assert "HTTP 429; retry 1 of 2" in caplog.text  # a log line before each sleep


def test_gives_up_after_bounded_retries_with_a_fetch_error(web: FakeWeb) -> None:
    web.queue("/x", *[Reply(503, b"down")] * 5)
    with client_for(web) as client, pytest.raises(FetchError, match=r"HTTP 503 after 3 attempts"):
        client.get(f"{web.url}/x")
    assert len(web.hits("/x")) == 3


def test_does_not_retry_a_404(web: FakeWeb) -> None:
    with client_for(web) as client:
        assert client.get(f"{web.url}/missing").status == 404
    assert len(web.hits("/missing")) == 1


def test_a_slow_answer_times_out_and_is_retried(web: FakeWeb) -> None:
    web.files["/slow"] = Reply(200, b"late")
    # The timeout leaves a busy machine seconds to serve the retry; the first answer comes well after it.
    web.queue("/slow", Reply(200, b"late", delay_s=8.0))
    with client_for(web, timeout_s=2.0) as client:
        assert client.get(f"{web.url}/slow").content == b"late"
    assert len(web.hits("/slow")) == 2


def test_a_long_retry_after_is_not_waited_for(web: FakeWeb) -> None:
    web.queue("/x", Reply(429, b"slow down", {"Retry-After": "3600"}))
    with client_for(web) as client, pytest.raises(FetchError, match="rate limited for another 3600 s"):
        client.get(f"{web.url}/x")
    assert len(web.hits("/x")) == 1


def test_retry_after_reads_github_rate_limit_headers() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000"}
    assert retry_after_s(403, headers, now=990.0) == 10.0
    assert retry_after_s(200, headers, now=990.0) is None
    assert retry_after_s(429, {"retry-after": "7"}, now=0.0) == 7.0


def test_paces_requests_to_one_host(web: FakeWeb) -> None:
    web.files["/x"] = Reply(200, b"ok")
    host = "127.0.0.1"
    with client_for(web, min_interval_s={host: 0.3}) as client:
        for _ in range(3):
            client.get(f"{web.url}/x")
    times = [hit.at for hit in web.hits("/x")]
    assert all(later - earlier >= 0.28 for earlier, later in itertools.pairwise(times))


def test_refuses_a_host_that_is_not_configured(web: FakeWeb) -> None:
    with client_for(web) as client, pytest.raises(HostNotAllowed, match=r"evil\.example"):
        client.get("https://evil.example/paper.pdf")
    assert web.seen == []


def test_refuses_a_redirect_to_another_host(web: FakeWeb) -> None:
    web.files["/jump"] = Reply(302, b"", {"Location": "http://169.254.169.254/latest/meta-data"})
    with client_for(web) as client, pytest.raises(HostNotAllowed, match=r"169\.254\.169\.254"):
        client.get(f"{web.url}/jump")


def test_follows_a_redirect_within_the_host(web: FakeWeb) -> None:
    web.files["/old"] = Reply(301, b"", {"Location": "/new"})
    web.files["/new"] = Reply(200, b"moved here")
    with client_for(web) as client:
        response = client.get(f"{web.url}/old")
    assert (response.content, response.url) == (b"moved here", f"{web.url}/new")


def test_refuses_a_configured_name_that_resolves_to_a_private_address() -> None:
    client = HttpClient(HttpConfig(allowed_bases=("https://mirror.example",), user_agent="t"),
                        resolve=lambda host: ["10.1.2.3"])
    with client, pytest.raises(HostNotAllowed, match=r"private address 10\.1\.2\.3"):
        client.get("https://mirror.example/x")


def test_a_host_that_does_not_resolve_is_offline() -> None:
    with HttpClient(HttpConfig(allowed_bases=("https://export.arxiv.invalid",), user_agent="t")) as client, \
            pytest.raises(Offline, match="offline"):
        client.get("https://export.arxiv.invalid/api/query")


def test_a_refused_connection_is_offline() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free, and nothing listens on it once closed
    base = f"http://127.0.0.1:{port}"
    with HttpClient(HttpConfig(allowed_bases=(base,), user_agent="t", retries=3)) as client, \
            pytest.raises(Offline):
        client.get(f"{base}/api/query")


def test_refuses_a_body_over_the_declared_size_limit(web: FakeWeb) -> None:
    web.files["/big.pdf"] = Reply(200, PDF + b"x" * MIB)
    with client_for(web, max_bytes=MIB) as client, pytest.raises(PdfUnreadable, match="larger than the 1 MiB"):
        client.get(f"{web.url}/big.pdf", expect_pdf=True)


def test_refuses_a_streamed_body_over_the_limit_without_a_length(web: FakeWeb) -> None:
    # Chunked, so no Content-Length warns in advance: the limit is enforced while streaming.
    web.files["/big"] = Reply(200, b"y" * (2 * MIB), {"Transfer-Encoding": "chunked"})
    with client_for(web, max_bytes=MIB) as client, pytest.raises(FetchError, match="larger than the 1 MiB"):
        client.get(f"{web.url}/big")


def test_detects_html_where_a_pdf_was_expected(web: FakeWeb) -> None:
    web.files["/paper.pdf"] = Reply(200, b"<!DOCTYPE html><html><body>Sign in</body></html>",
                                    {"Content-Type": "text/html"})
    with client_for(web) as client, pytest.raises(PdfUnreadable, match="HTML page where a PDF was expected"):
        client.get(f"{web.url}/paper.pdf", expect_pdf=True)


def test_an_empty_pdf_answer_is_refused(web: FakeWeb) -> None:
    web.files["/empty.pdf"] = Reply(200, b"", {"Content-Type": "application/pdf"})
    with client_for(web) as client, pytest.raises(PdfUnreadable, match="empty body"):
        client.get(f"{web.url}/empty.pdf", expect_pdf=True)


def test_prefer_cache_answers_the_second_time_without_a_request(web: FakeWeb, tmp_path: Path) -> None:
    web.files["/p.pdf"] = Reply(200, PDF, {"Content-Type": "application/pdf"})
    store = LibraryStore(tmp_path / "library.sqlite")
    with HttpClient(client_for(web).config, cache=store) as client:
        first = client.get(f"{web.url}/p.pdf", expect_pdf=True, cache=CachePolicy.PREFER)
        second = client.get(f"{web.url}/p.pdf", expect_pdf=True, cache=CachePolicy.PREFER)
    assert (first.from_cache, second.from_cache, second.content) == (False, True, PDF)
    assert len(web.hits("/p.pdf")) == 1


def test_revalidate_sends_the_etag_and_uses_the_kept_body_on_304(web: FakeWeb, tmp_path: Path) -> None:
    web.add_repo("octo/cat")
    store = LibraryStore(tmp_path / "library.sqlite")
    with HttpClient(client_for(web).config, cache=store) as client:
        first = client.get(f"{web.github_api_url}/repos/octo/cat", cache=CachePolicy.REVALIDATE)
        second = client.get(f"{web.github_api_url}/repos/octo/cat", cache=CachePolicy.REVALIDATE)
    assert second.from_cache and second.content == first.content
    hits = web.hits("/gh/repos/octo/cat")
    assert "if-none-match" not in hits[0].headers and hits[1].headers["if-none-match"].startswith('W/"')
