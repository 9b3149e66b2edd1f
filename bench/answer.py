"""Answer benchmark: readpath's assistant beside a plain llama-index pipeline over the same chunks, model, embedder.

    .venv/bin/python bench/serve_corpus.py --ingest --home /tmp/rp-bench   # once: the real corpus, ingested
    READPATH_HOME=/tmp/rp-bench .venv/bin/readpath index                   # once: indexed
    .venv/bin/python bench/answer.py --home /tmp/rp-bench [--only readpath] [--markdown]

Each pipeline runs in its own process (so peak memory is its own) with the packaged model on llm_threads
threads. Per question: time to first token, total, tokens per second, retrieval time and CPU seconds (all
threads: the figure that does not depend on what else the machine runs); then accuracy: right facts (an
expected figure or term in the answer), citations whose page supports the claim (the cited page of the
expected document holds an expected fact), abstention right or wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script from anywhere


@dataclass(frozen=True)
class Question:
    """A question, where its answer is (document and pages), the facts that make it right, or that none is."""

    text: str
    doc: str | None = None
    pages: tuple[int, ...] = ()
    facts: tuple[str, ...] = ()  # any one, compared without spaces, commas or case

    @property
    def answerable(self) -> bool:
        """False for questions the library cannot answer."""
        return self.doc is not None

    @property
    def language(self) -> str:
        """"zh" when the question has Chinese characters."""
        from ingest.text import has_cjk  # after REPO is on sys.path

        return "zh" if has_cjk(self.text) else "en"


LORA, GPIPE, SUBLINEAR, FLASH = "paper:2106.09685", "paper:1811.06965", "paper:1604.06174", "paper:2205.14135"
MEGATRON, LARS, MIXED, ZERO = "paper:1909.08053", "paper:1708.03888", "paper:1710.03740", "paper:2104.07857"
GSHARD, FLEXGEN = "paper:2006.16668", "paper:2303.06865"
BUBBLE = ("4×", "4x", "4k", "m≥4", "fourtimes", "4times", "4倍")
QUESTIONS = [
    Question("How much does LoRA reduce VRAM during training of GPT-3 175B?", LORA, (1, 5), ("350gb", "3times")),
    Question("When is the pipeline bubble overhead negligible in GPipe?", GPIPE, (4, 5), BUBBLE),
    Question("How much memory does a 1,000-layer ResNet need with the sublinear memory method?", SUBLINEAR, (1, 8),
             ("7g",)),
    Question("How much faster is FlashAttention on the attention computation of GPT-2?", FLASH, (2,), ("7.6",)),
    Question("How many parameters did Megatron-LM train, and on how many GPUs?", MEGATRON, (1, 2), ("8.3", "512")),
    Question("What scaling efficiency does Megatron-LM reach on 512 GPUs?", MEGATRON, (1, 2), ("76%",)),
    Question("Up to what batch size did LARS train ResNet-50 without losing accuracy?", LARS, (1, 2, 5), ("32k",)),
    Question("Why does mixed precision training need loss scaling?", MIXED, (2, 3, 4), ("zero", "underflow")),
    Question("Where does ZeRO-Infinity offload model states?", ZERO, (1, 2), ("nvme",)),
    Question("How many parameters does the largest GShard model have?", GSHARD, (1, 3, 19), ("600",)),
    Question("How much higher throughput does FlexGen reach for OPT-175B?", FLEXGEN, (1, 3), ("100",)),
    Question("LoRA 在 GPT-3 175B 上把训练显存从多少降到了多少？", LORA, (5,), ("350gb", "350")),
    Question("GPipe 中微批次数量满足什么条件时流水线气泡开销可以忽略？", GPIPE, (4, 5), BUBBLE),
    Question("FlashAttention 在 GPT-2 上的注意力计算加速了多少倍？", FLASH, (2,), ("7.6",)),
    Question("Megatron-LM 用多少块 GPU 训练了 83 亿参数的模型？", MEGATRON, (1, 2), ("512",)),
    Question("LARS 能把 ResNet-50 的批大小扩展到多少而不损失精度？", LARS, (1, 2, 5), ("32k",)),
    Question("混合精度训练中为什么需要损失缩放（loss scaling）？", MIXED, (2, 3, 4),
             ("零", "zero", "下溢", "underflow")),
    Question("ZeRO-Infinity 可以把模型状态卸载到哪里？", ZERO, (1, 2), ("nvme",)),
    Question("FlashAttention 训练 BERT-large 比 MLPerf 1.1 的纪录快多少？", FLASH, (1, 3, 7), ("15%",)),
    Question("梯度检查点方法把 1000 层残差网络的显存从 48G 降到了多少？", SUBLINEAR, (1, 8), ("7g",)),
    Question("How does FlashAttention-2 improve work partitioning over FlashAttention?"),
    Question("What is the capital of Australia?"),
    Question("QLoRA 如何把模型量化到 4 位？"),
    Question("SmoothQuant 如何平滑激活中的异常值？"),
    Question("vLLM 的 PagedAttention 如何管理 KV cache？"),
]
REFUSAL = re.compile(r"not (?:provided|mentioned|given|in the (?:context|sources))|no information|does not (?:say|"
                     r"mention|contain)|cannot answer|没有(?:提到|提供|相关|信息)|无法回答|未提及", re.IGNORECASE)


def normalise(text: str) -> str:
    """Lowercase, without spaces and thousands separators, so "32 K" and "32,768" compare plainly."""
    return re.sub(r"[\s,，]", "", text.lower())


class Pages:
    """Page texts of the library, to check whether a cited page holds the fact."""

    def __init__(self, home: Path) -> None:
        from ingest.store.library import LibraryStore

        self.store = LibraryStore(home / "library.sqlite")
        self.texts: dict[tuple[str, int | None], str] = {}

    def supports(self, q: Question, doc_id: str, page: int | None) -> bool:
        """The cited page is in the expected document and holds one of the expected facts."""
        if doc_id != q.doc or page is None:
            return False
        if (doc_id, page) not in self.texts:
            doc = self.store.get(doc_id)
            self.texts[(doc_id, page)] = next((normalise(p.text) for p in doc.pages if p.number == page), "") \
                if doc else ""
        return any(normalise(f) in self.texts[(doc_id, page)] for f in q.facts)


def score(q: Question, answer: str, cited: list[tuple[str, int | None]], abstained: bool,
          pages: Pages) -> dict[str, Any]:
    """Accuracy of one answer: facts, citations whose page holds a fact, abstention."""
    supported = [pages.supports(q, doc, page) for doc, page in cited]
    right = q.answerable and not abstained and any(normalise(f) in normalise(answer) for f in q.facts)
    return {"right_facts": bool(right), "citations": len(cited), "supported": sum(supported),
            "abstain_right": abstained != q.answerable}


def _settings_env(home: Path) -> None:
    os.environ["READPATH_HOME"] = str(home)


def run_readpath(home: Path) -> list[dict[str, Any]]:
    """Every question through `ui.services.answers.ask`, timed from the call to the first streamed token."""
    from assistant.llm.backends import LocalChatModel
    from ui.services import answers, make_context
    from ui.services import search as search_service

    _settings_env(home)
    ctx = make_context()
    # Loaded before timing, as the app and `readpath chat` do at start: index, model with its system prompt
    # evaluated, embedders.
    answers.warm_up(ctx)
    search_service.search(ctx, "warm up", k=1)
    search_service.search(ctx, "预热", k=1)
    rows, pages = [], Pages(home)
    model = answers.chat_model(ctx)
    for q in QUESTIONS:
        first: list[float] = []
        before = model.counters() if isinstance(model, LocalChatModel) else {}

        def stamp(_piece: str, first: list[float] = first) -> None:
            if not first:
                first.append(time.perf_counter())

        started, cpu = time.perf_counter(), time.process_time()
        answer = answers.ask(ctx, q.text, stream_callback=stamp)
        total = time.perf_counter() - started
        cited = [(c.doc_id, c.page) for c in answer.citations]
        rows.append({"question": q.text, "answer": answer.answer, "cited": cited,
                     "ttft_s": (first[0] - started) if first else total, "total_s": total,
                     "cpu_s": time.process_time() - cpu, **_work(before, model.counters() if before else {}),
                     "retrieval_s": answer.timings.get("retrieval_s", 0.0), "tokens_per_s": _rate(answer.timings),
                     **score(q, answer.answer, cited, answer.abstained, pages)})
    return rows


def _work(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Tokens llama.cpp evaluated for one question (a cached prefix is not) and the rate it evaluated them at."""
    if not before:
        return {}
    prompt = after["prompt_tokens"] - before["prompt_tokens"]
    return {"prompt_tokens": prompt, "prompt_tokens_per_s": prompt / max(after["prompt_ms"] - before["prompt_ms"],
                                                                          1e-9) * 1000}


def _rate(timings: dict[str, float]) -> float:
    """Generated tokens per second after the first token (prompt evaluation excluded)."""
    decoding = timings.get("generation_s", 0.0) - timings.get("first_token_s", 0.0)
    return max(timings.get("tokens", 0.0) - 1, 0.0) / decoding if decoding > 0 else 0.0


def _llamaindex_parts(home: Path) -> tuple[Any, Any, Any]:
    """VectorStoreIndex over the index's own chunks and vectors, the same embedder, the same GGUF in ChatML."""
    from llama_index.core import VectorStoreIndex, get_response_synthesizer
    from llama_index.core.embeddings import BaseEmbedding
    from llama_index.core.schema import TextNode
    from llama_index.llms.llama_cpp import LlamaCPP

    from assistant.llm.local_model import resolve_model
    from index.manifest import DENSE
    from ui.services import make_context
    from ui.services import search as search_service

    _settings_env(home)
    ctx = make_context()
    searcher = search_service.searcher(ctx)
    embedder = search_service.embedder(ctx)

    class SameEmbedder(BaseEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            return [float(x) for x in embedder.embed_batch([query])[0]]

        _get_text_embedding = _get_query_embedding

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    dense = searcher.vectors[DENSE]
    chunks = [searcher.chunks[int(i)] for i in dense.ids]
    nodes = [TextNode(id_=c.chunk_id, text=c.text, embedding=[float(x) for x in vector],
                      metadata={"doc_id": c.doc_id, "page": c.page_start})
             for c, vector in zip(chunks, np.asarray(dense.vectors), strict=True)]
    index = VectorStoreIndex(nodes, embed_model=SameEmbedder())
    settings = ctx.settings
    path = str(resolve_model(settings.home / "models", settings.llm_model_path))  # the same verified GGUF
    llm = LlamaCPP(model_path=path, temperature=settings.llm_temperature, max_new_tokens=settings.llm_max_tokens,
                   context_window=settings.llm_context,
                   model_kwargs={"n_threads": settings.llm_threads, "flash_attn": True},  # as readpath loads it
                   messages_to_prompt=_chatml, completion_to_prompt=lambda c: _chatml([_Msg("user", c)]), verbose=False)
    retriever = index.as_retriever(similarity_top_k=settings.answer_passages)
    return retriever, get_response_synthesizer(llm=llm, streaming=True), llm


@dataclass
class _Msg:
    role: str
    content: str


def _chatml(messages: Any) -> str:
    """The model's own template: llama-index's LlamaCPP default prompt format makes it answer badly."""
    turns = "".join(f"<|im_start|>{getattr(m.role, 'value', m.role)}\n{m.content}<|im_end|>\n" for m in messages)
    return turns + "<|im_start|>assistant\n"


def run_llamaindex(home: Path) -> list[dict[str, Any]]:
    """Every question through retriever + streaming response synthesizer; sources are the retrieved nodes."""
    from assistant.llm.local_model import perf_counters

    retriever, synthesizer, llm = _llamaindex_parts(home)
    rows, pages = [], Pages(home)
    llama = llm._model  # the Llama inside llama-index's wrapper
    for q in QUESTIONS:
        before = perf_counters(llama)
        started, cpu = time.perf_counter(), time.process_time()
        nodes = retriever.retrieve(q.text)
        retrieved = time.perf_counter()
        pieces, first = [], None
        for piece in synthesizer.synthesize(q.text, nodes).response_gen:
            first = first or time.perf_counter()
            pieces.append(piece)
        end = time.perf_counter()
        answer = "".join(pieces)
        cited = [(n.node.metadata["doc_id"], n.node.metadata["page"]) for n in nodes]
        rows.append({"question": q.text, "answer": answer, "cited": cited, "ttft_s": (first or end) - started,
                     "total_s": end - started, "retrieval_s": retrieved - started, "cpu_s": time.process_time() - cpu,
                     "tokens_per_s": max(len(pieces) - 1, 0) / max(end - (first or end), 1e-9),
                     **_work(before, perf_counters(llama)),
                     **score(q, answer, cited, bool(REFUSAL.search(answer)), pages)})
    return rows


def summary(rows: list[dict[str, Any]], peak_mb: float) -> dict[str, Any]:
    """Medians of the timings and the accuracy shares."""
    def median(key: str) -> float:
        values = sorted(r[key] for r in rows)
        return values[len(values) // 2]

    answerable = [r for r, q in zip(rows, QUESTIONS, strict=True) if q.answerable]
    generated = [r for r in rows if r.get("prompt_tokens")]  # the questions that reached the model
    local = {"prompt_tokens_p50": sorted(r["prompt_tokens"] for r in generated)[len(generated) // 2],
             "prompt_tokens_per_s_p50": sorted(r["prompt_tokens_per_s"] for r in generated)[len(generated) // 2]
             } if generated else {}
    cites = sum(r["citations"] for r in answerable)
    # Answered questions by language: a Chinese one is translated before retrieval, an abstention is instant.
    by_language = {f"ttft_p50_answerable_{lang}_s": sorted(r["ttft_s"] for r, q in zip(rows, QUESTIONS, strict=True)
                                                          if q.answerable and q.language == lang)
                   for lang in ("en", "zh")}
    return {**{key: values[len(values) // 2] for key, values in by_language.items() if values},
            "ttft_p50_s": median("ttft_s"), "ttft_max_s": max(r["ttft_s"] for r in rows), "total_p50_s": median(
        "total_s"), "total_max_s": max(r["total_s"] for r in rows), "tokens_per_s_p50": median("tokens_per_s"),
        "retrieval_p50_s": median("retrieval_s"), "cpu_p50_s": median("cpu_s"), "peak_rss_mb": peak_mb,
        "right_facts": f"{sum(r['right_facts'] for r in answerable)}/{len(answerable)}",
        "citations_supported": f"{sum(r['supported'] for r in answerable)}/{cites}",
        "abstention_right": f"{sum(r['abstain_right'] for r in rows)}/{len(rows)}", **local}


def worker(pipeline: str, home: Path) -> None:
    """Run one pipeline in this process and print its rows and summary as JSON."""
    rows = run_readpath(home) if pipeline == "readpath" else run_llamaindex(home)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(json.dumps({"rows": rows, "summary": summary(rows, peak_mb)}, ensure_ascii=False))


def main() -> None:
    """Run the pipelines in child processes and print per-question rows and the summary table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True, help="an ingested and indexed data directory")
    parser.add_argument("--only", choices=["readpath", "llamaindex"], help="run one pipeline")
    parser.add_argument("--worker", choices=["readpath", "llamaindex"], help=argparse.SUPPRESS)
    parser.add_argument("--markdown", action="store_true", help="print the summary as a Markdown table")
    parser.add_argument("--limit", type=int, help="only the first N questions (a quick check)")
    args = parser.parse_args()
    if args.limit:
        del QUESTIONS[args.limit :]
    if args.worker:
        worker(args.worker, args.home)
        return
    results = {}
    for pipeline in [args.only] if args.only else ["readpath", "llamaindex"]:
        command = [sys.executable, __file__, "--worker", pipeline, "--home", str(args.home)]
        done = subprocess.run(command + (["--limit", str(args.limit)] if args.limit else []),
                              capture_output=True, text=True, check=False)
        if done.returncode:
            sys.exit(f"{pipeline} failed:\n{done.stderr[-3000:]}")
        results[pipeline] = json.loads(done.stdout.strip().splitlines()[-1])
        for row in results[pipeline]["rows"]:
            print(f"[{pipeline}] {row['ttft_s']:5.1f}s {row['total_s']:5.1f}s prompt={row.get('prompt_tokens', 0):.0f} "
                  f"facts={row['right_facts']:d} "
                  f"cites={row['supported']}/{row['citations']} abstain_ok={row['abstain_right']:d} "
                  f"{row['question']}\n    {' '.join(row['answer'].split())[:300]}\n    cited: {row['cited']}")
    keys = list(next(iter(results.values()))["summary"])
    if args.markdown:
        print("| metric | " + " | ".join(results) + " |\n|---|" + "---|" * len(results))
    for key in keys:
        values = [results[p]["summary"].get(key, "") for p in results]
        shown = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in values]
        print(f"| {key} | " + " | ".join(shown) + " |" if args.markdown else f"{key:22} " + "  ".join(shown))


if __name__ == "__main__":
    main()
