"""The sections of a scenario: what describes one case, each value fixed or a distribution.

Donor, recipient, islet preparation, logistics timings, portal-pressure behaviour, complication
chances and treatment (``Scenario`` in ``isletflow.scenario`` holds them, with the approach, the
protocol and the seed). Defaults come from the clinical reference and name their source tag;
values no source gives are marked UNCONFIRMED: they are illustrative parameters, not clinical
facts. ``span_of`` reads the valid range a field declares, for sampling.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, get_args

from pydantic import BaseModel, ConfigDict, Field

from .distributions import Flag, NumberValue, OneOf, Range, TextValue, Time, TimeValue
from .models import Term, UtcDatetime

__all__ = [
    "ComplicationsSpec",
    "DonorSpec",
    "PortalPressureSpec",
    "PreparationSpec",
    "RecipientSpec",
    "TimingsSpec",
    "TreatmentSpec",
    "described",
    "span_of",
]

_UNCONFIRMED = "UNCONFIRMED: no source gives this; an illustrative parameter, set your own."


def described(text: str, default: Any = ..., **rules: Any) -> Any:
    """A field with its description (and its default, if it has one)."""
    return Field(default, description=text, **rules)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DonorSpec(_Section):
    """The deceased pancreas donor [S5a]."""

    age_years: Annotated[NumberValue, Range(0, 120, decimals=0)] = described(
        "Donor age in years; the protocol accepts 15-65 [S5a]"
    )
    donation: Annotated[TextValue, OneOf("brain_death", "cardiac_death")] = described(
        "brain_death or cardiac_death (not accepted by default) [S5a]", "brain_death"
    )
    preservation_solution: Annotated[TextValue, OneOf(), Term("preservation_solution")] = described(
        "UW, HTK, or either with perfluorocarbon are accepted [S5a]; others go in extra_terms",
        "UW",
    )
    cross_clamp_at: UtcDatetime = described(
        "When cold ischaemia starts; the simulated clock starts here (arbitrary default)",
        datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
    )
    bmi_kg_per_m2: Annotated[NumberValue, Range(1, 100, decimals=1, unit="kg/m²")] | None = (
        described(
            "Donor body-mass index; no cut-off [S33-S35]. Heavier donors give more islets "
            "[S35, S48, S49, S50]; when left out the isolation model takes its reference donor's "
            "(28.6 kg/m² [S32])",
            None,
        )
    )
    diabetes_history: Flag = described("Excludes the donor [S5a]", False)
    sepsis: Flag = described("Excludes the donor [S5a]", False)
    malignancy: Flag = described("Excludes the donor [S5a]", False)
    transmissible_infection: Flag = described(
        "HIV, hepatitis, syphilis, TB or prion: excludes the donor [S5a]", False
    )


class RecipientSpec(_Section):
    """The person who receives the islets."""

    id: str = described(
        "Recipient identifier", "R-001", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$"
    )
    weight_kg: Annotated[NumberValue, Range(1, 300, decimals=1, unit="kg")] = described(
        "Body weight; the dose is IEQ per kg [S1, S5b]"
    )
    platelets_per_ul: (
        Annotated[NumberValue, Range(1, 2_000_000, decimals=0, unit="per µL")] | None
    ) = described(
        "Platelet count before the procedure; under 150,000 per µL the odds of bleeding were "
        "4.4 times higher [S47]. Left out: taken as not low",
        None,
    )
    aspirin: Flag = described(
        "Taking aspirin before the procedure: the odds of bleeding 2.6 times [S47]", False
    )


class PreparationSpec(_Section):
    """The islet preparation: yield, losses and the release-test results [S5b, S24]."""

    digest_ieq: Annotated[NumberValue, Range(0, 10_000_000, decimals=0, unit="IEQ")] | None = (
        described(
            "Islet equivalents in the digest. Leave it out to have the isolation model give it "
            "from the donor's age and BMI, the cold ischaemia and the solution, with the digest's "
            "own variability drawn from the case's isolation stream [S32, S48, S49] "
            "(docs/model.md)",
            None,
        )
    )
    purification_loss_percent: Annotated[NumberValue, Range(0, 100, decimals=1, unit="%")] = (
        described("Share of islets lost in purification, about 13.5 % in one lab [S32]", 13.5)
    )
    culture_loss_percent: Annotated[NumberValue, Range(0, 100, decimals=1, unit="%")] = described(
        "Share lost in culture, about 11.7 % in one lab [S32]; applied when culture > 0", 11.7
    )
    tissue_volume_ml: Annotated[NumberValue, Range(0, 1000, decimals=1, unit="mL")] = described(
        "Settled tissue volume; at most 10 mL per infusion by default [S1, S5b]"
    )
    purity_percent: Annotated[NumberValue, Range(0, 100, decimals=1, unit="%")] = described(
        "Purity; at least 30 % by default [S24, S44]"
    )
    viability_percent: Annotated[NumberValue, Range(0, 100, decimals=1, unit="%")] = described(
        "Viability; at least 70 % [S5b, S24]"
    )
    endotoxin_eu_per_kg: Annotated[NumberValue, Range(0, 1000, decimals=2, unit="EU/kg")] = (
        described("Endotoxin per kg recipient; at most 5 EU/kg [S5b, S24]")
    )
    gram_stain_positive: Flag = described("Organisms on Gram stain block release [S24]", False)
    stimulation_index: Annotated[NumberValue, Range(0, 100, decimals=2)] = described(
        "Glucose-stimulated insulin release ratio; must be above 1 [S5b, S24]"
    )
    label_matches_recipient: Flag = described(
        "Whether the bag is labelled with this recipient's ID [S1, S5b]", True
    )


class TimingsSpec(_Section):
    """Logistics: how long each step takes, each counted from the one before."""

    cold_ischemia: Time = described(
        "Cross-clamp to start of isolation; hard limit 12 h [S5a], target 8 h [S32]"
    )
    digestion: Time = described(
        "Start of isolation to the end of digestion. Isolation + purification take about "
        f"9 h [S25, S27, S28]; the split is {_UNCONFIRMED}",
        timedelta(hours=4),
    )
    purification: Time = described(
        f"End of digestion to purified islets; see digestion [S25, S27, S28]. {_UNCONFIRMED}",
        timedelta(hours=5),
    )
    culture: Time = described(
        "Culture before release testing; 0 h (original Edmonton) to 72 h usual maximum "
        f"[S29, S30, S31]. The default within that range is {_UNCONFIRMED}",
        timedelta(hours=24),
    )
    release_testing: Time = described(
        f"Submission for release to test results. {_UNCONFIRMED}", timedelta(hours=3)
    )
    release_to_infusion: Time = described(
        "Release to start of infusion; the product must be infused within 6 h [S1]. "
        f"The default is {_UNCONFIRMED}",
        timedelta(hours=2, minutes=30),
    )
    induction_before_infusion: Time = described(
        "How long before the planned infusion induction is given; 30-360 min allowed, "
        "anti-IL-2R antibody 120 min before [S1]",
        timedelta(minutes=120),
    )
    access_to_infusion: Time = described(
        "Portal access to start of infusion (baseline pressure measured half-way). The whole "
        f"procedure takes about 1 h [S26]; the split is {_UNCONFIRMED}",
        timedelta(minutes=20),
    )
    infusion: Annotated[TimeValue, Range.at_least(timedelta(minutes=1))] = described(
        "Infusion itself, 20-30 min [S26]", timedelta(minutes=25)
    )
    hemostasis: Time = described(
        f"End of infusion to the access sealed; see access_to_infusion [S26]. {_UNCONFIRMED}",
        timedelta(minutes=15),
    )
    trough: Time = described(
        f"Access sealed to the first trough level. {_UNCONFIRMED}", timedelta(days=3)
    )
    follow_up: Time = described(
        f"First trough level to the start of follow-up; stay 2-5 days [S26, S40]. {_UNCONFIRMED}",
        timedelta(days=4),
    )
    assessment: Time = described(
        f"Start of follow-up to the graft assessment (Igls) [S21]. {_UNCONFIRMED}",
        timedelta(days=83),
    )


class PortalPressureSpec(_Section):
    """Portal pressure: a baseline, a rise that tracks the tissue infused, and noise [S45].

    Model: pressure = baseline + excess + noise. Infusing adds ``rise_mmhg_per_ml`` for each
    mL of tissue; while not infusing, the excess falls with ``fall_half_life`` (the rise is
    transient [S45]). Each reading adds normal noise.
    """

    baseline_mmhg: Annotated[NumberValue, Range(0, 100, decimals=1, unit="mmHg")] = described(
        "Pressure before infusion; typically 12-14 mmHg [S13, S14], must be < 20 [S19]", 13.0
    )
    rise_mmhg_per_ml: Annotated[NumberValue, Range(0, 50, decimals=3, unit="mmHg/mL")] = described(
        "Rise per mL of tissue infused; the rise tracks tissue volume [S45]. "
        f"{_UNCONFIRMED} 0.8 takes a 6 mL product from 13 to about 18 mmHg [S13, S14]",
        0.8,
    )
    liver_volume_ratio: Annotated[NumberValue, Range(0.1, 10, decimals=2)] = described(
        "The recipient's liver volume over the model's reference recipient's: a larger liver "
        "lowers the rise (r = -0.257 [S15]; [S45]); the rise is divided by it to the power "
        "pressure.liver_exponent (docs/model.md). The form is UNCONFIRMED",
        1.0,
    )
    noise_sd_mmhg: Annotated[NumberValue, Range(0, 20, decimals=2, unit="mmHg")] = described(
        f"Standard deviation of each reading around the model. {_UNCONFIRMED}", 1.0
    )
    fall_half_life: Annotated[TimeValue, Range.at_least(timedelta(seconds=1))] = described(
        f"Half-life of the rise while the infusion is paused (transient [S45]). {_UNCONFIRMED}",
        timedelta(minutes=10),
    )
    check_every: Annotated[TimeValue, Range.at_least(timedelta(minutes=1))] = described(
        f"How often pressure is read during infusion and while paused. {_UNCONFIRMED}",
        timedelta(minutes=5),
    )
    max_pause: Time = described(
        "Total time paused after which the infusion ends with the part delivered so far. "
        + _UNCONFIRMED,
        timedelta(minutes=30),
    )


class ComplicationsSpec(_Section):
    """Complications: left out, the model's risk from what was done (``docs/model.md``) [S47,
    S15]; a number is a fixed chance per procedure (to force a complication, or rule one out)."""

    bleeding: Annotated[NumberValue, Range(0, 1, decimals=4)] | None = described(
        "A fixed chance of bleeding per procedure, instead of the model's risk. Published: "
        "~7-12 % per procedure (0.6-27 % by track sealing) [S7, S11, S17, S18]",
        None,
    )
    portal_vein_thrombosis: Annotated[NumberValue, Range(0, 1, decimals=4)] | None = described(
        "A fixed chance of portal-vein thrombosis per procedure, instead of the model's risk. "
        "Published: partial thrombosis ~3-4 % [S11, S13, S15]; found on Doppler day 1 [S15]",
        None,
    )


class TreatmentSpec(_Section):
    """The care around the infusion: immunosuppression, track sealing, the graft's result."""

    induction_agent: Annotated[TextValue, OneOf(), Term("induction_agent")] = described(
        "Induction immunosuppression; rabbit ATG at a first transplant (CIT-07) [S6, S41], "
        "basiliximab later [S6], daclizumab (Edmonton) [S10]; others go in extra_terms",
        "rabbit ATG",
    )
    trough_drug: Annotated[TextValue, OneOf(), Term("trough_drug")] = described(
        "Maintenance drug measured: tacrolimus or sirolimus [S10, S41]; others in extra_terms",
        "tacrolimus",
    )
    trough_ng_per_ml: Annotated[NumberValue, Range(0, 200, decimals=1, unit="ng/mL")] = described(
        "Trough level; tacrolimus 3-6 ng/mL (Edmonton) [S10]: the default is the middle", 4.5
    )
    track_sealant: Annotated[
        TextValue, OneOf("gelfoam", "coils", "glue", "collagen_paste", "none")
    ] = described(
        "How a percutaneous track is sealed [S17, S18, S39b]; none leaves it open (unsealed "
        "tracks bled in 27 % [S18]), which the protocol refuses unless require_track_sealing "
        "is false",
        "gelfoam",
    )


def span_of(section: type[BaseModel], field: str) -> Range:
    """The valid range a field declares (for sampling); an unbounded one if it has none."""
    info = section.model_fields[field]
    # An optional field (``X | None``) keeps its range on the annotated member of the union.
    members = [getattr(arg, "__metadata__", ()) for arg in get_args(info.annotation)]
    for item in [*info.metadata, *(m for metadata in members for m in metadata)]:
        if isinstance(item, Range):
            return item
    return Range()
