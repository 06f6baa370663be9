"""A case's named random streams for many cases at once, equal to ``sampling.stream``.

``uniforms(seed, index, name, count)`` is, row for row and bit for bit, what
``sampling.stream(seed, i, name)`` gives for its first ``count`` calls of ``random()``: so
recipient I of seed S draws the same values in a vectorised chunk as alone, however the chunk is
cut. ``Streams`` holds the generator states of a chunk, so draws can go on where they stopped
(``random``, ``advance``) for all rows or some (``take``).

How: ``sampling.stream`` is ``Generator(PCG64(SeedSequence([seed, index, key(name)])))``.
``vector.pcg`` recomputes each stage of that for one row at a time, compiled, over a
``(rows, 4)`` uint64 array of states (high, low, increment high, increment low): the entropy is
the seed's 32-bit words (lowest first; 0 is one word), the index's one or two, the key's;
SeedSequence's pool and ``generate_state(4, uint64)``; PCG64's seeding; then each draw, one
128-bit LCG step and the XSL-RR output, and ``Generator.random``'s ``(x >> 11) * 2**-53``.

Indices too large for uint64 (not a cohort's) are seeded one by one by ``sampling.stream``
itself and only their states read back; drawing is compiled for every row.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import InvalidInput
from ..sampling import _name_key, stream

__all__ = ["Streams", "uniforms"]

U64 = npt.NDArray[np.uint64]

_MASK32 = 0xFFFF_FFFF
_MASK64 = 0xFFFF_FFFF_FFFF_FFFF


# -- Entropy and jumps, once per stream ------------------------------------------------------


def _words(value: int) -> list[int]:
    """``value``'s 32-bit words, lowest first; 0 is one word (SeedSequence's coercion)."""
    words = [value & _MASK32]
    value >>= 32
    while value:
        words.append(value & _MASK32)
        value >>= 32
    return words


def _word_array(value: int) -> U64:
    return np.array(_words(value), dtype=np.uint64)


class Streams:
    """The PCG64 generators of one named stream for a chunk of cases, one row per case.

    Like numpy's ``Generator``, each draw moves the states on: ``random(3)`` then ``random(2)``
    gives what ``random(5)`` gives.
    """

    __slots__ = ("_states",)

    def __init__(self, states: U64) -> None:
        self._states = states  # (rows, 4): state high, state low, increment high, increment low

    @classmethod
    def open(cls, seed: int, index: npt.ArrayLike, name: str) -> Streams:
        """Stream ``name`` of cases ``index`` (non-negative whole numbers) under ``seed``,
        before its first draw: row r is ``sampling.stream(seed, index[r], name)``."""
        from .pcg import seed_rows  # numba loads here, at the first stream (see vector.pcg)

        seed = _whole("seed", seed)
        rows, huge = _rows(index)
        states = np.empty((rows.size, 4), dtype=np.uint64)
        seed_rows(_word_array(seed), rows, _word_array(_name_key(name)), states)
        for position, value in huge.items():
            # Past uint64 (never a cohort's): numpy seeds it; only its state is read back.
            state = stream(seed, value, name).bit_generator.state["state"]
            states[position, :2] = divmod(state["state"], 1 << 64)
            states[position, 2:] = divmod(state["inc"], 1 << 64)
        return cls(states)

    def __len__(self) -> int:
        return int(self._states.shape[0])

    def raw(self, count: int) -> U64:
        """The next ``count`` 64-bit outputs of every row, ``(len(self), count)``: what
        ``PCG64.random_raw(count)`` gives. Column-major: one draw of every case is contiguous."""
        raw: U64 = self._draw(np.arange(len(self)), count, doubles=False)
        return raw

    def random(self, count: int) -> npt.NDArray[np.float64]:
        """The next ``count`` doubles in [0, 1) of every row, ``(len(self), count)``: what
        ``Generator.random(count)`` gives (the top 53 bits of each output)."""
        return self.take(np.arange(len(self)), count)

    def advance(self, steps: int) -> None:
        """Skip ``steps`` draws of every row at the cost of one (``PCG64.advance``)."""
        from .pcg import advance_rows, jump

        advance_rows(self._states, jump(_whole("steps", steps)))

    def take(self, rows: npt.ArrayLike, count: int) -> npt.NDArray[np.float64]:
        """The next ``count`` doubles of the rows at ``rows`` (positions) only, ``(len(rows),
        count)``: those rows move on, the others stay where they are."""
        chosen = np.arange(len(self))[np.asarray(rows)]  # positions, checked against the rows
        doubles: npt.NDArray[np.float64] = self._draw(chosen, count, doubles=True)
        return doubles

    def _draw(self, rows: npt.NDArray[np.int64], count: int, *, doubles: bool) -> Any:
        """The one way draws are made: ``count`` of each of ``rows`` (positions), moved on."""
        from .pcg import random_rows, raw_rows

        out = np.empty((_whole("count", count), rows.size), np.float64 if doubles else np.uint64)
        (random_rows if doubles else raw_rows)(self._states, rows, out)
        return out.T

    def state(self, row: int) -> dict[str, int]:
        """Row ``row``'s generator as ``PCG64.state["state"]`` gives it."""
        high, low, inc_high, inc_low = (int(word) for word in self._states[row])
        return {"state": high << 64 | low, "inc": inc_high << 64 | inc_low}


def uniforms(
    seed: int, index: npt.ArrayLike, name: str, count: int, *, start: int = 0
) -> npt.NDArray[np.float64]:
    """A ``(len(index), count)`` float64 array: row r holds doubles ``start`` to
    ``start + count - 1`` of stream ``name`` of case ``index[r]`` under ``seed``; column j,
    draw j of every case, is contiguous."""
    streams = Streams.open(seed, index, name)
    if start:
        streams.advance(start)
    return streams.random(count)


# -- Input -----------------------------------------------------------------------------------


def _whole(field: str, value: Any) -> int:
    """``value`` as a non-negative Python int, or InvalidInput naming ``field``."""
    if isinstance(value, bool):
        raise InvalidInput.single("streams", field, value, "must be a whole number, 0 or more")
    try:
        number = operator.index(value)
    except TypeError:
        raise InvalidInput.single(
            "streams", field, value, "must be a whole number, 0 or more"
        ) from None
    if number < 0:
        raise InvalidInput.single("streams", field, value, "must be a whole number, 0 or more")
    return number


def _rows(index: npt.ArrayLike) -> tuple[U64, dict[int, int]]:
    """The case indices as uint64, and those past uint64 by position (placeholders 0)."""
    array = np.asarray(index)
    if array.ndim != 1:
        raise InvalidInput.single(
            "streams", "index", f"shape {array.shape}", "must be a one-dimensional array"
        )
    if array.size == 0:
        return np.zeros(0, dtype=np.uint64), {}
    if array.dtype.kind in "iu":
        if array.dtype.kind == "i" and (low := int(array.min())) < 0:
            raise InvalidInput.single("streams", "index", low, "must be a whole number, 0 or more")
        return array.astype(np.uint64), {}
    if array.dtype.kind != "O":
        raise InvalidInput.single(
            "streams", "index", f"dtype {array.dtype}", "must hold whole numbers, 0 or more"
        )
    values = [_whole("index", value) for value in array.tolist()]
    huge = {r: value for r, value in enumerate(values) if value > _MASK64}
    rows = np.array([0 if value > _MASK64 else value for value in values], dtype=np.uint64)
    return rows, huge
