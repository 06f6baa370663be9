"""Which scenarios the vector path covers, and a chunk of recipients through it.

``covers(scenario)`` says why a scenario is not covered (None when it is): the vector path
knows the scenario format field by field, so a section or field added later (a new timing, a
per-scenario model section) that a scenario sets runs on the per-case engine until the vector
path learns it (left at its default, it changes nothing the vector path would have to know).
``simulate_chunk`` runs recipients ``begin`` … ``end - 1``: their tally, course records and
outcomes (each when asked),
and the recipients it leaves to the per-case engine (a rare branch it does not walk, or times
near the calendar's end, where the engine's own error must be the answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from pydantic import BaseModel

from ..cohort_summary import Tally
from ..outcomes import values
from ..scenario import Scenario
from .course import run_courses
from .outcomes import outcome_columns
from .plans import Sections
from .records import records, tally

__all__ = ["covers", "simulate_chunk"]

_KNOWN: dict[str, str] = {
    "": "schema_version name description seed approach donor recipient preparation timings "
    "portal_pressure complications treatment course protocol extra_terms model uncertain",
    "donor": "age_years donation preservation_solution cross_clamp_at bmi_kg_per_m2 "
    "diabetes_history sepsis malignancy transmissible_infection",
    "recipient": "id weight_kg platelets_per_ul aspirin",
    "preparation": "digest_ieq purification_loss_percent culture_loss_percent tissue_volume_ml "
    "purity_percent viability_percent endotoxin_eu_per_kg gram_stain_positive stimulation_index "
    "label_matches_recipient",
    "timings": "cold_ischemia digestion purification culture release_testing release_to_infusion "
    "induction_before_infusion access_to_infusion infusion hemostasis trough follow_up assessment",
    "portal_pressure": "baseline_mmhg rise_mmhg_per_ml liver_volume_ratio noise_sd_mmhg "
    "fall_half_life check_every max_pause",
    "complications": "bleeding portal_vein_thrombosis",
    "treatment": "induction_agent trough_drug trough_ng_per_ml track_sealant",
    "course": "profile donor_wait max_donors later_induction_agent",
    "course.profile": "age_years bmi_kg_per_m2 abo_group hba1c_percent "
    "insulin_units_per_kg_per_day c_peptide_stimulated_ng_per_ml severe_hypoglycaemia_events "
    "clarke_score",
    "protocol": "max_cold_ischemia cold_ischemia_warning donor_min_age_years donor_max_age_years "
    "accepted_preservation_solutions accept_donation_after_cardiac_death max_culture "
    "max_release_to_infusion min_dose_ieq_per_kg min_later_dose_ieq_per_kg max_tissue_volume_ml "
    "min_purity_percent min_viability_percent max_endotoxin_eu_per_kg min_stimulation_index "
    "max_baseline_portal_pressure_mmhg portal_pressure_stop_mmhg portal_pressure_stop_rise_mmhg "
    "heparin_units_per_kg require_track_sealing induction_min_before_infusion "
    "induction_max_before_infusion max_infusions reinfusion_decision_after "
    "graft_failure_c_peptide_ng_per_ml",
}
"""The scenario format the vector path walks, section by section (what ``simulation``,
``patient``, ``course_run`` and ``course`` read of it when this was written)."""


def _section(scenario: Scenario, name: str) -> BaseModel:
    found: Any = scenario
    for part in name.split(".") if name else ():
        found = getattr(found, part)
    model: BaseModel = found
    return model


def covers(scenario: Scenario) -> str | None:
    """Why the vector path does not cover ``scenario`` (None: it does): a field it does not
    read, given a value other than its default."""
    for name, known in _KNOWN.items():
        section = _section(scenario, name)
        fields = type(section).model_fields
        new = [
            field
            for field in sorted(set(fields) - set(known.split()))
            if getattr(section, field) != fields[field].get_default(call_default_factory=True)
        ]
        if new:
            where = f"{name}." if name else ""
            return f"it does not read the scenario's {', '.join(where + f for f in new)}"
    return None


@dataclass(slots=True)
class Chunk:
    """A chunk through the vector path: the tally of the recipients it walked, their records
    (None for the others), and the indices it left to the per-case engine."""

    tally: Tally
    records: list[dict[str, Any] | None] | None
    per_case: list[int]
    outcomes: np.ndarray | None = None


def simulate_chunk(
    sections: Sections,
    seed: int,
    begin: int,
    end: int,
    want_records: bool = False,
    want_outcomes: bool = False,
) -> Chunk:
    """Recipients ``begin`` … ``end - 1`` of ``sections``' scenario under ``seed``; with
    ``want_outcomes``, their outcomes (``outcomes.values``; rows left to the per-case engine
    hold zeros)."""
    index = np.arange(begin, end, dtype=np.int64)
    courses = run_courses(sections, seed, index)
    scenario = sections.scenario
    room = datetime.max.replace(tzinfo=UTC) - scenario.donor.cross_clamp_at
    limit = (room // 2) // timedelta(microseconds=1)
    late = courses.latest > limit
    leave = late
    walked = ~leave
    lines: list[dict[str, Any] | None] | None = None
    if want_records:
        made = records(courses, seed, scenario.recipient.id)
        lines = [r if ok else None for r, ok in zip(made, walked.tolist(), strict=True)]
    per_case = index[leave].tolist()
    found = values(outcome_columns(courses)) if want_outcomes else None
    if found is not None:
        found[leave] = 0.0
    return Chunk(tally(courses, walked), lines, per_case, found)
