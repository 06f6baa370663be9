"""The rubric: what each kind of protocol deviation costs, as data.

The weights are teaching judgements, not clinical numbers: they rank mistakes so that a trainee
who loses the graft scores below one who fumbles the interface. A site sets its own with a TOML,
JSON or YAML file (``Rubric.load``) or in code (``rubric.overridden({...})``).

Why the defaults are what they are:

- ``not_allowed`` and ``missing_data`` refusals cost 1: the engine caught them and said what to do;
  they are how a trainee explores the workflow.
- Refusals that would have harmed the patient or the graft, had the engine not stopped them, cost
  4-5: releasing a product that failed a release test, infusing into a high portal pressure or
  without heparin (thrombosis), induction outside its window (rejection), an ineligible donor or a
  pancreas past its cold ischaemia, leaving a percutaneous track unsealed (bleeding).
- A deadline that fires where the expert path met none costs 55: the trainee waited until the
  islets were lost, which no later care can mend, so a case lost through inaction scores below
  half whatever the expert path did. A deadline the expert path met too is the scenario's
  logistics, not the trainee's doing, and costs nothing (as a warning the expert got).
- Losing a graft the expert path saved costs 30 more.
- Ending the case (``abort``, ``reject``) for a reason the case has not shown (no refusal or
  warning with that code before it) costs 25: an abort without cause. With the 30 of a graft
  the expert saved, an arbitrary abort scores below half, as inaction does.
- An induction agent other than the expert path's costs 5 (``wrong_induction``): the graft goes
  without the induction the protocol gives, as an induction outside its window would.
- Heparin added at or over the dose at which the odds of bleeding were 9.8 times higher [S47]
  (45 U/kg), and more than the expert path adds, costs 5 (``high_heparin``), charged to that
  ``add_heparin``: the engine warns of it but does not stop it, and the risk is the patient's.
  The expert path's dose is the site's protocol (70 U/kg by default [S20], itself over the
  threshold): a dose up to it is the site's choice, not the trainee's, as a deadline the expert
  path met too is the scenario's logistics. The warning it gives at ``start_infusion`` costs
  nothing more: its cause is charged where it was chosen.
- Each hour that the infusion starts later than the expert's, beyond a 2 h grace, costs 1, at most
  20 in all (never more than a missed deadline).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from ..duration import NonNegativeDuration
from ..files import read_mapping
from ..models import Number, validated

__all__ = ["DEVIATION_KINDS", "DeviationKind", "Rubric", "Weights"]

DeviationKind = Literal[
    "refused",
    "out_of_order",
    "warning",
    "deadline_breached",
    "avoidable_abort",
    "abort_without_cause",
    "wrong_induction",
    "high_heparin",
    "late_infusion",
]
# Strict and finite: "2" or true is not a weight, nor is NaN or an infinity.
_Points = Annotated[Number, Field(ge=0)]

DEVIATION_KINDS: tuple[DeviationKind, ...] = get_args(DeviationKind)


class Weights(BaseModel):
    """Points lost per deviation of each kind (``late_infusion``: per hour beyond the grace)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    refused: _Points = Field(2.0, description="A refused action whose code has no weight")
    out_of_order: _Points = Field(2.0, description="An action out of the expert's order")
    warning: _Points = Field(3.0, description="A warning the expert path did not get")
    deadline_breached: _Points = Field(
        55.0, description="A deadline that fired where the expert path met none"
    )
    avoidable_abort: _Points = Field(
        30.0, description="Aborted, expired or discarded where the expert path completed"
    )
    abort_without_cause: _Points = Field(
        25.0, description="An abort or rejection for a reason no refusal or warning showed"
    )
    wrong_induction: _Points = Field(
        5.0, description="An induction agent other than the expert path's"
    )
    high_heparin: _Points = Field(
        5.0,
        description="Heparin at or over the bleeding-risk threshold, more than the expert path's",
    )
    late_infusion: _Points = Field(
        1.0, description="Per hour the infusion starts later than the expert's, past the grace"
    )


_CODE_WEIGHTS: dict[str, float] = {
    "not_allowed": 1.0,
    "missing_data": 1.0,
    "no_yield": 2.0,
    "anesthesia_mismatch": 3.0,
    "imaging_missing": 3.0,
    "induction_timing": 4.0,
    "track_not_sealed": 4.0,
    "heparin_missing": 5.0,
    "portal_pressure_high": 5.0,
    "release_failed": 5.0,
    "culture_window_exceeded": 5.0,
    "cold_ischemia_exceeded": 5.0,
    "donor_ineligible": 5.0,
    "preservation_unaccepted": 5.0,
}


class Rubric(BaseModel):
    """How a session is scored. The score is a pure function of two timelines and this."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    full_marks: Number = Field(100.0, gt=0)
    weights: Weights = Weights()
    code_weights: dict[str, _Points] = Field(
        default_factory=lambda: dict(_CODE_WEIGHTS),
        description="Weight of a refused action or a warning by its guard code",
    )
    late_infusion_grace: NonNegativeDuration = Field(
        timedelta(hours=2), description="How much later than the expert an infusion may start"
    )
    late_infusion_max: _Points = Field(20.0, description="Most points lost to lateness")
    order_ignores: tuple[str, ...] = Field(
        ("note", "record_complication", "record_portal_pressure", "abort", "reject"),
        description="Actions left out of the order comparison: notes and monitoring readings are "
        "never wrong, and an abort or rejection is judged by the outcome",
    )

    def cost(self, kind: DeviationKind, code: str | None = None) -> float:
        """What one deviation of ``kind`` (with guard ``code``) costs."""
        if kind in ("refused", "warning") and code in self.code_weights:
            return self.code_weights[code]
        weight: float = getattr(self.weights, kind)
        return weight

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, what: str = "rubric") -> Rubric:
        return validated(cls, data, what)

    @classmethod
    def load(cls, path: str | Path) -> Rubric:
        """Read overrides of the default rubric from a TOML, JSON or YAML file."""
        path = Path(path)
        return cls().overridden(read_mapping(path), what=f"rubric file {path}")

    def overridden(self, overrides: Mapping[str, Any], *, what: str = "rubric") -> Rubric:
        """A copy with some values changed; ``weights`` and ``code_weights`` merge key by key."""
        data = self.model_dump()
        for key, value in overrides.items():
            if key in ("weights", "code_weights") and isinstance(value, Mapping):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return type(self).from_mapping(data, what=what)
