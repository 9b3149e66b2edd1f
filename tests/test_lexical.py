"""BM25: jieba words for Chinese, stems for English, filters, and what the index is built from."""

from __future__ import annotations

import numpy as np

from index.lexical import Bm25Index, query_words, tokenize

DOCS = {
    10: "Pipeline parallelism partitions layers into stages; micro-batches keep every stage busy.",
    11: "Gradient checkpointing recomputes activations in the backward pass to save memory.",
    12: "流水线并行把模型切分到多个设备上，微批次让每个设备保持忙碌。",
    13: "混合精度训练使用半精度浮点数，并用损失缩放避免梯度下溢。",
    14: "Mixed precision training keeps a float32 master copy of the weights.",
}


def _index(ids: list[int] | None = None) -> Bm25Index:
    chosen = ids or list(DOCS)
    return Bm25Index(np.array(chosen), [tokenize(DOCS[i]) for i in chosen])


def test_english_words_are_stemmed_and_stopwords_dropped() -> None:
    assert tokenize("The pipelines are partitioned into stages") == ["pipelin", "partit", "stage"]
    assert tokenize("recomputing") == tokenize("recomputes")


def test_chinese_is_cut_into_words_with_search_mode_subwords() -> None:
    terms = tokenize("流水线并行的气泡")
    assert {"流水线", "并行", "气泡"} <= set(terms)
    assert "的" not in terms  # a stopword


def test_mixed_text_keeps_technical_tokens_whole() -> None:
    terms = tokenize("用 FP16 和 c++ 写的 v1.5 版本")
    assert {"fp16", "c++", "v1.5", "版本"} <= set(terms)


def test_query_words_are_unstemmed_for_highlighting() -> None:
    assert query_words("What is pipeline parallelism?") == ["pipeline", "parallelism"]


def test_the_best_match_ranks_first() -> None:
    index = _index()
    assert index.search(tokenize("how does gradient checkpointing save memory"), 3)[0][0] == 11
    assert index.search(tokenize("混合精度的损失缩放"), 3)[0][0] == 13


def test_results_are_limited_to_allowed_ids_and_positive_scores() -> None:
    index = _index()
    hits = index.search(tokenize("pipeline micro-batches"), 5, allowed=np.array([12, 14]))
    assert hits == []  # neither allowed document has the words
    found = index.search(tokenize("mixed precision"), 5, allowed=np.array([13, 14]))
    assert [i for i, _ in found] == [14]
    assert all(score > 0 for _, score in found)


def test_unknown_words_and_empty_indexes_find_nothing() -> None:
    assert _index().search(tokenize("quantum chromodynamics"), 5) == []
    assert Bm25Index(np.array([], dtype=np.int64), []).search(["pipelin"], 5) == []


def test_an_empty_chunk_does_not_break_the_index() -> None:
    index = Bm25Index(np.array([1, 2]), [[], tokenize("pipeline stages")])
    assert index.search(tokenize("pipeline"), 5)[0][0] == 2
