"""What a case has recorded so far: times of its milestones and the data its steps produced.

A ``CaseRecord`` is a fold over the timeline: only accepted steps change it (``actions.apply``),
so replaying the timeline rebuilds it exactly. It is a plain, mutable dataclass on purpose: it is
updated once per step inside simulation loops, where copying a model each time would dominate.
Read it; do not change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .models import Anesthesia, Imaging, Preparation

__all__ = ["CaseRecord", "Complication", "Induction", "Note", "PressureReading", "Trough"]


@dataclass(frozen=True, slots=True)
class Induction:
    at: datetime
    agent: str


@dataclass(frozen=True, slots=True)
class PressureReading:
    at: datetime
    mmhg: float
    state: str


@dataclass(frozen=True, slots=True)
class Trough:
    at: datetime
    drug: str
    ng_per_ml: float


@dataclass(frozen=True, slots=True)
class Complication:
    at: datetime
    kind: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Note:
    at: datetime
    text: str


@dataclass(slots=True)
class CaseRecord:
    """Everything recorded about one case. ``None`` means not recorded yet."""

    # Isolation and purification
    isolation_started_at: datetime | None = None
    digest_ieq: float | None = None
    digestion_finished_at: datetime | None = None
    purified_ieq: float | None = None
    isolation_ended_at: datetime | None = None
    culture_started_at: datetime | None = None
    preparation: Preparation | None = None
    released_at: datetime | None = None
    # Infusion
    anesthesia: Anesthesia | None = None
    imaging: tuple[Imaging, ...] = ()
    inductions: tuple[Induction, ...] = ()
    heparin_units_per_kg: float | None = None
    portal_pressures: tuple[PressureReading, ...] = ()
    infusion_started_at: datetime | None = None
    infusion_completed_at: datetime | None = None
    fraction_delivered: float | None = None
    dose_delivered_ieq_per_kg: float | None = None
    track_sealant: str | None = None
    # Immunosuppression and outcome
    troughs: tuple[Trough, ...] = ()
    complications: tuple[Complication, ...] = ()
    igls_grade: str | None = None
    # Notes: how many, and the last. Every note is in the timeline (``Timeline.notes``); the
    # record keeps none of them, so taking a note costs the same at the ten-thousandth as at the
    # first, and a view or snapshot does not carry a trainee's whole notebook.
    notes_taken: int = 0
    last_note: Note | None = None

    def last_pressure(self) -> PressureReading | None:
        return self.portal_pressures[-1] if self.portal_pressures else None
