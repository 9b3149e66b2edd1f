"""Interface text in English and Chinese, from ui/locales/<lang>.toml, chosen per browser session."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

import streamlit as st

LOCALES = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = {"en": "English", "zh": "中文"}
FALLBACK = "en"
STATE_KEY = "lang"


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = str(value)
    return out


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    """Every message of one language, keyed "section.name" as the TOML tables nest them."""
    with (LOCALES / f"{lang}.toml").open("rb") as handle:
        return _flatten(tomllib.load(handle))


def language() -> str:
    """The language this browser session chose ("en" or "zh")."""
    lang = st.session_state.get(STATE_KEY, FALLBACK)
    return lang if lang in LANGUAGES else FALLBACK


def t(key: str, /, **values: Any) -> str:
    """The message `key` in the session's language (English when Chinese lacks it), filled in."""
    text = catalog(language()).get(key) or catalog(FALLBACK)[key]
    return text.format(**values) if values else text


def label(en: str | None, zh: str | None, fallback: str) -> str:
    """A bilingual guide label in the session's language, else the other one, else as written."""
    first, second = (zh, en) if language() == "zh" else (en, zh)
    return first or second or fallback
