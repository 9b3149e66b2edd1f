"""Fetchers of outside material: the HTTP client (retries, rate limits, host allow-list, size limit), arXiv, GitHub."""

from ingest.sources.arxiv import ArxivPaper, ArxivRef, parse_arxiv_ref
from ingest.sources.github import FetchedRepo, RepoRef, is_gitee, parse_repo_ref
from ingest.sources.http import MIB, CachedBody, CachePolicy, HttpClient, HttpConfig, require_ok

__all__ = [
    "MIB",
    "ArxivPaper",
    "ArxivRef",
    "CachePolicy",
    "CachedBody",
    "FetchedRepo",
    "HttpClient",
    "HttpConfig",
    "RepoRef",
    "is_gitee",
    "parse_arxiv_ref",
    "parse_repo_ref",
    "require_ok",
]
