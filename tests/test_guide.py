"""The guide as data: taxonomy, references, glossary and stages of the seed and of other guides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.errors import EmptyInput, EncodingUnknown, GuideParseError, InputError
from ingest.guide.loader import load_guide, parse_guide, stage_number
from ingest.guide.refs import classify_url
from ingest.models import Guide, RefKind, TaxonomyNode
from ingest.pipeline.documents import guide_pages
from tests.conftest import REPO, SEED

GUIDES = REPO / "tests" / "data" / "guides"
DATABASES = GUIDES / "databases_en.md"
COMPILERS = GUIDES / "compilers_zh.md"

# The arXiv papers the seed links to, read off the guide by hand.
SEED_ARXIV = {"1604.06174", "1708.03888", "1710.03740", "1712.09381", "1811.06965", "1909.08053", "2006.15704",
              "2006.16668", "2104.00237", "2104.07857", "2105.13120", "2106.09685", "2108.05818", "2201.12023",
              "2203.12533", "2205.14135", "2211.10438"}
CLASSIC_PAPERS = ["Spanner", "Dynamo", "Chubby", "Paxos Made Simple", "Raft", "GFS", "MapReduce", "Bigtable"]


@pytest.fixture(scope="module")
def seed() -> Guide:
    return load_guide(SEED)


def _node(guide: Guide, **fields: object) -> TaxonomyNode:
    found = [n for n in guide.root.walk() if all(getattr(n, k) == v for k, v in fields.items())]
    assert len(found) == 1, f"{fields}: {[n.node_id for n in found]}"
    return found[0]


def _by_source(guide: Guide, source_id: str) -> list:
    return [r for r in guide.references if r.source_id.lower() == source_id.lower()]


# --- the seed ---

def test_seed_is_repaired_before_it_is_parsed(seed: Guide) -> None:
    assert seed.repaired_chars > 0
    labels = " ".join(n.label for n in seed.root.walk())
    assert "æ" not in labels and "å" not in labels  # UTF-8 read as cp1252 starts with these
    assert "人工智能" in labels


def test_seed_cites_exactly_the_17_arxiv_papers(seed: Guide) -> None:
    arxiv = [r for r in seed.references if r.kind is RefKind.ARXIV]
    assert {r.source_id for r in arxiv} == SEED_ARXIV
    assert len(arxiv) == len(SEED_ARXIV)  # Alpa is linked twice but is one reference


def test_a_paper_linked_twice_is_one_reference_with_both_places(seed: Guide) -> None:
    alpa = seed.reference("arxiv:2201.12023")
    assert alpa is not None
    assert alpa.title.startswith("Alpa")  # the first mention's full title, not the later "[Alpa]"
    assert len(alpa.taxonomy_paths) == 2
    assert any(p.endswith("/tips") for p in alpa.taxonomy_paths)


def test_the_seed_uses_every_kind_of_reference(seed: Guide) -> None:
    assert {r.kind for r in seed.references} == set(RefKind)


def test_flexgen_is_a_pdf_in_its_repository(seed: Guide) -> None:
    flexgen = [r for r in seed.references if r.title.startswith("FlexGen")]
    assert len(flexgen) == 1
    assert flexgen[0].kind is RefKind.PDF_URL
    assert flexgen[0].url == "https://github.com/FMInference/FlexGen/blob/main/docs/paper.pdf"


def test_classic_papers_are_named_by_title_only(seed: Guide) -> None:
    titles = [r.title for r in seed.references if r.kind is RefKind.PAPER_TITLE]
    assert len(titles) == len(CLASSIC_PAPERS)
    for name in CLASSIC_PAPERS:
        assert any(t == name or t.endswith(f" {name}") for t in titles), name


def test_repositories_are_normalised_and_merged(seed: Guide) -> None:
    assert len(_by_source(seed, "zouhuigang/book")) == 1  # listed twice
    assert [r.kind for r in _by_source(seed, "chungchi300/reading-book")] == [RefKind.GITHUB]  # /tree/master
    tensorflow = _by_source(seed, "tensorflow/tensorflow")  # also cited as .../tree/master/tensorflow/lite
    assert len(tensorflow) == 1 and len(tensorflow[0].taxonomy_paths) == 2
    mindspore = _by_source(seed, "mindspore/mindspore")
    assert [r.kind for r in mindspore] == [RefKind.GITEE] and len(mindspore[0].taxonomy_paths) == 2


def test_course_book_and_web_kinds(seed: Guide) -> None:
    kinds = {r.source_id: r.kind for r in seed.references}
    assert kinds["https://dlsyscourse.org/"] is RefKind.COURSE  # "[课程主页](…)"
    assert kinds["Designing Data-Intensive Applications"] is RefKind.BOOK  # 《…》
    assert kinds["https://csdiy.wiki/"] is RefKind.WEB


def test_a_generic_link_text_takes_the_section_title(seed: Guide) -> None:
    tensorrt = _by_source(seed, "NVIDIA/TensorRT")
    assert [r.title for r in tensorrt] == ["TensorRT"]  # written "[github](…)" under "#### TensorRT"
    assert tensorrt[0].note  # the paragraph under the heading speaks for it


def test_a_link_text_wrapped_over_two_lines_is_joined(seed: Guide) -> None:
    ref = seed.reference("arxiv:2105.13120")
    assert ref is not None
    assert ref.title == "Sequence Parallelism: Long Sequence Training from System Perspective"


def test_references_and_nodes_point_at_each_other(seed: Guide) -> None:
    nodes = {n.node_id: n for n in seed.root.walk()}
    assert len(nodes) == len(seed.root.walk())  # node_ids are unique
    for ref in seed.references:
        assert ref.ref_id == f"{ref.kind}:{ref.source_id}"
        for path in ref.taxonomy_paths:
            assert ref.ref_id in nodes[path].ref_ids
    assert len({r.ref_id for r in seed.references}) == len(seed.references)
    cited = {ref_id for n in nodes.values() for ref_id in n.ref_ids}
    assert cited == {r.ref_id for r in seed.references}


def test_node_ids_are_paths_of_their_parents(seed: Guide) -> None:
    for node in seed.root.walk():
        for child in node.children:
            assert child.node_id.startswith(f"{node.node_id}/" if node.node_id else "")
            assert child.node_id.count("/") == (node.node_id.count("/") + 1 if node.node_id else 0)


def test_seed_taxonomy_has_bilingual_nodes(seed: Guide) -> None:
    data_parallel = _node(seed, label_en="Data Parallel")
    assert data_parallel.label_zh == "数据并行"
    pipeline = _node(seed, label_en="Pipeline Parallel")
    assert pipeline.label_zh == "流水并行"
    assert pipeline.node_id.rsplit("/", 1)[0] == data_parallel.node_id.rsplit("/", 1)[0]  # siblings
    ai = _node(seed, label_zh="人工智能")
    assert ai.level == 1 and ai.label_en == "AI, Artificial Intelligence"
    assert _node(seed, label="深度学习（Deep Learning）").node_id.startswith(f"{ai.node_id}/")
    assert _node(seed, label="MIT 6.S081").node_id.split("/")[-3:-1] == ["course", "operating-system"]


def test_seed_glossary(seed: Guide) -> None:
    expected = {"数据并行": "Data Parallel", "流水并行": "Pipeline Parallel", "张量并行": "Tensor Parallel",
                "深度学习": "Deep Learning", "计算机视觉": "CV", "混合专家模型": "MOE"}
    assert expected.items() <= seed.glossary.items()
    assert "高效推理" not in seed.glossary  # "（ONNX, TensorRT, quantization）" lists examples
    assert not any("、" in term for term in seed.glossary)


def test_seed_learning_path_stages_in_order(seed: Guide) -> None:
    order = [n.node_id for n in seed.root.walk()]
    stages = [_node(seed, node_id=node_id) for node_id in seed.stages]
    assert [n.stage for n in stages] == list(range(1, len(stages) + 1))
    assert sorted(seed.stages, key=order.index) == seed.stages
    assert [n.label.split(".")[0] for n in stages[:5]] == ["1", "2", "3", "4", "5"]
    assert [n.label[:4] for n in stages[5:]] == ["第一阶段", "第二阶段", "第三阶段", "第四阶段", "第五阶段", "第六阶段"]
    assert "学习路径" in _node(seed, node_id=stages[0].node_id.rsplit("/", 1)[0]).label
    assert all(n.stage is None for n in seed.root.walk() if n.node_id not in seed.stages)


# --- other guides in the same loose style ---

def test_a_guide_is_titled_by_its_headings_not_its_file_name(seed: Guide) -> None:
    assert load_guide(DATABASES).title == "A Reading List for Database Systems"
    assert seed.title == "Reading guide: 人工智能（AI, Artificial Intelligence）, 系统, 理论 …"  # no single top heading


def test_the_guide_document_is_cut_at_its_headings(seed: Guide) -> None:
    pages = guide_pages(seed)
    by_heading = {p.heading: p.text for p in pages}
    assert "Pipeline Parallel(流水并行)" in by_heading["ML system 入坑指南 > Course"]
    assert "Megatron" in by_heading["军火库 > Distributed training"]
    assert "Paxos" in by_heading["军火库 > 第三阶段：分布式系统关键技术"]
    assert all(p.heading for p in pages[1:]) and [p.number for p in pages] == list(range(1, len(pages) + 1))
    # Nothing is lost between the pieces, and one-line sections joined their neighbours.
    assert {u for u in re.findall(r"arxiv\.org/abs/[\d.]+", seed.text)} == {
        u for p in pages for u in re.findall(r"arxiv\.org/abs/[\d.]+", p.text)}
    assert "- 计算机视觉 (CV)" in by_heading["人工智能（AI, Artificial Intelligence）"]
    assert "人工智能（AI, Artificial Intelligence） > 计算机视觉 (CV)" not in by_heading


def test_english_guide() -> None:
    guide = load_guide(DATABASES)
    assert guide.repaired_chars == 0
    kinds = {r.source_id: r.kind for r in guide.references}
    assert kinds == {
        "https://15445.courses.cs.cmu.edu/fall2023/": RefKind.COURSE,
        "https://www.youtube.com/playlist?list=PLSE8ODhjZXjaKScG3l0nuOiDTTqpfnWFf": RefKind.COURSE,
        "MIT 6.830 Database Systems": RefKind.COURSE,
        "Berkeley CS186": RefKind.COURSE,
        "https://w6113.github.io/files/papers/btreesurvey-graefe.pdf": RefKind.PDF_URL,
        "1009.2764": RefKind.ARXIV,
        "facebook/rocksdb": RefKind.GITHUB,
        "google/leveldb": RefKind.GITHUB,
        "duckdb/duckdb": RefKind.GITHUB,
        "https://www.cidrdb.org/cidr2005/papers/P19.pdf": RefKind.PDF_URL,
        "1904.03711": RefKind.ARXIV,
        "2004.03814": RefKind.ARXIV,
        "sqlite/sqlite": RefKind.GITHUB,
        "postgres/postgres": RefKind.GITHUB,
        "Architecture of a Database System": RefKind.PAPER_TITLE,
        "Spanner: Google's Globally-Distributed Database": RefKind.PAPER_TITLE,
        "The Design and Implementation of a Log-Structured File System": RefKind.PAPER_TITLE,
        "Designing Data-Intensive Applications": RefKind.BOOK,
        "https://www.databass.dev/": RefKind.BOOK,
    }
    rocksdb = guide.reference("github:facebook/rocksdb")
    assert rocksdb is not None and rocksdb.title == "RocksDB" and len(rocksdb.taxonomy_paths) == 2
    assert rocksdb.note == "RocksDB: the LSM engine most people meet first."
    postgres = guide.reference("github:postgres/postgres")
    assert postgres is not None and postgres.title == "Postgres"  # "[github](…)" in the table's Postgres row
    labels = [n.label for n in guide.root.walk()]
    assert "Distributed SQL" in labels and "System" not in labels  # a row without links; the header row
    assert [_node(guide, node_id=s).label for s in guide.stages] == [
        "Stage 1: Foundations", "Stage 2: Storage", "Stage 3: Distribution"]
    assert guide.glossary == {}


def test_chinese_guide_with_bold_and_emoji_titles() -> None:
    guide = load_guide(COMPILERS)
    assert guide.glossary == {
        "编译原理": "Compilers", "词法分析": "Lexical Analysis", "语法分析": "Parsing",
        "自顶向下分析": "Top-Down Parsing", "中间表示": "IR", "类型系统": "Type System",
        "寄存器分配": "Register Allocation", "静态单赋值形式": "SSA", "数据流分析": "Dataflow Analysis",
        "指令选择": "Instruction Selection"}
    top = [(n.label, n.level) for n in guide.root.children]
    assert top == [("编译原理（Compilers）", 1), ("核心概念", 1), ("推荐教材", 2), ("项目实践", 2), ("学习路线", 2),
                   ("经典论文", 2)]
    stages = [_node(guide, node_id=s).label for s in guide.stages]
    assert stages == ["第一阶段：前端", "第二阶段：中端优化", "第三阶段：后端"]
    books = sorted(r.title for r in guide.references if r.kind is RefKind.BOOK)
    assert books == ["Engineering a Compiler", "现代编译原理：C语言描述", "编译原理"]
    papers = [r.title for r in guide.references if r.kind is RefKind.PAPER_TITLE]
    assert papers == ["SSA 构造", "The Essence of Compilation", "A Nanopass Framework for Compiler Education"]
    gitee = [r for r in guide.references if r.kind is RefKind.GITEE]
    assert [(r.source_id, r.title) for r in gitee] == [("openeuler/bisheng-jdk", "毕昇编译器")]
    llvm = guide.reference("github:llvm/llvm-project")
    assert llvm is not None and llvm.note == "LLVM 是现代编译器基础设施的事实标准，值得通读它的 Pass 框架。"
    assert guide.reference("arxiv:2002.11054") is not None


def test_a_guide_in_gb18030_parses_like_its_utf8_original(tmp_path: Path) -> None:
    path = tmp_path / "compilers_gb.md"
    path.write_bytes(COMPILERS.read_text(encoding="utf-8").encode("gb18030"))
    original, recoded = load_guide(COMPILERS), load_guide(path)
    assert [n.node_id for n in recoded.root.walk()] == [n.node_id for n in original.root.walk()]
    assert recoded.glossary == original.glossary


def test_a_mojibake_guide_keeps_its_structure(tmp_path: Path) -> None:
    path = tmp_path / "compilers_mojibake.md"
    # UTF-8 read as cp1252 and saved again; cp1252's five undefined bytes are lost, as in the seed.
    mangled = COMPILERS.read_bytes().decode("cp1252", errors="ignore")
    path.write_text(mangled, encoding="utf-8")
    original, repaired = load_guide(COMPILERS), load_guide(path)
    assert repaired.repaired_chars > 0
    assert len(repaired.root.walk()) == len(original.root.walk())
    assert [r.kind for r in repaired.references] == [r.kind for r in original.references]
    assert len(repaired.stages) == len(original.stages)


# --- the parser's rules, one at a time ---

def test_tabs_and_spaces_nest_alike() -> None:
    def shape(text: str) -> list[tuple[str, int]]:
        return [(n.label, n.level) for n in parse_guide(text, name="t").root.walk()]

    tabs = "# Top\n- a\n\t- b\n\t\t- c\n- d\n"
    assert shape(tabs) == shape(tabs.replace("\t", "  ")) == shape(tabs.replace("\t", "    "))
    assert shape(tabs)[1:] == [("Top", 1), ("a", 2), ("b", 3), ("c", 4), ("d", 2)]


def test_bilingual_pairs_in_both_orders_and_parentheses() -> None:
    text = ("# T\n- 数据并行 (Data Parallel)\n- Pipeline Parallel(流水并行)\n- 张量并行（Tensor Parallel）\n"
            "- 监督学习（分类、回归）\n")
    guide = parse_guide(text, name="t")
    assert guide.glossary == {
        "数据并行": "Data Parallel", "流水并行": "Pipeline Parallel", "张量并行": "Tensor Parallel"}


def test_node_ids_are_unique_and_do_not_depend_on_other_sections() -> None:
    text = "# A\n- x\n- x\n# B\n- x\n"
    ids = [n.node_id for n in parse_guide(text, name="t").root.walk()]
    assert ids == ["", "a", "a/x", "a/x-2", "b", "b/x"]
    shifted = [n.node_id for n in parse_guide("# New\n- y\n" + text, name="t").root.walk()]
    assert set(ids) <= set(shifted)


def test_a_plain_title_heads_only_the_list_right_below_it() -> None:
    guide = parse_guide("系统\n- 操作系统\n- 数据库\n\n- 其他\n", name="t")
    assert [(n.label, n.level) for n in guide.root.children] == [("系统", 1), ("其他", 1)]
    assert [n.label for n in guide.root.children[0].children] == ["操作系统", "数据库"]


def test_prose_bullets_are_notes_not_topics() -> None:
    text = "# Tips\n- 新的东西肯定是看不完的,抓住主干即可\n- Read the papers, and read them twice before you start.\n- [Alpa](https://arxiv.org/abs/2201.12023)\n"
    guide = parse_guide(text, name="t")
    assert [n.label for n in guide.root.walk()] == ["t", "Tips"]
    ref = guide.reference("arxiv:2201.12023")
    assert ref is not None and ref.note == "Read the papers, and read them twice before you start."


def test_repositories_merge_whatever_their_case() -> None:
    text = "# Code\n- [one](https://github.com/Owner/Repo)\n## More\n- https://github.com/owner/repo.git\n"
    guide = parse_guide(text, name="t")
    assert [(r.ref_id, r.taxonomy_paths) for r in guide.references] == [("github:Owner/Repo", ["code", "code/more"])]
    assert guide.root.children[0].children[0].ref_ids == ["github:Owner/Repo"]


@pytest.mark.parametrize(("url", "kind", "source_id"), [
    ("https://arxiv.org/abs/2106.09685v3", RefKind.ARXIV, "2106.09685"),
    ("https://arxiv.org/pdf/2106.09685v2.pdf", RefKind.ARXIV, "2106.09685"),
    ("http://arxiv.org/abs/hep-th/9901001v1", RefKind.ARXIV, "hep-th/9901001"),
    ("https://github.com/Owner/Repo.git", RefKind.GITHUB, "Owner/Repo"),
    ("https://github.com/owner/repo/tree/master/sub/dir", RefKind.GITHUB, "owner/repo"),
    ("https://github.com/owner/repo/blob/main/README.md", RefKind.GITHUB, "owner/repo"),
    ("https://github.com/owner/repo/blob/main/paper.pdf", RefKind.PDF_URL,
     "https://github.com/owner/repo/blob/main/paper.pdf"),
    ("https://gitee.com/mindspore/mindspore", RefKind.GITEE, "mindspore/mindspore"),
    ("https://github.com/topics/compilers", RefKind.WEB, "https://github.com/topics/compilers"),
    ("https://github.com/owner", RefKind.WEB, "https://github.com/owner"),
    ("https://openmlsys.github.io/#", RefKind.WEB, "https://openmlsys.github.io/"),
])
def test_classify_url(url: str, kind: RefKind, source_id: str) -> None:
    assert classify_url(url) == (kind, source_id)


def test_arxiv_ids_written_in_text() -> None:
    guide = parse_guide("# Papers to read\n- LoRA, arXiv:2106.09685v2, and arXiv: 1604.06174\n", name="t")
    assert [r.ref_id for r in guide.references] == ["arxiv:2106.09685", "arxiv:1604.06174"]


@pytest.mark.parametrize(("label", "number"), [
    ("第六阶段：进阶方向", 6), ("第十二阶段", 12), ("Stage 3: Distribution", 3), ("2. 机器学习基础", 2),
    ("Tips", None)])
def test_stage_numbers(label: str, number: int | None) -> None:
    assert stage_number(label) == number


def test_numbered_sections_without_path_words_are_not_stages() -> None:
    guide = parse_guide("# Install\n## 1. Download\n## 2. Unpack\n", name="t")
    assert guide.stages == []


_LOOSE_LINES = st.lists(st.one_of(
    st.sampled_from(["", "# 标题", "## Section", "**粗体**", "- item", "\t- 子项 (Sub)", "    - deeper", "1. first",
                     "| a | b |", "|---|---|", "[x](https://github.com/o/r)", "arXiv:2106.09685", "---", "- ...",
                     "学习路径：", "### 第一阶段：基础", "- 《书》", "> quote", "- [github](https://gitee.com/a/b.git)"]),
    st.text(alphabet="-#*|[]()（）:：、 \tabc数据", max_size=30)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(_LOOSE_LINES)
def test_any_loose_text_parses_or_is_refused_by_name(lines: list[str]) -> None:
    try:
        guide = parse_guide("\n".join(lines), name="fuzz")
    except GuideParseError:
        return
    ids = [n.node_id for n in guide.root.walk()]
    assert len(ids) == len(set(ids))
    assert all(path in ids for r in guide.references for path in r.taxonomy_paths)


# --- broken input ---

def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(EncodingUnknown, match=r"image\.png"):
        load_guide(path)


@pytest.mark.parametrize("content", [b"", b"  \n\n\t\n"])
def test_empty_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.md"
    path.write_bytes(content)
    with pytest.raises(EmptyInput, match=r"empty\.md"):
        load_guide(path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nowhere\.md"):
        load_guide(tmp_path / "nowhere.md")


def test_text_without_structure_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "letter.txt"
    path.write_text("Dear reader, this is a letter.\nIt has two sentences and no list.\n", encoding="utf-8")
    with pytest.raises(GuideParseError, match=r"letter\.txt"):
        load_guide(path)
