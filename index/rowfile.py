"""Rows of a float32 matrix stored as .npy, read on demand: nothing mapped, nothing held in memory."""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import Any

import numpy as np


class RowFile:
    """A float32 (n, dim) .npy file whose rows are read with pread when asked for.

    Re-ranking reads about 100 scattered rows a query. A memory map would do too, but the kernel maps
    16 neighbouring pages on each fault, so the whole file soon counts as resident memory (150 MB after
    200 queries on 100k vectors); reading the rows leaves only the index itself resident.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as fh:
            version = np.lib.format.read_magic(fh)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read(fh)
            self.offset = fh.tell()
        if fortran or dtype != np.float32 or len(shape) != 2:
            raise ValueError(f"{path.name} is not a C-ordered float32 matrix")
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        """The rows at these positions (or where a boolean mask is true), in that order."""
        rows = np.asarray(rows)
        positions = np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.int64)
        if len(positions) > len(self) // 8:  # most of the file: one sequential read beats many small ones
            return np.asarray(self)[positions]
        width = self.shape[1] * 4
        out = np.empty((len(positions), self.shape[1]), dtype=np.float32)
        for j, row in enumerate(positions):
            out[j] = np.frombuffer(os.pread(self._fd, width, self.offset + int(row) * width), dtype=np.float32)
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """The whole matrix, read into memory (for rebuilding an index)."""
        data: np.ndarray = np.load(self.path, allow_pickle=False)
        return data.astype(dtype or np.float32, copy=False)
