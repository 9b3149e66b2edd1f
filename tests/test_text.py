"""The shared text toolkit: Chinese characters, sentences, stop words, arXiv ids, links, short names."""

from __future__ import annotations

import pytest

from ingest.guide.refs import line_mentions
from ingest.models import RefKind
from ingest.sources import ArxivRef, parse_arxiv_ref
from ingest.text import (
    cjk_runs,
    content_stopwords,
    english_stopwords,
    has_cjk,
    is_arxiv_id,
    render_links,
    sentence_pieces,
    sentence_spans,
    short_name,
    split_sentences,
    terms,
)

CHINESE = "流水线并行把模型的层切分到多个设备上。每个设备保存一个阶段！微批次依次流过各个阶段，设备因此可以同时工作？"


@pytest.mark.parametrize("char", ["模", "㐀", "䶵", "豈", "𠀀", "𪜶"])
def test_every_block_of_chinese_ideographs_counts(char: str) -> None:
    # U+3400 (Extension A) was missed by one copy; U+F900 compatibility and U+20000+ (Extension B) too.
    assert has_cjk(f"word {char} word")
    assert cjk_runs(f"ab{char}{char}cd") == [char * 2]


@pytest.mark.parametrize("text", ["gradient", "“quoted” — 。，", "ＡＢＣ", "한국어", "ひらがな"])
def test_non_chinese_text_has_no_cjk(text: str) -> None:
    assert not has_cjk(text)


def test_chinese_runs_break_at_latin_and_punctuation() -> None:
    assert cjk_runs("LoRA 是什么，和QLoRA有何区别") == ["是什么", "和", "有何区别"]


def test_sentence_pieces_join_back_to_the_text() -> None:
    text = "  First sentence here. Second one follows!\n\n" + CHINESE + "  tail "
    pieces = sentence_pieces(text)
    assert "".join(pieces) == text
    assert [p.strip() for p in pieces][:2] == ["First sentence here.", "Second one follows!"]
    assert [p.strip() for p in pieces if p.strip().endswith(("。", "！", "？"))] == [
        "流水线并行把模型的层切分到多个设备上。", "每个设备保存一个阶段！",
        "微批次依次流过各个阶段，设备因此可以同时工作？"]


def test_sentence_spans_slice_back_to_the_sentences() -> None:
    text = "\n  LoRA freezes the weights.   It trains adapters (rank 8).\n\n梯度累积减少显存；但更慢。 "
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == [
        "LoRA freezes the weights.", "It trains adapters (rank 8).", "梯度累积减少显存；", "但更慢。"]
    assert all(not text[a].isspace() and not text[b - 1].isspace() for a, b in spans)


def test_blank_text_has_no_sentences() -> None:
    assert sentence_spans("  \n\n ") == [] and split_sentences("") == []


@pytest.mark.parametrize("text", [
    "FlashAttention is 7.6x faster on GPT-2 than the baseline.",
    "Use a sharded optimizer, e.g. ZeRO, to save memory.",
    "Vaswani et al. introduced the Transformer in 2017.",
    "See Fig. 3 and Eq. 2 for the schedule, i.e. the bubble.",
    "Version 1.5 of the model scores 93.2% on the benchmark.",
])
def test_decimals_and_abbreviations_do_not_end_a_sentence(text: str) -> None:
    assert split_sentences(text) == [text]


def test_a_one_letter_variable_ends_a_sentence() -> None:
    assert split_sentences("It needs M at least four times K. GPipe re-materializes. So does the U.S. Army.") == [
        "It needs M at least four times K.", "GPipe re-materializes.", "So does the U.S. Army."]


def test_a_blank_line_ends_a_sentence_without_punctuation() -> None:
    assert split_sentences("## Installation\n\npip install deepspeed\nthen run it") == [
        "## Installation", "pip install deepspeed then run it"]


def test_split_sentences_collapses_whitespace_and_drops_fragments() -> None:
    assert split_sentences("The  model\nis   small.\n\n[1]\n\nIt is fast.") == ["The model is small.", "It is fast."]


def test_chinese_punctuation_ends_sentences_with_its_closing_quote() -> None:
    assert split_sentences("他说：“显存不够。”然后换了方法！结果呢？还行吧；") == [
        "他说：“显存不够。”", "然后换了方法！", "结果呢？", "还行吧；"]


def test_terms_drop_stop_words_and_keep_chinese_bigrams() -> None:
    assert terms("What does the paper say about pipeline parallelism?") == {"say", "pipeline", "parallelism"}
    assert terms("流水线并行") == {"流水", "水线", "线并", "并行"}


def test_one_english_stop_word_list_serves_terms_and_bm25() -> None:
    from index.lexical import tokenize

    # Every function word BM25 drops, terms drops too; terms' extension adds the words about papers.
    assert english_stopwords() <= content_stopwords() and "paper" in content_stopwords()
    assert tokenize("between the layers") == ["layer"] and terms("between the layers") == {"layers"}


@pytest.mark.parametrize(("text", "arxiv_id", "version"), [
    ("https://arxiv.org/abs/2106.09685v2", "2106.09685", 2),
    ("https://arxiv.org/pdf/2205.14135.pdf", "2205.14135", None),
    ("arXiv:hep-th/9901001v3", "hep-th/9901001", 3),
    ("https://arxiv.org/abs/math.GT/0309136", "math.GT/0309136", None),
    ("0704.0001", "0704.0001", None),
])
def test_arxiv_ids_are_read_from_urls_and_mentions(text: str, arxiv_id: str, version: int | None) -> None:
    assert parse_arxiv_ref(text) == ArxivRef(arxiv_id, version)


def test_a_guide_line_cites_arxiv_ids_in_urls_and_text() -> None:
    line = "LoRA https://arxiv.org/abs/2106.09685v2 and GShard (arXiv:2006.16668), old arXiv:cs.LG/0601001v1"
    assert [(m.kind, m.source_id) for m in line_mentions(line)] == [
        (RefKind.ARXIV, "2106.09685"), (RefKind.ARXIV, "2006.16668"), (RefKind.ARXIV, "cs.LG/0601001")]


def test_is_arxiv_id_takes_whole_ids_with_or_without_version() -> None:
    assert all(is_arxiv_id(s) for s in ["2106.09685", "2106.09685v3", "0704.0001", "hep-th/9901001", "cs.LG/0601001"])
    assert not any(is_arxiv_id(s) for s in ["2106.096", "microsoft/LoRA", "2106.09685 ", "v2"])


def test_render_links_shows_link_text() -> None:
    assert render_links('Read [LoRA](https://arxiv.org/abs/2106.09685 "paper") and [代码](x).') == "Read LoRA and 代码."


@pytest.mark.parametrize(("title", "name"), [
    ("LoRA: Low-Rank Adaptation of Large Language Models", "LoRA"),
    ("Megatron-LM: Training Multi-Billion Parameter Language Models", "Megatron-LM"),
    ("ZeRO-Infinity: Breaking the GPU Memory Wall", "ZeRO-Infinity"),
    ("Sequence Parallelism: Long Sequence Training from System Perspective", None),
    ("Mixed Precision Training", None),
    ("A: too short", None),
])
def test_short_name_is_the_one_word_before_the_colon(title: str, name: str | None) -> None:
    assert short_name(title) == name
