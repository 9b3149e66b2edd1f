"""The real services' wire formats, for the fake servers: arXiv's Atom feed and GitHub's repository JSON."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

ATOM_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" \
xmlns:arxiv="http://arxiv.org/schemas/atom">
  <id>https://arxiv.org/api/{feed_id}</id>
  <title>arXiv Query: {query}</title>
  <updated>2024-05-01T00:00:00Z</updated>
  <link href="https://arxiv.org/api/query?{query}" type="application/atom+xml"/>
  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
"""
@dataclass
class FakePaper:
    """An arXiv paper the server knows; `pdfs[v]` is the PDF of version v (None: no PDF there)."""

    arxiv_id: str
    title: str
    pdfs: dict[int, bytes | None]
    authors: list[str] = field(default_factory=lambda: ["Ada Lovelace", "Alan Turing"])
    abstract: str = "We study things."
    published: str = "2022-05-27T17:53:09Z"
    updated: str = "2022-06-23T17:53:32Z"
    primary_category: str = "cs.LG"
    categories: list[str] = field(default_factory=lambda: ["cs.LG", "cs.AI"])
    doi: str | None = None
    comment: str | None = "12 pages, 4 figures"

    @property
    def latest(self) -> int:
        """The newest version number."""
        return max(self.pdfs)


@dataclass
class FakeRepo:
    """A GitHub repository the server knows; `repo_json` replaces the generated record when given."""

    full_name: str
    readme: bytes | None = b"# Project\n\nA project.\n\n## Install\n\npip install project\n"
    readme_path: str = "README.md"
    description: str = "A project"
    topics: list[str] = field(default_factory=list)
    stars: int = 42
    repo_id: int = 1000
    repo_json: dict[str, Any] | None = None


def atom_entry(paper: FakePaper, version: int) -> str:
    """One <entry> in arXiv's format."""
    vid = f"{paper.arxiv_id}v{version}"
    parts = [f"  <entry>\n    <id>http://arxiv.org/abs/{vid}</id>",
             f"    <title>{escape(paper.title)}</title>",
             f"    <updated>{paper.updated}</updated>",
             f"    <link href=\"https://arxiv.org/abs/{vid}\" rel=\"alternate\" type=\"text/html\"/>",
             f"    <link href=\"https://arxiv.org/pdf/{vid}\" rel=\"related\" type=\"application/pdf\" title=\"pdf\"/>",
             f"    <summary>  {escape(paper.abstract)}\n</summary>"]
    parts += [f"    <category term=\"{c}\" scheme=\"http://arxiv.org/schemas/atom\"/>" for c in paper.categories]
    parts.append(f"    <published>{paper.published}</published>")
    if paper.comment:
        parts.append(f"    <arxiv:comment>{escape(paper.comment)}</arxiv:comment>")
    parts.append(f"    <arxiv:primary_category term=\"{paper.primary_category}\"/>")
    if paper.doi:
        parts.append(f"    <arxiv:doi>{paper.doi}</arxiv:doi>")
        parts.append(f"    <link href=\"https://doi.org/{paper.doi}\" rel=\"related\" title=\"doi\"/>")
    parts += [f"    <author>\n      <name>{escape(a)}</name>\n    </author>" for a in paper.authors]
    return "\n".join(parts) + "\n  </entry>\n"


def atom_feed(entries: list[tuple[FakePaper, int]], query: str) -> bytes:
    """A whole feed, as the arXiv API answers a query (an empty one for an unknown id)."""
    head = ATOM_HEAD.format(feed_id=hashlib.sha1(query.encode()).hexdigest()[:27], query=escape(query),
                            per_page=max(1, len(entries)), total=len(entries))
    return (head + "".join(atom_entry(p, v) for p, v in entries) + "</feed>\n").encode()


def atom_error(message: str, query: str) -> bytes:
    """arXiv's answer to a malformed query: HTTP 400 with one entry titled Error."""
    anchor = message.replace(" ", "_")
    head = ATOM_HEAD.format(feed_id=anchor, query=escape(query), per_page=1, total=1)
    return (head + f"""  <entry>
    <id>https://arxiv.org/api/errors#{anchor}</id>
    <title>Error</title>
    <summary>{escape(message)}</summary>
    <updated>2024-05-01T00:00:00Z</updated>
    <link href="https://arxiv.org/api/errors#{anchor}" rel="alternate" type="text/html"/>
    <author>
      <name>arXiv api core</name>
    </author>
  </entry>
</feed>
""").encode()


def repo_record(repo: FakeRepo, api: str) -> dict[str, Any]:
    """The JSON of `GET /repos/{owner}/{repo}` (the fields readpath and most clients read)."""
    if repo.repo_json is not None:
        return repo.repo_json
    owner, name = repo.full_name.split("/")
    return {"id": repo.repo_id, "node_id": "R_kgDO" + str(repo.repo_id), "name": name, "full_name": repo.full_name,
            "private": False, "owner": {"login": owner, "type": "Organization"},
            "html_url": f"https://github.com/{repo.full_name}", "description": repo.description, "fork": False,
            "url": f"{api}/repos/{repo.full_name}", "homepage": None, "language": "Python",
            "stargazers_count": repo.stars, "watchers_count": repo.stars, "forks_count": 3, "open_issues_count": 1,
            "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT", "url": f"{api}/licenses/mit"},
            "topics": repo.topics, "default_branch": "main", "visibility": "public", "archived": False}


def readme_record(repo: FakeRepo, api: str, content: bytes) -> dict[str, Any]:
    """The JSON of `GET /repos/{owner}/{repo}/readme`: base64 content in 60-character lines, like GitHub's."""
    encoded = base64.b64encode(content).decode()
    lines = "\n".join(encoded[i:i + 60] for i in range(0, len(encoded), 60)) + "\n"
    return {"type": "file", "encoding": "base64", "size": len(content), "name": repo.readme_path.split("/")[-1],
            "path": repo.readme_path, "content": lines, "sha": hashlib.sha1(content).hexdigest(),
            "url": f"{api}/repos/{repo.full_name}/contents/{repo.readme_path}",
            "html_url": f"https://github.com/{repo.full_name}/blob/main/{repo.readme_path}"}
