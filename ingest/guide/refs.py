"""References in a guide's lines: links, bare URLs, arXiv ids and works named by title only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ingest.guide.labels import clean_label
from ingest.models import Reference, RefKind
from ingest.text import ARXIV_ID, ARXIV_VERSION, LINK_RE, URL_RE

_ARXIV_PATH_RE = re.compile(rf"^/(?:abs|pdf)/({ARXIV_ID})(?:{ARXIV_VERSION})?(?:\.pdf)?/?$", re.IGNORECASE)
_ARXIV_TEXT_RE = re.compile(rf"\barXiv:\s*({ARXIV_ID})(?:{ARXIV_VERSION})?", re.IGNORECASE)
_BOOK_TITLE_RE = re.compile(r"《([^《》]+)》")
_COURSE_WORDS = re.compile(r"课程|公开课|\bcourses?\b|\blectures?\b", re.IGNORECASE)
_BOOK_WORDS = re.compile(r"教材|书|\bbooks?\b|\btextbooks?\b", re.IGNORECASE)
_PAPER_WORDS = re.compile(r"论文|\bpapers?\b", re.IGNORECASE)
_BOOK_HOSTS = ("gitbook.io", "bookstack.cn")
# First path segments of github.com that are site pages, not owners of repositories.
_GITHUB_PAGES = {"about", "apps", "collections", "explore", "features", "marketplace", "orgs", "pricing",
                 "search", "settings", "sponsors", "topics", "trending"}
# Link texts that name the site rather than the work; the work's name is then the section's label.
GENERIC_LINK_TEXTS = {"github", "gitee", "code", "代码", "link", "链接", "here", "这里", "home", "homepage",
                      "主页", "课程主页", "官网", "website", "paper", "pdf", "arxiv", "slides", "video"}


@dataclass(frozen=True)
class Mention:
    """One citation of a work in one line of the guide."""

    kind: RefKind
    source_id: str
    title: str  # as the line writes it; empty when only the section label can name it
    url: str | None = None

    @property
    def key(self) -> str:
        """The merge key: repositories are case-insensitive on their hosts."""
        if self.kind in (RefKind.GITHUB, RefKind.GITEE):
            return f"{self.kind}:{self.source_id.lower()}"
        return f"{self.kind}:{self.source_id}"


def _repo_id(path: str) -> str | None:
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2 or parts[0].lower() in _GITHUB_PAGES:
        return None
    return f"{parts[0]}/{parts[1].removesuffix('.git')}"


def _kind_by_words(text: str) -> RefKind | None:
    if _COURSE_WORDS.search(text):
        return RefKind.COURSE
    return RefKind.BOOK if _BOOK_WORDS.search(text) else None


def classify_url(url: str, text: str = "", context: str = "") -> tuple[RefKind, str]:
    """The kind of work a URL points at and its normalised identifier.

    `text` is the link text and `context` the label of the section citing it: "课程主页" or a
    "Books" section tell a course or a book from a plain web page.
    """
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    if host.endswith("arxiv.org") and (match := _ARXIV_PATH_RE.match(parts.path)):
        return RefKind.ARXIV, match.group(1)
    if parts.path.lower().endswith(".pdf") or "/pdf/" in parts.path.lower():  # ".../doi/pdf/10.1145/…"
        return RefKind.PDF_URL, url
    if host in ("github.com", "gitee.com") and (repo := _repo_id(parts.path)):
        return (RefKind.GITHUB if host == "github.com" else RefKind.GITEE), repo
    plain_url = url.removesuffix("#")
    kind = _kind_by_words(text) or _kind_by_words(context)
    if kind is None and "course" in host:
        kind = RefKind.COURSE
    if kind is None and host.endswith(_BOOK_HOSTS):
        kind = RefKind.BOOK
    return kind or RefKind.WEB, plain_url


def _link_mentions(text: str, context: str) -> list[Mention]:
    out = []
    for match in LINK_RE.finditer(text):
        link_text, target = match.group(1).strip(), match.group(2)
        if not link_text or not target.lower().startswith(("http://", "https://")):
            continue  # an empty anchor ("[](#Course)") or a target that is not a URL
        kind, source_id = classify_url(target, link_text, context)
        title = "" if link_text.lower() in GENERIC_LINK_TEXTS else " ".join(link_text.split())
        out.append(Mention(kind, source_id, title, target))
    return out


def _bare_mentions(text: str, context: str) -> list[Mention]:
    urls = [u.rstrip(".,;:!?") for u in URL_RE.findall(text)]
    around = clean_label(URL_RE.sub(" ", text))
    out = []
    for url in urls:
        kind, source_id = classify_url(url, context=context)
        out.append(Mention(kind, source_id, around or source_id, url))
    return out


def _arxiv_text_mentions(text: str) -> list[Mention]:
    line = clean_label(text)  # "arXiv:2002.11054" inside a sentence: the sentence is the title
    return [Mention(RefKind.ARXIV, m.group(1), line, f"https://arxiv.org/abs/{m.group(1)}")
            for m in _ARXIV_TEXT_RE.finditer(text)]


def _named_works(text: str) -> list[Mention]:
    out = []
    for match in _BOOK_TITLE_RE.finditer(text):
        # "吴恩达《2022新版机器学习》课程" is a course; "周志华《机器学习》教材" a book.
        kind = RefKind.COURSE if _COURSE_WORDS.search(text[match.end():]) else RefKind.BOOK
        title = match.group(1).strip()
        out.append(Mention(kind, title, title))
    return out


def line_mentions(text: str, context: str = "") -> list[Mention]:
    """Every work a line cites: links, then bare URLs, arXiv ids and 《titles》 outside links.

    `context` is the label of the section the line is in.
    """
    links = _link_mentions(text, context)
    rest = LINK_RE.sub(" ", text)
    without_urls = URL_RE.sub(" ", rest)
    return links + _bare_mentions(rest, context) + _arxiv_text_mentions(without_urls) + _named_works(without_urls)


def title_list_kind(section_label: str) -> RefKind | None:
    """The kind of the plain items listed under a section named for papers, courses or books."""
    for words, kind in ((_PAPER_WORDS, RefKind.PAPER_TITLE), (_COURSE_WORDS, RefKind.COURSE),
                        (_BOOK_WORDS, RefKind.BOOK)):
        if words.search(section_label):
            return kind
    return None


def title_mentions(text: str, kind: RefKind) -> list[Mention]:
    """The works a plain list item names: papers may be listed several to a line, split on 、."""
    label = clean_label(text)
    titles = label.split("、") if kind is RefKind.PAPER_TITLE else [label]
    return [Mention(kind, t.strip(), t.strip()) for t in titles if t.strip()]


def leftover_text(text: str) -> str:
    """The words a line says besides the works it cites; empty when it only cites."""
    rest = _BOOK_TITLE_RE.sub(" ", _ARXIV_TEXT_RE.sub(" ", URL_RE.sub(" ", LINK_RE.sub(" ", text))))
    return " ".join(re.findall(r"\w+", rest))


def merge_mentions(found: list[tuple[Mention, str, str]]) -> dict[str, Reference]:
    """One Reference per work, by merge key, in order of first mention; (mention, node_id, note) in."""
    by_key: dict[str, Reference] = {}
    for mention, node_id, note in found:
        ref = by_key.get(mention.key)
        if ref is None:
            ref = by_key[mention.key] = Reference(
                ref_id=f"{mention.kind}:{mention.source_id}", kind=mention.kind, source_id=mention.source_id,
                title=mention.title or mention.source_id, url=mention.url)
        if node_id not in ref.taxonomy_paths:
            ref.taxonomy_paths.append(node_id)
        ref.note = ref.note or note
        ref.url = ref.url or mention.url
    return by_key
