"""The GitHub fetcher against a real server answering like GitHub's REST API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.errors import FetchError, SourceNotFound
from ingest.sources import github
from ingest.sources.github import RepoRef, blob_to_raw, parse_repo_ref
from ingest.sources.http import HttpClient, HttpConfig
from ingest.store.library import LibraryStore
from tests.support.fakeservers import FakeWeb, Reply

README = "# FlexGen\n\nRunning large language models on a single GPU.\n\n## 安装\n\npip install flexgen\n".encode()


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with FakeWeb() as server:
        server.add_repo("FMInference/FlexGen", readme=README, description="LLM inference", topics=["llm"], stars=9000)
        yield server


@pytest.fixture
def client(web: FakeWeb, tmp_path: Path) -> Iterator[HttpClient]:
    config = HttpConfig(allowed_bases=(web.url,), user_agent="t", retries=1, backoff_base_s=0.01, max_wait_s=2.0)
    with HttpClient(config, cache=LibraryStore(tmp_path / "lib.sqlite")) as http:
        yield http


@pytest.mark.parametrize(("text", "expected"), [
    ("FMInference/FlexGen", RepoRef("FMInference", "FlexGen")),
    ("https://github.com/FMInference/FlexGen", RepoRef("FMInference", "FlexGen")),
    ("https://github.com/chungchi300/reading-book/tree/master", RepoRef("chungchi300", "reading-book")),
    ("github.com/pybind/pybind11.git", RepoRef("pybind", "pybind11")),
    ("not a repo", None),
])
def test_parses_repository_references(text: str, expected: RepoRef | None) -> None:
    assert parse_repo_ref(text) == expected


def test_blob_urls_go_through_the_raw_host() -> None:
    url = "https://github.com/FMInference/FlexGen/blob/main/docs/paper.pdf"
    assert blob_to_raw(url, "https://raw.example/") == "https://raw.example/FMInference/FlexGen/main/docs/paper.pdf"
    assert blob_to_raw("https://github.com/FMInference/FlexGen", "https://raw.example") is None


def test_fetches_metadata_and_the_readme(web: FakeWeb, client: HttpClient) -> None:
    fetched = github.fetch_repo(client, RepoRef("FMInference", "FlexGen"), api_url=web.github_api_url)
    assert fetched.info.full_name == "FMInference/FlexGen"
    assert (fetched.info.description, fetched.info.topics, fetched.info.stars) == ("LLM inference", ["llm"], 9000)
    assert (fetched.info.license, fetched.info.default_branch) == ("MIT", "main")
    assert fetched.readme is not None and fetched.readme.content == README
    assert not fetched.unchanged


def test_an_unchanged_readme_costs_nothing_the_second_time(web: FakeWeb, client: HttpClient) -> None:
    web.rate_remaining = 10
    ref = RepoRef("FMInference", "FlexGen")
    github.fetch_repo(client, ref, api_url=web.github_api_url)
    again = github.fetch_repo(client, ref, api_url=web.github_api_url)
    assert again.unchanged and again.readme is not None and again.readme.content == README
    assert web.rate_remaining == 8  # the two 304s did not count


def test_a_changed_readme_is_fetched_again(web: FakeWeb, client: HttpClient) -> None:
    ref = RepoRef("FMInference", "FlexGen")
    github.fetch_repo(client, ref, api_url=web.github_api_url)
    web.repos["fminference/flexgen"].readme = README + b"\nNew section.\n"
    again = github.fetch_repo(client, ref, api_url=web.github_api_url)
    assert not again.unchanged and again.readme is not None and again.readme.content.endswith(b"New section.\n")


def test_sends_the_token_when_given(web: FakeWeb, client: HttpClient) -> None:
    github.fetch_repo(client, RepoRef("FMInference", "FlexGen"), api_url=web.github_api_url, token="ghp_secret")
    assert {hit.headers.get("authorization") for hit in web.hits("/gh/")} == {"Bearer ghp_secret"}


def test_a_missing_repository_is_source_not_found(web: FakeWeb, client: HttpClient) -> None:
    with pytest.raises(SourceNotFound, match="nobody/nothing does not exist"):
        github.fetch_repo(client, RepoRef("nobody", "nothing"), api_url=web.github_api_url)


def test_a_renamed_repository_is_followed(web: FakeWeb, client: HttpClient) -> None:
    web.rename_repo("Ying1123/FlexGen", "FMInference/FlexGen")
    fetched = github.fetch_repo(client, RepoRef("Ying1123", "FlexGen"), api_url=web.github_api_url)
    assert fetched.info.full_name == "FMInference/FlexGen" and fetched.readme is not None
    assert [hit.path for hit in web.hits("/gh/")][:2] == ["/gh/repos/Ying1123/FlexGen", "/gh/repositories/1000"]


def test_a_repository_without_readme_has_none(web: FakeWeb, client: HttpClient) -> None:
    web.add_repo("octo/empty", readme=None)
    assert github.fetch_repo(client, RepoRef("octo", "empty"), api_url=web.github_api_url).readme is None


def test_an_exhausted_rate_limit_far_from_reset_is_a_fetch_error(web: FakeWeb, client: HttpClient) -> None:
    web.rate_remaining = 0
    with pytest.raises(FetchError, match="rate limited"):
        github.fetch_repo(client, RepoRef("FMInference", "FlexGen"), api_url=web.github_api_url)
    assert len(web.hits("/gh/")) == 1  # not retried: the reset is an hour away


def test_an_exhausted_rate_limit_close_to_reset_is_waited_for(web: FakeWeb, tmp_path: Path) -> None:
    reset = str(int(time.time()) + 6)  # whole seconds, as GitHub sends: 5 to 6 s from now
    web.queue("/gh/repos/", Reply(403, b'{"message": "API rate limit exceeded"}',
                                  {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}))
    waits: list[float] = []  # the client's sleeps, recorded instead of slept
    config = HttpConfig(allowed_bases=(web.url,), user_agent="t", retries=1, backoff_base_s=0.01, max_wait_s=10.0)
    with HttpClient(config, cache=LibraryStore(tmp_path / "lib.sqlite"), sleep=waits.append) as client:
        fetched = github.fetch_repo(client, RepoRef("FMInference", "FlexGen"), api_url=web.github_api_url)
    assert fetched.readme is not None
    assert len(web.hits("/gh/repos/FMInference/FlexGen")) == 3  # the refused one, again after the reset, README
    assert max(waits) >= 3  # it waited for the reset (5 to 6 s off, less any stall here) rather than hammering
