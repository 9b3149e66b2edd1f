"""GitHub fetcher: a repository's metadata and README through the REST API, with ETag revalidation."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

from ingest.errors import FetchError, SourceNotFound
from ingest.sources.http import CachePolicy, HttpClient, Response, require_ok

_NAME = r"[A-Za-z0-9_.-]+"
_REPO_URL = re.compile(rf"(?:https?://)?(?:www\.)?github\.com/(?P<owner>{_NAME})/(?P<name>{_NAME}?)(?:\.git)?"
                       r"(?:/(?P<rest>[^?#]*))?/?(?:[?#].*)?")
_OWNER_NAME = re.compile(rf"(?P<owner>[A-Za-z0-9][A-Za-z0-9-]*)/(?P<name>{_NAME})")
_BLOB = re.compile(r"(?:blob|raw)/(?P<path>[^?#]+)")
_GITEE = re.compile(r"(?:https?://)?(?:www\.)?gitee\.com/.+")
_API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}



@dataclass(frozen=True)
class RepoRef:
    """A GitHub repository as `owner/name`."""

    owner: str
    name: str

    def __str__(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class RepoInfo:
    """What `GET /repos/{owner}/{repo}` says about a repository."""

    full_name: str
    description: str
    html_url: str
    default_branch: str
    stars: int | None
    license: str | None
    topics: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Readme:
    """A repository's README: its file name and raw bytes."""

    path: str
    content: bytes
    html_url: str | None = None


@dataclass(frozen=True)
class FetchedRepo:
    """A repository's metadata and README; `unchanged` when GitHub answered 304 to both."""

    info: RepoInfo
    readme: Readme | None
    unchanged: bool


def parse_repo_ref(text: str) -> RepoRef | None:
    """The repository in a GitHub URL or `owner/name`; None if the text is neither."""
    candidate = text.strip()
    match = _REPO_URL.fullmatch(candidate) or _OWNER_NAME.fullmatch(candidate)
    return RepoRef(match.group("owner"), match.group("name")) if match else None


def is_gitee(text: str) -> bool:
    """Whether the text is a gitee.com URL."""
    return bool(_GITEE.fullmatch(text.strip()))


def blob_to_raw(url: str, raw_base: str) -> str | None:
    """A github.com `blob/<branch>/<path>` URL as `<raw_base>/<owner>/<repo>/<branch>/<path>`; None otherwise."""
    match = _REPO_URL.fullmatch(url.strip())
    blob = _BLOB.fullmatch(match.group("rest") or "") if match else None
    if not match or not blob:
        return None
    return f"{raw_base.rstrip('/')}/{match.group('owner')}/{match.group('name')}/{blob.group('path')}"


def parse_repo_json(data: Any) -> RepoInfo:
    """A RepoInfo from the JSON of `GET /repos/{owner}/{repo}`."""
    if not isinstance(data, dict) or "full_name" not in data:
        raise FetchError("GitHub answered with a repository record without full_name; try again later.")
    license_info = data.get("license") or {}
    return RepoInfo(
        full_name=str(data["full_name"]),
        description=str(data.get("description") or ""),
        html_url=str(data.get("html_url") or ""),
        default_branch=str(data.get("default_branch") or "main"),
        stars=data.get("stargazers_count") if isinstance(data.get("stargazers_count"), int) else None,
        license=license_info.get("spdx_id") or license_info.get("name"),
        topics=[str(t) for t in data.get("topics") or []],
    )


def parse_readme_json(data: Any) -> Readme:
    """A Readme from the JSON of `GET /repos/{owner}/{repo}/readme` (base64 content)."""
    if not isinstance(data, dict) or data.get("encoding") != "base64" or "content" not in data:
        raise FetchError("GitHub answered with a README record without base64 content; try again later.")
    try:
        content = base64.b64decode(str(data["content"]))
    except (binascii.Error, ValueError) as exc:
        raise FetchError(f"GitHub sent a README whose base64 content is damaged ({exc}); try again later.") from exc
    return Readme(path=str(data.get("path") or "README.md"), content=content, html_url=data.get("html_url"))


def fetch_repo(client: HttpClient, repo: RepoRef, *, api_url: str, token: str | None = None) -> FetchedRepo:
    """Metadata and README; a 301 (renamed) is followed, a 404 is SourceNotFound, a 304 costs nothing."""
    base = api_url.rstrip("/")
    headers = dict(_API_HEADERS)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    meta = _get(client, f"{base}/repos/{repo}", headers)
    if meta.status == 404:
        raise SourceNotFound(f"GitHub repository {repo} does not exist (404) or is private; check the name.")
    info = parse_repo_json(require_ok(meta, f"GitHub repository {repo}").json())
    # Asked under the current name, so a renamed repository costs one redirect, not two.
    readme_response = _get(client, f"{base}/repos/{info.full_name}/readme", headers)
    readme = None
    if readme_response.status != 404:  # a repository without a README is not an error
        readme = parse_readme_json(require_ok(readme_response, f"The README of {repo}").json())
    return FetchedRepo(info, readme, unchanged=meta.from_cache and readme_response.from_cache)


def _get(client: HttpClient, url: str, headers: dict[str, str]) -> Response:
    # Always revalidated: a 304 does not count against GitHub's rate limit.
    return client.get(url, headers=headers, cache=CachePolicy.REVALIDATE)
