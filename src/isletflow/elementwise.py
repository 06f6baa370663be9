"""Arithmetic that gives the same bits for a float and for each element of an array.

A rule that branches takes, for a float, its branch, and for an array, each element its own
(``piecewise``, ``select``, ``clamp``); ``sqrt``, ``log`` and ``exp`` are math's for a float and
numpy's for an array (numpy's give math's bits on this CPU, x86-64-v3: numpy picks SIMD code by
CPU, so ``benchmarks/draws.py`` checks millions and a test fewer, wherever they run; sqrt is
exact by IEEE 754). ``normal_quantile`` ports CPython's ``NormalDist.inv_cdf`` (AS241) operation
for operation, and ``rounded`` is Python's ``round`` for an array. ``isletflow.draws`` draws a
case's fields through these, one uniform at a time or a whole chunk's at once; the patient's
readings and the graft's measurements round and draw through them too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["clamp", "exp", "normal_quantile", "piecewise", "rounded", "sqrt"]

Values = Any
"""A float, or a numpy array of floats: every rule below takes either and gives the same kind."""

Rule = Callable[[Values], Values]


def piecewise(x: Values, first_if: Rule, first: Rule, second: Rule) -> Values:
    """``first(x)`` where ``first_if(x)``, else ``second(x)``; an array's elements each go
    through only their own branch (so a branch never sees a value it is not meant for)."""
    if not isinstance(x, np.ndarray):
        return first(x) if first_if(x) else second(x)
    out = np.empty_like(x)
    chosen = first_if(x)
    for branch, at in ((first, np.flatnonzero(chosen)), (second, np.flatnonzero(~chosen))):
        if at.size:  # positions, not masks: gathering by a mask costs several times more
            out[at] = branch(x[at])
    return out


def select(condition: Values, yes: Values, no: Values) -> Values:
    if isinstance(condition, np.ndarray):
        return np.where(condition, yes, no)
    return yes if condition else no


def clamp(x: Values, low: float, high: float) -> Values:
    """Python's ``min(max(x, low), high)``: ``x`` unless ``low`` is above it or ``high`` below
    (so the sign of a zero, and an int bound, come out as Python's do)."""
    if not isinstance(x, np.ndarray):
        return min(max(x, low), high)
    x = np.where(low > x, low, x)
    return np.where(high < x, high, x)


def sqrt(x: Values) -> Values:
    return np.sqrt(x) if isinstance(x, np.ndarray) else math.sqrt(x)


def log(x: Values) -> Values:
    return np.log(x) if isinstance(x, np.ndarray) else math.log(x)


def exp(x: Values) -> Values:
    return np.exp(x) if isinstance(x, np.ndarray) else math.exp(x)


# -- The inverse normal CDF: CPython's statistics._normal_dist_inv_cdf (AS241), ported ----------

# Wichura's coefficients as CPython writes them, highest power first; each region's numerator
# (8) and denominator (8): the centre |p - 0.5| <= 0.425, the near tail r <= 5, the far tail.
_AS241 = """
    2.50908_09287_30122_6727e+3  3.34305_75583_58812_8105e+4  6.72657_70927_00870_0853e+4
    4.59219_53931_54987_1457e+4  1.37316_93765_50946_1125e+4  1.97159_09503_06551_4427e+3
    1.33141_66789_17843_7745e+2  3.38713_28727_96366_6080e+0
    5.22649_52788_52854_5610e+3  2.87290_85735_72194_2674e+4  3.93078_95800_09271_0610e+4
    2.12137_94301_58659_5867e+4  5.39419_60214_24751_1077e+3  6.87187_00749_20579_0830e+2
    4.23133_30701_60091_1252e+1  1.0

    7.74545_01427_83414_07640e-4  2.27238_44989_26918_45833e-2  2.41780_72517_74506_11770e-1
    1.27045_82524_52368_38258e+0  3.64784_83247_63204_60504e+0  5.76949_72214_60691_40550e+0
    4.63033_78461_56545_29590e+0  1.42343_71107_49683_57734e+0
    1.05075_00716_44416_84324e-9  5.47593_80849_95344_94600e-4  1.51986_66563_61645_71966e-2
    1.48103_97642_74800_74590e-1  6.89767_33498_51000_04550e-1  1.67638_48301_83803_84940e+0
    2.05319_16266_37758_82187e+0  1.0

    2.01033_43992_92288_13265e-7  2.71155_55687_43487_57815e-5  1.24266_09473_88078_43860e-3
    2.65321_89526_57612_30930e-2  2.96560_57182_85048_91230e-1  1.78482_65399_17291_33580e+0
    5.46378_49111_64114_36990e+0  6.65790_46435_01103_77720e+0
    2.04426_31033_89939_78564e-15 1.42151_17583_16445_88870e-7  1.84631_83175_10054_68180e-5
    7.86869_13114_56132_59100e-4  1.48753_61290_85061_48525e-2  1.36929_88092_27358_05310e-1
    5.99832_20655_58879_37690e-1  1.0
"""
_NUMBERS = [float(x) for x in _AS241.split()]
_CENTRE, _CENTRE_DEN, _NEAR, _NEAR_DEN, _FAR, _FAR_DEN = (
    tuple(_NUMBERS[i : i + 8]) for i in range(0, 48, 8)
)


def normal_quantile(p: Values, mu: float, sigma: float) -> Values:
    """The normal's inverse CDF at ``p`` in (0, 1): ``NormalDist(mu, sigma).inv_cdf(p)``, the
    same operations in the same order (Wichura 1988, AS241), for a float or an array."""
    return mu + (piecewise(p, _is_central, _central, _tail) * sigma)


def _horner(r: Values, c: tuple[float, ...]) -> Values:
    """The polynomial ``c`` at ``r``, in AS241's order of operations:
    ``((c0 * r + c1) * r + c2) … * r + c7``."""
    value = r * c[0]
    for coefficient in c[1:-1]:
        value += coefficient  # an array's in place: no new array per operation
        value *= r
    value += c[-1]
    return value


def _is_central(p: Values) -> Values:
    return abs(p - 0.5) <= 0.425


def _central(p: Values) -> Values:
    q = p - 0.5
    r = 0.180625 - q * q
    return _horner(r, _CENTRE) * q / _horner(r, _CENTRE_DEN)


def _tail(p: Values) -> Values:
    q = p - 0.5
    r = sqrt(-log(select(q <= 0.0, p, 1.0 - p)))
    x = piecewise(r, lambda r: r <= 5.0, _near_tail, _far_tail)
    return select(q < 0.0, -x, x)


def _near_tail(r: Values) -> Values:
    r = r - 1.6
    return _horner(r, _NEAR) / _horner(r, _NEAR_DEN)


def _far_tail(r: Values) -> Values:
    r = r - 5.0
    return _horner(r, _FAR) / _horner(r, _FAR_DEN)


# -- Rounding: Python's round, for a float or an array -------------------------------------------


def rounded(x: Values, digits: int | None = None) -> Values:
    """Python's ``round(x, digits)``: correctly rounded from the exact binary value, ties to
    even; with no ``digits``, to a whole number (an int for a float, whole floats in an array)."""
    if not isinstance(x, np.ndarray):
        return round(x) if digits is None else round(x, digits)
    if digits is None:
        return np.rint(x)  # exact: rint rounds the binary value itself, ties to even
    out = np.empty_like(x)
    trusted = np.zeros(x.shape, dtype=bool)
    if -22 <= digits <= 22:  # 10**|digits| is exact as a float
        scale = 10.0 ** abs(digits)
        with np.errstate(all="ignore"):  # a huge x overflows here: it is not trusted below
            t = x * scale if digits >= 0 else x / scale
            whole = np.rint(t)
            (np.divide if digits >= 0 else np.multiply)(whole, scale, out=out)
            # t is x·10^d within half an ulp (at most |t|·2^-53): its rint is the exact one
            # unless t lies that close to a tie; |t - whole| is exact here (Sterbenz).
            # In place, one step at a time: ||t - whole| - 0.5| > |t|·2^-51, and |t| < 2^50.
            tie = np.abs(np.subtract(t, whole, out=whole), out=whole)
            tie = np.abs(np.subtract(tie, 0.5, out=tie), out=tie)
            size = np.abs(t, out=t)
            trusted = size < 2.0**50
            trusted &= tie > np.multiply(size, 2.0**-51, out=size)
    for i in np.flatnonzero(~trusted):
        out[i] = round(float(x[i]), digits)
    return out
