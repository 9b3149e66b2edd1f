"""The text toolkit every layer shares: Chinese characters, sentences, words and stop words, arXiv ids,
Markdown links and URLs, a paper's short name. One definition each, so the layers cannot disagree."""

from __future__ import annotations

import itertools
import re
from functools import cache
from typing import Any

# Chinese ideographs: Extension A (U+3400–4DBF), the Unified block (U+4E00–9FFF), the compatibility
# ideographs (U+F900–FAFF) and Extensions B to I with the compatibility supplement (U+20000–3134F).
# The supplementary planes are kept: they hold rare characters of real Chinese text (names, places,
# classical quotations, GB18030 input), a run must not break at one, and Python's re matches them at
# no cost; the mojibake repair model already counted them as ideographs.
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
CJK_CHAR = re.compile(f"[{CJK_CHARS}]")
CJK_RUN = re.compile(f"[{CJK_CHARS}]+")

# Where a sentence ends besides English punctuation (which punkt decides): after Chinese full stops,
# exclamation and question marks and the semicolon, with any closing quotes or brackets that follow;
# and at a blank line, which ends a paragraph whatever its last character.
_ZH_SENTENCE_END = re.compile(r"[。！？；][”’」』）》)\]]*")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# Punkt takes a lone capital before a period for a name's initial ("J. Dean") and does not cut; in papers
# it is far more often a variable ending a sentence ("... partitions K. GPipe uses ..."), so cut there.
_LETTER_END = re.compile(r"(?<![\w.])[A-Z]\.\s+(?=[A-Z])")
MIN_SENTENCE_CHARS = 4  # a shorter piece ("1.", "[2]") is a list number or a stray key, not a sentence

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-+]{2,}|\d+(?:\.\d+)?%?")
# Words that are not function words but say nothing about a paper's content in a question or passage.
PAPER_WORDS = frozenset({"paper", "papers", "use", "used", "using", "also", "could", "would", "whose"})
# Words that shape a question ("explain", "compare") and must not count as names or content asked about.
QUESTION_WORDS = frozenset(
    "what how why which who when does do is are explain describe compare summarize summarise list give "  # noqa: SIM905 - a word list reads best as one string
    "tell please according in on for with using a an of to if it as at by be name define find show state "
    "discuss outline".split()
)

# arXiv identifiers: new style (0704.0001 onwards; five digits from 1501) and old style (hep-th/9901001,
# math.GT/0309136), as a pattern to embed in the callers' own (URL paths, "arXiv:" mentions, PDF stamps),
# and the version that may follow.
ARXIV_ID = r"(?:\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})"
ARXIV_VERSION = r"v\d+"

# Markdown links, with an optional "title" after the target: [text](target "title").
LINK_RE = re.compile(r"\[([^\[\]]*)\]\(\s*([^()\s]*)(?:\s+\"[^\"]*\")?\s*\)")
# A bare URL ends at whitespace, a bracket, a quote or CJK punctuation.
URL_RE = re.compile(r"https?://[^\s<>\"'()\[\]{}（）【】《》，。、；！？]+")

# A paper's own name: the one word before the colon of its title ("GShard: Scaling Giant Models ...").
# One word only: a longer head ("Sequence Parallelism: ...", "Mixed Precision: ...") is a phrase that
# other papers use too, so finding it in a query or a README would not point to this paper.
_SHORT_NAME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.\-]{2,29})\s*:")


def has_cjk(text: str) -> bool:
    """Whether the text contains a Chinese ideograph."""
    return CJK_CHAR.search(text) is not None


def cjk_runs(text: str) -> list[str]:
    """The runs of consecutive Chinese ideographs in the text, in order."""
    return CJK_RUN.findall(text)


# Abbreviations that never end a sentence in scientific writing; punkt's English model lacks most of them,
# and its capital-letter heuristic would still cut "e.g. ZeRO", so a cut right after one is dropped.
_ABBREVIATIONS = frozenset({"e.g.", "i.e.", "al.", "cf.", "vs.", "fig.", "figs.", "eq.", "eqs.", "sec.", "secs.",
                            "approx.", "resp.", "ref.", "refs.", "tab.", "vol.", "ch."})


@cache
def _punkt() -> Any:
    """The English punkt model (the copy llama_index ships, so it works offline), loaded on first use."""
    from llama_index.core.utils import globals_helper
    from nltk.tokenize.punkt import PunktTokenizer

    globals_helper.wait_for_nltk_check()  # puts llama_index's bundled nltk data on nltk's path
    return PunktTokenizer("english")


def _after_abbreviation(text: str, cut: int) -> bool:
    words = text[max(0, cut - 20) : cut].split()  # the abbreviations are short: no need to split all before
    return bool(words) and words[-1].lower() in _ABBREVIATIONS


def _cuts(text: str) -> list[int]:
    """The offsets where a new sentence starts: punkt's English ends, Chinese ends, blank lines, variables."""
    cuts = {start for start, _ in _punkt().span_tokenize(text) if not _after_abbreviation(text, start)}
    cuts.update(m.end() for m in _ZH_SENTENCE_END.finditer(text))
    cuts.update(m.end() for m in _PARAGRAPH_BREAK.finditer(text))
    cuts.update(m.end() for m in _LETTER_END.finditer(text))
    return sorted(c for c in cuts if 0 < c < len(text))


def sentence_pieces(text: str) -> list[str]:
    """The text cut into sentences with their whitespace kept: joined back they give the text exactly."""
    bounds = [0, *_cuts(text), len(text)]
    return [text[start:end] for start, end in itertools.pairwise(bounds) if end > start]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each non-blank sentence in `text`, surrounding whitespace excluded."""
    spans, start = [], 0
    for piece in sentence_pieces(text):
        stripped = piece.strip()
        if stripped:
            first = start + piece.index(stripped)
            spans.append((first, first + len(stripped)))
        start += len(piece)
    return spans


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage, whitespace collapsed, fragments under MIN_SENTENCE_CHARS dropped."""
    sentences = (" ".join(text[start:end].split()) for start, end in sentence_spans(text))
    return [s for s in sentences if len(s) >= MIN_SENTENCE_CHARS]


@cache
def english_stopwords() -> frozenset[str]:
    """English function words: the list the BM25 index was built with (bm25s's, loaded on first use)."""
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return frozenset(STOPWORDS_EN_PLUS)


@cache
def chinese_stopwords() -> frozenset[str]:
    """Chinese function words (bm25s's list), dropped from jieba's words."""
    from bm25s.stopwords import STOPWORDS_CHINESE

    return frozenset(STOPWORDS_CHINESE)


@cache
def content_stopwords() -> frozenset[str]:
    """Words that carry no content in a question or passage: function words and PAPER_WORDS."""
    return english_stopwords() | PAPER_WORDS


def terms(text: str) -> set[str]:
    """Content words (lowercased, no stop words) and Chinese character bigrams, for overlap scores."""
    words = {w.lower() for w in _WORD.findall(text)} - content_stopwords()
    for run in cjk_runs(text):
        words.update(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return words


def is_arxiv_id(text: str) -> bool:
    """Whether the whole text is one arXiv id, with or without a version."""
    return re.fullmatch(f"{ARXIV_ID}(?:{ARXIV_VERSION})?", text) is not None


def render_links(text: str) -> str:
    """The text with each Markdown link replaced by its link text, as a reader sees it."""
    return LINK_RE.sub(lambda m: m.group(1), text)


def short_name(title: str) -> str | None:
    """A paper's short name when its title starts with one ("LoRA: Low-Rank ..." → "LoRA"), else None."""
    match = _SHORT_NAME.match(title)
    return match.group(1) if match else None
