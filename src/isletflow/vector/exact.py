"""Python's own arithmetic for arrays where numpy's differs: ``round(x, digits)`` and the
standard normal's inverse CDF, element for element what the per-case engine computes.

``py_round`` rounds with numpy and redoes the rare near-ties with Python's ``round`` (numpy
rounds ``x * 10**digits``, which can land on the other side of a tie); ``normal_quantile``
calls the very ``statistics.NormalDist().inv_cdf`` the patient model calls, per element, until
``draws`` offers an array form of it.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np

__all__ = ["normal_quantile", "py_round"]

_STANDARD = NormalDist()
_QUANTILE = np.frompyfunc(_STANDARD.inv_cdf, 1, 1)
_NEAR_TIE = 1e-6  # far wider than the error of x * 10**digits for the values rounded here


def py_round(x: Any, digits: int) -> np.ndarray:
    """``round(float(v), digits)`` for each element of ``x`` (float64)."""
    values = np.asarray(x, dtype=np.float64)
    rounded = np.round(values, digits)
    scaled = values * 10.0**digits
    near = np.abs(scaled - np.floor(scaled) - 0.5) < _NEAR_TIE
    if np.any(near):
        rounded = rounded.copy()
        rounded[near] = [round(v, digits) for v in values[near].tolist()]
    return rounded


def normal_quantile(u: Any) -> np.ndarray:
    """``NormalDist().inv_cdf(u)`` for each element of ``u`` (float64)."""
    values = np.asarray(u, dtype=np.float64)
    if values.size == 0:
        return values.copy()
    return np.asarray(_QUANTILE(values), dtype=np.float64)
