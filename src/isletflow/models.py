"""The people and things of a case: donor, recipient, islet preparation and approach.

Plain, frozen, validated data. Units are in the names (``weight_kg``, ``purity_percent``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AllowInfNan,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "Anesthesia",
    "Approach",
    "ApproachSpec",
    "Donor",
    "Imaging",
    "Number",
    "Preparation",
    "Recipient",
    "UtcDatetime",
    "WholeNumber",
    "YesNo",
]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _no_number(value: Any) -> Any:
    # pydantic would read 1700000000 as seconds since 1970: a number is not a date here.
    if isinstance(value, bool | int | float):
        raise PydanticCustomError(
            "datetime_type", "is a number, not a date and time; write e.g. 2026-01-05T08:00:00Z"
        )
    return value


UtcDatetime = Annotated[AwareDatetime, BeforeValidator(_no_number), AfterValidator(_to_utc)]
"""A timezone-aware datetime, kept in UTC (a naive one is refused: whose midnight is it?)."""


# Strict: pydantic's lax mode would read "70" as 70, true as 1 and 1.0 as 1. The messages
# for a file's author ("is text, not a number") are InvalidInput.from_pydantic's.
Number = Annotated[float, Strict(), AllowInfNan(False)]
"""A finite number, strictly: an int or a float; never a flag, text, NaN or an infinity."""

WholeNumber = Annotated[int, Strict()]
"""A whole number, strictly: never a float (``1.0``), a flag or text."""

YesNo = Annotated[bool, Strict()]
"""``true`` or ``false``, strictly: never ``1``, ``"yes"`` or ``"true"``."""


class _Frozen(BaseModel):
    # inf would pass ge=0 but JSON writes it as null: a snapshot or timeline would not round-trip.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Anesthesia(StrEnum):
    LOCAL_SEDATION = "local_sedation"
    GENERAL = "general"


class Imaging(StrEnum):
    ULTRASOUND = "ultrasound"
    FLUOROSCOPY = "fluoroscopy"


@dataclass(frozen=True, slots=True)
class ApproachSpec:
    """What an approach to the portal vein needs, and how it is coded."""

    cpt_code: str
    anesthesia: Anesthesia
    imaging: frozenset[Imaging]
    title: str


class Approach(StrEnum):
    """How the islets reach the portal vein."""

    PERCUTANEOUS = "percutaneous"
    LAPAROSCOPIC = "laparoscopic"
    OPEN = "open"

    @property
    def spec(self) -> ApproachSpec:
        return _APPROACHES[self]


_APPROACHES = {
    # Interventional radiology, ultrasound + fluoroscopy, local anaesthesia + sedation
    # [S25, S26, S42]; CPT 0584T [S22].
    Approach.PERCUTANEOUS: ApproachSpec(
        "0584T",
        Anesthesia.LOCAL_SEDATION,
        frozenset({Imaging.ULTRASOUND, Imaging.FLUOROSCOPY}),
        "percutaneous transhepatic portal-vein infusion",
    ),
    # Under general anaesthesia [S14, S27, S38]; CPT 0585T and 0586T [S22].
    Approach.LAPAROSCOPIC: ApproachSpec(
        "0585T", Anesthesia.GENERAL, frozenset(), "laparoscopic portal-vein infusion"
    ),
    Approach.OPEN: ApproachSpec(
        "0586T", Anesthesia.GENERAL, frozenset(), "open (laparotomy) portal-vein infusion"
    ),
}

PatientId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]


class Donor(_Frozen):
    """The deceased pancreas donor, as the islet lab receives the organ [S5a]."""

    age_years: WholeNumber = Field(ge=0, le=120)
    donation: Literal["brain_death", "cardiac_death"] = "brain_death"
    preservation_solution: str = Field("UW", min_length=1, max_length=40)
    cross_clamp_at: UtcDatetime = Field(description="Start of cold ischaemia (aortic cross-clamp)")
    diabetes_history: YesNo = False
    sepsis: YesNo = False
    malignancy: YesNo = False
    transmissible_infection: YesNo = Field(
        False, description="HIV, hepatitis, syphilis, tuberculosis or prion disease"
    )
    bmi_kg_per_m2: Annotated[Number, Field(gt=0, le=100)] | None = Field(
        None, description="No cut-off [S33-S35]"
    )


class Recipient(_Frozen):
    """The person with type 1 diabetes who receives the islets."""

    id: PatientId
    weight_kg: Number = Field(gt=0, le=300)


class Preparation(_Frozen):
    """The purified islet product as its release tests measured it [S5b, S24]."""

    ieq: float = Field(ge=0, description="Islet equivalents in the product")
    tissue_volume_ml: float = Field(ge=0, le=1000, description="Settled tissue volume")
    purity_percent: float = Field(ge=0, le=100)
    viability_percent: float = Field(ge=0, le=100)
    endotoxin_eu_per_kg: float = Field(ge=0, description="Endotoxin per kg recipient weight")
    gram_stain_positive: bool = False
    stimulation_index: float = Field(ge=0, description="Glucose-stimulated insulin release ratio")
    labelled_recipient_id: PatientId

    def dose_ieq_per_kg(self, recipient: Recipient) -> float:
        return self.ieq / recipient.weight_kg
