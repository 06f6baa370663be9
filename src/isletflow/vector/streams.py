"""A case's named random streams for many cases at once, equal to ``sampling.stream``.

``uniforms(seed, index, name, count)`` is, row for row and bit for bit, what
``sampling.stream(seed, i, name)`` gives for its first ``count`` calls of ``random()``: so
recipient I of seed S draws the same values in a vectorised chunk as alone, however the chunk is
cut. ``Streams`` holds the generator states of a chunk, so draws can go on where they stopped
(``random``, ``advance``) for all rows or a subset (``select``).

How: ``sampling.stream`` is ``Generator(PCG64(SeedSequence([seed, index, key(name)])))``. This
module recomputes each stage of that, as numpy's ``bit_generator.pyx``, ``_pcg64.pyx`` and
``pcg64.h`` define it, with uint32/uint64 arrays holding one element per case:

1. entropy: each of seed, index and key split into 32-bit words, lowest first (0 is one word),
   concatenated. Seed and key are the same for every row, the index's word count is not, so rows
   are grouped by it (one group below 2**32, one above);
2. SeedSequence's pool: four words hashed from the entropy, mixed with each other, then with
   the entropy words past the fourth; its hash constants depend only on how many words came
   before, never on their values, so they are Python ints shared by every row;
3. ``generate_state(4, uint64)``: eight hashed pool words paired into four 64-bit words;
4. PCG64's seeding (``pcg64_set_seed``): 128-bit state and increment from those words, two
   LCG steps around adding the state;
5. each draw: one 128-bit LCG step (multiply-add on (high, low) uint64 pairs), the XSL-RR
   output, and ``Generator.random``'s ``(x >> 11) * 2**-53``.

Indices too large for uint64 (not a cohort's) are seeded one by one by ``sampling.stream``
itself and only their states read back; drawing is vectorised for every row.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import InvalidInput
from ..sampling import _name_key, stream

__all__ = ["Streams", "uniforms"]

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]

_MASK32 = 0xFFFF_FFFF
_MASK64 = 0xFFFF_FFFF_FFFF_FFFF
_MASK128 = (1 << 128) - 1

# SeedSequence's constants (numpy/random/bit_generator.pyx).
_POOL_SIZE = 4
_INIT_A = 0x43B0D7E5
_MULT_A = 0x931E8875
_INIT_B = 0x8B51F9DD
_MULT_B = 0x58F38DED
_MIX_MULT_L = 0xCA01F9DD
_MIX_MULT_R = 0x4973F715
_XSHIFT = 16

# PCG64's LCG multiplier (PCG_DEFAULT_MULTIPLIER_128 in numpy/random/src/pcg64/pcg64.h).
_PCG_MULTIPLIER = (2549297995355413924 << 64) | 4865540595714422341

_MULT_HI = np.uint64(_PCG_MULTIPLIER >> 64)
_MULT_LO = np.uint64(_PCG_MULTIPLIER & _MASK64)
_MULT_LO_LO = np.uint64(_PCG_MULTIPLIER & _MASK32)
_MULT_LO_HI = np.uint64((_PCG_MULTIPLIER >> 32) & _MASK32)
_U32, _U32_MASK = np.uint64(32), np.uint64(_MASK32)
_TURN, _U64_BITS, _SIX_BITS = np.uint64(58), np.uint64(64), np.uint64(63)

_DOUBLE_UNIT = 2.0**-53  # Generator.random: the top 53 bits of a draw, scaled to [0, 1)


# -- 1. Entropy ------------------------------------------------------------------------------


def _words(value: int) -> list[int]:
    """``value``'s 32-bit words, lowest first; 0 is one word (SeedSequence's coercion)."""
    words = [value & _MASK32]
    value >>= 32
    while value:
        words.append(value & _MASK32)
        value >>= 32
    return words


# -- 2. SeedSequence's pool ------------------------------------------------------------------


class _HashMix:
    """SeedSequence's ``hashmix``: its running multiplier advances with every call, whatever
    the value hashed, so a Python int follows it and every row shares it."""

    __slots__ = ("constant",)

    def __init__(self) -> None:
        self.constant = _INIT_A

    def __call__(self, value: U32) -> U32:
        xored: U32 = value ^ np.uint32(self.constant)
        self.constant = (self.constant * _MULT_A) & _MASK32
        hashed: U32 = xored * np.uint32(self.constant)
        return hashed ^ (hashed >> np.uint32(_XSHIFT))


def _mix(x: U32, y: U32) -> U32:
    """SeedSequence's ``mix`` of a pool word ``x`` with a hashed word ``y``."""
    result: U32 = x * np.uint32(_MIX_MULT_L) - y * np.uint32(_MIX_MULT_R)
    return result ^ (result >> np.uint32(_XSHIFT))


def _pool(entropy: list[U32]) -> list[U32]:
    """The four pool words of SeedSequence(entropy), one array per word (``mix_entropy``)."""
    hashmix = _HashMix()
    zero = np.zeros(1, dtype=np.uint32)
    # The first four entropy words (zeros past the end) hashed in.
    pool = [hashmix(entropy[i] if i < len(entropy) else zero) for i in range(_POOL_SIZE)]
    # Every word mixed into every other, so late words reach early ones.
    for source in range(_POOL_SIZE):
        for target in range(_POOL_SIZE):
            if source != target:
                pool[target] = _mix(pool[target], hashmix(pool[source]))
    # The entropy past the pool's size, each word mixed into every pool word.
    for word in entropy[_POOL_SIZE:]:
        for target in range(_POOL_SIZE):
            pool[target] = _mix(pool[target], hashmix(word))
    return pool


# -- 3. generate_state(4, uint64) ------------------------------------------------------------


def _generate_state(pool: list[U32]) -> list[U64]:
    """SeedSequence.generate_state(4, uint64): eight words hashed from the pool, cycled, and
    paired little-endian into four 64-bit words."""
    constant = _INIT_B
    halves: list[U64] = []
    for i in range(2 * _POOL_SIZE):
        value = pool[i % _POOL_SIZE] ^ np.uint32(constant)
        constant = (constant * _MULT_B) & _MASK32
        value = value * np.uint32(constant)
        halves.append((value ^ (value >> np.uint32(_XSHIFT))).astype(np.uint64))
    return [halves[2 * k] | (halves[2 * k + 1] << np.uint64(32)) for k in range(_POOL_SIZE)]


# -- 128-bit arithmetic on (high, low) pairs of uint64 arrays --------------------------------


def _mulhi(a: U64, b: int) -> U64:
    """The high 64 bits of the 128-bit product of ``a`` and the 64-bit constant ``b``,
    from 32-bit halves (each partial product fits in 64 bits)."""
    mask, half = np.uint64(_MASK32), np.uint64(32)
    a_lo: U64 = a & mask
    a_hi: U64 = a >> half
    b_lo, b_hi = np.uint64(b & _MASK32), np.uint64(b >> 32)
    lo_lo: U64 = a_lo * b_lo
    lo_hi: U64 = a_lo * b_hi
    hi_lo: U64 = a_hi * b_lo
    # The carry out of the low 64 bits: the middle column's overflow past bit 32.
    middle: U64 = (lo_lo >> half) + (lo_hi & mask) + (hi_lo & mask)
    high: U64 = a_hi * b_hi + (lo_hi >> half) + (hi_lo >> half) + (middle >> half)
    return high


def _times(high: U64, low: U64, constant: int) -> tuple[U64, U64]:
    """(high, low) times a 128-bit constant, modulo 2**128."""
    c_hi, c_lo = constant >> 64, constant & _MASK64
    product_high = _mulhi(low, c_lo) + low * np.uint64(c_hi) + high * np.uint64(c_lo)
    return product_high, low * np.uint64(c_lo)


def _plus(a: tuple[U64, U64], b: tuple[U64, U64]) -> tuple[U64, U64]:
    """The sum of two (high, low) pairs, modulo 2**128 (the low words' carry added)."""
    low = a[1] + b[1]
    carry = (low < a[1]).astype(np.uint64)
    return a[0] + b[0] + carry, low


def _jump(steps: int) -> tuple[int, int]:
    """(A, C) with ``steps`` LCG steps equal to ``state * A + inc * C`` (mod 2**128)."""
    # Brown's jump ahead (pcg_advance_lcg_128): square the one-step map per bit of ``steps``;
    # the increment enters linearly, so C is computed for an increment of 1.
    multiplier, offset = 1, 0
    base_mult, base_add = _PCG_MULTIPLIER, 1
    while steps:
        if steps & 1:
            multiplier = (multiplier * base_mult) & _MASK128
            offset = (offset * base_mult + base_add) & _MASK128
        base_add = (base_add * (base_mult + 1)) & _MASK128
        base_mult = (base_mult * base_mult) & _MASK128
        steps >>= 1
    return multiplier, offset


# -- 4. and 5. PCG64: seeding, stepping, output ------------------------------------------------


def _seeded(words: list[U64]) -> tuple[U64, U64, U64, U64]:
    """PCG64's (state high, state low, increment high, increment low) from generate_state's
    four words (``pcg64_set_seed``: the first two are the initial state, the last two the
    stream; ``srandom``: increment = stream * 2 + 1, one step from 0, add the initial state,
    one more step)."""
    one = np.uint64(1)
    inc = ((words[2] << one) | (words[3] >> np.uint64(63)), (words[3] << one) | one)
    state = _plus(inc, (words[0], words[1]))  # the first step from 0 leaves the increment
    state = _plus(_times(*state, _PCG_MULTIPLIER), inc)
    return state[0], state[1], inc[0], inc[1]


def _constant(word: int) -> U32:
    """A word every row shares, as one element: numpy broadcasts it, so hashing and mixing
    words that are the same for every row (the seed's, the key's) costs nothing per row."""
    return np.array([word], dtype=np.uint32)


def _vector_seeded(seed: int, index: U64, key: int) -> tuple[U64, U64, U64, U64]:
    """The seeded PCG64s of SeedSequence([seed, index[r], key]) for every row r."""
    wide = index > np.uint64(_MASK32)  # rows whose index is two entropy words, not one
    if not wide.any():
        return _seeded_group(seed, index, key)
    parts = (np.empty_like(index), np.empty_like(index), np.empty_like(index), np.empty_like(index))
    for rows in (~wide, wide):
        for part, value in zip(parts, _seeded_group(seed, index[rows], key), strict=True):
            part[rows] = value
    return parts


def _seeded_group(seed: int, index: U64, key: int) -> tuple[U64, U64, U64, U64]:
    """``_vector_seeded`` for rows whose indices all have the same number of words."""
    words = [(index & np.uint64(_MASK32)).astype(np.uint32)]
    if index.size and index[0] > _MASK32:
        words.append((index >> np.uint64(32)).astype(np.uint32))
    entropy = [_constant(w) for w in _words(seed)] + words + [_constant(w) for w in _words(key)]
    high, low, inc_high, inc_low = _seeded(_generate_state(_pool(entropy)))
    # Every pool word has met the index by now, so every part has one element per row.
    return high, low, inc_high, inc_low


class Streams:
    """The PCG64 generators of one named stream for a chunk of cases, one row per case.

    Like numpy's ``Generator``, each draw moves the states on: ``random(3)`` then ``random(2)``
    gives what ``random(5)`` gives.
    """

    __slots__ = ("_high", "_inc_high", "_inc_low", "_low")

    def __init__(self, high: U64, low: U64, inc_high: U64, inc_low: U64) -> None:
        self._high, self._low, self._inc_high, self._inc_low = high, low, inc_high, inc_low

    @classmethod
    def open(cls, seed: int, index: npt.ArrayLike, name: str) -> Streams:
        """Stream ``name`` of cases ``index`` (non-negative whole numbers) under ``seed``,
        before its first draw: row r is ``sampling.stream(seed, index[r], name)``."""
        seed = _whole("seed", seed)
        rows, huge = _rows(index)
        high, low, inc_high, inc_low = _vector_seeded(seed, rows, _name_key(name))
        for position, value in huge.items():
            # Past uint64 (never a cohort's): numpy seeds it; only its state is read back.
            state = stream(seed, value, name).bit_generator.state["state"]
            high[position], low[position] = divmod(state["state"], 1 << 64)
            inc_high[position], inc_low[position] = divmod(state["inc"], 1 << 64)
        return cls(high, low, inc_high, inc_low)

    def __len__(self) -> int:
        return int(self._high.size)

    def raw(self, count: int) -> U64:
        """The next ``count`` 64-bit outputs of every row, ``(len(self), count)``: what
        ``PCG64.random_raw(count)`` gives. Column-major: one draw of every case is contiguous.
        Each step is ``_times`` and ``_plus`` into buffers made once, bit for bit."""
        count = _whole("count", count)
        n = len(self)
        out = np.empty((count, n), dtype=np.uint64)
        high, low = self._high.copy(), self._low.copy()
        inc_high, inc_low = self._inc_high, self._inc_low
        a_lo, a_hi, lo_lo, lo_hi, hi_lo, middle, product, spare = (
            np.empty(n, dtype=np.uint64) for _ in range(8)
        )
        carry = np.empty(n, dtype=bool)
        for draw in range(count):
            # (high, low) * multiplier: the high word from 32-bit halves, as ``_mulhi``
            np.bitwise_and(low, _U32_MASK, out=a_lo)
            np.right_shift(low, _U32, out=a_hi)
            np.multiply(a_lo, _MULT_LO_LO, out=lo_lo)
            np.multiply(a_lo, _MULT_LO_HI, out=lo_hi)
            np.multiply(a_hi, _MULT_LO_LO, out=hi_lo)
            np.right_shift(lo_lo, _U32, out=middle)
            middle += np.bitwise_and(lo_hi, _U32_MASK, out=spare)
            middle += np.bitwise_and(hi_lo, _U32_MASK, out=spare)
            middle >>= _U32
            np.multiply(a_hi, _MULT_LO_HI, out=product)
            product += np.right_shift(lo_hi, _U32, out=lo_hi)
            product += np.right_shift(hi_lo, _U32, out=hi_lo)
            product += middle
            product += np.multiply(low, _MULT_HI, out=spare)
            product += np.multiply(high, _MULT_LO, out=spare)
            # + increment, the low words' carry into the high word
            np.add(np.multiply(low, _MULT_LO, out=low), inc_low, out=low)
            np.less(low, inc_low, out=carry)
            product += inc_high
            np.add(product, carry, out=product, casting="unsafe")
            high, product = product, high
            # XSL-RR: the two halves xored, rotated right by the state's top six bits.
            np.bitwise_xor(high, low, out=spare)
            np.right_shift(high, _TURN, out=a_hi)
            np.right_shift(spare, a_hi, out=out[draw])
            np.bitwise_and(np.subtract(_U64_BITS, a_hi, out=a_hi), _SIX_BITS, out=a_hi)
            out[draw] |= np.left_shift(spare, a_hi, out=spare)
        self._high, self._low = high, low
        return out.T

    def random(self, count: int) -> npt.NDArray[np.float64]:
        """The next ``count`` doubles in [0, 1) of every row, ``(len(self), count)``: what
        ``Generator.random(count)`` gives (the top 53 bits of each output)."""
        doubles = (self.raw(count) >> np.uint64(11)).astype(np.float64)
        doubles *= _DOUBLE_UNIT
        return doubles

    def advance(self, steps: int) -> None:
        """Skip ``steps`` draws of every row at the cost of one (``PCG64.advance``)."""
        steps = _whole("steps", steps)
        multiplier, offset = _jump(steps)
        increment = (self._inc_high, self._inc_low)
        self._high, self._low = _plus(
            _times(self._high, self._low, multiplier), _times(*increment, offset)
        )

    def select(self, rows: npt.ArrayLike) -> Streams:
        """A copy holding only ``rows`` (a boolean mask or positions), at their current draw."""
        chosen = np.asarray(rows)
        return Streams(
            self._high[chosen], self._low[chosen], self._inc_high[chosen], self._inc_low[chosen]
        )

    def take(self, rows: npt.ArrayLike, count: int) -> npt.NDArray[np.float64]:
        """The next ``count`` doubles of the rows at ``rows`` (positions) only, ``(len(rows),
        count)``: those rows move on, the others stay where they are."""
        chosen = np.asarray(rows)
        part = self.select(chosen)
        doubles = part.random(count)
        self._high[chosen], self._low[chosen] = part._high, part._low
        return doubles

    def state(self, row: int) -> dict[str, int]:
        """Row ``row``'s generator as ``PCG64.state["state"]`` gives it."""
        high, low = int(self._high[row]), int(self._low[row])
        inc_high, inc_low = int(self._inc_high[row]), int(self._inc_low[row])
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
