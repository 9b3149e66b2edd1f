"""Evidence recall@5 on the BAMBOO paper-QA dev sets: readpath's rankings and fusion rules against plain BM25.

Run: .venv/bin/python bench/devset.py [--devsets ../shared/devsets/bamboo-paperqa] [--cache /tmp/rp-devset]

Every distinct paper text (`content`) of the sets is written once as a .txt file and added to one
library, indexed for real (all-MiniLM-L6-v2 + multilingual USE) through the same services `readpath add`
and `readpath index` use; the library and its index stay in `--cache`, so a rerun only searches. Each
question is then searched without its options; a hit is a top-5 passage that contains the question's
`evidence` (normalised overlap, see `contains`). The baseline row is a plain BM25 over 150-word windows
of the same texts. Prints a Markdown table per set and over all.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from index.lexical import Bm25Index, tokenize
from index.search import RRF, SCORES, Searcher, SearchOptions, Weights
from ui.services import library as library_service
from ui.services import make_context
from ui.services import search as search_service

DEVSETS = Path(__file__).resolve().parents[2] / "shared" / "devsets" / "bamboo-paperqa"
SETS = ("paperqa_4k", "paperqa_16k")
K = 5
WINDOW_WORDS = 150
MATCH = 0.5  # share of the evidence's word trigrams a passage must hold to count as containing it


@dataclass(frozen=True)
class DevQuestion:
    """A dev-set question, its evidence passage and the library document of its paper."""

    set_name: str
    text: str
    evidence: str
    doc_id: str


def _words(text: str) -> list[str]:
    return "".join(ch.lower() if ch.isalnum() else " " for ch in text).split()


def _trigrams(words: Sequence[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def contains(passage: str, evidence: str) -> bool:
    """True when the passage holds at least MATCH of the evidence's word trigrams (case and punctuation
    ignored): evidence often runs over a chunk's edge, and the sets' evidence is sometimes lightly edited."""
    wanted = _trigrams(_words(evidence))
    return len(wanted & _trigrams(_words(passage))) >= MATCH * len(wanted)


def load(devsets: Path, files: Path) -> list[DevQuestion]:
    """The parseable questions of both sets; each distinct paper text written once to `files` as .txt."""
    files.mkdir(parents=True, exist_ok=True)
    out = []
    for name in SETS:
        for line in (devsets / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # the README counts the malformed lines: 2 in paperqa_4k, 1 in paperqa_16k
            digest = hashlib.sha256(row["content"].encode()).hexdigest()[:12]
            path = files / f"bamboo-{digest}.txt"
            if not path.exists():
                path.write_text(row["content"], encoding="utf-8")
            out.append(DevQuestion(name, row["question"], row["evidence"], f"file:{path.resolve()}"))
    return out


def windows(text: str, size: int = WINDOW_WORDS) -> list[str]:
    """The text cut into consecutive windows of `size` words."""
    words = text.split()
    return [" ".join(words[i : i + size]) for i in range(0, len(words), size)]


class WindowBm25:
    """The baseline: plain BM25 over 150-word windows of every paper, nothing else."""

    def __init__(self, files: Path) -> None:
        self.texts = [w for path in sorted(files.glob("*.txt")) for w in windows(path.read_text(encoding="utf-8"))]
        self.index = Bm25Index(np.arange(len(self.texts), dtype=np.int64), [tokenize(t) for t in self.texts])

    def search(self, question: str) -> list[str]:
        return [self.texts[i] for i, _ in self.index.search(tokenize(question), K)]


def variants(base: SearchOptions) -> dict[str, SearchOptions]:
    """The rankings alone and the fusion rules compared (named-paper weight as configured throughout)."""
    named = base.weights.named

    def fused(rule: str, bm25: float, exact: bool, crosslingual: float = 1.0) -> SearchOptions:
        weights = Weights(dense=1.0, bm25=bm25, crosslingual=crosslingual, named=named)
        return replace(base, weights=weights, fusion=rule, exact_match=exact)

    return {
        "MiniLM only": replace(base, weights=Weights(dense=1, bm25=0, crosslingual=0, named=0)),
        "USE only": replace(base, weights=Weights(dense=0, bm25=0, crosslingual=1, named=0)),
        "BM25 (readpath chunks) only": replace(base, weights=Weights(dense=0, bm25=1, crosslingual=0, named=0)),
        "RRF 1:1:1 (before)": fused(RRF, 1.0, False),
        "RRF, BM25 weight 2": fused(RRF, 2.0, False),
        "RRF, BM25 weight 2, USE 0.5": fused(RRF, 2.0, False, 0.5),
        "RRF + exact-match rule": fused(RRF, 1.0, True),
        "score fusion 1:1:1": fused(SCORES, 1.0, False),
        "score fusion, BM25 weight 2": fused(SCORES, 2.0, False),
        "score fusion, BM25 weight 3": fused(SCORES, 3.0, False),
        "score fusion, BM25 weight 2 + exact-match rule": fused(SCORES, 2.0, True),
        "default (settings)": base,
    }


def passages(searcher: Searcher, *, scoped: bool = False) -> Callable[[DevQuestion], list[str]]:
    """The texts of a question's top K passages, searched in the whole library or in its own paper only."""
    def top(q: DevQuestion) -> list[str]:
        return [h.chunk.text for h in searcher.search(q.text, K, doc_ids=[q.doc_id] if scoped else None)]

    return top


def recall(questions: Sequence[DevQuestion], top: Callable[[DevQuestion], list[str]]) -> dict[str, float]:
    """Evidence recall@K per set and over all."""
    found = [(q.set_name, any(contains(p, q.evidence) for p in top(q))) for q in questions]
    groups = {name: [hit for set_name, hit in found if set_name == name] for name in SETS}
    groups["all"] = [hit for _, hit in found]
    return {name: sum(hits) / max(1, len(hits)) for name, hits in groups.items()}


def main() -> None:
    """Build (or reuse) the dev library and print evidence recall@5 per method."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devsets", type=Path, default=DEVSETS)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rp-devset"),
                        help="Where the paper files, the library and its index are kept between runs.")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.monotonic()
    questions = load(args.devsets, args.cache / "files")
    ctx = make_context(home=args.cache / "home")
    report = library_service.add(ctx, [str(args.cache / "files")])
    indexed = search_service.index_library(ctx)
    searcher: Searcher = search_service.searcher(ctx)
    print(f"{len(questions)} questions over {len({q.doc_id for q in questions})} papers, {len(searcher)} chunks "
          f"({len(report.results)} files added or kept, {indexed.chunks_added} chunks newly indexed); "
          f"setup {time.monotonic() - started:.0f} s\n")
    texts = {q.doc_id: Path(q.doc_id.split(":", 1)[1]).read_text(encoding="utf-8") for q in questions}
    reachable = sum(contains(texts[q.doc_id], q.evidence) for q in questions)
    print(f"evidence found in its own paper text: {reachable}/{len(questions)}\n")
    rows: dict[str, dict[str, float]] = {}
    baseline = WindowBm25(args.cache / "files")
    rows[f"plain BM25, {WINDOW_WORDS}-word windows (baseline)"] = recall(questions, lambda q: baseline.search(q.text))
    for name, options in variants(searcher.options).items():
        rows[name] = recall(questions, passages(searcher.using(options)))
    rows["default, scoped to the paper (--doc)"] = recall(questions, passages(searcher, scoped=True))
    print(f"| method | {' | '.join(SETS)} | all |\n|---|{'---|' * (len(SETS) + 1)}")
    for name, r in rows.items():
        print(f"| {name} | {' | '.join(f'{r[s]:.0%}' for s in SETS)} | {r['all']:.0%} |")
    print(f"\nall in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
