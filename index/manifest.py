"""Index generations on disk: a folder of FAISS files per generation, described by a JSON manifest."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.catalog import IndexState
from index.chunking import ChunkingSpec
from index.embeddings import Embedder
from index.errors import IndexDamaged, IndexMissing, ModelMismatch
from index.vectors import VectorIndex, load_index
from ingest.store import sha256_file, write_bytes_atomic

FORMAT = 1
MANIFEST = "manifest.json"
DENSE = "dense"
CROSSLINGUAL = "crosslingual"
_REINDEX = "Run `readpath reindex` to rebuild the index from the stored text."


@dataclass(frozen=True)
class IndexSpec:
    """What an index is built with: the embedding models and the chunking settings."""

    models: dict[str, dict[str, Any]]  # space ("dense", "crosslingual") -> {"name", "dim"}
    chunking: ChunkingSpec

    @classmethod
    def of(cls, embedders: dict[str, Embedder], chunking: ChunkingSpec) -> IndexSpec:
        """The spec for these embedders (by space) and chunking settings."""
        return cls({space: {"name": e.name, "dim": e.dim} for space, e in embedders.items()}, chunking)


def generation_dir(index_dir: Path, generation: int) -> Path:
    """The folder holding one generation's files."""
    return index_dir / f"gen-{generation:06d}"


def write_manifest(directory: Path, generation: int, spec: IndexSpec, entries: dict[str, Any]) -> str:
    """Write the generation's manifest atomically; its sha256, which the database records."""
    manifest = {"format": FORMAT, "generation": generation, "created": datetime.now(UTC).isoformat(),
                "models": spec.models, "chunking": spec.chunking.as_dict(), "vectors": entries}
    data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    write_bytes_atomic(directory / MANIFEST, data)
    return sha256_file(directory / MANIFEST)


def read_manifest(index_dir: Path, state: IndexState) -> dict[str, Any]:
    """The committed generation's manifest, checked against the digest the database holds."""
    if state.generation == 0:
        raise IndexMissing("There is no index yet. Run `readpath index` to build it from the library.")
    path = generation_dir(index_dir, state.generation) / MANIFEST
    if not path.is_file() or sha256_file(path) != state.manifest_sha256:
        raise IndexDamaged(f"The index manifest {path} is missing or damaged. {_REINDEX}")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise IndexDamaged(f"The index manifest {path} cannot be read ({exc}). {_REINDEX}") from exc
    return manifest


def check_spec(manifest: dict[str, Any], spec: IndexSpec, *, chunking: bool) -> None:
    """ModelMismatch unless the manifest was built with these models (and chunking, when asked)."""
    for space, wanted in spec.models.items():
        built = manifest["models"].get(space)
        if built != wanted:
            had = f"{built['name']} ({built['dim']} dimensions)" if built else "no such model"
            raise ModelMismatch(f"The index was built with {had} for {space} search, not {wanted['name']} "
                                f"({wanted['dim']} dimensions). {_REINDEX}")
    if chunking and manifest["chunking"] != spec.chunking.as_dict():
        raise ModelMismatch(f"The index was built with chunking {manifest['chunking']}, not "
                            f"{spec.chunking.as_dict()}. {_REINDEX}")


def load_vectors(index_dir: Path, state: IndexState, spec: IndexSpec, *,
                 chunking: bool = False) -> dict[str, VectorIndex]:
    """The committed generation's vector indexes for the spec's spaces, checked and checksummed."""
    manifest = read_manifest(index_dir, state)
    check_spec(manifest, spec, chunking=chunking)
    directory = generation_dir(index_dir, state.generation)
    return {space: load_index(directory, manifest["vectors"][space]) for space in spec.models}


def prepare_generation(index_dir: Path, generation: int) -> Path:
    """An empty folder for a new generation (clearing what a crashed run left there)."""
    directory = generation_dir(index_dir, generation)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    return directory


def prune_generations(index_dir: Path, current: int) -> None:
    """Delete generations other than the current one and the one before (a reader may still hold it)."""
    for path in index_dir.glob("gen-*"):
        number = path.name.removeprefix("gen-")
        if number.isdigit() and int(number) not in (current, current - 1):
            shutil.rmtree(path, ignore_errors=True)
