"""Mojibake detection and repair: byte lattice, word-frequency language model, jieba lexicon."""

from ingest.repair.core import RepairResult, decode_bytes

__all__ = ["RepairResult", "decode_bytes"]
