"""Bundled cases a trainee can start from without writing a spec.

For now the standard case of ``examples/standard_case.py`` at each approach; scenarios join
here when the simulator's scenario library is merged.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..models import Approach, Recipient
from .schemas import CaseSpec, SpecDonor

__all__ = ["PRESETS", "Preset"]


class Preset:
    """A named case spec with a title for a menu."""

    __slots__ = ("name", "spec", "title")

    def __init__(self, name: str, title: str, spec: CaseSpec) -> None:
        self.name, self.title, self.spec = name, title, spec


def _standard(approach: Approach) -> Preset:
    spec = CaseSpec(
        donor=SpecDonor(
            age_years=42,
            preservation_solution="UW",
            cross_clamp_at=datetime(2026, 3, 2, 22, 0, tzinfo=UTC),
        ),
        recipient=Recipient(id="R-001", weight_kg=70),
        approach=approach,
    )
    title = f"Standard case, {approach.value} ({approach.spec.cpt_code}): {approach.spec.title}"
    return Preset(f"standard-{approach.value}", title, spec)


PRESETS: dict[str, Preset] = {p.name: p for p in (_standard(a) for a in Approach)}
