"""The data each action takes, and what an accepted action writes into the case record.

Every action's data is a small frozen pydantic model: ``Case.act`` validates the keyword
arguments against it, so a wrong type or an out-of-range value is an error that names the field,
and never reaches a guard. Optional fields the workflow *needs* (``digest_ieq`` …) are left to
guards, which refuse with ``missing_data`` and say what to record: a refusal a trainee can learn
from, not an exception.

What an accepted action writes into the record is its data's ``apply``. The workflow table
(``workflow.STEPS`` and ``workflow.RECORDINGS``) names each action's data model in its row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator

from .models import Anesthesia, Imaging, Preparation, Recipient
from .record import (
    CaseRecord,
    Complication,
    Induction,
    Note,
    PressureReading,
    Treatment,
    Trough,
)

__all__ = ["ActionData", "NoData"]


class ActionData(BaseModel):
    """The data of one action; ``apply`` writes an accepted action into the record."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)  # as in models

    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        """Write what this action recorded (nothing by default: the event says it happened)."""


class NoData(ActionData):
    pass


class StartIsolation(NoData):
    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        record.isolation_started_at = at


class FinishDigestion(ActionData):
    digest_ieq: float | None = Field(None, ge=0, description="Islet equivalents in the digest")

    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        if self.digest_ieq is not None:
            record.digest_ieq = self.digest_ieq
        record.digestion_finished_at = at


class SubmitForRelease(ActionData):
    """The end of isolation: the purified yield, if not recorded before."""

    purified_ieq: float | None = Field(None, ge=0, description="Islet equivalents after gradient")

    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        if self.purified_ieq is not None:
            record.purified_ieq = self.purified_ieq
        if record.isolation_ended_at is None:
            record.isolation_ended_at = at


class StartCulture(SubmitForRelease):
    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        super().apply(record, at, state, recipient)
        record.culture_started_at = at


class RecordReleaseTests(ActionData, Preparation):
    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        # The record holds the preparation itself, as a snapshot reads it back.
        fields = self.__dict__
        record.preparation = Preparation.model_construct(self.model_fields_set, **fields)


class Release(NoData):
    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        record.released_at = at


class Reject(ActionData):
    reason: str | None = Field(None, max_length=200)


class Abort(ActionData):
    reason: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="A code for why the case stops, e.g. recipient_unstable",
    )


class AccessPortalVein(ActionData):
    anesthesia: Anesthesia | None = None
    imaging: frozenset[Imaging] = frozenset()

    @field_serializer("imaging", when_used="json")
    def _sorted(self, imaging: frozenset[Imaging]) -> list[str]:
        # A set's order follows string hashes, which differ between processes: sort it so the
        # same case writes a byte-identical timeline on any machine (and replays to itself).
        return sorted(i.value for i in imaging)

    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        record.anesthesia = self.anesthesia
        record.imaging = tuple(sorted(self.imaging))


class GiveInduction(ActionData):
    agent: str = Field(min_length=1, max_length=80, description="e.g. rabbit ATG, basiliximab")

    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        record.inductions = (*record.inductions, Induction(at, self.agent))


class AddHeparin(ActionData):
    units_per_kg: float = Field(gt=0, le=1000)

    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        record.heparin_units_per_kg = self.units_per_kg


class RecordPortalPressure(ActionData):
    mmhg: float = Field(ge=0, le=100)

    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        reading = PressureReading(at, self.mmhg, state)
        record.portal_pressures = (*record.portal_pressures, reading)


class StartInfusion(NoData):
    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        record.infusion_started_at = at


class CompleteInfusion(ActionData):
    fraction_delivered: float | None = Field(
        None, gt=0, le=1, description="Share of the product infused; 1 unless stopped early"
    )

    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        fraction = self.fraction_delivered if self.fraction_delivered is not None else 1.0
        record.infusion_completed_at = at
        record.fraction_delivered = fraction
        if record.preparation is not None:
            record.dose_delivered_ieq_per_kg = (
                record.preparation.dose_ieq_per_kg(recipient) * fraction
            )


class SealAccess(ActionData):
    track_sealant: Literal["gelfoam", "coils", "glue", "collagen_paste"] | None = Field(
        None, description="How the transhepatic track was sealed [S17, S18, S39b]"
    )

    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        record.track_sealant = self.track_sealant
        record.access_closed_at = at


class RecordTrough(ActionData):
    drug: str = Field(min_length=1, max_length=40, description="e.g. tacrolimus, sirolimus")
    ng_per_ml: float = Field(ge=0, le=200)

    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        record.troughs = (*record.troughs, Trough(at, self.drug, self.ng_per_ml))


class AssessGraft(ActionData):
    """The graft assessment: the measured values, and the Igls grade computed from them [S21]
    (the simulator and the training lab compute both: ``isletflow.assessment``)."""

    igls_grade: Literal["optimal", "good", "marginal", "failure"] | None = Field(
        None, description="Igls graft function, computed from the values below [S21]"
    )
    insulin_independent: bool | None = None
    c_peptide_stimulated_ng_per_ml: float | None = Field(None, ge=0, le=20)
    insulin_units_per_kg_per_day: float | None = Field(None, ge=0, le=10)
    hba1c_percent: float | None = Field(None, gt=0, le=25)
    severe_hypoglycaemia_events: int | None = Field(None, ge=0, le=1000)

    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        record.igls_grade = self.igls_grade


class RecordComplication(ActionData):
    kind: Literal["bleeding", "portal_vein_thrombosis", "other"]
    detail: str | None = Field(None, max_length=500)
    extent: Literal["main_branch", "peripheral"] | None = Field(
        None,
        description="A portal-vein thrombosis's extent: main_branch (the main portal vein or "
        "its first-order branches) bars a further infusion; peripheral (2nd/3rd-order) does "
        "not [S2]",
    )

    @model_validator(mode="after")
    def _extent_of_a_thrombosis(self) -> RecordComplication:
        if self.extent is not None and self.kind != "portal_vein_thrombosis":
            raise ValueError("extent is given only for a portal_vein_thrombosis")
        return self

    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        complication = Complication(at, self.kind, self.detail, self.extent)
        record.complications = (*record.complications, complication)


class TreatComplication(ActionData):
    """A step of a complication's management, recorded when it starts."""

    treatment: Literal["observation", "transfusion", "embolisation", "surgery", "anticoagulation"]

    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        record.treatments = (*record.treatments, Treatment(at, self.treatment))


class NoteText(ActionData):
    text: str = Field(min_length=1, max_length=2000)

    def apply(self, record: CaseRecord, at: datetime, state: str, recipient: Recipient) -> None:
        record.notes_taken += 1
        record.last_note = Note(at, self.text)
