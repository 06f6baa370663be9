"""A case's named random streams for many cases at once, equal to ``sampling.stream``.

``uniforms(seed, index, name, count)`` is, row for row, what ``sampling.stream(seed, i, name)``
gives for its first ``count`` calls of ``random()``.

REFERENCE IMPLEMENTATION (one stream per case, slow): to be replaced by a vectorised
computation of numpy's SeedSequence + PCG64 for a whole chunk, bit for bit the same.
"""

from __future__ import annotations

import numpy as np

from ..sampling import stream

__all__ = ["uniforms"]


def uniforms(seed: int, index: np.ndarray, name: str, count: int) -> np.ndarray:
    """A ``(len(index), count)`` float64 array: row r holds the first ``count`` doubles of
    stream ``name`` of case ``index[r]`` under ``seed``."""
    rows = np.asarray(index, dtype=np.int64)
    out = np.empty((rows.size, count), dtype=np.float64)
    for r, i in enumerate(rows.tolist()):
        out[r] = stream(seed, i, name).random(count)
    return out
