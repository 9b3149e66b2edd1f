"""Build the repair's language model from jieba's and wordfreq's data files.

jieba gives words with counts and part-of-speech tags, and its part-of-speech HMM gives the tag
transitions; wordfreq gives modern word frequencies from Wikipedia, subtitles, news and social
media.  The files are read by path: importing the packages would load jieba's segmenter and
wordfreq's text tools, most of a second, for tables this module parses itself.  Nothing is written
to disk; the model is built once per process, in under a second.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import itertools
import math
import re
from pathlib import Path
from typing import Any

import msgpack

from ingest.repair.lm import WordLM
from ingest.text import CJK_CHARS

_JIEBA_LINE = re.compile(rf"^([{CJK_CHARS}]+) ([1-9]\d*) ([a-z]+)$", re.MULTILINE)
_HAN_LINE = re.compile(rf"^[{CJK_CHARS}]+$", re.MULTILINE)


def _package_dir(name: str) -> Path:
    # find_spec locates a package without importing it.
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"{name} is required to repair mojibake: pip install {name}")
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


def _jieba_words(path: Path) -> tuple[dict[str, tuple[float, str]], dict[str, float]]:
    """Each all-ideograph word of jieba's dictionary with its share of the counts and its tag,
    and the log of the share of the counts each tag holds."""
    found = _JIEBA_LINE.findall(path.read_text(encoding="utf-8"))  # word, count, tag
    counts = [int(count) for _, count, _ in found]
    total = sum(counts)
    mass: dict[str, int] = {}
    for (_, _, tag), count in zip(found, counts, strict=True):
        mass[tag] = mass.get(tag, 0) + count
    words = {word: (count / total, tag) for (word, _, tag), count in zip(found, counts, strict=True)}
    return words, {tag: math.log(share / total) for tag, share in mass.items()}


def _wordfreq_words(path: Path) -> dict[str, float]:
    """Each all-ideograph word of wordfreq's list with its share of their total frequency."""
    with gzip.open(path) as packed:
        bins = msgpack.load(packed, raw=False)
    # After a header, bin i holds the words of frequency 10 ** (-i / 100), commonest first.
    han = [(10 ** (-cb / 100), _HAN_LINE.findall("\n".join(words))) for cb, words in enumerate(bins[1:])]
    total = sum(freq * len(words) for freq, words in han)
    found: dict[str, float] = {}
    for freq, words in han:
        found.update(dict.fromkeys(words, freq / total))
    return found


@functools.lru_cache(maxsize=1)
def load_lm() -> WordLM:
    """Build the model from the packages' files once; later calls reuse it."""
    jieba = _package_dir("jieba")
    tagged, tag_logp = _jieba_words(jieba / "dict.txt")
    modern = _wordfreq_words(_package_dir("wordfreq") / "data" / "large_zh.msgpack.gz")
    # The lattice extends a word from its first character on, so only longer prefixes are looked up.
    words = [word for word in itertools.chain(tagged, modern) if len(word) > 2]
    return WordLM(
        tagged=tagged,
        modern=modern,
        prefixes=frozenset(word[:end] for word in words for end in range(2, len(word))),
        tag_logp=tag_logp,
        start=_read_table(jieba / "posseg" / "prob_start.py"),
        trans=_read_table(jieba / "posseg" / "prob_trans.py"),
    )
