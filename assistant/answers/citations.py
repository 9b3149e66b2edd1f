"""Citation keys parsed from an answer, checked against the sources given, resolved for a reader."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.models import Citation
from index.models import Chunk
from ingest.text import is_arxiv_id, split_sentences, terms

# [1], [1, 2], [1][2], 【1】 and [1，2]: small models mix ASCII and fullwidth brackets.
_KEYS = re.compile(r"[\[【]\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]】]")
# A sentence with the citation keys that follow it; decimals ("7.6x") do not end a sentence.
_CLAIM = re.compile(
    r"(?P<body>.+?(?:[.!?](?=\s|$|\[|【)|[。！？]|\n|$))(?P<keys>(?:\s*[\[【][\d\s,，、]+[\]】])*)", re.DOTALL
)
_REPEATED_KEYS = re.compile(r"(\[\d{1,3}(?:, \d{1,3})*\])(?:\s*\1)+")  # "[1] [1] [1]" says no more than "[1]"


@dataclass(frozen=True)
class Source:
    """One retrieved passage given to the model under a number."""

    key: int
    chunk: Chunk
    passage: str  # the sentences of the chunk that matter for the question
    page: int | None  # the 1-based PDF page the passage is on, None for Markdown


@dataclass(frozen=True)
class CheckedText:
    """An answer with unknown keys removed, its citations, and the keys that were dropped."""

    text: str
    citations: list[Citation]
    dropped: list[int]


def cited_keys(text: str) -> list[int]:
    """The citation numbers in an answer, in order of first use."""
    keys: list[int] = []
    for group in _KEYS.findall(text):
        for key in (int(k) for k in re.split(r"\s*[,，、]\s*", group)):
            if key not in keys:
                keys.append(key)
    return keys


def source_url(chunk: Chunk, page: int | None) -> str | None:
    """A link a reader can open: the arXiv PDF at the page, or the repository's README."""
    if chunk.kind == "paper" and is_arxiv_id(chunk.source_id):
        return f"https://arxiv.org/pdf/{chunk.source_id}" + (f"#page={page}" if page else "")
    if chunk.kind == "repo" and chunk.source_id.count("/") == 1:
        return f"https://github.com/{chunk.source_id}#readme"
    return None


def best_quote(passage: str, claims: Iterable[str], limit: int = 320) -> str:
    """The sentence of `passage` sharing most words with the claims citing it (the first if none)."""
    sentences = split_sentences(passage) or [passage.strip()]
    wanted = set().union(*(terms(c) for c in claims))
    best = max(sentences, key=lambda s: len(terms(s) & wanted)) if wanted else sentences[0]
    return best if len(best) <= limit else best[: limit - 1].rstrip() + "…"


def claims_citing(text: str, key: int) -> list[str]:
    """The sentences of an answer that cite `key`."""
    return [s for s in split_sentences(text) if key in cited_keys(s)]


def resolve(source: Source, claims: Sequence[str]) -> Citation:
    """A Citation for a source: title, id, page or heading, link and the supporting quote."""
    chunk = source.chunk
    return Citation(
        key=source.key,
        doc_id=chunk.doc_id,
        source_id=chunk.source_id,
        title=chunk.title,
        page=source.page,
        url=source_url(chunk, source.page),
        quote=best_quote(source.passage, claims),
        heading=chunk.heading_path or chunk.section,
    )


def _strip_keys(text: str, unknown: set[int]) -> str:
    def keep_known(match: re.Match[str]) -> str:
        keys = [k for k in re.split(r"\s*[,，、]\s*", match.group(1)) if int(k) not in unknown]
        return f"[{', '.join(keys)}]" if keys else ""

    return re.sub(r" +([.,;。，；])", r"\1", _KEYS.sub(keep_known, text))


def support(claim: str, passage: str) -> float | None:
    """Share of a claim's English words and numbers found in a passage; None when it has too few to tell."""
    wanted = {t for t in terms(_KEYS.sub("", claim)) if t.isascii()}
    if len(wanted) < 2:
        return None
    # Numbers count double: a claim's figures are what a reader checks against the page.
    weight = {t: 2 if t[0].isdigit() else 1 for t in wanted}
    return sum(weight[t] for t in wanted & terms(passage)) / sum(weight.values())


def _keys_for(body: str, keys: list[int], sources: Sequence[Source]) -> list[int]:
    """The keys a sentence should carry: the model's when a cited source supports it, else the source that does."""
    scores = {s.key: support(body, s.passage) for s in sources}
    if not scores or None in scores.values():
        return keys
    best = max(scores, key=lambda k: scores[k] or 0.0)
    top = scores[best] or 0.0
    # Keep the model's keys when one supports the sentence nearly as well as the best source does.
    if any((scores.get(k) or 0.0) >= max(0.3, top - 0.25) for k in keys):
        return keys
    # 0.5: half the sentence's words in one passage; below that a match is as likely chance as support.
    return [best] if top >= 0.5 else keys


def _with_keys(body: str, keys: list[int]) -> str:
    """A sentence with its keys replaced by `keys`, placed before its closing punctuation."""
    bare = re.sub(r"\s+([.!?。！？,;])", r"\1", _KEYS.sub("", body))
    parts = re.fullmatch(r"(.*?)([.!?。！？]*)(\s*)", bare, re.DOTALL)
    text, stop, space = parts.groups() if parts else (bare, "", "")
    marks = f" [{', '.join(map(str, keys))}]" if keys else ""
    return f"{text.rstrip()}{marks}{stop}{space}"


def attribute(text: str, sources: Sequence[Source]) -> str:
    """The answer with each sentence's keys pointed at a source that supports it, when one clearly does."""
    out = []
    for match in _CLAIM.finditer(text):
        body, tail = match.group("body"), match.group("keys")
        keys = cited_keys(body + tail)
        wanted = _keys_for(body, keys, sources)
        if wanted == keys:
            out.append(match.group(0))
            continue
        out.append(_with_keys(body, wanted))
    return "".join(out)


def check_citations(text: str, sources: Sequence[Source]) -> CheckedText:
    """Keys pointed at supporting sources, keys naming no source given dropped, the rest resolved."""
    by_key = {s.key: s for s in sources}
    dropped = [k for k in cited_keys(text) if k not in by_key]
    attributed = attribute(text, sources)
    unknown = {k for k in cited_keys(attributed) if k not in by_key}
    clean = _strip_keys(attributed, unknown) if unknown else attributed
    clean = _REPEATED_KEYS.sub(r"\1", clean)
    used = cited_keys(clean)
    citations = [resolve(by_key[k], claims_citing(clean, k)) for k in used if k in by_key]
    return CheckedText(text=clean, citations=citations, dropped=dropped)
