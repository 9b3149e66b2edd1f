"""Real PDF bytes for tests, drawn with reportlab: known text on known pages, no files on disk.

Page strings: paragraphs are separated by blank lines, a single newline is kept as a line break
(so "compu-\\ntation" puts a hyphenated word across two lines), long lines wrap to the column,
and a line starting with "# " is drawn as a bold section heading ("# 1 Introduction").
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

PAGE_W, PAGE_H = LETTER
MARGIN = 72.0
GUTTER = 18.0
BODY_SIZE = 10.0
LEADING = 13.0
TITLE_SIZE = 18.0
CJK_FONT = "STSong-Light"  # one of reportlab's built-in CID fonts: no TTF file needed


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str


def _fonts(chinese: bool) -> _Fonts:
    if not chinese:
        return _Fonts("Times-Roman", "Times-Bold")
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return _Fonts(CJK_FONT, CJK_FONT)


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _tokens(line: str) -> Iterator[str]:
    """Words with their trailing space, and each CJK character alone, so CJK text can wrap anywhere."""
    word = ""
    for char in line:
        if _is_wide(char):
            if word:
                yield word
                word = ""
            yield char
        else:
            word += char
            if char == " ":
                yield word
                word = ""
    if word:
        yield word


def _wrap(line: str, font: str, size: float, width: float) -> list[str]:
    out: list[str] = []
    current = ""
    for token in _tokens(line):
        if current and pdfmetrics.stringWidth((current + token).rstrip(), font, size) > width:
            out.append(current.rstrip())
            current = token.lstrip()
        else:
            current += token
    out.append(current.rstrip())
    return out


def _layout(text: str, fonts: _Fonts, width: float) -> list[tuple[str, str]]:
    """(font, line) pairs for a page's text; an empty line is a paragraph gap."""
    lines: list[tuple[str, str]] = []
    for raw in text.split("\n"):
        if raw.startswith("# "):
            lines.append((fonts.bold, raw[2:].strip()))
        elif not raw.strip():
            lines.append((fonts.regular, ""))
        else:
            lines.extend((fonts.regular, part) for part in _wrap(raw.strip(), fonts.regular, BODY_SIZE, width))
    return lines


def _columns(two_column: bool) -> list[tuple[float, float]]:
    """(x, width) of each text column."""
    full = PAGE_W - 2 * MARGIN
    if not two_column:
        return [(MARGIN, full)]
    half = (full - GUTTER) / 2
    return [(MARGIN, half), (MARGIN + half + GUTTER, half)]


def _draw_body(canvas: Canvas, text: str, fonts: _Fonts, two_column: bool, top: float) -> None:
    columns = _columns(two_column)
    lines = _layout(text, fonts, columns[0][1])
    per_column = int((top - MARGIN) // LEADING)
    for index, (font, line) in enumerate(lines):
        column = min(index // per_column, len(columns) - 1)
        y = top - (index - column * per_column) * LEADING
        if line:
            canvas.setFont(font, BODY_SIZE)
            canvas.drawString(columns[column][0], y, line)


@dataclass(frozen=True)
class _Options:
    two_column: bool
    header: str | None
    footer_page_numbers: bool
    chinese: bool
    page_title: str | None


def _draw_page(canvas: Canvas, text: str, number: int, options: _Options) -> None:
    fonts = _fonts(options.chinese)
    top = PAGE_H - MARGIN
    if options.header:
        canvas.setFont(fonts.regular, 8)
        canvas.drawCentredString(PAGE_W / 2, PAGE_H - 40, options.header)
    if number == 1 and options.page_title:
        canvas.setFont(fonts.bold, TITLE_SIZE)
        canvas.drawCentredString(PAGE_W / 2, top, options.page_title)
        top -= 2.5 * TITLE_SIZE
    if options.footer_page_numbers:
        canvas.setFont(fonts.regular, 9)
        canvas.drawCentredString(PAGE_W / 2, 36, str(number))
    _draw_body(canvas, text, fonts, options.two_column, top)


def _encryption(password: str) -> StandardEncryption:
    # An owner password is always set, so encrypt="" gives a PDF any reader opens with the empty password.
    return StandardEncryption(password, ownerPassword="owner-secret", strength=128)


def make_pdf(
    pages: list[str],
    *,
    title: str | None = None,
    two_column: bool = False,
    header: str | None = None,
    footer_page_numbers: bool = True,
    chinese: bool = False,
    encrypt: str | None = None,
    page_title: str | None = None,
) -> bytes:
    """A PDF with one page per string; `title` goes in the metadata, `page_title` atop page 1 in 18 pt."""
    buffer = io.BytesIO()
    encryption = _encryption(encrypt) if encrypt is not None else None
    canvas = Canvas(buffer, pagesize=LETTER, invariant=True, encrypt=encryption)
    canvas.setTitle(title or "")
    canvas.setAuthor("")
    options = _Options(two_column, header, footer_page_numbers, chinese, page_title)
    for number, text in enumerate(pages, start=1):
        _draw_page(canvas, text, number, options)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def make_scanned_pdf(pages: int = 1) -> bytes:
    """A PDF whose pages carry only drawings (as a scan carries only an image): no text layer at all."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, invariant=True)
    for _ in range(pages):
        canvas.setFillGray(0.85)
        canvas.rect(MARGIN, MARGIN, PAGE_W - 2 * MARGIN, PAGE_H - 2 * MARGIN, fill=1)
        for row in range(40):
            canvas.setFillGray(0.2)
            canvas.rect(MARGIN + 10, PAGE_H - MARGIN - 20 - row * 15, 300 + (row * 37) % 150, 6, fill=1, stroke=0)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def make_empty_pdf() -> bytes:
    """A syntactically valid PDF with zero pages."""
    # reportlab always emits at least one page, so the page tree is written by hand here.
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [] /Count 0 >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def make_figure_pdf(body: str, *, figure_label: str, strokes: int) -> bytes:
    """One page of body text and a figure drawn as a form XObject: `strokes` line segments and a text label."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, invariant=True)
    canvas.beginForm("figure")
    for index in range(strokes):
        canvas.line(MARGIN + index % 300, 200 + index % 97, MARGIN + 10 + index % 211, 250 + index % 89)
    canvas.setFont("Helvetica", 8)
    canvas.drawString(MARGIN, 190, figure_label)
    canvas.endForm()
    canvas.doForm("figure")
    _draw_body(canvas, body, _fonts(chinese=False), two_column=False, top=PAGE_H - MARGIN)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
