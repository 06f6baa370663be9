"""A recipient's graft function at one moment, from the infusions so far (``model.graft``).

``Engrafted`` is what one infusion left in the liver (when, how much viable mass, whether a
thrombosis followed); ``assess`` sums what survives of each at a moment and turns it into the
values a clinic measures and the Igls grade computed from them [S21]. The procedure case's graft
assessment, the course's yearly follow-up and its re-infusion decision all call it: one path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from .elementwise import rounded
from .model import graft
from .model.graft_parameters import GraftParameters
from .model.parameters import ModelParameters
from .protocol import Protocol
from .recipient import RecipientProfile
from .record import CaseRecord

__all__ = [
    "MEASURES",
    "Assessment",
    "Engrafted",
    "GraftTraits",
    "Measured",
    "assess",
    "engrafted",
    "measures",
]

_YEAR = timedelta(days=365.25)


class GraftTraits(BaseModel):
    """What the recipient brings to the graft, drawn once from its own streams: the engrafted
    mass it needs to be insulin-independent, and the rate at which it loses graft."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    need_ieq_per_kg: float = Field(gt=0)
    attrition_per_year: float = Field(ge=0)


@dataclass(frozen=True, slots=True)
class Engrafted:
    """What one infusion left: when it ended, its dose, its viability, a thrombosis after it."""

    at: datetime
    delivered_ieq_per_kg: float
    viability_percent: float
    thrombosis: bool

    def mass_ieq_per_kg(self, p: GraftParameters) -> float:
        """The viable mass it engrafted, under the graft coefficients ``p``."""
        return float(
            graft.engrafted_ieq_per_kg(
                self.delivered_ieq_per_kg, self.viability_percent, self.thrombosis, p
            )
        )


def engrafted(record: CaseRecord) -> Engrafted | None:
    """What the procedure of ``record`` engrafted, or None if nothing was infused."""
    at, dose, prep = (
        record.infusion_completed_at,
        record.dose_delivered_ieq_per_kg,
        record.preparation,
    )
    if at is None or dose is None or prep is None:
        return None
    clotted = any(c.kind == "portal_vein_thrombosis" for c in record.complications)
    return Engrafted(at, dose, prep.viability_percent, clotted)


class Measured(BaseModel):
    """What an assessment measures and grades: the fields an ``Assessment``, the course's
    ``Assessed`` event and a course record's ``AssessmentRecord`` share, declared once."""

    insulin_independent: bool
    c_peptide_stimulated_ng_per_ml: float = Field(ge=0)
    insulin_units_per_kg_per_day: float = Field(ge=0)
    hba1c_percent: float = Field(gt=0)
    severe_hypoglycaemia_events: int = Field(ge=0)
    igls: Literal["optimal", "good", "marginal", "failure"]


MEASURES = tuple(Measured.model_fields)
"""The names of the ``Measured`` fields, in order."""


def measures(source: Any) -> dict[str, Any]:
    """The ``MEASURES`` of ``source`` (an assessment, an event or a record), by name."""
    return {name: getattr(source, name) for name in MEASURES}


class Assessment(Measured):
    """The graft's function at ``at``: what a clinic measures, and the Igls grade."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    at: datetime

    def data(self) -> dict[str, Any]:
        """The measured values and grade, as an action's data and a record's fields."""
        return {
            "igls_grade": self.igls,
            "insulin_independent": self.insulin_independent,
            "c_peptide_stimulated_ng_per_ml": self.c_peptide_stimulated_ng_per_ml,
            "insulin_units_per_kg_per_day": self.insulin_units_per_kg_per_day,
            "hba1c_percent": self.hba1c_percent,
            "severe_hypoglycaemia_events": self.severe_hypoglycaemia_events,
        }


def assess(
    at: datetime,
    infusions: tuple[Engrafted, ...],
    profile: RecipientProfile,
    traits: GraftTraits,
    protocol: Protocol,
    model: ModelParameters,
) -> Assessment:
    """The graft function at ``at`` of everything engrafted before it, under ``model``'s graft
    coefficients (values rounded as a clinic reports them: C-peptide to 0.01 ng/mL, HbA1c to
    0.1 %, insulin to 0.01 U/kg)."""
    p = model.graft
    mass = sum(
        float(
            graft.surviving_ieq_per_kg(
                i.mass_ieq_per_kg(p), (at - i.at) / _YEAR, traits.attrition_per_year
            )
        )
        for i in infusions
    )
    seen = measured(
        mass / traits.need_ieq_per_kg,
        profile.insulin_units_per_kg_per_day,
        profile.hba1c_percent,
        profile.severe_hypoglycaemia_events,
        protocol.graft_failure_c_peptide_ng_per_ml,
        p,
    )
    return Assessment(at=at, **seen)


def measured(
    ratio: Any,
    baseline_insulin: Any,
    baseline_hba1c: Any,
    baseline_events: Any,
    failure_c_peptide: float,
    p: GraftParameters,
) -> dict[str, Any]:
    """What a clinic measures and grades of a graft at ``ratio`` (surviving / needed mass) in a
    recipient with these baseline values: floats for one recipient, arrays for a chunk (the
    vectorised cohort calls this too). Values are rounded as a clinic reports them."""
    c_peptide = _reported(graft.c_peptide_ng_per_ml(ratio, p), 2)
    insulin = _reported(graft.insulin_units_per_kg(ratio, baseline_insulin, p), 2)
    hba1c = _reported(graft.hba1c_percent(ratio, baseline_hba1c, p), 1)
    events = graft.severe_hypoglycaemia_events(ratio, baseline_events, p)
    events = events.astype(np.int64) if _many(events) else int(events)
    grade = graft.igls_grade(
        hba1c_percent=hba1c,
        severe_events=events,
        insulin_units_per_kg=insulin,
        baseline_insulin_units_per_kg=baseline_insulin,
        c_peptide_ng_per_ml=c_peptide,
        failure_c_peptide_ng_per_ml=failure_c_peptide,
        p=p,
    )
    independent = graft.insulin_independent(ratio)
    return {
        "insulin_independent": independent.astype(bool)
        if _many(independent)
        else bool(independent),
        "c_peptide_stimulated_ng_per_ml": c_peptide,
        "insulin_units_per_kg_per_day": insulin,
        "hba1c_percent": hba1c,
        "severe_hypoglycaemia_events": events,
        "igls": np.asarray(grade, dtype=object) if _many(grade) else str(grade),
    }


def _many(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.ndim > 0


def _reported(value: Any, digits: int) -> Any:
    """Python's ``round`` of a value, or of each value of an array (``elementwise.rounded``)."""
    return rounded(value, digits) if _many(value) else round(float(value), digits)
