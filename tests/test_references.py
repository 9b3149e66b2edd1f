"""ingest.parse.references: splitting reference lists and linking entries to library papers."""

from __future__ import annotations

from ingest.models import CitationLink
from ingest.parse.references import match_citations, split_references

BRACKETED = """[1] Alok Aggarwal and S Vitter, Jeffrey. The input/output complexity of sorting and related problems.
Communications of the ACM, 31(9):1116–1127, 1988.
[2] Irwan Bello. LambdaNetworks: Modeling long-range interactions without attention. arXiv preprint
arXiv:2102.08602, 2021.
[3] Iz Beltagy, Matthew E Peters, and Arman Cohan. Longformer: The long-document transformer. arXiv
preprint arXiv:2004.05150, 2020. As shown in [2] and [7]."""

DOTTED = """1. Chen, T., Xu, B. Training deep nets with sublinear memory cost.
2016.
2. Huang, Y. GPipe: Easy scaling with micro-batch pipeline parallelism. In NeurIPS,
2019. 5. not a label, the number is out of order
3. Shoeybi, M. Megatron-LM. 2019."""

AUTHOR_YEAR = """Liu, Y., Ott, M., Goyal, N., Du, J., Joshi, M., Chen, D., Levy,
O., Lewis, M., Zettlemoyer, L., and Stoyanov, V. Roberta:
A robustly optimized BERT pretraining approach. CoRR,
abs/1907.11692, 2019b.
McCann, B., Bradbury, J., Xiong, C., and Socher, R.
Learned in translation: Contextualized word vectors.
CoRR, abs/1708.00107, 2017.
Diederik P. Kingma and Jimmy Ba. Adam: A method for stochastic optimization, 2017.
Xiang Lisa Li and Percy Liang. Prefix-Tuning: Optimizing Continuous Prompts for Generation.
arXiv:2101.00190 [cs], January 2021.
K. Cho, B. Van Merrienboer, and Y. Bengio.
Learning phrase representations. arXiv preprint arXiv:1406.1078, 2014."""


def test_bracketed_entries_are_split_without_labels() -> None:
    entries = split_references(BRACKETED)
    assert len(entries) == 3
    assert entries[0] == (
        "Alok Aggarwal and S Vitter, Jeffrey. The input/output complexity of sorting and related problems. "
        "Communications of the ACM, 31(9):1116–1127, 1988."
    )
    assert entries[2].endswith("As shown in [2] and [7].")  # citations inside an entry are not labels


def test_dotted_numbers_must_run_in_order() -> None:
    entries = split_references(DOTTED)
    assert [entry.split(",")[0] for entry in entries] == ["Chen", "Huang", "Shoeybi"]
    assert "5. not a label" in entries[1]


def test_author_year_entries_start_at_a_name_after_a_closed_entry() -> None:
    entries = split_references(AUTHOR_YEAR)
    assert [entry[:12] for entry in entries] == [
        "Liu, Y., Ott",
        "McCann, B., ",
        "Diederik P. ",
        "Xiang Lisa L",
        "K. Cho, B. V",
    ]
    assert entries[1].endswith("CoRR, abs/1708.00107, 2017.")


def test_text_without_entries_gives_none() -> None:
    assert split_references("Thanks to everyone who helped.\nWe are grateful.") == []
    assert split_references("") == []


def test_the_last_entry_stops_before_a_long_appendix() -> None:
    appendix = "\n".join(f"Appendix line {n} describing experiments in detail." for n in range(60))
    entries = split_references(BRACKETED + "\n" + appendix)
    assert len(entries) == 3
    assert len(entries[-1]) < 800


LIBRARY = [
    ("paper:2205.14135", "2205.14135", "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness"),
    ("paper:1604.06174", "1604.06174v2", "Training Deep Nets with Sublinear Memory Cost"),
    ("paper:2004.05150", None, "Longformer: The Long-Document Transformer"),
    ("paper:1412.6980", None, "Adam"),
]


def test_entries_link_by_arxiv_id_or_by_title() -> None:
    entries = [
        "Tianqi Chen, Bing Xu. Training deep nets with sublinear memory cost. arXiv preprint arXiv:1604.06174, 2016.",
        "Iz Beltagy, Matthew E Peters, and Arman Cohan. Longformer: The long-document transformer. 2020.",
        "Diederik P. Kingma and Jimmy Ba. Adam: A method for stochastic optimization, 2017.",
    ]
    links = match_citations("paper:2205.14135", entries, LIBRARY)
    assert links == [
        CitationLink(citing="paper:2205.14135", cited="paper:1604.06174", entry=entries[0]),
        CitationLink(citing="paper:2205.14135", cited="paper:2004.05150", entry=entries[1]),
    ]  # "Adam" is too short a title to match on


def test_title_match_survives_ligatures_accents_and_broken_hyphenation() -> None:
    entry = "T. Dao et al. Flash-Attention: Fast and memory-eﬃcient exact atten- tion with IO-awareness. NeurIPS 2022."
    links = match_citations("paper:x", [entry], LIBRARY)
    assert [link.cited for link in links] == ["paper:2205.14135"]


def test_arxiv_id_split_across_a_line_still_matches_but_a_longer_number_does_not() -> None:
    assert match_citations("paper:x", ["URL http://arxiv.org/abs/1604. 06174."], LIBRARY)
    assert not match_citations("paper:x", ["Report 11604.061741, 2016."], LIBRARY)


def test_a_paper_never_cites_itself_and_each_paper_is_linked_once() -> None:
    entries = ["Dao. FlashAttention. arXiv:2205.14135.", "Chen. arXiv:1604.06174.", "Chen again. arXiv:1604.06174."]
    links = match_citations("paper:2205.14135", entries, LIBRARY)
    assert [link.cited for link in links] == ["paper:1604.06174"]
