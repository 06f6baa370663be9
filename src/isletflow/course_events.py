"""The events of a recipient's course, and its snapshot: plain, frozen, JSON-ready data.

``enrolled`` and ``procedure`` are the course's *inputs* (who the recipient is; a procedure
case, with its whole timeline); ``assessed``, ``decided`` and ``ended`` are consequences that a
replay produces again from the graft model and the protocol, and checks.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from .assessment import GraftTraits, Measured
from .model.parameters import DEFAULT, ModelParameters
from .models import Recipient, UtcDatetime
from .protocol import ProtocolData
from .recipient import RecipientProfile

__all__ = [
    "Assessed",
    "CourseEvent",
    "CourseSnapshot",
    "Decided",
    "DecidedBy",
    "Ended",
    "Enrolled",
    "Procedure",
    "Purpose",
]

COURSE_SCHEMA_VERSION: Literal[1] = 1
"""Version of the course timeline and snapshot format (the snapshot's ``schema_version``)."""


DecidedBy = Literal["protocol", "clinician"]
"""Who takes a course's re-infusion decisions: its protocol's rule, or a clinician."""


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    at: UtcDatetime


class Enrolled(_Event):
    """The recipient joins the course: who, with which need, under which protocol, and with the
    scenario's model coefficients (``model``, written only when it is not the default table, so
    a course under the defaults reads as it always did)."""

    kind: Literal["enrolled"] = "enrolled"
    seed: int
    index: int
    recipient: Recipient
    profile: RecipientProfile
    traits: GraftTraits
    protocol: ProtocolData
    max_donors: int = Field(ge=1)
    decided_by: DecidedBy = Field(
        "protocol",
        description="Who takes each re-infusion decision: the protocol's rule, at once; or a "
        "clinician (a trainee), whom the course waits for (Course.decide)",
    )
    model: ModelParameters = DEFAULT

    @model_serializer(mode="wrap")
    def _model_if_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.model == DEFAULT:
            data.pop("model", None)
        return data


class Procedure(_Event):
    """A procedure case from the recipient's ``donor``-th donor (``at``: its cross-clamp)."""

    kind: Literal["procedure"] = "procedure"
    donor: int = Field(ge=1)
    timeline: list[Any]


Purpose = Literal["follow_up", "one_year_after_last", "reinfusion_decision"]


class _Assessing(_Event):
    kind: Literal["assessed"] = "assessed"
    purpose: Purpose
    year: int


class Assessed(Measured, _Assessing):
    """Graft function at a due moment: ``purpose`` says which (and ``year`` which year)."""


class Decided(_Event):
    """Whether a further infusion follows, and why (the protocol's rule, or a clinician's
    decision with the rule beside it)."""

    kind: Literal["decided"] = "decided"
    reinfuse: bool
    reason: str


class Ended(_Event):
    """The course is over: follow-up done, or the recipient was never eligible, or no donor."""

    kind: Literal["ended"] = "ended"
    reason: str


CourseEvent = Annotated[
    Enrolled | Procedure | Assessed | Decided | Ended, Field(discriminator="kind")
]


class CourseSnapshot(BaseModel):
    """Everything needed to go on with a course where it was; never trusted (``restore``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    schema_version: Literal[1] = COURSE_SCHEMA_VERSION
    now: UtcDatetime
    stage: str
    infusions: int
    cumulative_ieq_per_kg: float
    deadlines: dict[str, UtcDatetime]
    timeline: list[CourseEvent]
