"""A real HTTP server on 127.0.0.1 that speaks arXiv's Atom API, serves PDFs, and answers like GitHub's REST API.

Each test registers what the server knows (papers, repositories, files) and may queue one-shot answers
(429, 503, slow, broken) in front of any path. The wire formats copy the real services':
arXiv's feed with opensearch counts and `http://arxiv.org/abs/<id>v<n>` entry ids, its 400 `Error`
entry and its empty 200 feed; GitHub's repository JSON, base64 README JSON with ETag and 304, 301 for a
renamed repository, 404 JSON and X-RateLimit-* headers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.wire import FakePaper, FakeRepo, atom_error, atom_feed, readme_record, repo_record

_VALID_ID = re.compile(r"(?:(\d{2})(0[1-9]|1[0-2])\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?")


@dataclass
class Reply:
    """One canned answer."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass(frozen=True)
class Seen:
    """A request the server received."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float


class FakeWeb:
    """The server and everything it knows; start it with `with FakeWeb() as web:`."""

    def __init__(self) -> None:
        self.papers: dict[str, FakePaper] = {}
        self.repos: dict[str, FakeRepo] = {}  # by lower-case full name
        self.renamed: dict[str, str] = {}  # old lower-case full name -> new full name
        self.files: dict[str, Reply] = {}  # exact paths (raw-content host, other PDFs)
        self.queued: dict[str, list[Reply]] = {}  # path prefix -> one-shot answers served first
        self.delays: dict[str, float] = {}  # path prefix -> seconds before every answer
        self.rate_remaining: int | None = None  # GitHub's X-RateLimit-Remaining; 0 answers 403
        self.rate_reset_in_s = 3600
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FakeWeb:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """The arXiv API endpoint."""
        return f"{self.url}/api/query"

    @property
    def pdf_url(self) -> str:
        """The arXiv PDF base."""
        return f"{self.url}/pdf"

    @property
    def github_api_url(self) -> str:
        """The GitHub API base."""
        return f"{self.url}/gh"

    @property
    def raw_url(self) -> str:
        """The GitHub raw-content base."""
        return f"{self.url}/raw"

    def env(self) -> dict[str, str]:
        """READPATH_* settings that point readpath here, with no pacing and tiny backoff."""
        return {"READPATH_ARXIV_API_URL": self.api_url, "READPATH_ARXIV_PDF_URL": self.pdf_url,
                "READPATH_GITHUB_API_URL": self.github_api_url, "READPATH_GITHUB_RAW_URL": self.raw_url,
                "READPATH_ARXIV_DELAY_S": "0", "READPATH_BACKOFF_BASE_S": "0.01", "READPATH_HTTP_RETRIES": "2",
                "READPATH_HTTP_TIMEOUT_S": "5"}

    def add_paper(self, arxiv_id: str, title: str, pdf: bytes | None, **fields: Any) -> FakePaper:
        """Register a paper with one version (more with `paper.pdfs[2] = ...`)."""
        paper = FakePaper(arxiv_id, title, {1: pdf}, **fields)
        self.papers[arxiv_id] = paper
        return paper

    def add_repo(self, full_name: str, **fields: Any) -> FakeRepo:
        """Register a repository."""
        repo = FakeRepo(full_name, **fields)
        self.repos[full_name.lower()] = repo
        return repo

    def rename_repo(self, old: str, new: str) -> None:
        """Make `old` answer 301 towards the registered repository `new`."""
        self.renamed[old.lower()] = new

    def queue(self, prefix: str, *replies: Reply) -> None:
        """Serve these answers, once each, to the next requests whose path starts with `prefix`."""
        self.queued.setdefault(prefix, []).extend(replies)

    def hits(self, prefix: str) -> list[Seen]:
        """Requests received whose path starts with `prefix`."""
        with self._lock:
            return [s for s in self.seen if s.path.startswith(prefix)]

    def answer(self, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> Reply:
        """The reply to one request (called by the handler thread)."""
        with self._lock:
            self.seen.append(Seen(path, query, headers, time.monotonic()))
            queued = next((k for k in self.queued if path.startswith(k) and self.queued[k]), None)
            if queued is not None:
                return self.queued[queued].pop(0)
        if path in self.files:
            return self.files[path]
        if path == "/api/query":
            return self._arxiv(query)
        if path.startswith("/pdf/"):
            return self._pdf(path.removeprefix("/pdf/"))
        if path.startswith("/gh/"):
            return self._github(path.removeprefix("/gh"), headers)
        return Reply(404, b"<html><body><h1>404 Not Found</h1></body></html>", {"Content-Type": "text/html"})

    def _arxiv(self, query: dict[str, list[str]]) -> Reply:
        raw_query = "&".join(f"{k}={v[0]}" for k, v in sorted(query.items()))
        ids = [i for i in query.get("id_list", [""])[0].split(",") if i]
        for asked in ids:
            if not _VALID_ID.fullmatch(asked):
                return Reply(400, atom_error(f"incorrect id format for {asked}", raw_query), _ATOM_TYPE)
        entries = [e for asked in ids if (e := self._entry(asked))]
        if "search_query" in query:
            entries += [(p, p.latest) for p in self.papers.values() if _title_matches(query["search_query"][0], p)]
        return Reply(200, atom_feed(entries, raw_query), _ATOM_TYPE)

    def _entry(self, asked: str) -> tuple[FakePaper, int] | None:
        base, _, version = asked.partition("v") if "/" not in asked else (asked, "", "")
        paper = self.papers.get(base)
        if paper is None or (version and int(version) not in paper.pdfs):
            return None
        return paper, int(version) if version else paper.latest

    def _pdf(self, vid: str) -> Reply:
        match = re.fullmatch(r"(.+)v(\d+)", vid)
        paper = self.papers.get(match.group(1)) if match else None
        pdf = paper.pdfs.get(int(match.group(2))) if paper and match else None
        if pdf is None:
            return Reply(404, b"<html><body>Not found</body></html>", {"Content-Type": "text/html"})
        return Reply(200, pdf, {"Content-Type": "application/pdf"})

    def _github(self, path: str, headers: dict[str, str]) -> Reply:
        limits = self._rate_headers()
        if self.rate_remaining == 0:
            body = {"message": "API rate limit exceeded for 127.0.0.1.", "documentation_url": "https://docs.github.com"}
            return _json_reply(403, body, limits)
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)(/readme)?|/repositories/(\d+)(/readme)?", path)
        if not match:
            return _json_reply(404, _NOT_FOUND, limits)
        name, readme = (match.group(1), match.group(2)) if match.group(1) else (None, match.group(4))
        if name and name.lower() in self.renamed:
            target = self.repos[self.renamed[name.lower()].lower()]
            location = f"{self.github_api_url}/repositories/{target.repo_id}{readme or ''}"
            return _json_reply(301, {"message": "Moved Permanently", "url": location}, {**limits, "Location": location})
        repo = (self.repos.get(name.lower()) if name
                else next((r for r in self.repos.values() if str(r.repo_id) == match.group(3)), None))
        if repo is None or (readme and repo.readme is None):
            return _json_reply(404, _NOT_FOUND, limits)
        record = readme_record(repo, self.github_api_url, repo.readme) if readme and repo.readme is not None \
            else repo_record(repo, self.github_api_url)
        body = json.dumps(record).encode()
        etag = f'W/"{hashlib.sha256(body).hexdigest()[:40]}"'
        if headers.get("if-none-match") == etag:
            return Reply(304, b"", {**limits, "ETag": etag})
        if self.rate_remaining is not None:
            self.rate_remaining -= 1  # only answers with a body count, as on GitHub
        return Reply(200, body, {**limits, "ETag": etag, "Content-Type": "application/json; charset=utf-8"})

    def _rate_headers(self) -> dict[str, str]:
        remaining = 60 if self.rate_remaining is None else self.rate_remaining
        return {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": str(int(time.time()) + self.rate_reset_in_s)}


_ATOM_TYPE = {"Content-Type": "application/atom+xml; charset=UTF-8"}
_NOT_FOUND = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository",
              "status": "404"}


def _json_reply(status: int, body: dict[str, Any], headers: dict[str, str]) -> Reply:
    return Reply(status, json.dumps(body).encode(), {**headers, "Content-Type": "application/json; charset=utf-8"})


def _title_matches(search: str, paper: FakePaper) -> bool:
    """arXiv's `ti:` terms joined by AND: every word in the title."""
    words = set(re.findall(r"[a-z0-9]+", paper.title.lower()))
    terms = [t.strip().removeprefix("ti:").strip('"').lower() for t in search.split(" AND ")]
    return bool(terms) and all(set(re.findall(r"[a-z0-9]+", t)) <= words for t in terms)


def _chunked(body: bytes, size: int = 65536) -> bytes:
    """A body in HTTP/1.1 chunked framing, so it carries no Content-Length."""
    pieces = [b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size]) for i in range(0, len(body), size)]
    return b"".join(pieces) + b"0\r\n\r\n"


def _handler(web: FakeWeb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = web.answer(parts.path, parse_qs(parts.query), headers)
            delay = reply.delay_s + max((s for p, s in web.delays.items() if parts.path.startswith(p)), default=0.0)
            if delay:
                time.sleep(delay)
            # The client may give up early (size limit, timeout, a killed run): that is what some tests check.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._send(reply)

        def _send(self, reply: Reply) -> None:
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            chunked = reply.headers.get("Transfer-Encoding") == "chunked"
            if not chunked and not any(k.lower() == "content-length" for k in reply.headers):
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(_chunked(reply.body) if chunked else reply.body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read `web.seen` instead."""

    return Handler

