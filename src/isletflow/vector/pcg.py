"""SeedSequence and PCG64 for one row at a time, compiled: the loops ``vector.streams`` runs.

What numpy's ``bit_generator.pyx``, ``_pcg64.pyx`` and ``pcg64.h`` do for one generator, written
as loops over rows that numba compiles to machine code, so a chunk's streams cost what numpy's
own C costs per row, not a numpy call per operation. Every integer is a uint64; a 32-bit word
is kept below 2**32 by masking after each operation that could carry past it, so the bits are
SeedSequence's uint32 arithmetic. A 128-bit number is a (high, low) pair of uint64s.

- ``seed_rows``: SeedSequence(entropy).generate_state(4, uint64), then PCG64's seeding
  (``pcg64_set_seed``), for every row; entropy is the shared words before the row's index, the
  index's one or two words, and the shared words after it;
- ``raw_rows``: ``count`` steps of chosen rows' LCGs and their XSL-RR outputs
  (``random_raw``); ``random_rows`` the same scaled to [0, 1) (``Generator.random``);
- ``advance_rows``: ``state * A + inc * C`` for a jump (A, C) computed once (``jump``, in
  Python's integers).

Compiled once per machine and kept (numba's cache, beside this file), a first use in a fresh
checkout takes a few seconds. ``vector.streams`` imports this module at the first stream it
opens, not at its own import: numba loads in about half a second, which a command that runs no
cohort should not pay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["advance_rows", "jump", "random_rows", "raw_rows", "seed_rows"]

_M32 = np.uint64(0xFFFF_FFFF)
_S16 = np.uint64(16)
_S32 = np.uint64(32)

# SeedSequence's constants (numpy/random/bit_generator.pyx).
_INIT_A = np.uint64(0x43B0D7E5)
_MULT_A = np.uint64(0x931E8875)
_INIT_B = np.uint64(0x8B51F9DD)
_MULT_B = np.uint64(0x58F38DED)
_MIX_MULT_L = np.uint64(0xCA01F9DD)
_MIX_MULT_R = np.uint64(0x4973F715)

# PCG64's LCG multiplier (PCG_DEFAULT_MULTIPLIER_128 in numpy/random/src/pcg64/pcg64.h).
MULTIPLIER = (2549297995355413924 << 64) | 4865540595714422341
_MASK64 = (1 << 64) - 1
_MASK128 = (1 << 128) - 1
_MULT_HI = np.uint64(MULTIPLIER >> 64)
_MULT_LO = np.uint64(MULTIPLIER & 0xFFFF_FFFF_FFFF_FFFF)

_UNIT = 2.0**-53  # Generator.random: the top 53 bits of an output, scaled to [0, 1)

_F = TypeVar("_F", bound=Callable[..., Any])


def _compiled(function: _F) -> _F:
    """``function`` compiled by numba on its first call, and the machine code kept on disk."""
    compiled: _F = njit(cache=True, nogil=True, error_model="numpy")(function)
    return compiled


@_compiled
def _mulhi(a: Any, b: Any) -> Any:
    """The high 64 bits of the 128-bit product of two uint64s, from 32-bit halves."""
    a_lo, a_hi = a & _M32, a >> _S32
    b_lo, b_hi = b & _M32, b >> _S32
    lo_lo, lo_hi, hi_lo = a_lo * b_lo, a_lo * b_hi, a_hi * b_lo
    middle = (lo_lo >> _S32) + (lo_hi & _M32) + (hi_lo & _M32)
    return a_hi * b_hi + (lo_hi >> _S32) + (hi_lo >> _S32) + (middle >> _S32)


@_compiled
def _times(high: Any, low: Any, c_high: Any, c_low: Any) -> Any:
    """(high, low) times (c_high, c_low), modulo 2**128."""
    return _mulhi(low, c_low) + low * c_high + high * c_low, low * c_low


@_compiled
def _hashmix(value: Any, constant: Any, advanced: Any) -> Any:
    """SeedSequence's hashmix of ``value``: xor the running constant, multiply by the
    constant after it advances (``advanced``), fold the top half into the bottom."""
    hashed = ((value ^ constant) * advanced) & _M32
    return hashed ^ (hashed >> _S16)


@_compiled
def _mix(x: Any, y: Any) -> Any:
    """SeedSequence's ``mix`` of a pool word ``x`` with a hashed word ``y``."""
    result = (x * _MIX_MULT_L - y * _MIX_MULT_R) & _M32
    return result ^ (result >> _S16)


@_compiled
def _carry(total: Any, part: Any) -> Any:
    """1 when the uint64 sum ``total`` of ``part`` and another wrapped past 2**64, else 0."""
    return np.uint64(1) if total < part else np.uint64(0)


@_compiled
def seed_rows(before: Any, index: Any, after: Any, out: Any) -> None:
    """``out[r]`` = (state high, state low, inc high, inc low) of
    ``PCG64(SeedSequence(before + words(index[r]) + after))``: ``before`` and ``after`` are
    uint64 arrays of 32-bit words, ``index`` uint64; ``out`` is ``(len(index), 4)`` uint64."""
    entropy = np.zeros(before.size + 2 + after.size, dtype=np.uint64)
    entropy[: before.size] = before
    pool = np.zeros(4, dtype=np.uint64)
    half = np.zeros(8, dtype=np.uint64)
    for row in range(index.size):
        value = index[row]
        length = before.size
        entropy[length] = value & _M32
        length += 1
        if value >> _S32:
            entropy[length] = value >> _S32
            length += 1
        entropy[length : length + after.size] = after
        length += after.size
        # mix_entropy: hashmix's constant advances with every call, whatever it hashes
        constant = _INIT_A
        for i in range(4):
            advanced = (constant * _MULT_A) & _M32
            word = entropy[i] if i < length else np.uint64(0)
            pool[i] = _hashmix(word, constant, advanced)
            constant = advanced
        for source in range(4):
            for target in range(4):
                if source != target:
                    advanced = (constant * _MULT_A) & _M32
                    hashed = _hashmix(pool[source], constant, advanced)
                    constant = advanced
                    pool[target] = _mix(pool[target], hashed)
        for source in range(4, length):
            for target in range(4):
                advanced = (constant * _MULT_A) & _M32
                hashed = _hashmix(entropy[source], constant, advanced)
                constant = advanced
                pool[target] = _mix(pool[target], hashed)
        # generate_state(4, uint64): eight words hashed from the pool, paired little-endian
        constant = _INIT_B
        for i in range(8):
            advanced = (constant * _MULT_B) & _M32
            half[i] = _hashmix(pool[i % 4], constant, advanced)
            constant = advanced
        w0 = half[0] | (half[1] << _S32)
        w1 = half[2] | (half[3] << _S32)
        w2 = half[4] | (half[5] << _S32)
        w3 = half[6] | (half[7] << _S32)
        # pcg64_set_seed: increment = stream * 2 + 1; a step from 0, add the state, a step
        inc_high = (w2 << np.uint64(1)) | (w3 >> np.uint64(63))
        inc_low = (w3 << np.uint64(1)) | np.uint64(1)
        low = inc_low + w1
        high = inc_high + w0 + _carry(low, w1)
        high, low = _times(high, low, _MULT_HI, _MULT_LO)
        low = low + inc_low
        high = high + inc_high + _carry(low, inc_low)
        out[row, 0] = high
        out[row, 1] = low
        out[row, 2] = inc_high
        out[row, 3] = inc_low


@_compiled
def _output(high: Any, low: Any) -> Any:
    """PCG64's XSL-RR output of a state: its halves xored, rotated right by its top six bits."""
    turn = high >> np.uint64(58)
    mixed = high ^ low
    return (mixed >> turn) | (mixed << ((np.uint64(64) - turn) & np.uint64(63)))


@_compiled
def _step(states: Any, row: Any, out: Any, column: Any, doubles: bool) -> None:
    """Move ``states[row]`` on by ``out.shape[0]`` draws, writing them to ``out[:, column]``:
    raw uint64s, or (``doubles``) their top 53 bits scaled to [0, 1)."""
    high, low = states[row, 0], states[row, 1]
    inc_high, inc_low = states[row, 2], states[row, 3]
    for draw in range(out.shape[0]):
        high, low = _times(high, low, _MULT_HI, _MULT_LO)
        low = low + inc_low
        high = high + inc_high + _carry(low, inc_low)
        raw = _output(high, low)
        if doubles:
            out[draw, column] = np.float64(raw >> np.uint64(11)) * _UNIT
        else:
            out[draw, column] = raw
    states[row, 0] = high
    states[row, 1] = low


@_compiled
def raw_rows(states: Any, rows: Any, out: Any) -> None:
    """The next ``out.shape[0]`` outputs of the generators ``states[rows]`` (``(n, 4)``
    uint64, moved on in place): ``out[j, k]`` is output j of ``rows[k]`` (``random_raw``)."""
    for k in range(rows.size):
        _step(states, rows[k], out, k, False)


@_compiled
def random_rows(states: Any, rows: Any, out: Any) -> None:
    """``raw_rows`` as ``Generator.random`` gives them: doubles in [0, 1), float64 ``out``."""
    for k in range(rows.size):
        _step(states, rows[k], out, k, True)


@_compiled
def advance_rows(states: Any, jump: Any) -> None:
    """Every row's state moved to ``state * A + inc * C`` (mod 2**128), ``jump`` holding
    (A high, A low, C high, C low): ``steps`` draws skipped at once (Brown's jump ahead)."""
    for row in range(states.shape[0]):
        high, low = _times(states[row, 0], states[row, 1], jump[0], jump[1])
        add_high, add_low = _times(states[row, 2], states[row, 3], jump[2], jump[3])
        low = low + add_low
        states[row, 0] = high + add_high + _carry(low, add_low)
        states[row, 1] = low


def jump(steps: int) -> npt.NDArray[np.uint64]:
    """(A high, A low, C high, C low) with ``steps`` LCG steps equal to ``state * A + inc * C``
    (mod 2**128)."""
    # Brown's jump ahead (pcg_advance_lcg_128): square the one-step map per bit of ``steps``;
    # the increment enters linearly, so C is computed for an increment of 1.
    multiplier, offset = 1, 0
    base_mult, base_add = MULTIPLIER, 1
    while steps:
        if steps & 1:
            multiplier = (multiplier * base_mult) & _MASK128
            offset = (offset * base_mult + base_add) & _MASK128
        base_add = (base_add * (base_mult + 1)) & _MASK128
        base_mult = (base_mult * base_mult) & _MASK128
        steps >>= 1
    parts = (multiplier >> 64, multiplier & _MASK64, offset >> 64, offset & _MASK64)
    return np.array(parts, dtype=np.uint64)
