"""arXiv fetcher: the API query and its Atom answer (parsed by the `arxiv` package), and the PDF."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import arxiv
from arxiv import _feed  # the package's Atom parser; its Client would bypass our HttpClient (see below)
from lxml import etree

from ingest.errors import FetchError, InputError, SourceNotFound
from ingest.sources.http import CachePolicy, HttpClient, require_ok
from ingest.text import ARXIV_ID

# Why not arxiv.Client: it fetches with its own requests session, so it would skip our host allow-list,
# shared pacing, raw cache and size limit. We send the query ourselves and let the package parse it.

_ID = re.compile(rf"(?P<id>{ARXIV_ID})(?:v(?P<version>\d+))?")
_URL = re.compile(r"https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(?P<rest>[^?#]+?)(?:\.pdf)?/?(?:[?#].*)?")
_ENTRY_ID = re.compile(rf"arxiv\.org/abs/(?P<id>{ARXIV_ID})v(?P<version>\d+)$")
_ATOM = "{http://www.w3.org/2005/Atom}"
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
    error = _error_entry(content)
    if error is not None or status == 400:
        raise InputError(f"arXiv rejected {asked}: {error or 'bad request'}. Check the id (like 2205.14135).")
    feed = _feed.parse(content)
    if feed.malformed:
        raise FetchError(f"arXiv answered {asked} with an unreadable feed ({feed.error}); try again later.")
    matches = ((result, _ENTRY_ID.search(result.entry_id)) for result in feed.results)
    return [_paper(result, match) for result, match in matches if match]


def _error_entry(content: bytes) -> str | None:
    # arXiv reports query errors as an entry titled "Error" with the reason in its summary; the
    # package's parser drops that entry (it has no <published>), so it is read here.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError:
        return None
    if root is None:
        return None
    for entry in root.iterfind(f"{_ATOM}entry"):
        if (entry.findtext(f"{_ATOM}title") or "").strip() == "Error":
            return (entry.findtext(f"{_ATOM}summary") or "unknown error").strip()
    return None


def _paper(result: arxiv.Result, match: re.Match[str]) -> ArxivPaper:
    return ArxivPaper(
        arxiv_id=match.group("id"),
        version=int(match.group("version")),
        title=result.title.strip(),
        authors=[author.name for author in result.authors],
        abstract=" ".join(result.summary.split()),
        published=result.published.date().isoformat(),
        updated=result.updated.date().isoformat(),
        primary_category=result.primary_category,
        categories=list(result.categories),
        doi=result.doi or None,
        comment=" ".join(result.comment.split()) if result.comment else None,
        journal_ref=result.journal_ref or None,
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
