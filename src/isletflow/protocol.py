"""Every threshold and time window of the workflow, with the source each default comes from.

Source tags (``S5a`` …) refer to the project's clinical reference; ``UNCONFIRMED`` marks a value
no readable source confirmed: it is a parameter a site must set, never a clinical rule.
A site changes any of them with a TOML, JSON or YAML file, or in code with ``overridden``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from .duration import NonNegativeDuration, iso_duration
from .files import read_mapping
from .models import PRESERVATION_SOLUTIONS, Number, WholeNumber, YesNo, validated

__all__ = ["PRESERVATION_SOLUTIONS", "Protocol", "ProtocolData"]


def _field(default: Any, text: str, source: str, **rules: Any) -> Any:
    return Field(
        default, description=f"{text} [{source}]", json_schema_extra={"source": source}, **rules
    )


class Protocol(BaseModel):
    """The thresholds and windows a site works to. Defaults follow the clinical reference.

    Every value is strict: a number is never text or a flag (nor NaN), a duration carries its
    unit, a yes/no is ``true`` or ``false``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)  # JSON has no inf

    # Donor and procurement
    max_cold_ischemia: NonNegativeDuration = _field(
        timedelta(hours=12), "Longest cold ischaemia before isolation starts (hard limit)", "S5a"
    )
    cold_ischemia_warning: NonNegativeDuration = _field(
        timedelta(hours=8), "Cold ischaemia above which yield and quality fall (warning)", "S32"
    )
    donor_min_age_years: WholeNumber = _field(
        15, "Youngest donor accepted, in years", "S5a", ge=0, le=120
    )
    donor_max_age_years: WholeNumber = _field(
        65, "Oldest donor accepted, in years", "S5a", ge=0, le=120
    )
    accepted_preservation_solutions: tuple[str, ...] = _field(
        PRESERVATION_SOLUTIONS, "Preservation solutions accepted for the pancreas", "S5a"
    )
    accept_donation_after_cardiac_death: YesNo = _field(
        False, "Whether donation after cardiac death is accepted", "S5a"
    )

    # Isolation, culture, release
    max_culture: NonNegativeDuration = _field(
        timedelta(hours=72),
        "Longest time from the end of isolation to infusion (culture window)",
        "S29, S30, S31",
    )
    max_release_to_infusion: NonNegativeDuration = _field(
        timedelta(hours=6), "Longest time from product release to the start of infusion", "S1"
    )
    min_dose_ieq_per_kg: Number = _field(
        5000.0, "Smallest dose for a first infusion, IEQ per kg recipient", "S1, S5b", gt=0
    )
    min_later_dose_ieq_per_kg: Number = _field(
        4000.0,
        "Smallest dose for a second or third infusion, IEQ per kg recipient: CIT 4,000 [S5b], "
        "the Lantidra label 4,500 [S1]; CIT's by default, the trial whose course (CIT-07 "
        "induction) the simulator follows",
        "S5b, S1",
        gt=0,
    )
    max_tissue_volume_ml: Number = _field(
        10.0, "Largest settled tissue volume per infusion, mL", "S1, S5b", gt=0
    )
    min_purity_percent: Number = _field(
        30.0, "Lowest purity accepted, percent", "S24, S44", ge=0, le=100
    )
    min_viability_percent: Number = _field(
        70.0, "Lowest viability accepted, percent", "S5b, S24", ge=0, le=100
    )
    max_endotoxin_eu_per_kg: Number = _field(
        5.0, "Highest endotoxin accepted, EU per kg recipient", "S5b, S24", ge=0
    )
    min_stimulation_index: Number = _field(
        1.0, "Stimulation index must be above this (exclusive)", "S5b, S24", ge=0
    )

    # Infusion
    max_baseline_portal_pressure_mmhg: Number = _field(
        20.0,
        "Baseline portal pressure must be below this before infusion (exclusive), mmHg",
        "S19",
        gt=0,
    )
    portal_pressure_stop_mmhg: Number | None = _field(
        22.0,
        "Portal pressure at or above which the infusion pauses, mmHg; null for none (then the "
        "rise limit alone). UNCONFIRMED: no readable source gives a stop rule for allografts; "
        "set the site's own",
        "UNCONFIRMED",
        gt=0,
    )
    portal_pressure_stop_rise_mmhg: Number | None = _field(
        None,
        "Rise above the baseline (the last reading before the infusion) at or above which the "
        "infusion pauses, mmHg; null for none. With both limits set, whichever is reached first. "
        "Autografts: halt if the rise exceeds 25 cmH2O, about 18.4 mmHg [S16]; no allograft rule "
        "was found, so it is off by default: a site setting",
        "S16",
        gt=0,
    )
    heparin_units_per_kg: Number = _field(
        70.0,
        "Unfractionated heparin added to the product, units per kg. A site setting: 70 comes "
        "from one case report [S20]; at or over 45 U/kg the odds of bleeding were 9.8 times "
        "higher [S47], which start_infusion warns of",
        "S20",
        gt=0,
    )
    require_track_sealing: YesNo = _field(
        True,
        "Whether a percutaneous track must be sealed (gelfoam, coils, glue or collagen paste) "
        "before the access is closed",
        "S17, S18, S39b",
    )
    induction_min_before_infusion: NonNegativeDuration = _field(
        timedelta(minutes=30),
        "Induction immunosuppression at least this long before infusion",
        "S1",
    )
    induction_max_before_infusion: NonNegativeDuration = _field(
        timedelta(minutes=360),
        "Induction immunosuppression at most this long before infusion",
        "S1",
    )
    max_infusions: WholeNumber = _field(3, "Most infusions for one recipient", "S1, S6", ge=1)
    reinfusion_decision_after: NonNegativeDuration = _field(
        timedelta(days=365),
        "How long after an infusion the recipient's insulin independence decides a further "
        "one: the label's one year",
        "S1",
    )

    # Outcome
    graft_failure_c_peptide_ng_per_ml: Number = _field(
        0.3, "Stimulated C-peptide below which the graft has failed, ng/mL", "S8, S21", ge=0
    )

    @model_validator(mode="after")
    def _consistent(self) -> Protocol:
        problems = []
        if self.cold_ischemia_warning > self.max_cold_ischemia:
            problems.append("cold_ischemia_warning must not exceed max_cold_ischemia")
        if self.donor_min_age_years > self.donor_max_age_years:
            problems.append("donor_min_age_years must not exceed donor_max_age_years")
        if self.induction_min_before_infusion > self.induction_max_before_infusion:
            problems.append(
                "induction_min_before_infusion must not exceed induction_max_before_infusion"
            )
        stop = self.portal_pressure_stop_mmhg
        if stop is None and self.portal_pressure_stop_rise_mmhg is None:
            problems.append(
                "portal_pressure_stop_mmhg and portal_pressure_stop_rise_mmhg must not both be "
                "null: the infusion needs a stop rule"
            )
        if stop is not None and stop < self.max_baseline_portal_pressure_mmhg:
            problems.append(
                "portal_pressure_stop_mmhg must not be below max_baseline_portal_pressure_mmhg"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, what: str = "protocol") -> Protocol:
        """Build a protocol from plain data, listing every problem at once."""
        return validated(cls, data, what)

    @classmethod
    def load(cls, path: str | Path) -> Protocol:
        """Read a protocol (or overrides of the defaults) from a TOML, JSON or YAML file."""
        path = Path(path)
        return cls.from_mapping(read_mapping(path), what=f"protocol file {path}")

    def overridden(self, overrides: Mapping[str, Any]) -> Protocol:
        """A copy with some values changed, validated as a whole."""
        return type(self).from_mapping({**self.model_dump(), **overrides})

    @classmethod
    def sources(cls) -> dict[str, str]:
        """Each parameter's source tag, for docs and reports."""
        result = {}
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra
            result[name] = str(extra["source"]) if isinstance(extra, dict) else ""
        return result


def _as_data(protocol: Protocol) -> dict[str, Any]:
    data: dict[str, Any] = protocol.model_dump(mode="json")
    data.update((name, iso_duration(v)) for name, v in protocol if isinstance(v, timedelta))
    return data


ProtocolData = Annotated[
    Protocol, PlainSerializer(_as_data, return_type=dict[str, Any], when_used="json")
]
"""A ``Protocol`` inside data isletflow writes for programs (a timeline's ``created`` event, a
course's ``enrolled``): its durations in ISO 8601 (``PT12H``), as every other duration there. A
protocol file, and a scenario's protocol (whose content a case's id is derived from), keep the
form people write (``12h``); both forms read."""
