"""Index benchmark: embedding throughput, then build time, query latency, memory and recall at 10k-1M chunks.

Run: .venv/bin/python bench/index.py [--sizes 10000 100000 1000000] [--corpus ../shared/corpus/pdf]
The vectors are real chunks of the corpus papers (all-MiniLM-L6-v2) with small random perturbations,
so they cluster like real embeddings; queries are fresh perturbations of random chunks. Each index is
saved, then searched in a fresh process so its resident memory is the searcher's alone.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index.chunking import Chunker
from index.embeddings import MultilingualUseEmbedder, SentenceTransformerEmbedder
from index.vectors import build_index, load_index

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pdf"
NOISE = 0.02  # per dimension (--noise): a perturbed copy keeps a cosine of about 0.93 with its chunk
QUERIES = 200
K = 10


def _rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def real_chunks(corpus: Path, chunker: Chunker) -> list[str]:
    """Texts of every chunk of the corpus papers, as the indexer would cut them."""
    from ingest.models import DocKind, Document
    from ingest.parse.pdf import parse_pdf

    texts: list[str] = []
    for path in sorted(corpus.glob("*.pdf")):
        parsed = parse_pdf(path.read_bytes(), name=path.name, max_bytes=100 * 2**20)
        doc = Document(doc_id=path.stem, kind=DocKind.PAPER, source_id=path.stem, title=path.stem,
                       pages=parsed.pages, sections=parsed.sections)
        texts.extend(c.text for c in chunker.chunk(doc))
    return texts


def throughput(embedder: Any, texts: list[str]) -> tuple[np.ndarray, float]:
    """The texts' vectors and the chunks embedded per second."""
    started = time.perf_counter()
    vectors = np.concatenate([embedder.embed_batch(texts[i : i + embedder.batch_size])
                              for i in range(0, len(texts), embedder.batch_size)])
    return vectors, len(texts) / (time.perf_counter() - started)


def perturbed(base: np.ndarray, count: int, seed: int, noise: float = NOISE) -> np.ndarray:
    """`count` unit vectors, each a random base vector plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, base.shape[1]), dtype=np.float32)
    for start in range(0, count, 100_000):  # in blocks, so the noise never doubles peak memory
        rows = base[rng.integers(0, len(base), min(100_000, count - start))]
        block = rows + rng.normal(0, noise, rows.shape).astype(np.float32)
        out[start : start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def measure(directory: Path) -> dict[str, Any]:
    """In this process: load the saved index, time single queries, and report memory and recall."""
    import faiss  # noqa: F401 - loaded before the baseline: the library's own code is not the index

    before = _rss_mb()
    entry = json.loads((directory / "entry.json").read_text())
    index = load_index(directory, entry)
    loaded = _rss_mb()
    queries = np.load(directory / "queries.npy", allow_pickle=False)
    truth = np.load(directory / "truth.npy", allow_pickle=False)
    index.search(queries[0], K)  # first-touch costs are not a query's
    latencies, hits = [], 0
    for query, exact in zip(queries, truth, strict=True):
        started = time.perf_counter()
        found = index.search(query, K)
        latencies.append((time.perf_counter() - started) * 1000)
        hits += len({i for i, _ in found} & set(exact.tolist()))
    return {"p50_ms": float(np.percentile(latencies, 50)), "p95_ms": float(np.percentile(latencies, 95)),
            "rss_mb": _rss_mb(), "index_rss_mb": _rss_mb() - before, "load_rss_mb": loaded - before,
            "recall": hits / (K * len(queries)), "kind": index.kind, "params": index.params}


def exact_latency(vectors: np.ndarray, queries: np.ndarray) -> float:
    """p95 of single-query exact inner-product search over all vectors (faiss IndexFlatIP), in ms."""
    import faiss

    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # as VectorIndex searches: faster for one query on a busy machine
    times = []
    for query in queries[:50]:
        started = time.perf_counter()
        flat.search(query.reshape(1, -1), K)
        times.append((time.perf_counter() - started) * 1000)
    faiss.omp_set_num_threads(previous)
    return float(np.percentile(times, 95))


def run_size(base: np.ndarray, size: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Build, save and measure (in a child process) an index of `size` perturbed real vectors."""
    import faiss

    vectors = perturbed(base, size, seed=size, noise=args.noise)
    queries = perturbed(base, QUERIES, seed=size + 1, noise=args.noise)
    _, rows = faiss.knn(queries, vectors, K, metric=faiss.METRIC_INNER_PRODUCT)
    started = time.perf_counter()
    index = build_index(np.arange(size, dtype=np.int64), vectors, ann_threshold=args.ann_threshold)
    build_s = time.perf_counter() - started
    directory = workdir / f"n{size}-{args.noise}"
    directory.mkdir()
    entry = index.save(directory, "dense")
    (directory / "entry.json").write_text(json.dumps(entry))
    np.save(directory / "queries.npy", queries, allow_pickle=False)
    np.save(directory / "truth.npy", rows.astype(np.int64), allow_pickle=False)  # ids are the row numbers
    exact_p95 = exact_latency(vectors, queries)
    del index, vectors
    child = subprocess.run([sys.executable, __file__, "--measure", str(directory)], check=True,
                           capture_output=True, text=True)
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    faiss_mb = (directory / "dense.faiss").stat().st_size / 2**20
    return {"size": size, "build_s": build_s, "exact_p95_ms": exact_p95, "faiss_mb": faiss_mb, **result}


def _table(rows: list[dict[str, Any]]) -> str:
    lines = ["| chunks | index | build (s) | p50 (ms) | p95 (ms) | exact p95 (ms) | index RSS (MB) | process RSS (MB) "
             "| FAISS file (MB) | recall@10 |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        params = r["params"]
        kind = r["kind"] if r["kind"] == "flat" else f"{r['kind']} nlist={params['nlist']} nprobe={params['nprobe']}"
        lines.append(f"| {r['size']:,} | {kind} | {r['build_s']:.1f} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | "
                     f"{r['exact_p95_ms']:.1f} | {r['index_rss_mb']:.0f} | {r['rss_mb']:.0f} | {r['faiss_mb']:.0f} | "
                     f"{r['recall']:.3f} |")
    return "\n".join(lines)


def main() -> None:
    """Embed the corpus chunks, then build and measure an index at each size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--ann-threshold", type=int, default=50_000)
    parser.add_argument("--noise", type=float, default=NOISE, help="Per-dimension noise added to each real vector.")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process's job
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    dense = SentenceTransformerEmbedder()
    texts = real_chunks(args.corpus, Chunker(dense.tokenize, max_tokens=dense.max_tokens))
    base, dense_rate = throughput(dense, texts)
    _, use_rate = throughput(MultilingualUseEmbedder(), texts[:256])
    print(f"{len(texts)} real chunks. Embedding: all-MiniLM-L6-v2 {dense_rate:.1f} chunks/s, "
          f"multilingual USE {use_rate:.1f} chunks/s (up to 200 word pieces a chunk)\n", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for size in args.sizes:
            rows.append(run_size(base, size, args, Path(workdir)))
            print(_table(rows[-1:]).splitlines()[-1], flush=True)
    print("\n" + _table(rows))


if __name__ == "__main__":
    main()
