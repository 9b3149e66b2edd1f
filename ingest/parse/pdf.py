"""Parse PDF bytes into cleaned pages, sections, reference entries, title and authors, with pypdf."""

from __future__ import annotations

import io
import logging
import math
import multiprocessing
import re
import threading
import zlib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.context import BaseContext

from pypdf import PageObject, PasswordType, PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import DictionaryObject, NameObject, StreamObject

from ingest.errors import PdfUnreadable
from ingest.models import Page, Section
from ingest.parse.pdf_clean import ARXIV_STAMP, clean_lines, finish_page, remove_arxiv_stamp, remove_running_lines
from ingest.parse.pdf_structure import guess_authors, outline, title_from_fonts, title_from_metadata
from ingest.parse.references import split_references

PARALLEL_MIN_PAGES = 8  # below this, starting worker processes costs more than it saves (bench/parse.py)
HEADER_WINDOW = 1024  # the PDF format lets "%PDF-" start anywhere in the first 1024 bytes
# Figures embedded as form XObjects show 0.02 to 4 text operators per KB in the real corpus (axis labels,
# legends: noise for reading), a page of prose 20 or more. Skipping the sparse ones saves 15% of parse time.
FIGURE_TEXT_OPS_PER_KB = 5.0
# Fewer characters than this per page, on average over the document, means scanned pages without a text
# layer (or figures only): the parser warns and the pipeline flags the document "low text". One value for
# both. A page of a paper carries 2,000 to 5,000 characters (the real corpus averages 2,448 to 5,300 a
# paper, its sparsest page 209), so 300 never flags a paper that has text and still flags one whose pages
# are nearly all images; the 200 the pipeline used differed for no reason.
LOW_TEXT_CHARS_PER_PAGE = 300
# pypdf reports damage with builtin errors as well as its own, depending on where parsing breaks.
_PYPDF_FAILURES = (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, zlib.error)
_HTML = re.compile(rb"(?i)<(!doctype\s+html|html|head|body|script)\b")
_TEXT_OPERATOR = re.compile(rb"T[jJ]\b")

FontPieces = list[tuple[str, float]]


class _PypdfMessages(logging.Handler):
    """pypdf reports what it repaired or skipped as log warnings ("EOF marker not found"), which Python
    prints raw on stderr when nobody configured logging: above the CLI's result table, meaningless to a
    reader. During a parse (in this thread) they are kept, to become the item's reason; elsewhere they
    go on to the root logger as usual. Per-thread, so parses in the app's threads never mix."""

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        kept: list[str] | None = getattr(self._local, "kept", None)
        if kept is None or record.levelno < logging.WARNING:
            logging.getLogger().handle(record)
        elif (message := record.getMessage().strip().rstrip(".")) not in kept:
            kept.append(message)

    @contextmanager
    def kept(self) -> Iterator[list[str]]:
        """The messages pypdf logs in this thread inside the block, each once."""
        outer = getattr(self._local, "kept", None)
        messages: list[str] = []
        self._local.kept = messages
        try:
            yield messages
        finally:
            self._local.kept = outer


# Installed once: the handler takes pypdf's records instead of letting them propagate, and passes on
# those logged outside a parse. (pypdf's warnings.warn calls are DeprecationWarnings only, for developers.)
_MESSAGES = _PypdfMessages()
logging.getLogger("pypdf").addHandler(_MESSAGES)
logging.getLogger("pypdf").propagate = False


@dataclass(frozen=True)
class ParsedPdf:
    """A parsed PDF: cleaned pages (1-based), outline, reference entries, guessed title and authors, health."""

    pages: list[Page]
    sections: list[Section]
    references: list[str]
    title: str | None
    authors: list[str]
    warnings: list[str]
    arxiv_stamp: str | None = None  # "arXiv:2205.14135v2 [cs.LG] 23 Jun 2022", removed from the page text

    @property
    def arxiv_id(self) -> str | None:
        """The arXiv id named by the stamp, without its version ("2205.14135")."""
        match = ARXIV_STAMP.search(self.arxiv_stamp or "")
        return match.group("id") if match else None


def _check_bytes(data: bytes, name: str, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise PdfUnreadable(
            f"{name} is {len(data) / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit: "
            "raise the PDF size limit or leave this file out"
        )
    if not data:
        raise PdfUnreadable(f"{name} is empty (0 bytes): download it again")
    head = data[:HEADER_WINDOW]
    if b"%PDF-" in head:
        return
    if _HTML.search(head):
        raise PdfUnreadable(
            f"{name}: got HTML, not a PDF (the server sent a web page, perhaps a login or error page): "
            "open the link in a browser and add the PDF file itself"
        )
    raise PdfUnreadable(f"{name} is not a PDF (no %PDF- header): check that the file or link is a PDF")


def _open(data: bytes, name: str, messages: list[str]) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise PdfUnreadable(
                f"{name} is encrypted with a password: save an unlocked copy (print it to PDF) and add that"
            )
        count = len(reader.pages)
    except _PYPDF_FAILURES as exc:
        why = f": {_explained(messages)}" if messages else ""
        raise PdfUnreadable(
            f"{name} is damaged and cannot be read ({exc}){why}; download it again or re-save it from a PDF viewer"
        ) from exc
    if count == 0:
        raise PdfUnreadable(f"{name} has no pages: download it again or check the source")
    return reader


def _is_sparse_figure(form: StreamObject) -> bool:
    try:
        content = form.get_data()
    except _PYPDF_FAILURES:
        return True  # an undecodable form has nothing to read
    return len(_TEXT_OPERATOR.findall(content)) < FIGURE_TEXT_OPS_PER_KB * len(content) / 1000


def _drop_figures(page: PageObject) -> None:
    """Swap form XObjects with sparse text (figures) for empty ones; text-dense forms (wrapped pages) stay."""
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    if not isinstance(xobjects, DictionaryObject):
        return
    for key in list(xobjects):
        form = xobjects[key].get_object()
        if isinstance(form, StreamObject) and form.get("/Subtype") == "/Form" and _is_sparse_figure(form):
            empty = StreamObject()
            empty[NameObject("/Subtype")] = NameObject("/Form")
            xobjects[NameObject(key)] = empty


class _FontSizes:
    """Collects (text, size) pieces of upright text the page draws itself, for the title guess."""

    def __init__(self) -> None:
        self.pieces: FontPieces = []
        self.depth = 0  # inside a form XObject (a figure) sizes ignore the form's own matrix, so they mislead

    def before(self, operator: bytes, operands: object, cm: object, tm: object) -> None:
        self.depth += operator == b"Do"

    def after(self, operator: bytes, operands: object, cm: object, tm: object) -> None:
        self.depth -= operator == b"Do"

    def text(self, text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if self.depth == 0 and abs(tm[1]) < 1e-6 and tm[0] > 0:  # upright: not the arXiv stamp up the margin
            self.pieces.append((text, size * math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])))


def _page_text(page: PageObject, fonts: _FontSizes | None = None) -> str | None:
    """A page's text, or None when pypdf cannot read it; `fonts` collects its font sizes when given."""
    try:
        _drop_figures(page)
        if fonts is None:
            return page.extract_text()
        return page.extract_text(
            visitor_operand_before=fonts.before, visitor_operand_after=fonts.after, visitor_text=fonts.text
        )
    except _PYPDF_FAILURES:
        return None


def _extract_pages(data: bytes, indices: list[int]) -> tuple[list[str | None], list[str]]:
    """Texts of some pages, read from the PDF bytes, and what pypdf reported: the job of one worker process."""
    with _MESSAGES.kept() as messages:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        return [_page_text(reader.pages[i]) for i in indices], messages


def _pool_context() -> BaseContext:
    """How to start workers: fork, which takes milliseconds, unless this process runs other threads."""
    # With other threads (the Streamlit app) a forked child can inherit a lock held mid-operation and hang;
    # forkserver is safe there and costs about 0.2 s more per PDF.
    return multiprocessing.get_context("fork" if threading.active_count() == 1 else "forkserver")


def _extract(reader: PdfReader, data: bytes, workers: int, messages: list[str]) -> tuple[list[str | None], FontPieces]:
    """Every page's text, in parallel worker processes when the PDF is long, and the first page's fonts;
    what pypdf reported in the workers is added to `messages`."""
    count = len(reader.pages)
    fonts = _FontSizes()
    texts: dict[int, str | None] = {}
    if workers >= 2 and count >= PARALLEL_MIN_PAGES:
        # Pages dealt round-robin so each worker gets a share of the slow figure pages.
        shares = [list(range(1 + k, count, workers)) for k in range(workers)]
        try:
            with ProcessPoolExecutor(workers, mp_context=_pool_context()) as pool:
                futures = [pool.submit(_extract_pages, data, share) for share in shares]
                texts[0] = _page_text(reader.pages[0], fonts)
                for share, future in zip(shares, futures, strict=True):
                    share_texts, share_messages = future.result()
                    texts.update(zip(share, share_texts, strict=True))
                    messages += [m for m in share_messages if m not in messages]
        except (BrokenProcessPool, OSError):
            pass  # no worker processes here (a sandbox, or a script without the __main__ guard): read in-process
    for index in range(count):
        if index not in texts:
            texts[index] = _page_text(reader.pages[index], fonts if index == 0 else None)
    return [texts[index] for index in range(count)], fonts.pieces


def _metadata_title(reader: PdfReader) -> str | None:
    try:
        return title_from_metadata(reader.metadata.title if reader.metadata else None)
    except _PYPDF_FAILURES:
        return None


def _explained(messages: list[str]) -> str:
    """pypdf's messages as one clause of a reason, with what they mean when that is known."""
    said = "; ".join(messages)
    if any("EOF marker" in m for m in messages):
        return f"the file looks truncated, an incomplete download or copy (pypdf: {said})"
    return f"pypdf reported: {said}"


def _health(raw: list[str | None], pages: list[Page], messages: list[str]) -> list[str]:
    warnings = [_explained(messages)] if messages else []
    warnings += [f"page {i} could not be read" for i, text in enumerate(raw, start=1) if text is None]
    warnings += [
        f"page {p.number} has no text" for p, text in zip(pages, raw, strict=True) if text is not None and not p.text
    ]
    chars = sum(len(page.text) for page in pages)
    if chars < LOW_TEXT_CHARS_PER_PAGE * len(pages):
        warnings.append(
            f"only {chars} characters on {len(pages)} pages: far fewer characters than pages suggest; "
            "some pages may be scanned images"
        )
    return warnings


def parse_pdf(data: bytes, *, name: str, max_bytes: int, workers: int = 2) -> ParsedPdf:
    """Parse PDF bytes; raise PdfUnreadable for non-PDFs, damage, passwords, no pages, no text or excess size."""
    _check_bytes(data, name, max_bytes)
    with _MESSAGES.kept() as messages:
        try:
            reader = _open(data, name, messages)
            raw, pieces = _extract(reader, data, workers, messages)
        except PdfUnreadable as exc:
            if not messages or _explained(messages) in str(exc):
                raise
            raise PdfUnreadable(f"{exc} ({_explained(messages)})") from exc
    if not any(text and text.strip() for text in raw):
        raise PdfUnreadable(
            f"{name} has no text layer (a scanned document?): run OCR on it (e.g. `ocrmypdf in.pdf out.pdf`) "
            "and add the result"
        )
    stamps = [remove_arxiv_stamp(clean_lines(text or "")) for text in raw]
    first_lines = stamps[0][0]
    kept = remove_running_lines([lines for lines, _ in stamps])
    pages = [Page(number=i, text=finish_page(lines)) for i, lines in enumerate(kept, start=1)]
    found = outline(pages)
    title = _metadata_title(reader) or title_from_fonts(pieces) or next((line for line in first_lines if line), None)
    return ParsedPdf(
        pages=pages,
        sections=found.sections,
        references=split_references(found.references_text),
        title=title,
        authors=guess_authors(first_lines, title),
        warnings=_health(raw, pages, messages),
        arxiv_stamp=next((stamp for _, stamp in stamps if stamp), None),
    )
