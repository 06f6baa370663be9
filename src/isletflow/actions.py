"""The data each action takes, and what an accepted action writes into the case record.

Every action's data is a small frozen pydantic model (``DATA``): ``Case.act`` validates the
keyword arguments against it, so a wrong type or an out-of-range value is an error that names the
field, and never reaches a guard. Optional fields the workflow *needs* (``digest_ieq`` …) are left
to guards, which refuse with ``missing_data`` and say what to record: a refusal a trainee can learn
from, not an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from .models import Anesthesia, Imaging, Preparation, Recipient
from .record import CaseRecord, Complication, Induction, Note, PressureReading, Trough

__all__ = ["DATA", "EFFECTS", "ActionData", "apply"]


class ActionData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NoData(ActionData):
    pass


class FinishDigestion(ActionData):
    digest_ieq: float | None = Field(None, ge=0, description="Islet equivalents in the digest")


class RecordYield(ActionData):
    purified_ieq: float | None = Field(None, ge=0, description="Islet equivalents after gradient")


class Reason(ActionData):
    reason: str | None = Field(None, max_length=200)


class Abort(ActionData):
    reason: str = Field(
        min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$",
        description="A code for why the case stops, e.g. recipient_unstable",
    )  # fmt: skip


class AccessPortalVein(ActionData):
    anesthesia: Anesthesia | None = None
    imaging: frozenset[Imaging] = frozenset()

    @field_serializer("imaging", when_used="json")
    def _sorted(self, imaging: frozenset[Imaging]) -> list[str]:
        # A set's order follows string hashes, which differ between processes: sort it so the
        # same case writes a byte-identical timeline on any machine (and replays to itself).
        return sorted(i.value for i in imaging)


class GiveInduction(ActionData):
    agent: str = Field(min_length=1, max_length=80, description="e.g. rabbit ATG, basiliximab")


class AddHeparin(ActionData):
    units_per_kg: float = Field(gt=0, le=1000)


class RecordPortalPressure(ActionData):
    mmhg: float = Field(ge=0, le=100)


class CompleteInfusion(ActionData):
    fraction_delivered: float | None = Field(
        None, gt=0, le=1, description="Share of the product infused; 1 unless stopped early"
    )


class SealAccess(ActionData):
    track_sealant: Literal["gelfoam", "coils", "glue", "collagen_paste"] | None = Field(
        None, description="How the transhepatic track was sealed [S17, S18, S39b]"
    )


class RecordTrough(ActionData):
    drug: str = Field(min_length=1, max_length=40, description="e.g. tacrolimus, sirolimus")
    ng_per_ml: float = Field(ge=0, le=200)


class AssessGraft(ActionData):
    igls_grade: Literal["optimal", "good", "marginal", "failure"] | None = Field(
        None, description="Igls graft function [S21]"
    )


class RecordComplication(ActionData):
    kind: Literal["bleeding", "portal_vein_thrombosis", "other"]
    detail: str | None = Field(None, max_length=500)


class NoteText(ActionData):
    text: str = Field(min_length=1, max_length=2000)


DATA: dict[str, type[BaseModel]] = {
    "start_isolation": NoData,
    "finish_digestion": FinishDigestion,
    "start_culture": RecordYield,
    "submit_for_release": RecordYield,
    "record_release_tests": Preparation,
    "release": NoData,
    "reject": Reason,
    "access_portal_vein": AccessPortalVein,
    "start_infusion": NoData,
    "pause_infusion": NoData,
    "resume_infusion": NoData,
    "complete_infusion": CompleteInfusion,
    "seal_access": SealAccess,
    "start_follow_up": NoData,
    "assess_graft": AssessGraft,
    "abort": Abort,
    "give_induction": GiveInduction,
    "add_heparin": AddHeparin,
    "record_portal_pressure": RecordPortalPressure,
    "record_trough": RecordTrough,
    "record_complication": RecordComplication,
    "note": NoteText,
}
"""Each action's data model, by action name."""


Effect = Callable[[CaseRecord, Any, datetime, str, Recipient], None]


def _start_isolation(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    r.isolation_started_at = at


def _finish_digestion(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    if d.digest_ieq is not None:
        r.digest_ieq = d.digest_ieq
    r.digestion_finished_at = at


def _end_isolation(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    if d.purified_ieq is not None:
        r.purified_ieq = d.purified_ieq
    if r.isolation_ended_at is None:
        r.isolation_ended_at = at


def _start_culture(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    _end_isolation(r, d, at, state, who)
    r.culture_started_at = at


def _record_release_tests(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    r.preparation = d


def _release(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    r.released_at = at


def _access(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    r.anesthesia = d.anesthesia
    r.imaging = tuple(sorted(d.imaging))


def _induction(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    r.inductions = (*r.inductions, Induction(at, d.agent))


def _heparin(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    r.heparin_units_per_kg = d.units_per_kg


def _pressure(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    r.portal_pressures = (*r.portal_pressures, PressureReading(at, d.mmhg, state))


def _start_infusion(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    r.infusion_started_at = at


def _complete_infusion(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    fraction = d.fraction_delivered if d.fraction_delivered is not None else 1.0
    r.infusion_completed_at = at
    r.fraction_delivered = fraction
    if r.preparation is not None:
        r.dose_delivered_ieq_per_kg = r.preparation.dose_ieq_per_kg(who) * fraction


def _seal(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    r.track_sealant = d.track_sealant


def _trough(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    r.troughs = (*r.troughs, Trough(at, d.drug, d.ng_per_ml))


def _assess(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    r.igls_grade = d.igls_grade


def _complication(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    r.complications = (*r.complications, Complication(at, d.kind, d.detail))


def _note(r: CaseRecord, d: Any, at: datetime, state: str, who: Recipient) -> None:
    r.notes = (*r.notes, Note(at, d.text))


EFFECTS: dict[str, Effect] = {
    "start_isolation": _start_isolation,
    "finish_digestion": _finish_digestion,
    "start_culture": _start_culture,
    "submit_for_release": _end_isolation,
    "record_release_tests": _record_release_tests,
    "release": _release,
    "access_portal_vein": _access,
    "give_induction": _induction,
    "add_heparin": _heparin,
    "record_portal_pressure": _pressure,
    "start_infusion": _start_infusion,
    "complete_infusion": _complete_infusion,
    "seal_access": _seal,
    "record_trough": _trough,
    "assess_graft": _assess,
    "record_complication": _complication,
    "note": _note,
}
"""What each action writes into the record; actions not listed write nothing but their event."""


def apply(
    record: CaseRecord, action: str, data: Any, at: datetime, state: str, recipient: Recipient
) -> None:
    effect = EFFECTS.get(action)
    if effect is not None:
        effect(record, data, at, state, recipient)
