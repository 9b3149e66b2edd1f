"""Citation keys: parsed from the answer, checked against the sources given, resolved for a reader."""

from __future__ import annotations

import pytest

from assistant.answers.citations import Source, attribute, best_quote, check_citations, cited_keys, source_url, support
from tests.support.scripted import chunk

LORA = chunk("paper:2106.09685", "LoRA freezes the pretrained weights and injects trainable rank decomposition "
             "matrices. Compared to GPT-3 175B fine-tuned with Adam, LoRA reduces the number of trainable "
             "parameters by 10,000 times and the GPU memory requirement by 3 times.", page=1,
             title="LoRA: Low-Rank Adaptation of Large Language Models")
GPIPE = chunk("paper:1811.06965", "The bubble overhead is negligible when the number of micro-batches M is at "
              "least four times the number of partitions K. GPipe uses re-materialization to save memory.", page=4,
              title="GPipe")
README = chunk("repo:NVIDIA/Megatron-LM", "Megatron-LM trains transformer models at scale with tensor parallelism.",
               page=None, kind="repo", title="NVIDIA/Megatron-LM")


def sources(*chunks: object) -> list[Source]:
    return [Source(key, c, c.text, c.page_start) for key, c in enumerate(chunks, start=1)]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("text", "keys"), [
    ("LoRA saves memory [1].", [1]),
    ("Both hold [2, 1] and again [1].", [2, 1]),
    ("Adjacent keys [1][3] count once each [3].", [1, 3]),
    ("Fullwidth brackets 【2】 and commas [1，2] too.", [2, 1]),
    ("No keys here, only a year (2021) and [a] bracket.", []),
])
def test_cited_keys_in_order_of_first_use(text: str, keys: list[int]) -> None:
    assert cited_keys(text) == keys


def test_a_key_naming_no_source_is_dropped_from_text_and_citations() -> None:
    checked = check_citations("LoRA freezes the pretrained weights [1]. It was published in Nature [7].",
                              sources(LORA, GPIPE))
    assert checked.dropped == [7]
    assert "[7]" not in checked.text
    assert [c.key for c in checked.citations] == [1]
    assert checked.text.startswith("LoRA freezes the pretrained weights [1].")


def test_citations_resolve_to_title_id_page_link_and_quote() -> None:
    checked = check_citations("LoRA cuts GPU memory by 3 times compared to GPT-3 fine-tuned with Adam [1].",
                              sources(LORA))
    (citation,) = checked.citations
    assert citation.doc_id == "paper:2106.09685"
    assert citation.source_id == "2106.09685"
    assert citation.title.startswith("LoRA")
    assert citation.page == 1
    assert citation.url == "https://arxiv.org/pdf/2106.09685#page=1"
    assert "GPU memory requirement by 3 times" in citation.quote


def test_repository_citation_links_the_readme() -> None:
    assert source_url(README, None) == "https://github.com/NVIDIA/Megatron-LM#readme"
    assert source_url(chunk("file:notes.pdf", "x"), 2) is None


def test_quote_is_the_passage_sentence_that_supports_the_claim() -> None:
    quote = best_quote(GPIPE.text, ["GPipe saves memory with re-materialization."])
    assert quote == "GPipe uses re-materialization to save memory."


def test_a_sentence_cited_to_the_wrong_source_is_pointed_at_the_one_that_supports_it() -> None:
    text = "The bubble overhead is negligible when micro-batches are four times the partitions [1]."
    assert attribute(text, sources(LORA, GPIPE)) == \
        "The bubble overhead is negligible when micro-batches are four times the partitions [2]."


def test_an_uncited_sentence_gets_the_source_that_clearly_supports_it() -> None:
    checked = check_citations("LoRA reduces trainable parameters by 10,000 times.", sources(GPIPE, LORA))
    assert [c.key for c in checked.citations] == [2]


def test_an_invented_key_on_a_supported_sentence_is_replaced_not_lost() -> None:
    checked = check_citations("GPipe uses re-materialization to save memory [9].", sources(LORA, GPIPE))
    assert checked.dropped == [9]
    assert [c.key for c in checked.citations] == [2]


def test_a_sentence_with_a_correct_key_is_left_alone() -> None:
    text = "LoRA reduces the GPU memory requirement by 3 times [1]."
    assert attribute(text, sources(LORA, GPIPE)) == text


def test_chinese_claims_keep_their_keys_when_support_cannot_be_measured() -> None:
    text = "LoRA 冻结预训练权重。[2]"
    assert support(text, LORA.text) is None
    assert attribute(text, sources(GPIPE, LORA)) == text


def test_a_claim_no_source_supports_gets_no_citation() -> None:
    checked = check_citations("Transformers were invented in a kitchen in Paris.", sources(LORA, GPIPE))
    assert checked.citations == []


def test_repeated_keys_collapse_to_one() -> None:
    checked = check_citations("LoRA freezes the pretrained weights. [1] [1] [1]", sources(LORA))
    assert checked.text == "LoRA freezes the pretrained weights. [1]"
