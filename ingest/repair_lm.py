"""Chinese language model that ranks the candidates of a mojibake repair.

It is a class-based word bigram, P(word | previous word) ~ P(tag | previous tag) * P(word | tag):
word frequencies and part-of-speech tags come from jieba's dictionary, and the tag transitions
from jieba's part-of-speech HMM, which was trained on a tagged corpus.  Tags carry the grammar a
unigram model lacks: "算法与复杂性" (noun, preposition, noun) beats "算法不复杂性" (adverb before a
noun) although 不 is the commoner word.  Symbols are not in the dictionary, so they get a prior.
Nothing is written to disk: the tables are read from jieba's package once per process.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A tag state is (tag, single-character word?); the HMM keys its states that way (S vs B/E).
State = tuple[str, bool]
HmmState = tuple[str, str]  # (B, M, E or S: place in the word, part-of-speech tag)
BOUNDARY: State = ("", False)  # start of a line, or after a symbol, ASCII or punctuation
EMOJI: State = ("emoji", False)
JOINER: State = ("zwj", False)

GAMMA = 0.85  # tempers P(word | tag): small dictionary tags (g, x, zg) overstate it
FLOOR = -14.0  # log-probability of a transition the HMM never saw
OOV_CHAR = -16.0  # log P(char | tag x) for an ideograph the dictionary lacks
RARE_CHAR = -20.0  # ideographs of the extension blocks, almost never in running text
ZWJ = "\u200d"
VS16 = "\ufe0f"

# Symbol priors, commonest first; the tiers mirror how often each shows up in Chinese text.
_TIERS: tuple[tuple[float, str], ...] = (
    (-2.0, "，。、"),
    (-3.0, "：；！？（）《》“”…—·"),
    (-4.5, "‘’【】「」『』～"),
    (-6.0, "〈〉〔〕＝＋－／＞＜％＃＆＊＠．–•→←↑↓⇒✓✔✅❌⭐★☆✨⚡❤©®™€°±×÷≤≥≠≈∞√′″"),
)
_SYMBOL_PRIOR = {ch: logp for logp, chars in _TIERS for ch in chars}


import os
K = {k: float(os.environ.get("RP_" + k, v)) for k, v in dict(LAMBDA=0.25, GAMMA=0.85, SINGLES=0, END=-3, OOVPEN=-8, MAXTAGS=4, NEUTRAL=1, MULTINORM=0, ALPHA=0.99, CHARPRIOR=0, POSTMIN=-3, EXTRA=0, EXTRA_PEN=0).items()}
UNTAGGED = "?"
EXTRA = {"与": "c", "和": "p", "及": "c", "同": "p", "跟": "c"}
FALLBACK = int(os.environ.get("RP_FALLBACK", "1"))


@dataclass(frozen=True, eq=False)  # hashed by identity, for the reading cache
class WordLM:
    entries: dict[str, tuple[float, str] | None]
    tag_logp: dict[str, float]
    start: dict[HmmState, float]
    trans: dict[HmmState, dict[HmmState, float]]
    singles: dict[str, tuple[tuple[str, float], ...]]
    chars: dict[str, float]

    def word(self, text: str) -> tuple[float, str] | None:
        return self.entries.get(text)

    def is_prefix(self, text: str) -> bool:
        return text in self.entries

    def reading(self, text: str) -> tuple[str, float]:
        return _reading(self, text)

    def readings(self, text: str) -> tuple[tuple[str, float], ...]:
        if len(text) == 1 and K["SINGLES"] == 2:
            return _multi(self, text)
        if text in EXTRA and K["EXTRA"]:
            base = _reading(self, text)
            word = self.word(text)
            assert word
            return (base, (EXTRA[text], word[0] - K["GAMMA"] * self.tag_logp[EXTRA[text]] + K["EXTRA_PEN"]))
        return (_reading(self, text),)

    def transition(self, prev: State, tag: str, single: bool) -> float:
        return _transition(self, prev, tag, single)


@functools.lru_cache(maxsize=65536)
def _transition(lm: WordLM, prev: State, tag: str, single: bool) -> float:
    here = ("S" if single else "B", tag)
    if prev[0] in ("", "emoji", "zwj"):
        row = lm.start
    elif prev[0] == UNTAGGED:
        row = _untagged_row(lm)
    else:
        row = lm.trans.get(("S" if prev[1] else "E", prev[0]), {})
        if FALLBACK and not row:
            row = lm.trans.get(("E" if prev[1] else "S", prev[0]), {})
    if FALLBACK and here not in row and tag != UNTAGGED:
        here = ("B" if single else "S", tag)
    if tag == UNTAGGED:
        kind = here[0]
        total = sum(math.exp(v) for k, v in row.items() if k[0] == kind)
        return max(math.log(total) if total > 0 else FLOOR, FLOOR)
    logp = row.get(here, FLOOR)
    if K["ALPHA"] < 1:
        return math.log(K["ALPHA"] * math.exp(logp) + (1 - K["ALPHA"]) * math.exp(lm.tag_logp.get(tag, FLOOR)))
    return max(logp, FLOOR)


@functools.lru_cache(maxsize=4)
def _untagged_row(lm: WordLM) -> dict[HmmState, float]:
    mix: dict[HmmState, float] = {}
    for tag, logp in lm.tag_logp.items():
        for state, p in lm.trans.get(("E", tag), {}).items():
            mix[state] = mix.get(state, 0.0) + math.exp(logp + p)
    total = sum(mix.values())
    return {k: math.log(v / total) for k, v in mix.items() if v > 0}


@functools.lru_cache(maxsize=65536)
def _multi(lm: WordLM, ch: str) -> tuple[tuple[str, float], ...]:
    base = _reading(lm, ch)
    word = lm.word(ch)
    post = lm.singles.get(ch)
    if word is None or not post:
        return (base,)
    logp = word[0]
    out = []
    for tag, lp in post:
        if lp >= K["POSTMIN"] and tag in lm.tag_logp:
            out.append((tag, logp + lp - K["GAMMA"] * lm.tag_logp[tag]))
    return tuple(out) or (base,)


def end_logp(prev: State) -> float:
    """Cost of a Han run ending after state prev."""
    return K["END"] if prev[0] in ("d", "p", "c") else 0.0


@functools.lru_cache(maxsize=65536)
def _reading(lm: WordLM, text: str) -> tuple[str, float]:
    word = lm.word(text)
    if word is None or word[1] == "x":
        if K["CHARPRIOR"] and len(text) == 1:
            return (UNTAGGED if K["NEUTRAL"] else "x"), lm.chars.get(text, ideograph_logp(text) - 10) + K["OOVPEN"]
        return "x", ideograph_logp(text[0]) * len(text)
    logp, tag = word
    if tag == UNTAGGED:
        return tag, logp
    return tag, logp - K["GAMMA"] * lm.tag_logp[tag]


def is_ideograph(ch: str) -> bool:
    """Whether ch is a CJK unified or compatibility ideograph."""
    cp = ord(ch)
    return 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x3134F


def is_emoji(ch: str) -> bool:
    """Whether ch is a pictographic symbol of the emoji blocks."""
    cp = ord(ch)
    in_block = 0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or 0x2B00 <= cp <= 0x2BFF
    return in_block and unicodedata.category(ch) == "So"


def ideograph_logp(ch: str) -> float:
    """Log-probability of an ideograph that the dictionary does not hold as a word."""
    return OOV_CHAR if 0x4E00 <= ord(ch) <= 0x9FFF else RARE_CHAR


def symbol_logp(ch: str, prev: State) -> float:
    """Log-probability of a non-ideograph character after state prev."""
    if ch == VS16:  # emoji presentation selector: at home right after a pictograph
        return -2.0 if prev == EMOJI else -12.0
    if ch == ZWJ:  # joins two pictographs; what follows it is penalised unless a pictograph
        return -2.0 if prev == EMOJI else -16.0
    base = _SYMBOL_PRIOR.get(ch)
    if base is None:
        base = _category_logp(ch)
    return base - (10.0 if prev == JOINER and not is_emoji(ch) else 0.0)


def _category_logp(ch: str) -> float:
    """Prior of a symbol outside the ranked tiers, by how often its kind occurs at all."""
    if ch.isascii():
        return -1.0
    if is_emoji(ch):
        return -8.0
    category = unicodedata.category(ch)
    if category[0] in "LN" and ord(ch) < 0x0590:  # Latin, Greek, Cyrillic letters and digits
        return -9.0
    if category[0] in "MC" or category == "Cf":  # marks and invisible format characters
        return -18.0
    return -13.0


def state_after(ch: str) -> State:
    """The tag state after a non-ideograph character."""
    if ch == ZWJ:
        return JOINER
    return EMOJI if is_emoji(ch) or ch == VS16 else BOUNDARY


def _jieba_dir() -> Path:
    # find_spec locates jieba without importing it, which would load its whole segmenter.
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("jieba is required to repair mojibake: pip install jieba")
    return Path(spec.origin).parent


def _read_table(path: Path) -> Any:
    # Each HMM table is a module holding one literal, P; loading it by path skips jieba's
    # package import (its segmenter and a deprecated pkg_resources) and uses the bytecode cache.
    spec = importlib.util.spec_from_file_location(f"_readpath_jieba_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.P


def _read_wordfreq() -> dict[str, float]:
    import gzip, msgpack
    spec = importlib.util.find_spec("wordfreq")
    assert spec and spec.origin
    path = Path(spec.origin).parent / "data" / "large_zh.msgpack.gz"
    with gzip.open(path) as f:
        bins = msgpack.load(f, raw=False)
    out: dict[str, float] = {}
    for i, words in enumerate(bins[1:]):
        p = 10 ** (-i / 100)
        for w in words:
            if all(map(is_ideograph, w)):
                out[w] = p
    return out


def _read_words(path: Path):
    counts: dict[str, tuple[int, str]] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            fields = line.split()
            if len(fields) == 3 and all(map(is_ideograph, fields[0])) and int(fields[1]) > 0:
                counts[fields[0]] = (int(fields[1]), fields[2])
    total = sum(count for count, _ in counts.values())
    lam = K["LAMBDA"]
    wf = _read_wordfreq() if lam < 1 else {}
    wtotal = sum(wf.values()) or 1.0
    probs: dict[str, tuple[float, str]] = {}
    for word, (count, tag) in counts.items():
        probs[word] = (lam * count / total + (1 - lam) * wf.get(word, 0.0) / wtotal, tag)
    for word, p in wf.items():
        if word not in probs:
            probs[word] = ((1 - lam) * p / wtotal, UNTAGGED)
    chars: dict[str, float] = {}
    for word, (p, tag) in probs.items():
        for c in word:
            chars[c] = chars.get(c, 0.0) + p
    ctot = sum(chars.values())
    multi = K["MULTINORM"] and K["SINGLES"]
    entries: dict[str, tuple[float, str] | None] = {}
    tag_total: dict[str, float] = {}
    for word, (p, tag) in probs.items():
        if multi and len(word) == 1:
            continue
        entries[word] = (math.log(p), tag)
        tag_total[tag] = tag_total.get(tag, 0) + p
        for end in range(1, len(word)):
            entries.setdefault(word[:end], None)
    tag_total.pop(UNTAGGED, None)
    return entries, {tag: math.log(mass) for tag, mass in tag_total.items()}, {c: math.log(v / ctot) for c, v in chars.items()}


START = _read_table(_jieba_dir() / "posseg" / "prob_start.py")


def _singles(emit) -> dict[str, tuple[tuple[str, float], ...]]:
    found: dict[str, list[tuple[str, float]]] = {}
    for (place, tag), table in emit.items():
        if place == "S":
            for ch, logp in table.items():
                if logp > -50:
                    found.setdefault(ch, []).append((tag, logp))
    n = int(K["MAXTAGS"])
    out = {}
    for ch, r in found.items():
        r = [(t, lp + max(START.get(("S", t), -20.0), -20.0)) for t, lp in r]
        top = max(lp for _, lp in r)
        tot = top + math.log(sum(math.exp(lp - top) for _, lp in r))
        out[ch] = tuple(sorted(((t, lp - tot) for t, lp in r), key=lambda x: -x[1])[:n])
    return out


@functools.lru_cache(maxsize=1)
def load_lm() -> WordLM:
    root = _jieba_dir()
    entries, tag_logp, chars = _read_words(root / "dict.txt")
    return WordLM(
        entries=entries,
        tag_logp=tag_logp,
        start=_read_table(root / "posseg" / "prob_start.py"),
        trans=_read_table(root / "posseg" / "prob_trans.py"),
        singles=_singles(_read_table(root / "posseg" / "prob_emit.py")),
        chars=chars,
    )
