"""FAISS indexes: exact and approximate search on real embeddings, filters, files, checksums, manifests."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import numpy as np
import pytest

from index.catalog import IndexState
from index.chunking import ChunkingSpec
from index.errors import IndexDamaged, IndexMissing, ModelMismatch
from index.manifest import DENSE, IndexSpec, load_vectors, prepare_generation, write_manifest
from index.rowfile import RowFile
from index.vectors import APPROXIMATE, EXACT, build_index, exact_top_ids, load_index
from tests.support.index_support import OtherModel, minilm


def _real_sentences(count: int) -> list[str]:
    """Distinct English sentences from the standard library's docstrings: real text, offline."""
    import argparse
    import collections
    import email.message
    import json as json_module
    import logging
    import pathlib
    import sqlite3
    import textwrap
    import unittest

    seen: dict[str, None] = {}
    for module in (pathlib, collections, logging, argparse, unittest, json_module, email.message, textwrap, sqlite3):
        for _, member in inspect.getmembers(module):
            for doc in (inspect.getdoc(member) or "", *(inspect.getdoc(m) or "" for _, m in
                                                         inspect.getmembers(member, inspect.isfunction))):
                for sentence in re.split(r"(?<=\.)\s+", " ".join(doc.split())):
                    if 40 <= len(sentence) <= 300:
                        seen.setdefault(sentence, None)
    return list(seen)[:count]


@pytest.fixture(scope="module")
def base() -> np.ndarray:
    sentences = _real_sentences(300)
    assert len(sentences) == 300
    return minilm().embed_batch(sentences)


def _perturbed(base: np.ndarray, copies: int, seed: int, sigma: float = 0.01) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.repeat(base, copies, axis=0) + rng.normal(0, sigma, (len(base) * copies, base.shape[1]))
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.slow  # the real embedding model
def test_exact_search_finds_each_vector_by_its_own_id(base: np.ndarray) -> None:
    ids = np.arange(1000, 1000 + len(base))
    index = build_index(ids, base, ann_threshold=10_000)
    assert index.kind == EXACT
    for row in (0, 57, 299):
        top = index.search(base[row], 3)
        assert top[0][0] == 1000 + row and top[0][1] == pytest.approx(1.0, abs=1e-5)
        assert top[0][1] >= top[1][1] >= top[2][1]


@pytest.mark.slow  # the real embedding model
def test_filters_drop_faiss_padding(base: np.ndarray) -> None:
    index = build_index(np.arange(len(base)), base, ann_threshold=10_000)
    allowed = np.array([3, 9, 27])
    found = index.search(base[0], 10, allowed=allowed)
    assert sorted(i for i, _ in found) == [3, 9, 27]  # 3 results, not 10 with -1 padding
    assert index.search(base[0], 5, allowed=np.array([], dtype=np.int64)) == []


@pytest.mark.slow  # the real embedding model
def test_files_round_trip_with_checksums(tmp_path: Path, base: np.ndarray) -> None:
    index = build_index(np.arange(len(base)) * 2, base, ann_threshold=10_000)
    entry = index.save(tmp_path, "dense")
    assert {f["name"] for f in entry["files"].values()} == {"dense.faiss", "dense.ids.npy", "dense.vectors.npy"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", f["sha256"]) for f in entry["files"].values())
    assert not list(tmp_path.glob(".tmp-*"))
    loaded = load_index(tmp_path, entry)
    assert loaded.search(base[5], 4) == index.search(base[5], 4)
    assert loaded.search(base[5], 1)[0][0] == 10
    # The float vectors stay on disk, read row by row for re-ranking, whole for a rebuild.
    assert isinstance(loaded.vectors, RowFile)
    np.testing.assert_array_equal(loaded.vectors[np.array([7, 2])], base[[7, 2]])
    np.testing.assert_array_equal(np.asarray(loaded.vectors), base)


@pytest.mark.slow  # the real embedding model
@pytest.mark.parametrize("name", ["dense.faiss", "dense.ids.npy", "dense.vectors.npy"])
def test_a_damaged_or_missing_file_names_reindex(tmp_path: Path, base: np.ndarray, name: str) -> None:
    entry = build_index(np.arange(50), base[:50], ann_threshold=10_000).save(tmp_path, "dense")
    path = tmp_path / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexDamaged, match="readpath reindex"):
        load_index(tmp_path, entry)
    path.unlink()
    with pytest.raises(IndexDamaged, match="readpath reindex"):
        load_index(tmp_path, entry)


@pytest.mark.slow  # the real embedding model
def test_past_the_threshold_an_approximate_index_keeps_recall(base: np.ndarray) -> None:
    vectors = _perturbed(base, 40, seed=0)  # 12,000 vectors of real sentences, perturbed
    index = build_index(np.arange(len(vectors)), vectors, ann_threshold=5_000)
    assert index.kind == APPROXIMATE
    assert {"nlist", "nprobe", "rerank_pool", "trained_on", "calibrated_recall"} <= set(index.params)
    assert index.params["nprobe"] < index.params["nlist"]  # otherwise it would be exact search in disguise
    queries = _perturbed(base[::6], 1, seed=1)
    truth = exact_top_ids(index, queries, 10)
    found = [[i for i, _ in index.search(q, 10)] for q in queries]
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
    assert recall >= 0.95
    allowed = np.arange(0, len(vectors), 997)
    assert {i for i, _ in index.search(queries[0], 5, allowed=allowed)} <= set(allowed.tolist())


@pytest.mark.slow  # the real embedding model
def test_changes_make_a_new_index_and_leave_the_old_one(base: np.ndarray) -> None:
    old = build_index(np.arange(100), base[:100], ann_threshold=10_000)
    new = old.changed(np.array([0, 1, 2]), np.array([500, 501]), base[200:202], ann_threshold=10_000)
    assert len(old) == 100 and len(new) == 99
    assert new.search(base[200], 1)[0][0] == 500
    assert 0 not in {i for i, _ in new.search(base[0], 5)}
    assert old.search(base[0], 1)[0][0] == 0


@pytest.mark.slow  # the real embedding model
def test_an_approximate_index_reuses_its_quantiser_while_the_size_fits(base: np.ndarray) -> None:
    vectors = _perturbed(base, 20, seed=2)
    old = build_index(np.arange(len(vectors)), vectors, ann_threshold=1_000)
    new = old.changed(np.arange(100), np.arange(10_000, 10_050), vectors[:50], ann_threshold=1_000)
    assert new.kind == APPROXIMATE and new.params["trained_on"] == old.params["trained_on"]
    assert new.search(vectors[0], 1)[0][0] == 10_000


def _generation(tmp_path: Path, base: np.ndarray, spec: IndexSpec) -> IndexState:
    directory = prepare_generation(tmp_path, 1)
    entry = build_index(np.arange(20), base[:20], ann_threshold=100).save(directory, DENSE)
    return IndexState(1, write_manifest(directory, 1, spec, {DENSE: entry}), 21)


@pytest.mark.slow  # the real embedding model
def test_the_manifest_records_and_checks_the_model_and_chunking(tmp_path: Path, base: np.ndarray) -> None:
    spec = IndexSpec.of({DENSE: minilm()}, ChunkingSpec())
    state = _generation(tmp_path, base, spec)
    manifest = json.loads((tmp_path / "gen-000001" / "manifest.json").read_text())
    assert manifest["models"][DENSE] == {"name": "all-MiniLM-L6-v2", "dim": 384}
    assert manifest["chunking"]["chunk_tokens"] == 200
    assert len(load_vectors(tmp_path, state, spec)[DENSE]) == 20
    with pytest.raises(ModelMismatch, match=r"some-other-model.*readpath reindex"):
        load_vectors(tmp_path, state, IndexSpec.of({DENSE: OtherModel()}, ChunkingSpec()))
    with pytest.raises(ModelMismatch, match="chunking"):
        load_vectors(tmp_path, state, IndexSpec.of({DENSE: minilm()}, ChunkingSpec(chunk_tokens=100)), chunking=True)


@pytest.mark.slow  # the real embedding model
def test_a_damaged_manifest_or_no_index_is_named(tmp_path: Path, base: np.ndarray) -> None:
    spec = IndexSpec.of({DENSE: minilm()}, ChunkingSpec())
    with pytest.raises(IndexMissing, match="readpath index"):
        load_vectors(tmp_path, IndexState(0, "", 1), spec)
    state = _generation(tmp_path, base, spec)
    path = tmp_path / "gen-000001" / "manifest.json"
    path.write_text(path.read_text().replace('"dim": 384', '"dim": 385'))
    with pytest.raises(IndexDamaged, match="readpath reindex"):
        load_vectors(tmp_path, state, spec)
