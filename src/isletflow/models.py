"""The people and things of a case: donor, recipient, islet preparation and approach.

Plain, frozen, validated data. Units are in the names (``weight_kg``, ``purity_percent``).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AllowInfNan,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    Strict,
    ValidationError,
)
from pydantic_core import PydanticCustomError, core_schema

from .errors import InvalidInput, did_you_mean

__all__ = [
    "PRESERVATION_SOLUTIONS",
    "TERMS",
    "Anesthesia",
    "Approach",
    "ApproachSpec",
    "Donor",
    "Imaging",
    "Number",
    "Preparation",
    "Recipient",
    "Term",
    "TermField",
    "UtcDatetime",
    "WholeNumber",
    "YesNo",
    "validated",
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
    platelets_per_ul: Annotated[Number, Field(gt=0, le=2_000_000)] | None = Field(
        None,
        description="Platelet count before the procedure; under 150,000 per µL the odds of "
        "bleeding were 4.4 times higher [S47]. Unknown: taken as not low",
    )
    aspirin: YesNo = Field(
        False, description="Taking aspirin before the procedure; bleeding odds 2.6 times [S47]"
    )
    infusion_number: WholeNumber = Field(
        1, ge=1, le=3, description="Which of the recipient's infusions this case is [S1, S6]"
    )


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


# -- Closed clinical terms --------------------------------------------------------------------

PRESERVATION_SOLUTIONS = ("UW", "HTK", "UW+PFC", "HTK+PFC")
"""Solutions the CIT consortium accepts: UW, HTK, or either layered with perfluorocarbon [S5a]."""

TermField = Literal["preservation_solution", "induction_agent", "trough_drug"]

TERMS: dict[TermField, tuple[str, ...]] = {
    # The sources name only the accepted solutions [S5a]; a protocol's accepted ones join them.
    "preservation_solution": PRESERVATION_SOLUTIONS,
    # Rabbit ATG at a first transplant, basiliximab for later ones (CIT-07) [S6, S41];
    # daclizumab (Edmonton) [S10].
    "induction_agent": ("rabbit ATG", "basiliximab", "daclizumab"),
    # Trough levels measured: tacrolimus and sirolimus [S10, S41].
    "trough_drug": ("tacrolimus", "sirolimus"),
}
"""The terms the sources name for each closed text field of a scenario. They are not every term
there is, so a scenario may add its own (``Scenario.extra_terms``): the set is closed against
typing mistakes (``UWW``), not against the clinic."""

added_terms: ContextVar[Mapping[str, tuple[str, ...]]] = ContextVar(
    "isletflow_added_terms", default=MappingProxyType({})
)
"""The terms the scenario being validated adds (its ``extra_terms``, its protocol's accepted
solutions), for ``Term`` to see; ``Scenario`` sets it around its own validation."""


class Term:
    """The rule of a closed text field: one of ``TERMS[field]``, or a term the scenario adds."""

    __slots__ = ("field",)

    def __init__(self, field: TermField) -> None:
        self.field = field

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_wrap_validator_function(self._validate, handler(source))

    def _validate(self, raw: Any, handler: Any) -> Any:
        value = handler(raw)
        known = tuple(dict.fromkeys((*TERMS[self.field], *added_terms.get().get(self.field, ()))))
        given = getattr(value, "options", [value])  # a choice's options, or the value itself
        unknown = [term for term in given if term not in known]
        if unknown:
            raise ValueError(
                f"{unknown[0]!r} is not a term the sources name; must be one of "
                f"{', '.join(known)}{did_you_mean(unknown[0], known)}, or add it to "
                f"extra_terms.{self.field}"
            )
        return value


_M = TypeVar("_M", bound=BaseModel)


def validated(model: type[_M], value: Any, what: str, *, prefix: str = "") -> _M:
    """``value`` as a ``model`` (an instance passes as it is), or ``InvalidInput`` naming
    ``what`` and listing every problem, each location under ``prefix``.

    The one way plain data becomes a validated model at a boundary: the case's donor, recipient
    and protocol, and every settings file (protocol, rubric, model parameters).
    """
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(dict(value) if isinstance(value, Mapping) else value)
    except ValidationError as error:
        raise InvalidInput.from_pydantic(what, error, prefix=prefix) from None
