"""Shared fixtures: every test gets its own data directory and never reaches a model hub."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "000_302631fd12e45994.txt"


@pytest.fixture(autouse=True)
def readpath_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the data directory and the settings file at the test's own temporary folder."""
    home = tmp_path / "readpath-home"
    monkeypatch.setenv("READPATH_HOME", str(home))
    monkeypatch.setenv("READPATH_CONFIG", str(home / "config.toml"))
    for name in list(os.environ):
        if name.startswith("READPATH_") and name not in ("READPATH_HOME", "READPATH_CONFIG"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    yield home
