"""Bundled cases a trainee can start from without writing a spec.

For now the standard case of ``examples/standard_case.py`` at each approach; scenarios join
here when the simulator's scenario library is merged. Plain data: the routes validate a preset
with the same ``CaseSpec`` model as a posted spec.
"""

from __future__ import annotations

from typing import Any

from ..models import Approach

__all__ = ["PRESETS", "Preset"]


class Preset:
    """A named case spec (plain data) with a title for a menu."""

    __slots__ = ("name", "spec", "title")

    def __init__(self, name: str, title: str, spec: dict[str, Any]) -> None:
        self.name, self.title, self.spec = name, title, spec


def _standard(approach: Approach) -> Preset:
    spec = {
        "donor": {"age_years": 42, "preservation_solution": "UW",
                  "cross_clamp_at": "2026-03-02T22:00:00Z"},
        "recipient": {"id": "R-001", "weight_kg": 70},
        "approach": approach.value,
    }  # fmt: skip
    title = f"Standard case, {approach.value} ({approach.spec.cpt_code}): {approach.spec.title}"
    return Preset(f"standard-{approach.value}", title, spec)


PRESETS: dict[str, Preset] = {p.name: p for p in (_standard(a) for a in Approach)}
