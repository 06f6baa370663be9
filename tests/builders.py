"""Plain (non-Hypothesis) helpers that build cases and walk them along the standard path.

The standard path follows ``examples/standard_case.py``: every step's data is valid and every
wait stays inside its window, so a test can stop just before the step it is about.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import isletflow as fl
from isletflow.record import CaseRecord

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
"""Cross-clamp of every hand-built case."""

APPROACHES = tuple(a.value for a in fl.Approach)
RECIPIENT_ID = "R-001"
WEIGHT_KG = 70.0

GOOD_PREPARATION: dict[str, Any] = {
    "ieq": 455_000,
    "tissue_volume_ml": 6.0,
    "purity_percent": 65,
    "viability_percent": 92,
    "endotoxin_eu_per_kg": 0.8,
    "gram_stain_positive": False,
    "stimulation_index": 2.4,
    "labelled_recipient_id": RECIPIENT_ID,
}

ACCESS: dict[str, dict[str, Any]] = {
    "percutaneous": {"anesthesia": "local_sedation", "imaging": ["ultrasound", "fluoroscopy"]},
    "laparoscopic": {"anesthesia": "general"},
    "open": {"anesthesia": "general"},
}


def donor(**overrides: Any) -> dict[str, Any]:
    """An eligible donor, cross-clamped at ``T0``."""
    return {"age_years": 42, "cross_clamp_at": T0, "preservation_solution": "UW", **overrides}


def recipient(**overrides: Any) -> dict[str, Any]:
    return {"id": RECIPIENT_ID, "weight_kg": WEIGHT_KG, **overrides}


def new_case(
    approach: str = "percutaneous", protocol: fl.Protocol | None = None, **donor_overrides: Any
) -> fl.Case:
    """A case at ``harvest.procured``, its clock at cross-clamp."""
    return fl.Case.new(donor(**donor_overrides), recipient(), approach, protocol=protocol)


def sealant(approach: str) -> dict[str, Any]:
    return {"track_sealant": "gelfoam"} if approach == "percutaneous" else {}


def standard_steps(approach: str) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(action, after, data) for a whole standard case."""
    return [
        ("start_isolation", "6h", {}),
        ("finish_digestion", "4h", {"digest_ieq": 620_000}),
        ("start_culture", "5h", {"purified_ieq": 480_000}),
        ("submit_for_release", "24h", {}),
        ("record_release_tests", "3h", GOOD_PREPARATION),
        ("release", None, {}),
        ("give_induction", "30min", {"agent": "rabbit ATG"}),
        ("add_heparin", None, {"units_per_kg": 70}),
        ("access_portal_vein", "90min", ACCESS[approach]),
        ("record_portal_pressure", "10min", {"mmhg": 13}),
        ("start_infusion", "20min", {}),
        ("record_portal_pressure", "12min", {"mmhg": 17}),
        ("complete_infusion", "13min", {}),
        ("seal_access", "15min", sealant(approach)),
        ("record_trough", "3d", {"drug": "tacrolimus", "ng_per_ml": 5.2}),
        ("start_follow_up", "4d", {}),
        ("assess_graft", "83d", {"igls_grade": "optimal"}),
    ]


def drive(case: fl.Case, until: str) -> fl.Case:
    """Take standard steps until the case first reaches ``until`` (recordings there not taken)."""
    for action, after, data in standard_steps(case.approach.value):
        if case.state == until:
            return case
        result = case.act(action, after=after, **data)
        assert result.accepted, result.failures
    assert case.state == until, f"the standard path never reaches {until}"
    return case


def case_at(state: str, approach: str = "percutaneous", **donor_overrides: Any) -> fl.Case:
    return drive(new_case(approach, **donor_overrides), state)


@dataclasses.dataclass(frozen=True)
class Seen:
    """What a test compares to show that something changed nothing."""

    state: str
    record: CaseRecord
    deadlines: dict[str, datetime]
    events: int
    now: datetime
    outcome: fl.Outcome | None


def armed(case: fl.Case) -> dict[str, datetime]:
    """The case's armed deadlines as ``{name: due}``."""
    return {deadline.name: deadline.due for deadline in case.deadlines}


def seen(case: fl.Case) -> Seen:
    return Seen(
        case.state,
        dataclasses.replace(case.record),
        armed(case),
        len(case.timeline),
        case.now,
        case.outcome,
    )


def infusion_ready(approach: str, *, induction_before: timedelta = timedelta(hours=2)) -> fl.Case:
    """A case at ``infuse.access`` with induction, heparin and a baseline pressure of 13 mmHg.

    Induction is given ``induction_before`` before the moment the case is returned.
    """
    case = case_at("purify.release_testing", approach)
    case.act("record_release_tests", **GOOD_PREPARATION)
    case.act("give_induction", agent="basiliximab")
    early = max(timedelta(0), induction_before - timedelta(minutes=30))
    case.act("release", after=early)
    case.act("add_heparin", units_per_kg=70)
    case.act("access_portal_vein", **ACCESS[approach])
    case.act("record_portal_pressure", mmhg=13)
    case.advance(induction_before - early)
    assert case.state == "infuse.access"
    return case
