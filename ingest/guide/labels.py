"""Labels of a guide's headings and bullets: markup stripped, bilingual pairs split, slugs."""

from __future__ import annotations

import re
import unicodedata

from ingest.text import URL_RE, has_cjk, render_links

# A label ending in a parenthetical, ASCII or fullwidth: "数据并行 (Data Parallel)".
_PAIR_RE = re.compile(r"^(?P<outer>.+?)\s*[（(](?P<inner>[^（）()]+)[)）]$")
_ENUMERATION_RE = re.compile(r"^\d{1,2}\s*[.、)]\s*")  # "4. 大模型…" numbers a section, it is not the term
_EMPHASIS_RE = re.compile(r"\*\*|__|~~|`")
_TRAILING_COLON_RE = re.compile(r"\s*[:：]\s*$")
_SLUG_MAX = 60  # long labels would make unwieldy ids; the prefix is distinctive enough


def _is_decoration(char: str) -> bool:
    # Emoji, check marks, variation selectors, joiners and the replacement character decorate
    # titles ("✅ 1. 基础阶段", "🚀 第一阶段"); they are not part of the label.
    return unicodedata.category(char)[0] in "SCZ" or char in "\ufe0f\u200d\ufffd"


def clean_label(text: str) -> str:
    """A heading or bullet text as a label: links shown as their text, markup and decoration gone."""
    label = URL_RE.sub("", render_links(text))
    label = _EMPHASIS_RE.sub("", label)
    start = 0
    while start < len(label) and (_is_decoration(label[start]) or label[start].isspace()):
        start += 1
    label = _TRAILING_COLON_RE.sub("", label[start:])
    return " ".join(label.split())


def split_bilingual(label: str) -> tuple[str | None, str | None]:
    """(zh, en) when the label pairs a Chinese and an English name, else (None, None)."""
    match = _PAIR_RE.match(label)
    if not match:
        return None, None
    outer, inner = _ENUMERATION_RE.sub("", match["outer"]).strip(), match["inner"].strip()
    # "BERT、GPT" and "ONNX, TensorRT, quantization" list examples; a name is not a list.
    if "、" in outer or "、" in inner or inner.count(",") >= 2 or outer.count(",") >= 2:
        return None, None
    for zh, en in ((outer, inner), (inner, outer)):
        if has_cjk(zh) and not has_cjk(en) and len(re.findall(r"[A-Za-z]", en)) >= 2:
            return zh, en
    return None, None


def slugify(label: str) -> str:
    """A path segment for a label: lower case, letters and ideographs kept, the rest as dashes."""
    slug = re.sub(r"[^\w]+|_", "-", label.lower()).strip("-")
    return slug[:_SLUG_MAX].rstrip("-") or "section"
