"""Pure parsers over bytes and text: PDF pages and sections, Markdown and plain text, reference lists."""

from ingest.parse.markdown import ParsedMarkdown, parse_markdown, parse_text
from ingest.parse.pdf import LOW_TEXT_CHARS_PER_PAGE, ParsedPdf, parse_pdf
from ingest.parse.references import match_citations

__all__ = ["LOW_TEXT_CHARS_PER_PAGE", "ParsedMarkdown", "ParsedPdf", "match_citations", "parse_markdown", "parse_pdf",
           "parse_text"]
