"""Parse benchmark: pages per second and peak memory of ingest.parse.pdf.parse_pdf.

Runs over generated two-column papers of 10 to 50 pages and over the real PDFs in ../shared/corpus/pdf
when present, once in-process (workers=1) and once with the default worker pool.

    python bench/parse.py [--corpus PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import random
import resource
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tests.support.pdfgen is not an installed package

from ingest.parse.pdf import parse_pdf  # noqa: E402
from tests.support.pdfgen import make_pdf  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "pdf"
GENERATED_PAGES = (10, 20, 30, 40, 50)
WORDS_PER_PAGE = 750  # two 10 pt columns on a Letter page: about 4,500 characters, like a real paper page
SAMPLE_SECONDS = 0.005
MAX_BYTES = 200_000_000
LOAD_BEFORE = " ".join(f"{load:.2f}" for load in os.getloadavg())


@dataclass(frozen=True)
class Result:
    """One document's timing under one worker count."""

    label: str
    pages: int
    workers: int
    seconds: float  # wall clock, fastest run
    cpu_seconds: float  # this process and its workers, mean per run
    peak_mb: float  # above the resident memory before the run


def _paper(pages: int, seed: int) -> bytes:
    rng = random.Random(seed)
    vocabulary = ["attention", "memory", "model", "training", "gradient", "layer", "tensor", "kernel", "batch"]
    texts = []
    for number in range(1, pages + 1):
        words = [rng.choice(vocabulary) for _ in range(WORDS_PER_PAGE)]
        paragraphs = [" ".join(words[i : i + 120]) for i in range(0, len(words), 120)]
        texts.append(f"# {number} Section {number}\n" + "\n\n".join(paragraphs))
    return make_pdf(texts, title=f"Generated paper of {pages} pages", two_column=True, header="Bench 2024")


def _memory(target: psutil.Process, monitor: int) -> int:
    """Resident memory of the benchmark plus the memory unique to its workers (fork shares the rest)."""
    total = int(target.memory_info().rss)
    for child in target.children(recursive=True):
        if child.pid != monitor:
            with contextlib.suppress(psutil.NoSuchProcess):  # a worker that exited between listing and reading
                total += child.memory_full_info().uss
    return total


def _monitor(conn: Connection, pid: int) -> None:
    """Samples memory between a "start" and a "stop" message and answers with the peak, in a loop."""
    target = psutil.Process(pid)
    while conn.recv() == "start":
        peak = 0
        while not conn.poll(SAMPLE_SECONDS):
            peak = max(peak, _memory(target, os.getpid()))
        conn.recv()
        conn.send(peak)


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _measure(label: str, data: bytes, workers: int, repeat: int, monitor: Connection) -> Result:
    # A separate process samples memory: a sampling thread here would make parse_pdf pick forkserver.
    baseline = psutil.Process().memory_info().rss
    best = float("inf")
    cpu = _cpu_seconds()
    monitor.send("start")
    for _ in range(repeat):
        started = time.perf_counter()
        parsed = parse_pdf(data, name=label, max_bytes=MAX_BYTES, workers=workers)
        best = min(best, time.perf_counter() - started)
    monitor.send("stop")
    peak = monitor.recv()
    return Result(label, len(parsed.pages), workers, best, (_cpu_seconds() - cpu) / repeat, (peak - baseline) / 1e6)


def _documents(corpus: Path) -> Iterator[tuple[str, bytes]]:
    for pages in GENERATED_PAGES:
        yield f"generated-{pages}p", _paper(pages, seed=pages)
    for path in sorted(corpus.glob("*.pdf")) if corpus.is_dir() else []:
        yield path.name, path.read_bytes()


def _print(results: list[Result]) -> None:
    print("| document | pages | workers | wall s | pages/s | CPU s | pages/CPU-s | peak MB |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for r in results:
        print(
            f"| {r.label} | {r.pages} | {r.workers} | {r.seconds:.2f} | {r.pages / r.seconds:.1f} | "
            f"{r.cpu_seconds:.2f} | {r.pages / r.cpu_seconds:.1f} | {r.peak_mb:.1f} |"
        )
    print()
    for workers in sorted({r.workers for r in results}):
        for kind in ("generated", "corpus"):
            rows = [
                r for r in results if r.workers == workers and r.label.startswith("generated") == (kind == "generated")
            ]
            if rows:
                pages, seconds, cpu = (
                    sum(r.pages for r in rows),
                    sum(r.seconds for r in rows),
                    sum(r.cpu_seconds for r in rows),
                )
                print(
                    f"- {kind}, workers={workers}: {pages} pages in {seconds:.2f} s = {pages / seconds:.1f} pages/s; "
                    f"{cpu:.2f} CPU-s = {pages / cpu:.1f} pages per CPU-second"
                )


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of real PDFs")
    parser.add_argument("--repeat", type=int, default=2, help="runs per document; the fastest counts")
    args = parser.parse_args()
    ours, theirs = multiprocessing.Pipe()
    monitor = multiprocessing.get_context("fork").Process(target=_monitor, args=(theirs, os.getpid()), daemon=True)
    monitor.start()
    results = []
    for label, data in _documents(args.corpus):
        for workers in (1, 2):
            results.append(_measure(label, data, workers, args.repeat, ours))
            print(f"measured {label} workers={workers}", file=sys.stderr)
    ours.send("quit")
    monitor.join()
    print(f"load average before the run: {LOAD_BEFORE}; CPUs: {os.cpu_count()}")
    _print(results)


if __name__ == "__main__":
    main()
