"""Which language a question is in (zh or en), and the glossary terms it uses."""

from __future__ import annotations

import re

from ingest.text import CJK_CHAR

_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+\-]*")


def detect_language(text: str, default: str = "en") -> str:
    """'zh' when Chinese characters carry the text, else 'en'; `default` for text with neither."""
    cjk = len(CJK_CHAR.findall(text))
    words = len(_LATIN_WORD.findall(text))
    if cjk == 0 and words == 0:
        return default
    # A Chinese sentence keeps English names ("LoRA 是什么"): count each Chinese character against
    # each English word, so "LoRA 是什么" is zh (3 vs 1) and "What is 张量并行 in Megatron" en (4 vs 5).
    return "zh" if cjk >= 2 and cjk >= words else "en"


def glossary_pairs(text: str, glossary: dict[str, str]) -> list[tuple[str, str]]:
    """The (zh, en) glossary pairs whose Chinese or English side occurs in `text`, longest first."""
    lowered = text.lower()
    found = [(zh, en) for zh, en in glossary.items() if zh in text or (len(en) > 2 and en.lower() in lowered)]
    return sorted(found, key=lambda pair: -len(pair[0]))
