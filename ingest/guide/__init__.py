"""Reading guides: lines, headings and bullets to a taxonomy of references (`load_guide`)."""

from ingest.guide.lines import joined_lines
from ingest.guide.loader import load_guide, read_repaired

__all__ = ["joined_lines", "load_guide", "read_repaired"]
