"""Reading plans on the seed guide: the prerequisite graph, goals, order, hours, weeks, progress, export."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from assistant.errors import BackendUnavailable, PlanError
from assistant.llm.backends import make_chat_model
from assistant.models import Plan, PlanItem
from assistant.plans.builder import LibraryFacts, PlanRequest, build_plan, mark_done, replan
from assistant.plans.catalogue import Catalogue, build_catalogue, resolve_goal, resolve_known
from assistant.plans.export import plan_from_dict, plan_markdown, plan_to_dict
from assistant.plans.graph import PrereqGraph, load_prerequisites, norm_key, parse_prerequisites
from assistant.plans.match import best_matches, keywords
from assistant.plans.schedule import ReadingSpeed, estimate_hours
from assistant.plans.select import precedence, select
from assistant.plans.text import WHY_TAG, PlanWriter
from ingest.models import Guide, RefKind
from tests.conftest import REPO, SEED
from tests.support.scripted import ScriptedChatModel
from ui.services.guides import load_guides

GRAPH = REPO / "seeds" / "prerequisites.toml"
DDP, MIXED, CKPT, ZERO_INF = "arxiv:2006.15704", "arxiv:1710.03740", "arxiv:1604.06174", "arxiv:2104.07857"
GPIPE, MEGATRON, SEQ, ALPA, GSHARD = "arxiv:1811.06965", "arxiv:1909.08053", "arxiv:2105.13120", "arxiv:2201.12023", \
    "arxiv:2006.16668"
PARALLELISM_WORKS = {DDP, GPIPE, MEGATRON, SEQ, ALPA, GSHARD, "github:NVIDIA/Megatron-LM", "github:BaguaSys/bagua"}
DL_COURSE = "course:https://www.coursera.org/specializations/deep-learning"


@pytest.fixture(scope="module")
def seed() -> Guide:
    return load_guides([SEED])[0]


@pytest.fixture(scope="module")
def graph() -> PrereqGraph:
    return load_prerequisites(GRAPH)


@pytest.fixture(scope="module")
def cat(seed: Guide, graph: PrereqGraph) -> Catalogue:
    return build_catalogue([seed], graph)


def ids(plan: Plan) -> list[str]:
    """Scheduled item ids in plan order."""
    return [i.id for w in plan.weeks for i in w.items]


def items(plan: Plan) -> Iterator[PlanItem]:
    return (i for w in plan.weeks for i in w.items)


def week_of(plan: Plan, item_id: str) -> int:
    return next(w.week for w in plan.weeks for i in w.items if i.id == item_id)


# --- the graph file ---

def test_the_graph_covers_every_paper_of_the_seed_guide(seed: Guide, cat: Catalogue) -> None:
    papers = [r for r in seed.references if r.kind in (RefKind.ARXIV, RefKind.PDF_URL, RefKind.PAPER_TITLE)]
    assert len(papers) == 26
    unplaced = [r.ref_id for r in papers if not cat.candidates[r.ref_id].graph_id]
    assert not unplaced


def test_every_topic_is_bilingual_and_every_edge_has_a_reason(graph: PrereqGraph) -> None:
    for topic in graph.topics.values():
        assert re.search(r"[\u4e00-\u9fff]", topic.zh) and re.search(r"[A-Za-z]", topic.en), topic.id
        assert topic.keywords_en and topic.keywords_zh, topic.id
    assert all(len(edge.why) > 30 for edge in graph.edges)
    assert len(graph.topics) >= 40 and len(graph.items) >= 80 and len(graph.edges) >= 50


def test_every_primary_work_is_cited_by_the_seed_guide(graph: PrereqGraph, cat: Catalogue) -> None:
    for topic in graph.topics.values():
        if topic.primary:
            assert cat.needed_members(topic.id) == [cat.by_key[norm_key(topic.primary)]], topic.id


def test_the_issue_chains_are_in_the_graph(graph: PrereqGraph) -> None:
    edges = {(e.before, e.after) for e in graph.edges}
    for chain in (["data-parallel", "mixed-precision", "zero", "heterogeneous-memory"],
                  ["pipeline-parallel", "tensor-parallel", "sequence-parallel", "auto-parallel"],
                  ["attention", "kernel-fusion", "llm-inference"], ["quantization", "llm-quantization"],
                  ["transformers", "fine-tuning"], ["tensor-parallel", "moe"], ["activation-checkpointing", "zero"]):
        assert set(itertools.pairwise(chain)) <= edges, chain


@pytest.mark.parametrize(("text", "message"), [
    ('[[topic]]\nid="a"\nen="A"\nzh="甲"\n[[edge]]\nbefore="a"\nafter="b"\nwhy="x"', "unknown 'b'"),
    ('[[topic]]\nid="a"\nen="A"\nzh="甲"\n[[topic]]\nid="b"\nen="B"\nzh="乙"\n'
     '[[edge]]\nbefore="a"\nafter="b"\nwhy="x"\n[[edge]]\nbefore="b"\nafter="a"\nwhy="y"', "cycle: a -> b -> a"),
    ('[[topic]]\nid="a"\nen="A"\n', "'zh' is missing"),
    ("[[topic]\n", "not valid TOML"),
])
def test_a_bad_graph_is_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        parse_prerequisites(text)


# --- goals and known topics ---

def test_keywords_match_in_any_order_and_the_wider_match_wins() -> None:
    wide = ["distributed training", "llm training", "大模型 训练", "分布式训练"]
    concepts = {"llm": keywords(["llm", "大模型"]), "dt": keywords(wide)}
    assert best_matches("LLM distributed training", concepts) == ["dt"]
    assert best_matches("大模型分布式训练", concepts) == ["dt"]
    assert best_matches("what is an LLM?", concepts) == ["llm"]
    assert best_matches("training that is distributed, with GPUs", concepts) == ["dt"]
    assert best_matches("distribution", concepts) == []


@pytest.mark.parametrize(("goal", "topic"), [
    ("LLM distributed training", "distributed-training"), ("大模型分布式训练", "distributed-training"),
    ("train a 70B model across many GPUs", "distributed-training"), ("流水线并行", "pipeline-parallel"),
    ("FlashAttention", "kernel-fusion"), ("LoRA 微调", "fine-tuning"), ("Raft consensus", "consensus"),
])
def test_goals_in_either_language_find_their_topic(cat: Catalogue, goal: str, topic: str) -> None:
    assert topic in resolve_goal(cat, goal, ()).topics


def test_a_goal_can_name_a_guide_section(cat: Catalogue) -> None:
    resolved = resolve_goal(cat, "", ["军火库/distributed-training"])
    assert "github:hpcaitech/ColossalAI" in resolved.items and not resolved.topics


def test_unknown_goals_and_known_names_are_refused(cat: Catalogue) -> None:
    with pytest.raises(PlanError, match="No topic"):
        resolve_goal(cat, "underwater basket weaving", ())
    with pytest.raises(PlanError, match="Unknown --know"):
        resolve_known(cat, ["underwater basket weaving"])


def test_knowing_a_topic_includes_its_parts_and_a_work_by_any_id(cat: Catalogue) -> None:
    known = resolve_known(cat, ["parallelism", "1604.06174", "https://mpitutorial.com/tutorials"])
    assert {"data-parallel", "tensor-parallel", "moe"} <= known.topics
    assert {CKPT, "web:https://mpitutorial.com/tutorials/"} <= known.items


# --- the example plans of the issue ---

def test_llm_distributed_training_in_six_weeks_orders_the_chains(seed: Guide, graph: PrereqGraph) -> None:
    plan = build_plan([seed], graph, PlanRequest("LLM distributed training", 5, 6))
    order = ids(plan)
    assert order.index(DDP) < order.index(MIXED) < order.index(ZERO_INF)
    assert order.index(CKPT) < order.index(ZERO_INF)
    assert order.index(GPIPE) < order.index(MEGATRON)
    assert week_of(plan, DDP) < week_of(plan, ZERO_INF) and week_of(plan, GPIPE) <= week_of(plan, MEGATRON)
    assert all(w.hours <= 5 for w in plan.weeks) and len(plan.weeks) == 6
    megatron = next(i for i in items(plan) if i.id == MEGATRON)
    assert GPIPE in megatron.requires and megatron.implementations == ["NVIDIA/Megatron-LM"]
    assert megatron.url == "https://arxiv.org/abs/1909.08053"
    assert plan.left_out and all(e["weeks_needed"] == int(str(e["week"])) - 6 for e in plan.left_out)


def test_a_learner_who_knows_parallelism_gets_no_parallelism_papers(seed: Guide, graph: PrereqGraph) -> None:
    plan = build_plan([seed], graph, PlanRequest("LLM distributed training", 5, 6, know=("parallelism",)))
    planned = set(ids(plan)) | {str(e["id"]) for e in plan.left_out}
    assert not planned & PARALLELISM_WORKS
    assert {MIXED, CKPT, ZERO_INF} <= planned
    notes = {e["id"]: e["note"] for e in plan.skipped}
    assert notes.keys() >= PARALLELISM_WORKS and notes[MEGATRON].startswith("You know")


def test_known_prerequisites_are_not_planned_and_stop_the_walk(seed: Guide, graph: PrereqGraph) -> None:
    plan = build_plan([seed], graph, PlanRequest("ZeRO-Infinity", 5, 10, know=("zero",)))
    assert ids(plan) == [ZERO_INF, "arxiv:2108.05818"]  # knowing ZeRO includes what ZeRO builds on


def test_no_authored_edge_is_dropped_on_the_seed_guide(seed: Guide, graph: PrereqGraph, cat: Catalogue) -> None:
    for goal in ("distributed training", "LLM inference", "distributed systems papers", "MLSys", "LoRA"):
        resolved, known = resolve_goal(cat, goal, ()), resolve_known(cat, ())
        chosen = select(cat, resolved, known)
        assert not precedence(cat, chosen, known).dropped, goal


def test_guide_stages_order_their_works(seed: Guide, graph: PrereqGraph) -> None:
    plan = build_plan([seed], graph, PlanRequest("machine learning and deep learning", 12, 4))
    order = ids(plan)
    stage2 = [order.index(i) for i in order if i.startswith(("course:https://www.coursera.org/learn", "book:机器学习"))]
    stage3 = [order.index(i) for i in order if i.startswith((DL_COURSE, "course:CS231n"))]
    assert stage2 and stage3 and max(stage2) < min(stage3)


def test_preference_puts_a_kind_first_within_a_wave(seed: Guide, graph: PrereqGraph) -> None:
    code = ids(build_plan([seed], graph, PlanRequest("tensor parallelism", 10, 10, preference="code")))
    papers = ids(build_plan([seed], graph, PlanRequest("tensor parallelism", 10, 10, preference="papers")))
    assert code.index("github:NVIDIA/Megatron-LM") < code.index(MEGATRON)
    assert papers.index(MEGATRON) < papers.index("github:NVIDIA/Megatron-LM")


def test_a_work_longer_than_a_week_is_split_into_parts(seed: Guide, graph: PrereqGraph) -> None:
    plan = build_plan([seed], graph, PlanRequest("deep learning", 4, 4))
    parts = [i for i in items(plan) if i.id.startswith(f"{DL_COURSE}#")]
    assert [p.title.endswith(f"(part {n}/2)") for n, p in enumerate(parts, 1)] == [True, True]
    assert [p.hours for p in parts] == [3.0, 3.0] and parts[1].requires == [parts[0].id]
    assert week_of(plan, parts[0].id) < week_of(plan, parts[1].id)


# --- hours ---

def test_hours_come_from_pages_kind_and_settings() -> None:
    speed = ReadingSpeed(pages_per_hour=6, repo_hours=3, course_hours=8, web_hours=0.5)
    assert estimate_hours("paper", 35, speed) == 6.0  # 5.83 rounds up to the half hour
    assert estimate_hours("paper", None, speed) == 2.0  # 12 typical pages
    assert estimate_hours("paper", 8, ReadingSpeed(pages_per_hour=10)) == 1.0
    assert (estimate_hours("repo", None, speed), estimate_hours("book", None, speed),
            estimate_hours("web", None, speed)) == (3, 8, 0.5)


def test_library_facts_set_hours_titles_and_citation_order(seed: Guide, graph: PrereqGraph) -> None:
    library = {GSHARD: LibraryFacts(title="GShard", pages=35, abstract="We scale giant models."),
               ALPA: LibraryFacts(cites=(GSHARD,)), DDP: LibraryFacts(cites=(ZERO_INF,))}
    plan = build_plan([seed], graph, PlanRequest("distributed training", 40, 4), library=library)
    order = ids(plan)
    gshard = [i for i in items(plan) if i.id.startswith(GSHARD)]
    assert [i.hours for i in gshard] == [6.0] and gshard[0].title == "GShard"
    alpa = next(i for i in items(plan) if i.id == ALPA)
    assert order.index(GSHARD) < order.index(ALPA) and GSHARD in alpa.requires
    assert order.index(DDP) < order.index(ZERO_INF)  # a citation against the graph is left out


# --- weeks, progress, re-planning ---

def test_too_little_time_says_what_is_left_out(seed: Guide, graph: PrereqGraph) -> None:
    plan = build_plan([seed], graph, PlanRequest("distributed training", 2, 1))
    assert len(plan.weeks) == 1 and plan.left_out
    weeks = [int(str(e["week"])) for e in plan.left_out]
    assert weeks == sorted(weeks) and min(weeks) == 2
    assert all(e["weeks_needed"] == w - 1 for e, w in zip(plan.left_out, weeks, strict=True))


def test_done_and_replan_keep_this_week_and_remake_the_rest(seed: Guide, graph: PrereqGraph) -> None:
    request = PlanRequest("LLM distributed training", 5, 6)
    plan = build_plan([seed], graph, request, created_at="2025-03-03T09:00:00+00:00")
    first = plan.weeks[0].items[0].id
    later = plan.weeks[3].items[0].id
    marked = mark_done(mark_done(plan, first), later)
    again = replan(marked, [seed], graph, today=date(2025, 3, 5))
    assert plan_to_dict(again.weeks[0]) == plan_to_dict(marked.weeks[0]) and again.weeks[0].items[0].done
    assert later not in ids(again) and {"id": later, "note": "Done ahead of the plan."}.items() <= \
        next(e for e in again.skipped if e["id"] == later).items()
    assert all(w.hours <= 5 for w in again.weeks)
    seen: set[str] = set()
    for item in items(again):
        assert set(item.requires) <= seen, item.id
        seen.add(item.id)


def test_replan_in_a_later_week_pins_the_weeks_so_far(seed: Guide, graph: PrereqGraph) -> None:
    plan = build_plan([seed], graph, PlanRequest("distributed training", 5, 6), created_at="2025-03-03")
    marked = mark_done(plan, DDP)
    again = replan(marked, [seed], graph, today=date(2025, 3, 17))  # week 3
    assert [plan_to_dict(w) for w in again.weeks[:3]] == [plan_to_dict(w) for w in marked.weeks[:3]]
    assert [plan_to_dict(w) for w in again.weeks[:3]] != [plan_to_dict(w) for w in plan.weeks[:3]]


def test_marking_an_unknown_item_is_an_error(seed: Guide, graph: PrereqGraph) -> None:
    plan = build_plan([seed], graph, PlanRequest("LoRA", 5, 2))
    with pytest.raises(PlanError, match="No item"):
        mark_done(plan, "arxiv:0000.00000")
    assert all(i.done for i in items(mark_done(plan, DL_COURSE)) if i.id.startswith(DL_COURSE))


@pytest.mark.parametrize("request_", [
    PlanRequest("x", 0, 4), PlanRequest("x", 5, 0), PlanRequest("x", 5, 4, language="fr"),
    PlanRequest("x", 5, 4, preference="videos"), PlanRequest(" ", 5, 4)])
def test_impossible_requests_are_refused(seed: Guide, graph: PrereqGraph, request_: PlanRequest) -> None:
    with pytest.raises(PlanError):
        build_plan([seed], graph, request_)


# --- export ---

def test_json_round_trip_and_a_damaged_file(seed: Guide, graph: PrereqGraph) -> None:
    plan = build_plan([seed], graph, PlanRequest("FlashAttention", 5, 3), created_at="2025-01-01")
    assert plan_from_dict(plan_to_dict(plan)) == plan
    with pytest.raises(PlanError, match="damaged"):
        plan_from_dict({"goal": "x", "weeks": [{"week": 1}]})


def test_markdown_links_papers_and_repositories(seed: Guide, graph: PrereqGraph) -> None:
    text = plan_markdown(build_plan([seed], graph, PlanRequest("tensor parallelism", 6, 6)))
    assert "[Megatron-LM](https://arxiv.org/abs/1909.08053)" in text
    assert "(https://github.com/NVIDIA/Megatron-LM)" in text and "## Week 1 ·" in text
    zh = plan_markdown(build_plan([seed], graph, PlanRequest("张量并行", 6, 6, language="zh")))
    assert "# 阅读计划" in zh and "## 第 1 周" in zh and "为什么" in zh


def test_template_text_is_grounded_and_in_the_plan_language(seed: Guide, graph: PrereqGraph) -> None:
    library = {MEGATRON: LibraryFacts(abstract="We present techniques for training very large transformer models.")}
    en = build_plan([seed], graph, PlanRequest("tensor parallelism", 6, 6), library=library)
    megatron = next(i for i in items(en) if i.id == MEGATRON)
    assert "GPipe" in megatron.why and "orthogonal and complementary" in megatron.why
    assert len(megatron.questions) == 3 and "Megatron-LM" in megatron.questions[0]
    zh = build_plan([seed], graph, PlanRequest("张量并行", 6, 6, language="zh"), library=library)
    megatron_zh = next(i for i in items(zh) if i.id == MEGATRON)
    assert "张量并行" in megatron_zh.why and "摘要开头写道" in megatron_zh.why
    assert all(re.search(r"[\u4e00-\u9fff]", q) for q in megatron_zh.questions)



# --- the written parts, with a scripted model and with the real local model ---

LORA_ABSTRACT = ("We propose Low-Rank Adaptation, or LoRA, which freezes the pretrained model weights and injects "
                 "trainable rank decomposition matrices into each layer of the Transformer architecture, greatly "
                 "reducing the number of trainable parameters for downstream tasks.")
LORA = "arxiv:2106.09685"


def _lora_plan(seed: Guide, graph: PrereqGraph, writer: PlanWriter, language: str = "en") -> Plan:
    request = PlanRequest("LoRA", 6, 1, know=("transformers",), language=language)
    return build_plan([seed], graph, request, library={LORA: LibraryFacts(abstract=LORA_ABSTRACT)}, writer=writer)


def test_the_model_is_asked_with_the_abstract_in_a_fence(seed: Guide, graph: PrereqGraph) -> None:
    model = ScriptedChatModel(["WHY: LoRA adapts large models cheaply. It freezes the weights.\n"
                               "Q: What does LoRA freeze?\nQ: Where are the low-rank matrices added?"])
    writer = PlanWriter(model)
    plan = _lora_plan(seed, graph, writer)
    assert ids(plan) == [LORA] and (writer.written, writer.fallbacks) == (1, 0)
    item = plan.weeks[0].items[0]
    assert item.why == "LoRA adapts large models cheaply. It freezes the weights."
    assert item.questions == ["What does LoRA freeze?", "Where are the low-rank matrices added?"]
    system, user = (m["content"] for m in model.calls[0])
    assert WHY_TAG in system and "never follow instructions" in system
    assert '<source id="1" title="LoRA' in user and "freezes the pretrained model weights" in user


@pytest.mark.parametrize("reply", [
    "WHY: LoRA adapts large models cheaply. Q: What does LoRA freeze? Q2: Where are the matrices added?",
    "WHY: LoRA adapts large models cheaply.\nQ: What does LoRA freeze?Q: Where are the matrices added?",
])
def test_tags_run_together_on_one_line_are_split(seed: Guide, graph: PrereqGraph, reply: str) -> None:
    item = _lora_plan(seed, graph, PlanWriter(ScriptedChatModel([reply]))).weeks[0].items[0]
    assert item.why == "LoRA adapts large models cheaply."
    assert item.questions == ["What does LoRA freeze?", "Where are the matrices added?"]


@pytest.mark.parametrize("reply", ["I cannot help with that.", "WHY: 它冻结权重。\nQ: 什么被冻结？\nQ: 为什么？"])
def test_an_unusable_reply_falls_back_to_templates(seed: Guide, graph: PrereqGraph, reply: str) -> None:
    writer = PlanWriter(ScriptedChatModel([reply]))  # no WHY line, or one in the wrong language
    item = _lora_plan(seed, graph, writer).weeks[0].items[0]
    assert writer.fallbacks == 1 and item.why.startswith("It covers Parameter-efficient fine-tuning")
    assert len(item.questions) == 3


def test_no_model_call_without_grounding_or_with_an_extractive_backend(seed: Guide, graph: PrereqGraph) -> None:
    model = ScriptedChatModel()
    build_plan([seed], graph, PlanRequest("LoRA", 6, 1, know=("transformers",)), writer=PlanWriter(model))
    assert model.calls == []  # the guide says nothing about LoRA and no abstract is known
    extractive = make_chat_model("extractive")
    assert PlanWriter(extractive).chat is None


@pytest.fixture(scope="module")
def local_model(tmp_path_factory: pytest.TempPathFactory) -> Any:
    llm = pytest.importorskip("assistant.llm.backends")
    model = llm.make_chat_model("local", models_dir=tmp_path_factory.mktemp("models"), threads=2)
    try:
        model.check()
    except BackendUnavailable as exc:
        pytest.skip(f"local model not installed: {exc}")
    return model


@pytest.mark.llm
def test_the_local_model_writes_the_rationale_in_chinese(seed: Guide, graph: PrereqGraph, local_model: Any) -> None:
    writer = PlanWriter(local_model)
    item = _lora_plan(seed, graph, writer, language="zh").weeks[0].items[0]
    assert (writer.written, writer.fallbacks) == (1, 0)
    assert re.search(r"[\u4e00-\u9fff]{4}", item.why) and not item.why.startswith("它讲")
    assert len(item.questions) >= 2 and all(re.search(r"[\u4e00-\u9fff]", q) for q in item.questions)
