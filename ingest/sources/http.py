"""The ingest layer's one HTTP client: host allow-list, per-host pacing, retries, size limit, cache."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from ingest.errors import FetchError, Offline, PdfUnreadable, SourceNotFound
from ingest.sources.hosts import HostPolicy, resolve_host

log = logging.getLogger(__name__)

MIB = 1024 * 1024
_ERROR_BODY_LIMIT = MIB  # error pages are read for their message only
_MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)
_PDF_HEADER_WINDOW = 1024  # readers accept "%PDF-" anywhere in the first 1024 bytes


@dataclass(frozen=True)
class HttpConfig:
    """How the client behaves; the service layer builds it from Settings."""

    allowed_bases: tuple[str, ...]  # configured base URLs: only their hosts are ever fetched
    user_agent: str
    timeout_s: float = 30.0
    retries: int = 4
    backoff_base_s: float = 2.0
    max_wait_s: float = 120.0  # longest server-requested wait (Retry-After, rate-limit reset) honoured
    min_interval_s: Mapping[str, float] = field(default_factory=dict)  # host -> seconds between requests
    max_bytes: int = 50 * MIB


@dataclass(frozen=True)
class Response:
    """A finished response: final URL, status, headers and the whole (size-limited) body."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    from_cache: bool = False

    def json(self) -> Any:
        """The body parsed as JSON; a FetchError when the service sent something else."""
        try:
            return json.loads(self.content)
        except ValueError as exc:
            raise FetchError(f"{self.url} answered with something that is not JSON; try again later.") from exc


@dataclass(frozen=True)
class CachedBody:
    """A body kept from an earlier 200 answer, with its validator."""

    body: bytes
    etag: str | None
    content_type: str | None


class ResponseCache(Protocol):
    """Where raw downloads are kept so nothing is fetched twice (the LibraryStore implements it)."""

    def lookup(self, url: str) -> CachedBody | None:
        """The kept body for this URL, if any."""
        ...

    def save(self, url: str, body: bytes, *, etag: str | None, content_type: str | None) -> None:
        """Keep a body for this URL."""
        ...


class CachePolicy(Enum):
    """How a request uses the response cache."""

    NONE = "none"  # always ask the network, keep nothing
    PREFER = "prefer"  # a kept body answers without any request; else fetch and keep
    REVALIDATE = "revalidate"  # ask with If-None-Match; a 304 answers with the kept body


class _TransientError(Exception):
    """A failure worth retrying: a timeout, a 429 or a 5xx."""

    def __init__(self, reason: str, retry_after: float = 0.0, *, connecting: bool = False) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.connecting = connecting  # no connection was made at all: a sign of no route


class _Pacer:
    """One request at a time per host, at least the configured interval apart."""

    def __init__(self, intervals: Mapping[str, float], sleep: Callable[[float], None]) -> None:
        self._intervals = intervals
        self._sleep = sleep
        self._locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}
        self._guard = threading.Lock()

    def lock(self, host: str) -> threading.Lock:
        """The lock that serialises requests to this host (hold it for the whole request)."""
        with self._guard:
            return self._locks.setdefault(host, threading.Lock())

    def wait_turn(self, host: str) -> None:
        """Sleep until the host's interval since its last request has passed (call holding its lock)."""
        interval = self._intervals.get(host, 0.0)
        last = self._last.get(host)
        if interval and last is not None:
            delay = last + interval - time.monotonic()
            if delay > 0:
                self._sleep(delay)
        self._last[host] = time.monotonic()


def retry_after_s(status: int, headers: Mapping[str, str], now: float) -> float | None:
    """Seconds the server asks us to wait (Retry-After, or GitHub's exhausted rate limit), if it says."""
    value = headers.get("retry-after")
    if value is not None and value.strip().isdigit():
        return float(value)
    if status in (403, 429) and headers.get("x-ratelimit-remaining") == "0":
        reset = headers.get("x-ratelimit-reset", "")
        return max(0.0, float(reset) - now) if reset.isdigit() else None
    return None


class HttpClient:
    """GET with the allow-list, pacing, retries of the transient, a size limit and the raw cache."""

    def __init__(self, config: HttpConfig, *, cache: ResponseCache | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 resolve: Callable[[str], list[str]] = resolve_host) -> None:
        self.config = config
        self.cache = cache
        self.hosts = HostPolicy(config.allowed_bases, resolve)
        self._pacer = _Pacer(config.min_interval_s, sleep)
        self._sleep = sleep
        self._http = httpx.Client(timeout=config.timeout_s, follow_redirects=False,
                                  headers={"User-Agent": config.user_agent})

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def get(self, url: str, *, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None,
            expect_pdf: bool = False, cache: CachePolicy = CachePolicy.NONE) -> Response:
        """GET a URL, following redirects within the allowed hosts; non-2xx answers are returned, not raised."""
        full = str(httpx.URL(url, params=params)) if params else url
        self.hosts.check_allowed(full)
        kept = self.cache.lookup(full) if self.cache and cache is not CachePolicy.NONE else None
        if kept and cache is CachePolicy.PREFER:
            return Response(full, 200, _kept_headers(kept), kept.body, from_cache=True)
        sent = dict(headers or {})
        if kept and kept.etag:
            sent["If-None-Match"] = kept.etag
        response = self._follow(full, sent, expect_pdf)
        if response.status == 304 and kept:
            return Response(response.url, 200, _kept_headers(kept), kept.body, from_cache=True)
        if response.status == 200 and self.cache and cache is not CachePolicy.NONE:
            self.cache.save(full, response.content, etag=response.headers.get("etag"),
                            content_type=response.headers.get("content-type"))
        return response

    def _follow(self, url: str, headers: dict[str, str], expect_pdf: bool) -> Response:
        for _ in range(_MAX_REDIRECTS + 1):
            self.hosts.check_allowed(url)
            response = self._with_retries(url, headers, expect_pdf)
            location = response.headers.get("location")
            if response.status not in _REDIRECTS or not location:
                return response
            url = str(httpx.URL(url).join(location))
        raise FetchError(f"{url}: more than {_MAX_REDIRECTS} redirects; check the link.")

    def _with_retries(self, url: str, headers: dict[str, str], expect_pdf: bool) -> Response:
        attempts = self.config.retries + 1
        retrying = Retrying(
            retry=retry_if_exception_type(_TransientError),
            stop=stop_after_attempt(attempts),
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=lambda state: _log_retry(url, state, attempts),
            reraise=True,
        )
        try:
            return retrying(self._send, url, headers, expect_pdf)
        except _TransientError as exc:
            if exc.connecting:
                raise Offline(f"Cannot connect to {httpx.URL(url).host} ({exc}, {attempts} attempts): offline? "
                              f"Work is kept pending; run the command again when connected.") from exc
            raise FetchError(f"{url}: {exc} after {attempts} attempts; try again later.") from exc

    def _wait(self, state: RetryCallState) -> float:
        base = self.config.backoff_base_s
        backoff = wait_exponential_jitter(initial=base, max=max(base, 60.0), jitter=base)(state)
        exc = state.outcome.exception() if state.outcome else None
        asked = exc.retry_after if isinstance(exc, _TransientError) else 0.0
        return max(backoff, asked)

    def _send(self, url: str, headers: dict[str, str], expect_pdf: bool) -> Response:
        self.hosts.check_address(url)
        host = httpx.URL(url).host
        with self._pacer.lock(host):
            self._pacer.wait_turn(host)
            try:
                with self._http.stream("GET", url, headers=headers) as raw:
                    self._raise_if_transient(url, raw)
                    limit = self.config.max_bytes if raw.status_code == 200 else _ERROR_BODY_LIMIT
                    body = _read_limited(url, raw, limit, expect_pdf and raw.status_code == 200)
                    return Response(str(raw.url), raw.status_code, dict(raw.headers), body)
            except httpx.ConnectError as exc:
                raise Offline(f"Cannot connect to {host} ({exc}): offline? Work is kept pending; "
                              f"run the command again when connected.") from exc
            except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                connecting = isinstance(exc, httpx.ConnectTimeout)
                raise _TransientError(f"{type(exc).__name__} ({exc})", connecting=connecting) from exc

    def _raise_if_transient(self, url: str, raw: httpx.Response) -> None:
        status = raw.status_code
        asked = retry_after_s(status, raw.headers, time.time())
        rate_limited = status == 429 or (status == 403 and raw.headers.get("x-ratelimit-remaining") == "0")
        if not rate_limited and status < 500:
            return
        if asked is not None and asked > self.config.max_wait_s:
            raise FetchError(f"{url}: rate limited for another {asked:.0f} s; try again later "
                             f"(for GitHub, a token raises the limit).")
        raise _TransientError(f"HTTP {status}", asked or 0.0)


def require_ok(response: Response, what: str) -> Response:
    """The response if it is a 200; SourceNotFound for 404 and 410, FetchError for anything else."""
    if response.status == 200:
        return response
    if response.status in (404, 410):
        raise SourceNotFound(f"{what} was not found at {response.url} (HTTP {response.status}); "
                             f"check the id or link.")
    raise FetchError(f"{what}: {response.url} answered HTTP {response.status}; try again later.")


def _kept_headers(kept: CachedBody) -> dict[str, str]:
    return {"content-type": kept.content_type} if kept.content_type else {}


def _log_retry(url: str, state: RetryCallState, attempts: int) -> None:
    exc = state.outcome.exception() if state.outcome else None
    delay = state.next_action.sleep if state.next_action else 0.0
    log.warning("%s: %s; retry %d of %d in %.1f s", url, exc, state.attempt_number, attempts - 1, delay)


def _read_limited(url: str, raw: httpx.Response, limit: int, expect_pdf: bool) -> bytes:
    """The body, refusing more than `limit` bytes without holding more than that in memory."""
    declared = raw.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(url, limit, expect_pdf)
    chunks: list[bytes] = []
    size = 0
    checked = not expect_pdf
    for chunk in raw.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise _too_large(url, limit, expect_pdf)
        if not checked and size >= _PDF_HEADER_WINDOW:
            # Checked as soon as the header window is in, so an HTML page is never read to its end.
            _check_pdf_start(url, b"".join(chunks), raw.headers.get("content-type", ""))
            checked = True
    body = b"".join(chunks)
    if not checked:
        _check_pdf_start(url, body, raw.headers.get("content-type", ""))
    return body


def _check_pdf_start(url: str, first: bytes, content_type: str) -> None:
    if not first:
        raise PdfUnreadable(f"{url} answered with an empty body where a PDF was expected; check the link.")
    if b"%PDF-" in first[:_PDF_HEADER_WINDOW]:
        return
    if "html" in content_type or first.lstrip()[:1] == b"<":
        raise PdfUnreadable(f"{url} served an HTML page where a PDF was expected (an error or login page?); "
                            f"check that the link still points at the PDF.")
    raise PdfUnreadable(f"{url} did not serve a PDF (content type {content_type or 'unknown'}); check the link.")


def _too_large(url: str, limit: int, expect_pdf: bool) -> Exception:
    message = (f"{url} is larger than the {limit / MIB:.0f} MiB limit; raise the max_pdf_mb setting "
               f"to accept it.")
    return PdfUnreadable(message) if expect_pdf else FetchError(message)
