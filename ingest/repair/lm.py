"""Chinese language model that ranks the candidates of a mojibake repair.

It is a class-based word bigram, P(word | previous word) ~ P(tag | previous tag) * P(word | tag).
Word frequencies mix jieba's dictionary, which has part-of-speech tags but dates from 2012, with
wordfreq's list, which knows modern words (入坑, 吴恩达, 聚类, 协程) but has no tags; the tag
transitions come from jieba's part-of-speech HMM, which was trained on a tagged corpus.  Tags carry
the grammar a unigram model lacks: "算法与复杂性" (noun, preposition, noun) beats "算法不复杂性"
(adverb before a noun) although 不 is the commoner word.  A word only wordfreq knows is scored as
one of unknown class, averaging over the tags.  Symbols are in neither list, so they get a prior.
repair_lexicon builds the model from the packages' files.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from dataclasses import dataclass

from ingest.text import CJK_CHAR

# A tag state is (tag, single-character word?); the HMM keys its states that way (S vs B/E).
State = tuple[str, bool]
HmmState = tuple[str, str]  # (B, M, E or S: place in the word, part-of-speech tag)
Row = dict[HmmState, float]
BOUNDARY: State = ("", False)  # start of a line, or after a symbol, ASCII or punctuation
EMOJI: State = ("emoji", False)
JOINER: State = ("zwj", False)
UNTAGGED = "?"  # the tag of a word that only wordfreq knows

# Share of jieba's counts in the word probabilities; wordfreq's list has the rest, as it is newer and
# larger (the mix that repaired the most of the checked seed and of other Chinese text).
JIEBA_SHARE = 0.25
GAMMA = 0.85  # tempers P(word | tag): small dictionary tags (g, x, zg) overstate it
FLOOR = -14.0  # log-probability of a tag or transition the tables lack
# Share of a transition's probability kept from the HMM; the rest follows the tag's overall share,
# so a tag pair the training corpus happened to lack is unlikely rather than impossible.
HMM_SHARE = 0.99
OOV_CHAR = -16.0  # log P(char | tag x) for an ideograph the dictionary lacks
RARE_CHAR = -20.0  # ideographs of the extension blocks, almost never in running text
# Adverbs, prepositions and conjunctions govern the word after them, so Chinese text does not stop
# at one; modal particles (吗, 呢, 吧) close a sentence, so Chinese seldom goes on after one.  The
# HMM cannot tell: it was trained on runs of text cut at punctuation, with no state for the cut.
GOVERNING_TAGS = frozenset({"d", "p", "c"})
ENDS_AFTER_GOVERNOR = -3.0
GOES_ON_AFTER_PARTICLE = -3.0
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


@dataclass(frozen=True, eq=False)  # hashed by identity, for the reading and transition caches
class WordLM:
    """Tagged and modern word frequencies, word prefixes, and jieba's tag transitions."""

    tagged: dict[str, tuple[float, str]]  # jieba: word -> (share of the counts, tag)
    modern: dict[str, float]  # wordfreq: word -> share of the frequency
    prefixes: frozenset[str]  # proper prefixes of two or more characters of the words
    tag_logp: dict[str, float]  # log of the share of jieba's counts each tag holds
    start: Row  # log P(first state of a sentence)
    trans: dict[HmmState, Row]  # log P(next state | state)

    def word(self, text: str) -> tuple[float, str] | None:
        """Log P(word) and tag of a known word, None for prefixes and unknown text."""
        share, tag = self.tagged.get(text, (0.0, UNTAGGED))
        p = JIEBA_SHARE * share + (1 - JIEBA_SHARE) * self.modern.get(text, 0.0)
        return (math.log(p), tag) if p > 0 else None

    def is_prefix(self, text: str) -> bool:
        """Whether text is a word or begins one; the lattice asks only of two characters or more."""
        return text in self.prefixes or text in self.tagged or text in self.modern

    def reading(self, text: str) -> tuple[str, float]:
        """The tag of text as one word and log P(text | tag)."""
        return _reading(self, text)

    def transition(self, prev: State, tag: str, single: bool) -> float:
        """Log P(tag of the next word | previous state), from the HMM's word-boundary states."""
        return _transition(self, prev, tag, single)


@functools.lru_cache(maxsize=65536)
def _reading(lm: WordLM, text: str) -> tuple[str, float]:
    word = lm.word(text)
    # Tag x marks bound morphemes (杩 of 杩头); standing alone they are as rare as unknown ones.
    if word is None or word[1] == "x":
        return "x", ideograph_logp(text[0]) * len(text)
    logp, tag = word
    if tag == UNTAGGED:  # no tag to condition on: the transition holds the tag's share
        return tag, logp
    return tag, logp - GAMMA * lm.tag_logp[tag]


@functools.lru_cache(maxsize=65536)
def _transition(lm: WordLM, prev: State, tag: str, single: bool) -> float:
    row = _row(lm, prev)
    place = "S" if single else "B"
    if tag == UNTAGGED:  # any tag may follow: the chance that a word starts here at all
        total = sum(math.exp(logp) for (at, _), logp in row.items() if at == place)
        logp = max(math.log(total), FLOOR) if total > 0 else FLOOR
    else:
        # A dictionary tag the HMM never saw at this place (云 is a one-character ns) takes the
        # probability of the other place.
        here = (place, tag) if (place, tag) in row else ("B" if single else "S", tag)
        hmm = math.exp(row.get(here, -math.inf))
        logp = math.log(HMM_SHARE * hmm + (1 - HMM_SHARE) * math.exp(lm.tag_logp.get(tag, FLOOR)))
    return logp + (GOES_ON_AFTER_PARTICLE if prev[0] == "y" else 0.0)


def _row(lm: WordLM, prev: State) -> Row:
    if prev[0] in ("", "emoji", "zwj"):
        return lm.start
    if prev[0] == UNTAGGED:
        return _untagged_row(lm)
    place, other = ("S", "E") if prev[1] else ("E", "S")
    return lm.trans.get((place, prev[0])) or lm.trans.get((other, prev[0]), {})


@functools.lru_cache(maxsize=4)
def _untagged_row(lm: WordLM) -> Row:
    """What follows a word of unknown tag: the rows of word-final states, weighted by tag share."""
    mixed: dict[HmmState, float] = {}
    for tag, share in lm.tag_logp.items():
        for state, logp in lm.trans.get(("E", tag), {}).items():
            mixed[state] = mixed.get(state, 0.0) + math.exp(share + logp)
    total = sum(mixed.values())
    return {state: math.log(p / total) for state, p in mixed.items() if p > 0}


def end_logp(prev: State) -> float:
    """Log-probability cost of a run of Chinese ending (punctuation, end of line) after prev."""
    return ENDS_AFTER_GOVERNOR if prev[0] in GOVERNING_TAGS else 0.0


def is_ideograph(ch: str) -> bool:
    """Whether ch is a Chinese ideograph (ingest.text's ranges)."""
    return CJK_CHAR.fullmatch(ch) is not None


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
    if unicodedata.category(ch).startswith("P"):
        base += end_logp(prev)
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
