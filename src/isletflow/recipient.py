"""The recipient as a trial enrols them: eligibility data, and the published criteria.

``RecipientProfile`` holds what a centre records before listing: age, weight, BMI, ABO group,
baseline HbA1c, insulin dose, stimulated C-peptide, severe hypoglycaemic events in the last
12 months, and a hypoglycaemia-awareness score (Clarke). ``eligibility`` checks it against
each published criterion and reports every one that fails at once, like the guards of a step.
Being ineligible is a clinical "no", not bad input: it is an answer, never an exception.

Criteria and their sources (the clinical review, §3 gap 7):

- age 18–65 years, stimulated C-peptide < 0.3 ng/mL, ≥ 1 severe hypoglycaemic event in the
  last 12 months, and reduced awareness of hypoglycaemia: CIT inclusion criteria [S53];
- reduced awareness as a Clarke score ≥ 4 [S53, S55] (CIT also accepts a HYPO score ≥ 1047 or
  a lability index ≥ 433 [S53], which the profile does not record);
- BMI over 30 kg/m² and insulin over 1.0 U/kg/day exclude (a UChicago trial listing) [S54].

ABO group is recorded for allocation: an infusion is ABO-compatible [S56]. Not modelled: GFR
limits, PRA above background, EBV serostatus [S53].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from . import rules
from .models import Number, WholeNumber, validated

__all__ = ["CRITERIA", "Criterion", "CriterionResult", "Eligibility", "RecipientProfile"]

AboGroup = Literal["O", "A", "B", "AB"]


class RecipientProfile(BaseModel):
    """A candidate's eligibility data, as recorded before listing."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    age_years: WholeNumber = Field(ge=0, le=120)
    weight_kg: Number = Field(gt=0, le=300)
    bmi_kg_per_m2: Number = Field(gt=0, le=100)
    abo_group: AboGroup
    hba1c_percent: Number = Field(gt=0, le=25, description="Baseline HbA1c")
    insulin_units_per_kg_per_day: Number = Field(ge=0, le=10, description="Baseline insulin")
    c_peptide_stimulated_ng_per_ml: Number = Field(ge=0, le=20)
    severe_hypoglycaemia_events: WholeNumber = Field(
        ge=0, le=1000, description="Severe hypoglycaemic events in the last 12 months"
    )
    clarke_score: WholeNumber = Field(
        ge=0, le=7, description="Hypoglycaemia-awareness score (Clarke; ≥ 4: reduced)"
    )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | RecipientProfile) -> RecipientProfile:
        """A profile from plain data, listing every problem at once."""
        return validated(cls, data, "recipient profile")


@dataclass(frozen=True, slots=True)
class Criterion:
    """One published criterion: the profile's value, the limit, the rule between them."""

    code: str
    field: str
    limit: float
    rule: Callable[[Any, Any], Any]
    says: str
    source: str

    def result(self, profile: RecipientProfile) -> CriterionResult:
        observed = getattr(profile, self.field)
        ok = bool(self.rule(observed, self.limit))
        return CriterionResult(self.code, self.field, ok, observed, self.limit, self.says)


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """How one criterion came out for one profile."""

    code: str
    field: str
    passed: bool
    observed: Any
    limit: float
    says: str

    @property
    def sentence(self) -> str:
        verdict = "meets" if self.passed else "fails"
        return f"{self.field} {self.observed!r} {verdict}: {self.says}."


CRITERIA: tuple[Criterion, ...] = (
    Criterion("too_young", "age_years", 18, rules.at_least, "age at least 18 years", "S53"),
    Criterion("too_old", "age_years", 65, rules.at_most, "age at most 65 years", "S53"),
    Criterion(
        "c_peptide_present",
        "c_peptide_stimulated_ng_per_ml",
        0.3,
        rules.below,
        "stimulated C-peptide below 0.3 ng/mL",
        "S53",
    ),
    Criterion(
        "no_severe_hypoglycaemia",
        "severe_hypoglycaemia_events",
        1,
        rules.at_least,
        "at least one severe hypoglycaemic event in the last 12 months",
        "S53",
    ),
    Criterion(
        "hypoglycaemia_aware",
        "clarke_score",
        4,
        rules.at_least,
        "reduced awareness of hypoglycaemia: Clarke score at least 4",
        "S53, S55",
    ),
    Criterion("bmi_above_limit", "bmi_kg_per_m2", 30, rules.at_most, "BMI at most 30", "S54"),
    Criterion(
        "insulin_above_limit",
        "insulin_units_per_kg_per_day",
        1.0,
        rules.at_most,
        "insulin at most 1.0 U/kg/day",
        "S54",
    ),
)
"""The published inclusion and exclusion criteria the profile can be checked against."""


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Every criterion's result; ``failures`` lists all that fail, at once."""

    results: tuple[CriterionResult, ...]

    @property
    def eligible(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @classmethod
    def of(
        cls,
        profile: RecipientProfile | Mapping[str, Any],
        criteria: tuple[Criterion, ...] = CRITERIA,
    ) -> Eligibility:
        """Check ``profile`` (validated first: malformed data is an ``InvalidInput``)."""
        checked = RecipientProfile.from_mapping(profile)
        return cls(tuple(criterion.result(checked) for criterion in criteria))
