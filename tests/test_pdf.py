"""ingest.parse.pdf over generated PDFs with known text on known pages, and every kind of unreadable input."""

from __future__ import annotations

import functools
import logging
import re
import threading
from pathlib import Path

import pytest

import ingest.parse.pdf
from ingest.errors import PdfUnreadable
from ingest.parse.pdf import ParsedPdf, parse_pdf
from ingest.parse.pdf_clean import clean_lines, join_hyphenated, remove_arxiv_stamp, remove_running_lines
from ingest.parse.references import match_citations
from tests.support.pdfgen import make_empty_pdf, make_figure_pdf, make_pdf, make_scanned_pdf

LIMIT = 50_000_000
PROSE = "Transformers process sequences of tokens with attention layers and feed forward blocks. "
STAMP = "arXiv:2205.14135v2 [cs.LG] 23 Jun 2022"


def parse(data: bytes, **kwargs: int) -> ParsedPdf:
    return parse_pdf(data, name="paper.pdf", max_bytes=kwargs.pop("max_bytes", LIMIT), **kwargs)


def test_each_page_keeps_its_own_text_and_number() -> None:
    parsed = parse(make_pdf([f"{name} {PROSE * 4}" for name in ("alpha", "bravo", "charlie")]))
    assert [page.number for page in parsed.pages] == [1, 2, 3]
    assert ["alpha" in page.text for page in parsed.pages] == [True, False, False]
    assert "charlie" in parsed.pages[2].text
    assert parsed.warnings == []


def test_two_columns_read_left_column_then_right() -> None:
    rows = [f"row{n:03d} of the table of contents" for n in range(90)]
    text = parse(make_pdf(["\n".join(rows)], two_column=True)).pages[0].text
    positions = [text.index(f"row{n:03d}") for n in range(90)]
    assert positions == sorted(positions)


def test_running_header_and_page_numbers_are_removed() -> None:
    words = ["one", "two", "three", "four", "five"]
    parsed = parse(make_pdf([f"{PROSE}\nBody of page {word}." for word in words], header="Proceedings of Tests"))
    for page, word in zip(parsed.pages, words, strict=True):
        lines = page.text.split("\n")
        assert "Proceedings of Tests" not in page.text
        assert not any(line.strip().isdigit() for line in lines)
        assert f"Body of page {word}." in lines


def test_line_end_hyphenation_is_joined_but_real_hyphens_stay() -> None:
    page = "We study the compu-\ntation of state-of-the-\nart models with IO-\naware kernels."
    text = parse(make_pdf([page])).pages[0].text
    assert "computation" in text
    assert "state-of-the-art" in text
    assert "IO-aware" in text


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        (["compu-", "tation of"], ["computation", "of"]),
        (["Transformer-", "XL models"], ["Transformer-XL", "models"]),
        (["LARGE LAN-", "GUAGE MODELS"], ["LARGE LANGUAGE", "MODELS"]),
        (["GPT-", "3 results"], ["GPT-3", "results"]),
        (["ends with a dash -", "next"], ["ends with a dash -", "next"]),
    ],
)
def test_join_hyphenated(lines: list[str], joined: list[str]) -> None:
    assert join_hyphenated(lines) == joined


def test_ligatures_are_spelled_out() -> None:
    assert clean_lines("eﬃcient ﬁne-tuning of ﬂoating  point ﬀ ﬄ") == ["efficient fine-tuning of floating point ff ffl"]


def test_arxiv_stamp_is_removed_from_the_text_and_reported() -> None:
    parsed = parse(make_pdf([f"{PROSE}\n{STAMP}", PROSE]))
    assert STAMP not in parsed.pages[0].text
    assert parsed.arxiv_stamp == STAMP
    assert parsed.arxiv_id == "2205.14135"


def test_stamp_inside_a_line_leaves_the_rest() -> None:
    lines, stamp = remove_arxiv_stamp(["1", "arXiv:1604.06174v2  [cs.LG]  22 Apr 2016", "keep arXiv:1604.06174 here"])
    assert lines == ["1", "keep arXiv:1604.06174 here"]
    assert stamp == "arXiv:1604.06174v2 [cs.LG] 22 Apr 2016"


def test_running_lines_need_to_repeat_on_most_pages() -> None:
    bodies = [[f"line {k} of page {'abcd'[n]}" for k in range(8)] for n in range(4)]
    pages = [["Header", *body, "closing line", f"Page {n} of 4"] for n, body in enumerate(bodies)]
    pages[0][-2] = "closing line of page zero"
    kept = remove_running_lines(pages)
    assert kept[1] == bodies[1]  # "closing line" ends three pages of four: a running footer
    assert kept[0] == [*bodies[0], "closing line of page zero"]


def test_chinese_text_is_extracted() -> None:
    chinese = "注意力机制是深度学习中的重要概念。我们研究高效的训练方法与内存优化。"
    text = parse(make_pdf([chinese * 3], chinese=True)).pages[0].text
    assert chinese in "".join(text.split())


PAPER = [
    "Abstract\nWe present a method.\n\n# 1 Introduction\n" + PROSE * 3 + "\n\n# 2 Method\n" + PROSE * 3,
    "# 2.1 Details of the Method\n" + PROSE * 4 + "\n\n# 3 Experiments\n" + PROSE * 3,
    "# References\n[1] Tianqi Chen, Bing Xu, Chiyuan Zhang, and Carlos Guestrin. Training deep nets with\n"
    "sublinear memory cost. arXiv preprint arXiv:1604.06174, 2016.\n"
    "[2] Ashish Vaswani and others. Attention is all you need. In NeurIPS, 2017.",
]


def test_sections_carry_their_first_page() -> None:
    parsed = parse(make_pdf(PAPER))
    found = [(section.title, section.level, section.page) for section in parsed.sections]
    assert found == [
        ("Abstract", 1, 1),
        ("1 Introduction", 1, 1),
        ("2 Method", 1, 1),
        ("2.1 Details of the Method", 2, 2),
        ("3 Experiments", 1, 2),
        ("References", 1, 3),
    ]


def test_reference_entries_are_split() -> None:
    references = parse(make_pdf(PAPER)).references
    assert len(references) == 2
    assert references[0].startswith("Tianqi Chen") and references[0].endswith("arXiv:1604.06174, 2016.")
    assert "Attention is all you need" in references[1]


def test_title_comes_from_metadata() -> None:
    assert parse(make_pdf(PAPER, title="Sublinear Memory for Everyone")).title == "Sublinear Memory for Everyone"


def test_title_and_authors_come_from_the_first_page_without_metadata() -> None:
    first = "Alice Smith, Bob Jones and Carol White\nDepartment of Testing, Example University\nAbstract\n" + PROSE
    parsed = parse(make_pdf([first, PROSE], page_title="Efficient Attention for Long Documents"))
    assert parsed.title == "Efficient Attention for Long Documents"
    assert parsed.authors == ["Alice Smith", "Bob Jones", "Carol White"]


@pytest.mark.parametrize("other_thread", [False, True], ids=["fork", "forkserver"])
def test_parallel_workers_give_the_same_pages_as_one_process(
    other_thread: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make_pdf([f"{PROSE}\npage marker {n}" for n in range(1, 25)], header="Running head")
    alone = parse(data, workers=1).pages
    read_here: list[object] = []
    original = ingest.parse.pdf._page_text
    monkeypatch.setattr(ingest.parse.pdf, "_page_text", lambda *args: read_here.append(args) or original(*args))
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    if other_thread:  # a running thread makes parse_pdf start workers with forkserver instead of fork
        thread.start()
    try:
        assert parse(data, workers=2).pages == alone
    finally:
        stop.set()
        if other_thread:
            thread.join()
    assert len(read_here) == 1  # only the first page was read in this process: the workers read the rest


@pytest.mark.parametrize(("strokes", "kept"), [(0, True), (100, False), (10_000, False)])
def test_figures_with_sparse_text_are_skipped_but_text_dense_forms_read(strokes: int, kept: bool) -> None:
    text = parse(make_figure_pdf(PROSE, figure_label="AXISLABEL", strokes=strokes)).pages[0].text
    assert ("AXISLABEL" in text) is kept
    assert "Transformers process" in text


def test_page_without_text_is_reported() -> None:
    assert "page 2 has no text" in parse(make_pdf([PROSE * 5, "", PROSE * 5])).warnings


def test_far_too_few_characters_are_flagged() -> None:
    warnings = parse(make_pdf(["Figure 1"] * 6)).warnings
    assert any("far fewer characters than pages suggest" in warning for warning in warnings)


def test_empty_user_password_is_opened() -> None:
    assert "attention layers" in parse(make_pdf([PROSE], encrypt="")).pages[0].text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<!DOCTYPE html><html><head><title>Login</title></head><body>x</body></html>", "got HTML, not a PDF"),
        (b"PK\x03\x04 this is a zip archive", "is not a PDF"),
        (b"", "is empty"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> garbage \x00\xff trailer", "damaged"),
        (make_pdf([PROSE] * 3)[:-200], "damaged"),
        (make_pdf([PROSE], encrypt="secret"), "encrypted with a password"),
        (make_empty_pdf(), "has no pages"),
        (make_scanned_pdf(pages=2), "no text layer"),
    ],
    ids=["html", "zip", "empty", "corrupt", "truncated", "encrypted", "no-pages", "scan"],
)
def test_unreadable_inputs_raise_with_the_name_and_a_remedy(data: bytes, message: str) -> None:
    with pytest.raises(PdfUnreadable, match=message) as caught:
        parse_pdf(data, name="paper.pdf", max_bytes=LIMIT)
    assert "paper.pdf" in str(caught.value)


def test_larger_than_the_limit_is_refused() -> None:
    data = make_pdf([PROSE])
    with pytest.raises(PdfUnreadable, match=r"over the .* MB limit"):
        parse(data, max_bytes=len(data) - 1)
    assert parse(data, max_bytes=len(data)).pages


CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "pdf"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"real PDFs not present at {CORPUS}")


@functools.cache
def corpus_paper(stem: str) -> ParsedPdf:
    return parse_pdf((CORPUS / f"{stem}.pdf").read_bytes(), name=f"{stem}.pdf", max_bytes=LIMIT)


@needs_corpus
def test_flashattention_outline_references_and_stamp() -> None:
    paper = corpus_paper("2205.14135")
    titles = [section.title for section in paper.sections]
    assert titles[:2] == ["Abstract", "1 Introduction"] and "References" in titles
    assert len(paper.references) >= 20
    assert paper.title == "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness"
    assert paper.arxiv_id == "2205.14135"
    text = "\n".join(page.text for page in paper.pages)
    assert not any(ligature in text for ligature in "ﬀﬁﬂﬃﬄ")
    assert "arXiv:2205.14135v2" not in text


@needs_corpus
def test_a_corpus_reference_names_another_corpus_paper() -> None:
    cited = corpus_paper("1604.06174")
    assert cited.title == "Training Deep Nets with Sublinear Memory Cost"
    entries = corpus_paper("2205.14135").references
    by_title = match_citations("paper:2205.14135", entries, [("paper:1604.06174", None, cited.title)])
    by_id = match_citations("paper:2205.14135", entries, [("paper:1604.06174", "1604.06174", "Unrelated")])
    assert [link.cited for link in by_title] == [link.cited for link in by_id] == ["paper:1604.06174"]


@needs_corpus
@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.pdf")) if CORPUS.is_dir() else [], ids=lambda p: p.stem)
def test_every_corpus_paper_has_an_outline_and_references(path: Path) -> None:
    paper = corpus_paper(path.stem)
    titles = [section.title for section in paper.sections]
    assert titles[0] == "Abstract" and titles[1].startswith("1 ") and "References" in titles
    assert len(paper.references) >= 10
    assert paper.title and len(paper.authors) >= 3
    # pypdf's notes on cross-references it repaired (FlashAttention's PDF has two) are kept, not content problems.
    assert [w for w in paper.warnings if not w.startswith("pypdf reported:")] == []


def test_what_pypdf_repairs_is_kept_as_a_warning_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    whole = make_pdf(["# Abstract\n\n" + "We trade computation for memory. " * 30] * 2)
    tail = whole.rindex(b"startxref")
    wrong_pointer = whole[:tail] + re.sub(rb"startxref\s+\d+", b"startxref\n123", whole[tail:])
    with caplog.at_level(logging.WARNING):
        parsed = parse_pdf(wrong_pointer, name="x.pdf", max_bytes=10**8)
    assert "We trade computation" in parsed.pages[0].text
    assert any(w.startswith("pypdf reported: incorrect startxref pointer") for w in parsed.warnings), parsed.warnings
    # (No check that the parse logged nothing: pytest hangs its own handler on every non-propagating
    # logger, pypdf's included; the console-script test in test_cli_library checks nothing is printed.)
    caplog.clear()
    logging.getLogger("pypdf._reader").warning("outside a parse")
    assert "outside a parse" in [r.getMessage() for r in caplog.records]  # other uses of pypdf log as usual
