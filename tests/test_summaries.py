"""Paper and repository summaries with a scripted model: sections, page-checked results, windows, cache."""

from __future__ import annotations

import json
from pathlib import Path

from assistant import prompts
from assistant.summaries import (
    LibraryContext,
    Summarizer,
    SummaryOptions,
    body_pages,
    check_pages,
    library_context,
    parse_sections,
    windows,
)
from ingest.models import CitationLink, DocKind, Document, Guide, Page, Section, TaxonomyNode
from tests.support.scripted import ScriptedChatModel

SUMMARY = """**TL;DR:** LoRA adapts large models with few trainable parameters.
Problem: Full fine-tuning of GPT-3 175B is too expensive.
Key idea: Freeze the weights and learn low-rank updates.
## Method: Inject rank decomposition matrices into attention layers.
Key results:
- Trainable parameters drop by 10,000 times [p1]
- GPU memory drops from 1.2TB to 350GB [p1]
- Throughput is 25% higher [p9]
Limitations: Batching tasks with different adapters is not straightforward."""

LORA = Document(
    doc_id="paper:2106.09685", kind=DocKind.PAPER, source_id="2106.09685",
    title="LoRA: Low-Rank Adaptation of Large Language Models", content_hash="hash-v1",
    topics=["mlsys/finetune"],
    pages=[Page(1, "LoRA reduces trainable parameters by 10,000 times."),
           Page(2, "On GPT-3 175B, VRAM during training drops from 1.2TB to 350GB."),
           Page(3, "We observe a 25% speedup during training on GPT-3 175B."),
           Page(4, "[1] A. Author. Some cited paper. 2020.")],
    sections=[Section("Introduction", 1, 1), Section("References", 1, 4)],
)
NO_CONTEXT = LibraryContext([], [], [])


def test_sections_are_parsed_by_their_headings_whatever_the_markup() -> None:
    sections = parse_sections(SUMMARY, prompts.SUMMARY_HEADINGS)
    assert sections["tldr"] == "LoRA adapts large models with few trainable parameters."
    assert sections["method"] == "Inject rank decomposition matrices into attention layers."
    assert sections["results"].count("\n") == 2
    assert sections["limitations"].startswith("Batching tasks")


def test_each_result_is_pointed_at_the_page_holding_its_numbers() -> None:
    results = parse_sections(SUMMARY, prompts.SUMMARY_HEADINGS)["results"]
    checked, citations = check_pages(results, LORA)
    lines = checked.splitlines()
    assert lines[0].endswith("[p1]")  # right as written
    assert lines[1].endswith("[p2]")  # the model said p1; 1.2TB and 350GB are on page 2
    assert lines[2].endswith("[p3]")  # the model said p9, a page the paper does not have
    assert [(c.page, c.url) for c in citations] == [
        (1, "https://arxiv.org/pdf/2106.09685#page=1"), (2, "https://arxiv.org/pdf/2106.09685#page=2"),
        (3, "https://arxiv.org/pdf/2106.09685#page=3")]
    assert "350GB" in citations[1].quote


def test_a_number_found_on_no_page_is_marked_unverified() -> None:
    checked, citations = check_pages("- Accuracy rises to 97.5% [p2]", LORA)
    assert checked.endswith("[p?]")
    assert citations == []


def test_the_reference_list_is_left_out_and_pages_are_windowed_with_markers() -> None:
    assert [p.number for p in body_pages(LORA)] == [1, 2, 3]
    parts = windows(body_pages(LORA), limit=130)
    assert len(parts) == 2
    assert parts[0].startswith("[p1] LoRA reduces")
    assert parts[1].startswith("[p3] ")
    assert all(len(p) <= 130 for p in parts)


def test_a_short_paper_is_summarised_in_one_call_and_cached(tmp_path: Path) -> None:
    model = ScriptedChatModel([SUMMARY])
    summarizer = Summarizer(model, tmp_path / "summaries")
    summary = summarizer.summarize(LORA, "en", LibraryContext(["topic: fine-tuning"], ["QLoRA"], []))
    assert len(model.calls) == 1
    assert model.calls[0][0]["content"].endswith(prompts.SUMMARY_LANGUAGE["en"])
    assert summary.sections["prerequisites"] == "- topic: fine-tuning"
    assert summary.sections["related"] == "- QLoRA"
    assert summary.model == "scripted-1"
    again = Summarizer(model, tmp_path / "summaries").summarize(LORA, "en", NO_CONTEXT)
    assert len(model.calls) == 1
    assert again == summary
    (stored,) = (tmp_path / "summaries").glob("*.json")
    assert json.loads(stored.read_text(encoding="utf-8"))["doc_id"] == "paper:2106.09685"


def test_the_cache_is_keyed_by_content_model_and_language(tmp_path: Path) -> None:
    model = ScriptedChatModel([SUMMARY] * 3)
    summarizer = Summarizer(model, tmp_path)
    summarizer.summarize(LORA, "en", NO_CONTEXT)
    zh = summarizer.summarize(LORA, "zh", NO_CONTEXT)
    assert "Simplified Chinese" in model.calls[-1][0]["content"]
    assert zh.language == "zh"
    changed = Document(**{**LORA.__dict__, "content_hash": "hash-v2"})
    summarizer.summarize(changed, "en", NO_CONTEXT)
    assert len(model.calls) == 3


def test_a_long_paper_is_noted_window_by_window_then_combined(tmp_path: Path) -> None:
    pages = [Page(n, f"Page {n} reports a speedup of {n}.5 times on task {n}. " * 12) for n in range(1, 9)]
    long_doc = Document("paper:2000.00001", DocKind.PAPER, "2000.00001", "A long paper", pages=pages,
                        content_hash="h")
    model = ScriptedChatModel(reply=lambda m: "- a note [p1]" if m[0]["content"] == prompts.NOTES_SYSTEM
                              else SUMMARY)
    steps: list[tuple[int, int]] = []
    options = SummaryOptions(context=1300, max_tokens=200)  # about 2,800 characters of pages per window
    Summarizer(model, tmp_path, options).summarize(long_doc, "en", NO_CONTEXT,
                                                   progress=lambda d, t: steps.append((d, t)))
    notes = [c for c in model.calls if c[0]["content"] == prompts.NOTES_SYSTEM]
    assert len(notes) == len(windows(pages, options.window_chars)) > 1
    assert "- a note [p1]" in model.calls[-1][1]["content"]
    assert steps[-1] == (1, 1)


def test_a_repository_summary_says_what_it_implements_from_the_library(tmp_path: Path) -> None:
    repo = Document("repo:microsoft/DeepSpeed", DocKind.REPO, "microsoft/DeepSpeed", "microsoft/DeepSpeed",
                    pages=[Page(1, "DeepSpeed implements ZeRO-Infinity and 3D parallelism.", "DeepSpeed"),
                           Page(2, "pip install deepspeed", "Installation"),
                           Page(3, "Our sponsors.", "Sponsors")], content_hash="r")
    zero = Document("paper:2104.07857", DocKind.PAPER, "2104.07857",
                    "ZeRO-Infinity: Breaking the GPU Memory Wall for Extreme Scale Deep Learning")
    context = library_context(repo, [repo, zero, LORA], [], [])
    assert context.implements == [zero.title]
    model = ScriptedChatModel(["What it is: A training library.\nHow to start: pip install deepspeed"])
    summary = Summarizer(model, tmp_path).summarize(repo, "en", context)
    assert summary.sections["start"] == "pip install deepspeed"
    assert summary.sections["implements"] == f"- {zero.title}"
    prompt = model.calls[0][1]["content"]
    assert "Installation" in prompt and "Our sponsors" not in prompt


def test_prerequisites_and_related_papers_come_from_the_library() -> None:
    node = TaxonomyNode("mlsys/finetune", "微调", 2, label_en="fine-tuning")
    guide = Guide("g", None, "", TaxonomyNode("mlsys", "MLSys", 1, children=[node]), [], {}, [])
    adam = Document("paper:1412.6980", DocKind.PAPER, "1412.6980", "Adam")
    qlora = Document("paper:2305.14314", DocKind.PAPER, "2305.14314", "QLoRA", topics=["mlsys/finetune"])
    links = [CitationLink(LORA.doc_id, adam.doc_id, "Kingma"), CitationLink(qlora.doc_id, LORA.doc_id, "Hu")]
    context = library_context(LORA, [LORA, adam, qlora], links, [guide])
    assert context.prerequisites == ["topic: fine-tuning", "Adam"]
    assert context.related == ["QLoRA"]


def test_text_without_any_heading_is_kept_as_the_tldr() -> None:
    from assistant.prompts import SUMMARY_HEADINGS
    from assistant.summaries import parse_sections

    sections = parse_sections("FlashAttention tiles attention to cut HBM traffic [p2].", SUMMARY_HEADINGS)
    assert sections["tldr"].startswith("FlashAttention tiles") and not sections["method"]
