"""Chunking: structure kept (pages, sections, headings), sizes in model tokens, equations and rows whole."""

from __future__ import annotations

import pytest

from index.chunking import Chunker, ChunkingSpec, is_atomic_line
from ingest.models import DocKind, Document, Page, Section
from ingest.parse.pdf import parse_pdf
from tests.support.index_support import minilm, paper, readme
from tests.support.pdfgen import make_pdf

ENGLISH = ("Pipeline parallelism splits the layers of a model across devices. Each device holds one stage. "
           "Micro-batches flow through the stages so that the devices work at the same time. ")
CHINESE = "流水线并行把模型的层切分到多个设备上。每个设备保存一个阶段！微批次依次流过各个阶段，设备因此可以同时工作？"
EQUATION = "L(θ) = −∑_i log p(y_i | x_i; θ) + λ‖θ‖²    (3)"
TABLE_ROW = "| GPipe | 557M | 8 | 25.3 | 3.5x |"


@pytest.fixture(scope="module")
def chunker() -> Chunker:
    model = minilm()
    return Chunker(model.tokenize, max_tokens=model.max_tokens, spec=ChunkingSpec(chunk_tokens=80))


@pytest.mark.slow  # the real embedding model
def test_no_chunk_exceeds_the_chunk_size_in_model_tokens(chunker: Chunker) -> None:
    doc = paper("1", "Long", [ENGLISH * 12, CHINESE * 10, (ENGLISH + CHINESE) * 6])
    chunks = chunker.chunk(doc)
    assert len(chunks) > 10
    assert max(chunker.count(c.text) for c in chunks) <= 80
    assert all(c.text.strip() for c in chunks)


@pytest.mark.slow  # the real embedding model
def test_the_default_size_stays_within_what_the_model_reads() -> None:
    model = minilm()
    wide = Chunker(model.tokenize, max_tokens=model.max_tokens, spec=ChunkingSpec(chunk_tokens=4000))
    chunks = wide.chunk(paper("1", "Long", [ENGLISH * 40]))
    # 256 word pieces minus [CLS] and [SEP]: a longer chunk would be cut silently by the model.
    assert max(wide.count(c.text) for c in chunks) <= model.max_tokens - 2
    assert len(chunks) > 1


@pytest.mark.slow  # the real embedding model
def test_chunks_keep_pages_sections_title_and_topics(chunker: Chunker) -> None:
    doc = paper("2104.07857", "ZeRO-Infinity", ["# intro\n" + ENGLISH, "3 Method\n" + ENGLISH + "\n3.1 Offload\nWe "
                                                "offload to NVMe.", ENGLISH],
                sections=[Section("3 Method", 1, 2), Section("3.1 Offload", 2, 2)], topics=["mlsys/memory"])
    chunks = chunker.chunk(doc)
    by_page = {c.page_start: c for c in chunks}
    assert set(by_page) == {1, 2, 3}
    assert all(c.page_end == c.page_start for c in chunks)
    assert by_page[1].section is None
    offload = next(c for c in chunks if "NVMe" in c.text)
    assert (offload.section, offload.heading_path) == ("3.1 Offload", "3 Method > 3.1 Offload")
    assert by_page[3].section == "3.1 Offload"  # a section runs on until the next one starts
    assert {(c.doc_id, c.source_id, c.title, c.topics, c.kind) for c in chunks} == {
        ("paper:2104.07857", "2104.07857", "ZeRO-Infinity", ("mlsys/memory",), "paper")}
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert chunks[0].chunk_id == "paper:2104.07857#0"


@pytest.mark.slow  # the real embedding model
def test_a_section_starting_mid_page_starts_a_new_chunk(chunker: Chunker) -> None:
    doc = paper("1", "T", ["1 Introduction\nShort intro.\n2 Method\nShort method."],
                sections=[Section("1 Introduction", 1, 1), Section("2 Method", 1, 1)])
    assert [(c.section, c.text.splitlines()[0]) for c in chunker.chunk(doc)] == [
        ("1 Introduction", "1 Introduction"), ("2 Method", "2 Method")]


@pytest.mark.slow  # the real embedding model
def test_markdown_chunks_carry_heading_paths_and_no_page(chunker: Chunker) -> None:
    doc = readme("o/r", {"Install > pip": "Run pip install r.", "Usage": "Call r.run()."})
    chunks = chunker.chunk(doc)
    assert [(c.page_start, c.section, c.heading_path) for c in chunks] == [
        (None, "pip", "Install > pip"), (None, "Usage", "Usage")]


@pytest.mark.slow  # the real embedding model
def test_equations_and_table_rows_are_never_cut(chunker: Chunker) -> None:
    body = "\n".join([ENGLISH * 2, EQUATION, ENGLISH, "| model | params | devices | BLEU | speed-up |",
                      *[TABLE_ROW] * 12, ENGLISH * 2, "$$", "a = b + c", "d = e + f", "$$", ENGLISH])
    chunks = chunker.chunk(paper("1", "T", [body]))
    texts = [c.text for c in chunks]
    assert sum(EQUATION in t for t in texts) == 1
    assert sum(t.count(TABLE_ROW) for t in texts) == 12
    assert sum("$$\na = b + c\nd = e + f\n$$" in t for t in texts) == 1
    for text in texts:  # no chunk starts or ends inside a row
        assert all(line.count("|") == 6 for line in text.splitlines() if line.startswith("|"))


@pytest.mark.slow  # the real embedding model
def test_a_table_row_too_long_for_the_model_is_the_one_thing_split() -> None:
    model = minilm()
    small = Chunker(model.tokenize, max_tokens=64, spec=ChunkingSpec(chunk_tokens=40))
    row = "| " + " | ".join(f"cell{i} value" for i in range(60)) + " |"
    chunks = small.chunk(paper("1", "T", [row]))
    assert len(chunks) > 1
    assert max(small.count(c.text) for c in chunks) <= 62


@pytest.mark.slow  # the real embedding model
def test_chinese_chunks_end_at_sentence_ends(chunker: Chunker) -> None:
    chunks = chunker.chunk(paper("1", "中文", [CHINESE * 8]))
    assert len(chunks) > 2
    assert all(c.text.endswith(("。", "！", "？")) for c in chunks)


@pytest.mark.parametrize(("line", "atomic"), [
    (EQUATION, True), (TABLE_ROW, True), ("a\tb\tc", True), ("Model   Params   Speed", True),
    ("The loss is lower (see Table 3).", False), ("We set x = 3 in all runs of the experiment here.", False),
    ("", False),
])
def test_atomic_lines(line: str, atomic: bool) -> None:
    assert is_atomic_line(line) is atomic


@pytest.mark.slow  # the real embedding model
def test_a_generated_pdf_chunks_by_its_real_pages(chunker: Chunker) -> None:
    pages = ["# 1 Introduction\n" + ENGLISH * 3, "# 2 Stages\nEach stage holds consecutive layers.\n\n" + ENGLISH]
    parsed = parse_pdf(make_pdf(pages, title="Pipes"), name="pipes.pdf", max_bytes=10**7, workers=1)
    doc = Document(doc_id="file:pipes", kind=DocKind.FILE, source_id="pipes", title="Pipes", pages=parsed.pages,
                   sections=parsed.sections)
    chunks = chunker.chunk(doc)
    stage = next(c for c in chunks if "consecutive layers" in c.text)
    assert (stage.page_start, stage.section) == (2, "2 Stages")
    assert {c.page_start for c in chunks} == {1, 2}


@pytest.mark.slow  # the real embedding model
def test_a_document_without_pages_has_no_chunks(chunker: Chunker) -> None:
    assert chunker.chunk(Document(doc_id="x", kind=DocKind.PAPER, source_id="x", title="x", pages=[Page(1, "")])) == []
