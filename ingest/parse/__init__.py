"""Pure parsers over bytes and text: PDF pages and sections, Markdown and plain text, reference lists."""

from ingest.parse.markdown import ParsedMarkdown, parse_markdown, parse_text
from ingest.parse.pdf import ParsedPdf, parse_pdf
from ingest.parse.references import match_citations

__all__ = ["ParsedMarkdown", "ParsedPdf", "match_citations", "parse_markdown", "parse_pdf", "parse_text"]
