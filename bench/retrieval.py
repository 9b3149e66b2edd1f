"""Retrieval quality over the real papers: 20 questions in English and the same 20 in Chinese, recall@5.

Run: .venv/bin/python bench/retrieval.py [--corpus ../shared/corpus/pdf] [--library /tmp/rp-bench-copy]
Parses the PDFs with readpath's own parser, indexes them (all-MiniLM-L6-v2 + multilingual USE), and
prints recall@5 for each search variant, English and Chinese questions apart. A question's answer is
every page that contains one of its locator phrases (the fact the question asks about).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bench.devset import windows as window_texts
from index.embeddings import MultilingualUseEmbedder, SentenceTransformerEmbedder
from index.evaluation import Question, evaluate, table
from index.indexer import sync_index
from index.lexical import Bm25Index, tokenize
from index.search import Searcher, SearchOptions
from index.terms import merged
from ingest.models import DocKind, Document
from ingest.parse.pdf import parse_pdf
from ingest.store.library import LibraryStore
from ui.services.guides import load_guides, merged_glossary

BASELINE = "plain BM25, 150-word windows of the PDF pages (baseline)"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pdf"

# (arXiv id, locator phrases, English question, Chinese question)
LABELS: list[tuple[str, tuple[str, ...], str, str]] = [
    ("1604.06174", ("o(√n) memory",), "How much memory does the algorithm need to train an n-layer network?",
     "训练一个 n 层的网络，这个算法需要多少内存？"),
    ("1604.06174", ("recover them from an extra forward",),
     "How are dropped intermediate results recovered during backpropagation?",
     "反向传播时，被丢弃的中间结果怎样恢复？"),
    ("1708.03888", ("\"trust\" coefficient",), "How does LARS set the local learning rate of each layer?",
     "LARS 如何为每一层设置局部学习率？"),
    ("1708.03888", ("resnet-50 to a batch size of 32k", "resnet-50 up to b=32k"),
     "What batch size could ResNet-50 be trained with without losing accuracy?",
     "ResNet-50 在不损失精度的情况下最大能用多大的批量训练？"),
    ("1710.03740", ("3.1 fp32 master copy of weights", "need for an fp32 master copy"),
     "Why keep a single-precision master copy of the weights?", "为什么要保留一份单精度的主权重副本？"),
    ("1710.03740", ("3.2 loss scaling", "scaling factor"),
     "How does loss scaling keep small gradients from becoming zero?",
     "损失缩放如何防止很小的梯度变成零？"),
    ("1712.09381", ("logically centralized program control", "hierarchical delegation of control"),
     "What control model does RLlib use to compose distributed reinforcement learning components?",
     "RLlib 用什么控制模型来组合分布式强化学习组件？"),
    ("1811.06965", ("negligible when m ≥ 4 × k",), "When is the pipeline bubble overhead negligible?",
     "流水线气泡的开销什么时候可以忽略不计？"),
    ("1811.06965", ("supports re-materialization",), "How does GPipe reduce activation memory on each accelerator?",
     "GPipe 如何减少每个加速器上的激活内存？"),
    ("1909.08053", ("split the weight matrix a along its rows", "split a along its columns"),
     "How is the weight matrix of the MLP block split across GPUs?", "MLP 模块的权重矩阵如何在多个 GPU 之间切分？"),
    ("1909.08053", ("76% scaling efficiency",), "What scaling efficiency was sustained on 512 GPUs?",
     "在 512 个 GPU 上保持了多高的扩展效率？"),
    ("2006.16668", ("beyond 600 billion parameters", "600 billion parameters sequence-to-sequence"),
     "How large is the mixture-of-experts translation model trained with automatic sharding?",
     "使用自动分片训练的混合专家翻译模型有多大？"),
    ("2006.16668", ("expert capacity to ensure the load is balanced",),
     "How does the gating function keep expert load balanced?",
     "门控函数如何保证各个专家的负载均衡？"),
    ("2104.07857", ("5.1.1 infinity offload engine", "heterogeneous memory access called the infinity offload engine"),
     "How does ZeRO-Infinity use CPU and NVMe memory for model states?",
     "ZeRO-Infinity 如何利用 CPU 内存和 NVMe 存储模型状态？"),
    ("2104.07857", ("5.1.3 memory-centric tiling",),
     "How does memory-centric tiling reduce working memory for huge layers?",
     "以内存为中心的分块如何降低超大层的工作内存？"),
    ("2106.09685", ("by 10,000 times",),
     "By how much does LoRA reduce the number of trainable parameters compared with GPT-3?",
     "与 GPT-3 全量微调相比，LoRA 把可训练参数减少了多少？"),
    ("2106.09685", ("only apply lora to wq and wv", "adapting both wq and wv"),
     "Which attention weight matrices does LoRA adapt?", "LoRA 适配的是哪些注意力权重矩阵？"),
    ("2205.14135", ("bottlenecked by memory accesses", "high bandwidth memory (hbm) with bandwidth"),
     "Why is standard attention limited by memory reads and writes on the GPU?",
     "为什么标准注意力在 GPU 上受限于显存读写？"),
    ("2205.14135", ("split the input into blocks",),
     "How does FlashAttention compute attention without the full matrix in memory?",
     "FlashAttention 如何在不存储完整注意力矩阵的情况下计算注意力？"),
    ("2303.06865", ("linear programming problem",),
     "How does FlexGen choose where to store weights, activations and the KV cache?",
     "FlexGen 如何决定权重、激活和 KV 缓存存放在哪里？"),
]

# Written after index/terms.py was frozen, to check that its terms were not fitted to the questions above.
HELD_OUT: list[tuple[str, tuple[str, ...], str, str]] = [
    ("1604.06174", ("in-place operation and memory sharing",),
     "Which memory optimizations does the computation graph analysis enable?", "计算图分析能实现哪些节省内存的优化？"),
    ("1708.03888", ("warm-up",), "Why does large-batch training need learning rate warm-up?",
     "大批量训练为什么需要学习率预热？"),
    ("1710.03740", ("accumulates the partial products into an fp32",),
     "Why must FP16 dot products accumulate into FP32?", "为什么半精度点积要累加到单精度？"),
    ("1712.09381", ("lz4",), "How does RLlib compress experience batches?", "RLlib 如何压缩经验数据？"),
    ("1811.06965", ("84.4%",), "What ImageNet accuracy did the giant AmoebaNet reach?",
     "巨型 AmoebaNet 在 ImageNet 上达到了多少准确率？"),
    ("1909.08053", ("f and g are conjugate",), "What do the f and g operators do in the forward and backward pass?",
     "f 和 g 算子在前向和反向传播中分别做什么？"),
    ("2006.16668", ("2048 tpu cores for 4 days",), "How many TPU cores and days did training the largest model take?",
     "训练最大的模型用了多少个 TPU 核心和多少天？"),
    ("2104.07857", ("6.1 bandwidth-centric partitioning",),
     "How does bandwidth-centric partitioning use the bandwidth of all devices?",
     "以带宽为中心的划分如何利用所有设备的带宽？"),
    ("2106.09685", ("no additional inference latency",), "Does LoRA add inference latency?", "LoRA 会增加推理延迟吗？"),
    ("2303.06865", ("throughput of 1 token/s",), "What generation throughput does FlexGen reach with a single GPU?",
     "FlexGen 在单个 GPU 上的生成吞吐量是多少？"),
]


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def load_papers(corpus: Path) -> list[Document]:
    """Every PDF in the corpus, parsed by readpath's parser, as a stored paper."""
    docs = []
    for path in sorted(corpus.glob("*.pdf")):
        parsed = parse_pdf(path.read_bytes(), name=path.name, max_bytes=100 * 2**20)
        docs.append(Document(doc_id=f"paper:{path.stem}", kind=DocKind.PAPER, source_id=path.stem,
                             title=parsed.title or path.stem, pages=parsed.pages, sections=parsed.sections))
    return docs


def questions(docs: list[Document], labels: list[tuple[str, tuple[str, ...], str, str]]) -> list[Question]:
    """Both languages of every label, answered by each page that holds one of its phrases."""
    by_id = {doc.source_id: doc for doc in docs}
    out = []
    for arxiv_id, phrases, english, chinese in labels:
        pages = tuple(p.number for p in by_id[arxiv_id].pages if any(_norm(x) in _norm(p.text) for x in phrases))
        if not pages:
            raise SystemExit(f"no page of {arxiv_id} contains {phrases}: the parser or the labels changed")
        out.append(Question(english, f"paper:{arxiv_id}", pages=pages))
        out.append(Question(chinese, f"paper:{arxiv_id}", pages=pages, english=english))
    return out


def window_baseline(docs: list[Document], questions: list[Question], k: int = 5) -> dict[str, float]:
    """recall@k of a plain BM25 over 150-word windows of each paper page (no glossary, no embeddings)."""
    windows = [(doc.doc_id, page.number, text)
               for doc in docs for page in doc.pages for text in window_texts(page.text)]
    index = Bm25Index(np.arange(len(windows), dtype=np.int64), [tokenize(text) for _, _, text in windows])
    found = {q.text: any(windows[i][0] == q.doc_id and windows[i][1] in q.pages
                         for i, _ in index.search(tokenize(q.text), k)) for q in questions}
    groups = {"all": questions, "en": [q for q in questions if not q.chinese],
              "zh": [q for q in questions if q.chinese]}
    return {name: round(sum(found[q.text] for q in qs) / max(1, len(qs)), 3) for name, qs in groups.items()}


def latency(searcher: Searcher, questions: list[Question]) -> str:
    """Median search time per language with the default options (no translator: nothing waits for an LLM)."""
    searcher.search(questions[0].text, 5)  # first-touch costs (jieba's dictionary, model warm-up) are not a query's
    times: dict[str, list[float]] = {"English": [], "Chinese": []}
    for q in questions:
        started = time.perf_counter()
        searcher.search(q.text, 5)
        times["Chinese" if q.chinese else "English"].append(time.perf_counter() - started)
    return ", ".join(f"{lang} p50 {statistics.median(ts) * 1000:.0f} ms" for lang, ts in times.items())


def main() -> None:
    """Index the corpus and print recall@5 per variant, English and Chinese apart."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--library", type=Path, default=None,
                        help="Search this indexed readpath home (READPATH_HOME, e.g. the whole corpus library with "
                             "its READMEs) instead of indexing the PDFs alone; opened read-only.")
    parser.add_argument("--no-terms", dest="terms", action="store_false",
                        help="Expand with the seed guide's glossary only, without the built-in ML terms.")
    args = parser.parse_args()
    started = time.monotonic()
    docs = load_papers(args.corpus)
    labelled, held_out = questions(docs, LABELS), questions(docs, HELD_OUT)
    dense, multilingual = SentenceTransformerEmbedder(), MultilingualUseEmbedder()
    glossary = merged(merged_glossary(load_guides())) if args.terms else merged_glossary(load_guides())
    with tempfile.TemporaryDirectory() as scratch:
        home = args.library or Path(scratch)
        store = LibraryStore(home / "library.sqlite")
        if args.library is None:
            for doc in docs:
                store.upsert(doc)
            report = sync_index(store, dense, index_dir=home / "index", crosslingual=multilingual)
            indexed = f"indexed in {report.seconds:.0f} s"
        else:
            indexed = f"the indexed library {home}"
        searcher = Searcher.open(store, dense, index_dir=home / "index", crosslingual=multilingual,
                                 options=SearchOptions(glossary=glossary))
        results = {BASELINE: window_baseline(docs, labelled), **evaluate(searcher, labelled, glossary)}
        held_results = {BASELINE: window_baseline(docs, held_out), **evaluate(searcher, held_out, glossary)}
        speed = latency(searcher, labelled + held_out)
    print(f"{len(docs)} papers, {sum(len(d.pages) for d in docs)} pages, {len(searcher)} chunks searched; "
          f"{len(labelled)} questions; glossary of {len(glossary)} terms; "
          f"{indexed}, all in {time.monotonic() - started:.0f} s\n")
    print(table(results))
    print(f"\nHeld out: {len(held_out)} more questions, written after the built-in terms were frozen\n")
    print(table(held_results))
    print(f"\nSearch time (default options, after load): {speed}")


if __name__ == "__main__":
    main()
