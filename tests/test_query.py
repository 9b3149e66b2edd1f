"""The one Query a question becomes: language, glossary terms from one glossary, translation, BM25 terms."""

from __future__ import annotations

from index.catalog import StoredChunk
from index.lexical import tokenize
from index.models import Chunk
from index.query import glossary_matches, make_query
from index.search import document_names, name_pattern, named_documents

GLOSSARY = {"流水线并行": "pipeline parallelism", "并行": "parallelism", "气泡": "bubble", "微批次": "micro-batch"}


def test_a_chinese_question_carries_its_english_glossary_terms_for_bm25_and_no_dense_text() -> None:
    query = make_query("流水线并行的气泡  有多大？", GLOSSARY)
    assert (query.language, query.chinese, query.original) == ("zh", True, "流水线并行的气泡 有多大？")
    # The longest match wins: "并行" inside "流水线并行" is not matched again.
    assert query.glossary_terms == (("流水线并行", "pipeline parallelism"), ("气泡", "bubble"))
    assert query.expansions == ("pipeline parallelism", "bubble")
    assert {"pipelin", "parallel", "bubbl", "气泡"} <= set(query.terms)
    assert query.dense_text == ""  # the English model gets no Chinese text and no bag of terms


def test_an_english_question_is_its_own_dense_text_and_gets_the_chinese_terms() -> None:
    query = make_query("How big is the pipeline parallelism bubble?", GLOSSARY)
    assert query.language == "en" and query.dense_text == query.original
    assert dict(query.glossary_terms) == {"流水线并行": "pipeline parallelism", "气泡": "bubble"}
    assert query.expansions == ("流水线并行", "气泡")
    assert len(query.terms) == len(set(query.terms)) and "big" in query.terms
    assert "pipeline" in query.words  # reader's words, unstemmed, for highlighting


def test_a_translation_is_added_later_and_feeds_bm25_and_the_english_model() -> None:
    query = make_query("流水线并行的气泡有多大？", GLOSSARY)
    translated = query.translated("  How large is the pipeline bubble?  ")
    assert translated.translation == "How large is the pipeline bubble?" == translated.dense_text
    assert translated.glossary_terms == query.glossary_terms and "larg" in translated.terms
    assert "larg" not in query.terms  # the first query is unchanged: it was searched already
    assert make_query("What is it?", GLOSSARY, translation="ignored").translation == ""


def test_glossary_matches_work_on_english_words_only_whole() -> None:
    assert glossary_matches("micro-batches and parallelisms", GLOSSARY) == []
    assert glossary_matches("a micro-batch", GLOSSARY) == [("微批次", "micro-batch")]
    assert tokenize("a micro-batch") == list(make_query("a micro-batch").terms)


def _chunk(kind: str, source_id: str, title: str) -> Chunk:
    return Chunk(f"{kind}:{source_id}#0", f"{kind}:{source_id}", source_id, kind, title, "text", 0)


def test_every_kind_of_document_has_names_a_question_can_use() -> None:
    paper = _chunk("paper", "2006.16668", "GShard: Scaling Giant Models with Conditional Computation")
    assert document_names(paper) == {"GShard"}
    assert document_names(_chunk("repo", "vllm-project/vllm", "vllm-project/vllm")) == {"vllm"}
    assert document_names(_chunk("file", "/home/me/notes/flash-attention.md", "Reading notes")) == {
        "flash-attention", "Reading notes"}
    assert document_names(_chunk("paper", "1604.06174", "Training Deep Nets with Sublinear Memory Cost")) == set()


def test_a_name_matches_whole_in_its_case_unless_written_in_lower_case() -> None:
    gshard = name_pattern("GShard")
    assert gshard.search("the largest GShard model") and not gshard.search("a gshard-like model")
    assert not gshard.search("gshard")  # capitals carry meaning: "GShard" is written so
    vllm = name_pattern("vllm")
    assert vllm.search("How does vLLM page its cache?") and not vllm.search("vllmx")
    flash = name_pattern("flash-attention")
    assert flash.search("Flash attention tiles") and flash.search("FLASH_ATTENTION")


def test_a_lower_case_name_made_of_common_words_names_nothing() -> None:
    stored = [StoredChunk(i, _chunk("repo", source, source), ("x",))
              for i, source in enumerate(["acme/server", "acme/paper-reading", "acme/vllm", "acme/llm-action"])]
    names = {pattern.pattern for pattern, _ in named_documents(stored)}
    assert any("vllm" in n for n in names) and any("llm" in n and "action" in n for n in names)
    assert not any("server" in n or "paper" in n for n in names)  # "How does the server batch?" names no repo
