"""arXiv fetcher: the API query and its Atom answer (read with lxml), and the PDF."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from ingest.errors import FetchError, InputError, SourceNotFound
from ingest.sources.http import CachePolicy, HttpClient, require_ok
from ingest.text import ARXIV_ID

# Why not the `arxiv` package: its Client fetches with its own requests session, so it would skip our host
# allow-list, shared pacing, raw cache and size limit, and its Atom parser is private (arxiv._feed). The
# answer is a small, documented Atom document, read here with lxml:
# https://info.arxiv.org/help/api/user-manual.html#_details_of_atom_results_returned

_ID = re.compile(rf"(?P<id>{ARXIV_ID})(?:v(?P<version>\d+))?")
_URL = re.compile(r"https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(?P<rest>[^?#]+?)(?:\.pdf)?/?(?:[?#].*)?")
_ENTRY_ID = re.compile(rf"arxiv\.org/abs/(?P<id>{ARXIV_ID})v(?P<version>\d+)$")
_NS = {"atom": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom"}
TITLE_MATCH = 0.85  # difflib ratio between normalised titles that counts as the same paper


@dataclass(frozen=True)
class ArxivRef:
    """An arXiv identifier without its version, and the version asked for (None: the latest)."""

    arxiv_id: str
    version: int | None = None

    def __str__(self) -> str:
        return f"{self.arxiv_id}v{self.version}" if self.version else self.arxiv_id


@dataclass(frozen=True)
class ArxivPaper:
    """One arXiv entry: metadata of a paper at one version."""

    arxiv_id: str
    version: int
    title: str
    authors: list[str]
    abstract: str
    published: str  # ISO date
    updated: str
    primary_category: str
    categories: list[str] = field(default_factory=list)
    doi: str | None = None
    comment: str | None = None
    journal_ref: str | None = None

    @property
    def versioned_id(self) -> str:
        """The id with its version, as in a PDF URL: 2205.14135v2."""
        return f"{self.arxiv_id}v{self.version}"


def parse_arxiv_ref(text: str) -> ArxivRef | None:
    """The arXiv id in `2205.14135`, `2205.14135v2`, `arXiv:2205.14135` or an abs/pdf URL; None if none."""
    candidate = text.strip()
    url = _URL.fullmatch(candidate)
    if url:
        candidate = url.group("rest")
    elif candidate.lower().startswith("arxiv:"):
        candidate = candidate[len("arxiv:"):].strip()
    match = _ID.fullmatch(candidate)
    if not match:
        return None
    version = match.group("version")
    return ArxivRef(match.group("id"), int(version) if version else None)


def parse_feed(content: bytes, *, status: int, asked: str) -> list[ArxivPaper]:
    """Papers in an API answer; InputError for arXiv's `Error` entry (a malformed id, say)."""
    root = _feed_root(content)
    error = _error_entry(root)
    if error is not None or status == 400:
        raise InputError(f"arXiv rejected {asked}: {error or 'bad request'}. Check the id (like 2205.14135).")
    if root is None:
        raise FetchError(f"arXiv answered {asked} with an unreadable feed; try again later.")
    papers = (_paper(entry) for entry in root.iterfind("atom:entry", _NS))
    return [paper for paper in papers if paper is not None]


def _feed_root(content: bytes) -> etree._Element | None:
    # No entities, no network: the answer never needs them, and they are how XML attacks work.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        return etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError:
        return None


def _error_entry(root: etree._Element | None) -> str | None:
    # arXiv reports query errors as an entry titled "Error" with the reason in its summary.
    for entry in root.iterfind("atom:entry", _NS) if root is not None else ():
        if _text(entry, "atom:title") == "Error":
            return _text(entry, "atom:summary") or "unknown error"
    return None


def _text(element: etree._Element, path: str) -> str | None:
    """The element's text at `path`, whitespace runs made single spaces; None when absent or empty."""
    found = element.find(path, _NS)
    text = " ".join((found.text or "").split()) if found is not None else ""
    return text or None


def _date(element: etree._Element, path: str) -> str | None:
    """An Atom timestamp ("2022-06-23T17:59:46Z") as an ISO date in UTC; None when absent or unreadable."""
    text = _text(element, path)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).date().isoformat() if text else None
    except ValueError:
        return None


def _paper(entry: etree._Element) -> ArxivPaper | None:
    """One entry as a paper; None for an entry that is not a versioned paper with dates (the Error entry)."""
    match = _ENTRY_ID.search(_text(entry, "atom:id") or "")
    published, updated = _date(entry, "atom:published"), _date(entry, "atom:updated")
    if not match or not published or not updated:
        return None
    primary = entry.find("arxiv:primary_category", _NS)
    return ArxivPaper(
        arxiv_id=match.group("id"),
        version=int(match.group("version")),
        title=_text(entry, "atom:title") or "",
        authors=[name for author in entry.iterfind("atom:author", _NS) if (name := _text(author, "atom:name"))],
        abstract=_text(entry, "atom:summary") or "",
        published=published,
        updated=updated,
        primary_category=(primary.get("term") or "") if primary is not None else "",
        categories=[term for category in entry.iterfind("atom:category", _NS) if (term := category.get("term"))],
        doi=_text(entry, "arxiv:doi"),
        comment=_text(entry, "arxiv:comment"),
        journal_ref=_text(entry, "arxiv:journal_ref"),
    )


def fetch_paper(client: HttpClient, ref: ArxivRef, *, api_url: str, refresh: bool = False) -> ArxivPaper:
    """The paper's metadata (the asked version, else the latest); SourceNotFound for an unknown id."""
    params = {"id_list": str(ref), "start": "0", "max_results": "1"}
    # A kept answer is reused unless refreshing, which asks again to see a new version.
    policy = CachePolicy.REVALIDATE if refresh else CachePolicy.PREFER
    response = client.get(api_url, params=params, cache=policy)
    if response.status not in (200, 400):
        require_ok(response, f"arXiv {ref}")
    papers = parse_feed(response.content, status=response.status, asked=f"arXiv {ref}")
    if not papers:
        raise SourceNotFound(f"arXiv has no paper {ref}; check the id (like 2205.14135) on arxiv.org.")
    return papers[0]


def search_by_title(client: HttpClient, title: str, *, api_url: str, max_results: int = 5) -> ArxivPaper | None:
    """The arXiv paper whose title matches this one, if the API finds one."""
    words = _words(title)[:12]  # arXiv's query parser struggles with very long queries
    if not words:
        return None
    query = " AND ".join(f"ti:{word}" for word in words)
    params = {"search_query": query, "start": "0", "max_results": str(max_results)}
    response = client.get(api_url, params=params, cache=CachePolicy.PREFER)
    if response.status != 200:
        require_ok(response, f"arXiv title search for {title!r}")
    papers = parse_feed(response.content, status=response.status, asked=f"the title {title!r}")
    return best_title_match(papers, title)


def best_title_match(papers: list[ArxivPaper], title: str) -> ArxivPaper | None:
    """The paper whose title is closest to `title`, if close enough to be the same paper."""
    wanted = " ".join(_words(title))
    scored = [(difflib.SequenceMatcher(None, wanted, " ".join(_words(p.title))).ratio(), p) for p in papers]
    best = max(scored, key=lambda pair: pair[0], default=None)
    return best[1] if best and best[0] >= TITLE_MATCH else None


def _words(title: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", title.lower())


def pdf_url(pdf_base: str, paper: ArxivPaper) -> str:
    """The PDF's URL: `<base>/<id>v<n>`."""
    return f"{pdf_base.rstrip('/')}/{paper.versioned_id}"


def fetch_pdf(client: HttpClient, paper: ArxivPaper, *, pdf_base: str) -> bytes:
    """The paper's PDF bytes, from the raw cache when already downloaded (URLs are versioned)."""
    url = pdf_url(pdf_base, paper)
    response = client.get(url, expect_pdf=True, cache=CachePolicy.PREFER)
    return require_ok(response, f"The PDF of arXiv {paper.versioned_id}").content
