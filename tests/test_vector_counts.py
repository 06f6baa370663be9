"""The vector tally's counting of array columns equals counting their rows one by one."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from isletflow.vector.records import _count, _counted

_RNG = np.random.default_rng(17)
_TEXTS = np.array(["optimal", "good", None, "", "a+b", *(f"code{i}" for i in range(12))], object)


def _copies(texts: np.ndarray) -> np.ndarray:
    """The same texts, each row's its own str object (None kept)."""
    out = np.empty(texts.size, object)
    out[:] = [t if t is None else "".join(list(t)) for t in texts.tolist()]
    return out


@pytest.mark.parametrize("n", [0, 1, 50, 3000])
def test_combinations_are_counted_as_rows_one_by_one(n: int) -> None:
    """Flags, short- and wide-ranged whole numbers, floats, texts with None and many distinct
    ones, a few common ones (past the passes per value), equal texts held in distinct objects:
    the same counts as a Counter over the rows' tuples."""
    columns = [
        _RNG.random(n) < 0.3,
        _RNG.integers(-5, 40, n),
        _RNG.integers(0, 2**40, n) // 2**36 * 2**36,  # wide range, few values
        np.round(_RNG.random(n), 1),
        _TEXTS[_RNG.integers(0, _TEXTS.size, n)],
        _TEXTS[_RNG.integers(0, 8, n)],  # eight common texts: the passes, then the rest
        _copies(_TEXTS[_RNG.integers(0, 3, n)]),  # few texts, equal ones in many objects
    ]
    expected = Counter(zip(*(c.tolist() for c in columns), strict=True))
    assert _counted(*columns) == dict(expected)


@pytest.mark.parametrize("values", [
    _RNG.integers(0, 300, 2000), _RNG.integers(0, 2**50, 100), np.zeros(0, np.int64),
    np.round(_RNG.random(500) * 20),
])  # fmt: skip
def test_values_are_counted_into_a_counter(values: np.ndarray) -> None:
    """Whole numbers counted by offset or by sorting, and floats: Counter's counts, added."""
    into: Counter[object] = Counter({3: 1})
    _count(into, values)
    assert into == Counter({3: 1}) + Counter(values.tolist())
