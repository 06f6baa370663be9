"""The comparisons that guards decide by: pure functions of plain values.

A guard's verdict is one of these over the case's numbers, so the per-case engine calls them
with scalars and a vectorised cohort can call the same functions with numpy arrays (each works
elementwise: ``&`` and ``<=`` instead of ``and`` and chained comparisons, no ``if`` on a value).
No rule is written a second time for arrays.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

__all__ = [
    "above",
    "at_least",
    "at_most",
    "below",
    "equal",
    "given",
    "implies",
    "none_of",
    "one_of",
    "within",
]

T = TypeVar("T")


def within(value: Any, low: Any, high: Any) -> Any:
    """``low <= value <= high``."""
    return (low <= value) & (value <= high)


def at_most(value: Any, limit: Any) -> Any:
    """``value <= limit``."""
    return value <= limit


def at_least(value: Any, limit: Any) -> Any:
    """``value >= limit``."""
    return value >= limit


def above(value: Any, limit: Any) -> Any:
    """``value > limit``."""
    return value > limit


def below(value: Any, limit: Any) -> Any:
    """A value that was given (not ``None``) and is strictly below ``limit``."""
    return value is not None and value < limit


def equal(value: Any, expected: Any) -> Any:
    """``value == expected``."""
    return value == expected


def given(value: Any) -> bool:
    """A value was recorded. Arrays are always given: a cohort never leaves a value out."""
    return value is not None


def implies(condition: Any, then: Any) -> Any:
    """``condition → then`` for booleans: only ``True → False`` fails."""
    return condition <= then


def none_of(*flags: Any) -> Any:
    """No flag is set."""
    return sum(flags) == 0


def one_of(value: T, options: Iterable[T]) -> Any:
    """``value`` equals one of ``options``."""
    return sum(value == option for option in options) > 0
