"""Guards: named checks that say whether a step may happen, and why not.

A guard is made with two parts (``@guard(holds=…)``, in ``base``):

- ``holds``: the cheap verdict, a rule from ``rules`` over the case's plain values. An accepted
  step asks only this, so a passing guard builds no sentence nobody reads.
- the explaining body: one or more ``GuardResult``\\ s, each with a stable ``code``, a sentence a
  trainee can read and the values it compared. It is asked when ``holds`` fails, and when every
  verdict is wanted (``Case.check``, ``Case.allowed``). It decides ``passed`` with the same rule.

The guards live by phase (``harvest``, ``purify``, ``infuse``, ``immunosuppress``). The workflow
table names them by name (``GUARDS``); nothing is ever evaluated from a string.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import harvest, immunosuppress, infuse, purify
from .base import Facts, Guard, GuardResult

__all__ = ["GUARDS", "Facts", "Guard", "GuardResult"]

GUARDS: Mapping[str, Guard] = {
    entry.name: entry
    for module in (harvest, purify, infuse, immunosuppress)
    for entry in vars(module).values()
    if isinstance(entry, Guard)
}
"""Every guard, by name."""
