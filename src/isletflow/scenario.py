"""``Scenario``: a case, or a population of cases, described in a YAML or JSON file.

A scenario names the donor, recipient, approach, islet preparation, logistics timings,
portal-pressure behaviour, complication rates, treatment, protocol overrides and a seed. Each
value is fixed or a distribution (see ``isletflow.distributions``). Defaults come from the
clinical reference and name their source tag; values no source gives are marked UNCONFIRMED:
they are illustrative parameters, not clinical facts. Clinical terms come from closed sets
(``models.TERMS``, what the sources name, with the protocol's accepted solutions); a term no
source lists is refused, with the nearest one, unless the file adds it in ``extra_terms``.
``Scenario.load`` lists every problem in a file at once, each with its path
(``timings.culture: '-3h' is negative``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import PydanticCustomError

from .course_scenario import CourseSpec
from .distributions import Flag, NumberValue, OneOf, Range, TextValue, Time, TimeValue
from .errors import InvalidInput, Problem
from .files import read_mapping
from .models import TERMS, Approach, Term, TermField, UtcDatetime, WholeNumber, added_terms
from .protocol import Protocol

__all__ = [
    "SCENARIO_SCHEMA_VERSION",
    "ComplicationsSpec",
    "DonorSpec",
    "PortalPressureSpec",
    "PreparationSpec",
    "RecipientSpec",
    "Scenario",
    "TimingsSpec",
    "TreatmentSpec",
    "span_of",
]

SCENARIO_SCHEMA_VERSION = 1
"""Version of the scenario file format; bumped when a file of an older one no longer loads."""

_UNCONFIRMED = "UNCONFIRMED: no source gives this; an illustrative parameter, set your own."


def _d(text: str, default: Any = ..., **rules: Any) -> Any:
    return Field(default, description=text, **rules)


def _exactly_int(value: Any) -> Any:
    # 1.0 and true equal 1 in Python, so Literal[1] alone would take them.
    if type(value) is not int:
        raise PydanticCustomError("literal_error", "must be the whole number 1")
    return value


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list | tuple) else ()


def _terms_added(data: Any) -> dict[str, tuple[str, ...]]:
    """The terms a scenario's raw data adds; anything malformed is left to its own field."""
    if not isinstance(data, Mapping):
        return {}
    protocol, extra = data.get("protocol"), data.get("extra_terms")
    if isinstance(protocol, Protocol):
        protocol = protocol.model_dump(include={"accepted_preservation_solutions"})
    accepted = (
        protocol.get("accepted_preservation_solutions") if isinstance(protocol, Mapping) else ()
    )
    extra = extra if isinstance(extra, Mapping) else {}
    solutions = {"preservation_solution": _strings(accepted)}
    return {field: solutions.get(field, ()) + _strings(extra.get(field)) for field in TERMS}


_TermName = Annotated[str, Field(min_length=1, max_length=40)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DonorSpec(_Section):
    """The deceased pancreas donor [S5a]."""

    age_years: Annotated[NumberValue, Range(0, 120, decimals=0)] = _d(
        "Donor age in years; the protocol accepts 15-65 [S5a]"
    )
    donation: Annotated[TextValue, OneOf("brain_death", "cardiac_death")] = _d(
        "brain_death or cardiac_death (not accepted by default) [S5a]", "brain_death"
    )
    preservation_solution: Annotated[TextValue, OneOf(), Term("preservation_solution")] = _d(
        "UW, HTK, or either with perfluorocarbon are accepted [S5a]; others go in extra_terms",
        "UW",
    )
    cross_clamp_at: UtcDatetime = _d(
        "When cold ischaemia starts; the simulated clock starts here (arbitrary default)",
        datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
    )
    bmi_kg_per_m2: Annotated[NumberValue, Range(1, 100, decimals=1, unit="kg/m²")] | None = _d(
        "Donor body-mass index; no cut-off [S33-S35]. Heavier donors give more islets "
        "[S35, S48, S49, S50]; when left out the isolation model takes its reference donor's "
        "(28.6 kg/m² [S32])",
        None,
    )
    diabetes_history: Flag = _d("Excludes the donor [S5a]", False)
    sepsis: Flag = _d("Excludes the donor [S5a]", False)
    malignancy: Flag = _d("Excludes the donor [S5a]", False)
    transmissible_infection: Flag = _d(
        "HIV, hepatitis, syphilis, TB or prion: excludes the donor [S5a]", False
    )


class RecipientSpec(_Section):
    """The person who receives the islets."""

    id: str = _d(
        "Recipient identifier", "R-001", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$"
    )
    weight_kg: Annotated[NumberValue, Range(1, 300, decimals=1, unit="kg")] = _d(
        "Body weight; the dose is IEQ per kg [S1, S5b]"
    )


class PreparationSpec(_Section):
    """The islet preparation: yield, losses and the release-test results [S5b, S24]."""

    digest_ieq: Annotated[NumberValue, Range(0, 10_000_000, decimals=0, unit="IEQ")] | None = _d(
        "Islet equivalents in the digest. Leave it out to have the isolation model give it from "
        "the donor's age and BMI, the cold ischaemia and the solution, with the digest's own "
        "variability drawn from the case's isolation stream [S32, S48, S49] (docs/model.md)",
        None,
    )
    purification_loss_percent: Annotated[NumberValue, Range(0, 100, decimals=1, unit="%")] = _d(
        "Share of islets lost in purification, about 13.5 % in one lab [S32]", 13.5
    )
    culture_loss_percent: Annotated[NumberValue, Range(0, 100, decimals=1, unit="%")] = _d(
        "Share lost in culture, about 11.7 % in one lab [S32]; applied when culture > 0", 11.7
    )
    tissue_volume_ml: Annotated[NumberValue, Range(0, 1000, decimals=1, unit="mL")] = _d(
        "Settled tissue volume; at most 10 mL per infusion by default [S1, S5b]"
    )
    purity_percent: Annotated[NumberValue, Range(0, 100, decimals=1, unit="%")] = _d(
        "Purity; at least 30 % by default [S24, S44]"
    )
    viability_percent: Annotated[NumberValue, Range(0, 100, decimals=1, unit="%")] = _d(
        "Viability; at least 70 % [S5b, S24]"
    )
    endotoxin_eu_per_kg: Annotated[NumberValue, Range(0, 1000, decimals=2, unit="EU/kg")] = _d(
        "Endotoxin per kg recipient; at most 5 EU/kg [S5b, S24]"
    )
    gram_stain_positive: Flag = _d("Organisms on Gram stain block release [S24]", False)
    stimulation_index: Annotated[NumberValue, Range(0, 100, decimals=2)] = _d(
        "Glucose-stimulated insulin release ratio; must be above 1 [S5b, S24]"
    )
    label_matches_recipient: Flag = _d(
        "Whether the bag is labelled with this recipient's ID [S1, S5b]", True
    )


class TimingsSpec(_Section):
    """Logistics: how long each step takes, each counted from the one before."""

    cold_ischemia: Time = _d(
        "Cross-clamp to start of isolation; hard limit 12 h [S5a], target 8 h [S32]"
    )
    digestion: Time = _d(
        "Start of isolation to the end of digestion. Isolation + purification take about "
        f"9 h [S25, S27, S28]; the split is {_UNCONFIRMED}",
        timedelta(hours=4),
    )
    purification: Time = _d(
        f"End of digestion to purified islets; see digestion [S25, S27, S28]. {_UNCONFIRMED}",
        timedelta(hours=5),
    )
    culture: Time = _d(
        "Culture before release testing; 0 h (original Edmonton) to 72 h usual maximum "
        f"[S29, S30, S31]. The default within that range is {_UNCONFIRMED}",
        timedelta(hours=24),
    )
    release_testing: Time = _d(
        f"Submission for release to test results. {_UNCONFIRMED}", timedelta(hours=3)
    )
    release_to_infusion: Time = _d(
        "Release to start of infusion; the product must be infused within 6 h [S1]. "
        f"The default is {_UNCONFIRMED}",
        timedelta(hours=2, minutes=30),
    )
    induction_before_infusion: Time = _d(
        "How long before the planned infusion induction is given; 30-360 min allowed, "
        "anti-IL-2R antibody 120 min before [S1]",
        timedelta(minutes=120),
    )
    access_to_infusion: Time = _d(
        "Portal access to start of infusion (baseline pressure measured half-way). The whole "
        f"procedure takes about 1 h [S26]; the split is {_UNCONFIRMED}",
        timedelta(minutes=20),
    )
    infusion: Annotated[TimeValue, Range.at_least(timedelta(minutes=1))] = _d(
        "Infusion itself, 20-30 min [S26]", timedelta(minutes=25)
    )
    hemostasis: Time = _d(
        f"End of infusion to the access sealed; see access_to_infusion [S26]. {_UNCONFIRMED}",
        timedelta(minutes=15),
    )
    trough: Time = _d(f"Access sealed to the first trough level. {_UNCONFIRMED}", timedelta(days=3))
    follow_up: Time = _d(
        f"First trough level to the start of follow-up; stay 2-5 days [S26, S40]. {_UNCONFIRMED}",
        timedelta(days=4),
    )
    assessment: Time = _d(
        f"Start of follow-up to the graft assessment (Igls) [S21]. {_UNCONFIRMED}",
        timedelta(days=83),
    )


class PortalPressureSpec(_Section):
    """Portal pressure: a baseline, a rise that tracks the tissue infused, and noise [S45].

    Model: pressure = baseline + excess + noise. Infusing adds ``rise_mmhg_per_ml`` for each
    mL of tissue; while not infusing, the excess falls with ``fall_half_life`` (the rise is
    transient [S45]). Each reading adds normal noise.
    """

    baseline_mmhg: Annotated[NumberValue, Range(0, 100, decimals=1, unit="mmHg")] = _d(
        "Pressure before infusion; typically 12-14 mmHg [S13, S14], must be < 20 [S19]", 13.0
    )
    rise_mmhg_per_ml: Annotated[NumberValue, Range(0, 50, decimals=3, unit="mmHg/mL")] = _d(
        "Rise per mL of tissue infused; the rise tracks tissue volume [S45]. "
        f"{_UNCONFIRMED} 0.8 takes a 6 mL product from 13 to about 18 mmHg [S13, S14]",
        0.8,
    )
    noise_sd_mmhg: Annotated[NumberValue, Range(0, 20, decimals=2, unit="mmHg")] = _d(
        f"Standard deviation of each reading around the model. {_UNCONFIRMED}", 1.0
    )
    fall_half_life: Annotated[TimeValue, Range.at_least(timedelta(seconds=1))] = _d(
        f"Half-life of the rise while the infusion is paused (transient [S45]). {_UNCONFIRMED}",
        timedelta(minutes=10),
    )
    check_every: Annotated[TimeValue, Range.at_least(timedelta(minutes=1))] = _d(
        f"How often pressure is read during infusion and while paused. {_UNCONFIRMED}",
        timedelta(minutes=5),
    )
    max_pause: Time = _d(
        "Total time paused after which the infusion ends with the part delivered so far. "
        + _UNCONFIRMED,
        timedelta(minutes=30),
    )


class ComplicationsSpec(_Section):
    """Complications: left out, the model's risk from what was done (``docs/model.md``) [S47,
    S15]; a number is a fixed chance per procedure (to force a complication, or rule one out)."""

    bleeding: Annotated[NumberValue, Range(0, 1, decimals=4)] | None = _d(
        "A fixed chance of bleeding per procedure, instead of the model's risk. Published: "
        "~7-12 % per procedure (0.6-27 % by track sealing) [S7, S11, S17, S18]",
        None,
    )
    portal_vein_thrombosis: Annotated[NumberValue, Range(0, 1, decimals=4)] | None = _d(
        "A fixed chance of portal-vein thrombosis per procedure, instead of the model's risk. "
        "Published: partial thrombosis ~3-4 % [S11, S13, S15]; found on Doppler day 1 [S15]",
        None,
    )


class TreatmentSpec(_Section):
    """The care around the infusion: immunosuppression, track sealing, the graft's result."""

    induction_agent: Annotated[TextValue, OneOf(), Term("induction_agent")] = _d(
        "Induction immunosuppression; rabbit ATG at a first transplant (CIT-07) [S6, S41], "
        "basiliximab later [S6], daclizumab (Edmonton) [S10]; others go in extra_terms",
        "rabbit ATG",
    )
    trough_drug: Annotated[TextValue, OneOf(), Term("trough_drug")] = _d(
        "Maintenance drug measured: tacrolimus or sirolimus [S10, S41]; others in extra_terms",
        "tacrolimus",
    )
    trough_ng_per_ml: Annotated[NumberValue, Range(0, 200, decimals=1, unit="ng/mL")] = _d(
        "Trough level; tacrolimus 3-6 ng/mL (Edmonton) [S10]: the default is the middle", 4.5
    )
    track_sealant: Annotated[TextValue, OneOf("gelfoam", "coils", "glue", "collagen_paste")] = _d(
        "How a percutaneous track is sealed [S17, S18, S39b]", "gelfoam"
    )


class Scenario(BaseModel):
    """One case, or a population of them, to simulate. ``Scenario.load(path)`` reads a file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Annotated[Literal[1], BeforeValidator(_exactly_int)] = _d(
        "Version of the scenario format (1)"
    )
    name: str = _d("A short title", "", max_length=200)
    description: str = _d("What the scenario shows", "", max_length=5000)
    seed: Annotated[WholeNumber, Field(ge=0)] | None = _d(
        "Seed of the random streams (simulate's seed wins)", None
    )
    approach: Annotated[TextValue, OneOf(*(a.value for a in Approach))] = _d(
        "percutaneous [S25, S26, S42], laparoscopic or open [S14, S27, S38]", "percutaneous"
    )
    donor: DonorSpec
    recipient: RecipientSpec
    preparation: PreparationSpec
    timings: TimingsSpec
    portal_pressure: PortalPressureSpec = PortalPressureSpec()
    complications: ComplicationsSpec = ComplicationsSpec()
    treatment: TreatmentSpec = TreatmentSpec()
    course: CourseSpec = _d("The recipient's course: candidate data, donor wait", CourseSpec())
    protocol: Protocol = _d("Overrides of the protocol's thresholds and windows", Protocol())
    extra_terms: dict[TermField, tuple[_TermName, ...]] = Field(
        default_factory=dict,
        description="Terms no source lists that this scenario uses on purpose, by field, e.g. "
        "{preservation_solution: [saline]} for a donor in a solution the protocol refuses",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _with_added_terms(cls, data: Any, handler: ModelWrapValidatorHandler[Scenario]) -> Scenario:
        token = added_terms.set(_terms_added(data))
        try:
            return handler(data)
        finally:
            added_terms.reset(token)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, what: str = "scenario") -> Scenario:
        """A scenario from plain data, listing every problem with its path."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as error:
            raise _cleaned(InvalidInput.from_pydantic(what, error)) from None

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Read a scenario from a YAML or JSON file (``.yaml``, ``.yml``, ``.json``)."""
        path = Path(path)
        return cls.from_mapping(read_mapping(path), what=f"scenario {path}")

    def seed_for(self, seed: int | None) -> int:
        """The seed a run uses: ``seed`` if given, else the scenario's own, else 0."""
        if seed is not None:
            return seed
        return self.seed if self.seed is not None else 0

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema of scenario files, as published in ``schemas/scenario.schema.json``.

        Made here, not by ``isletflow.export.schemas`` (which publishes this one as it is), so
        that loading and checking scenarios needs nothing from the export layer.
        """
        generated = cls.model_json_schema(mode="validation")
        return {"$schema": GenerateJsonSchema.schema_dialect, **generated}

    def to_yaml(self) -> str:
        """The scenario as YAML (the values it was given; defaults left out)."""
        import yaml

        data = self.model_dump(mode="json", exclude_unset=True)
        data = {"schema_version": SCENARIO_SCHEMA_VERSION, **data}
        text: str = yaml.safe_dump(data, sort_keys=False)
        return text


def span_of(section: type[BaseModel], field: str) -> Range:
    """The valid range a field declares (for sampling); an unbounded one if it has none."""
    info = section.model_fields[field]
    # An optional field (``X | None``) keeps its range on the annotated member of the union.
    members = [getattr(arg, "__metadata__", ()) for arg in get_args(info.annotation)]
    for item in [*info.metadata, *(m for metadata in members for m in metadata)]:
        if isinstance(item, Range):
            return item
    return Range()


def _cleaned(error: InvalidInput) -> InvalidInput:
    # The tag of a plain value ("fixed") says nothing to the file's author: drop it.
    problems = []
    for p in error.problems:
        parts = [part for part in p.location.split(".") if part != "fixed"]
        # Some messages start with the value itself, which the problem already shows.
        rule = p.rule.removeprefix(f"{p.value!r} ") if isinstance(p.value, str) else p.rule
        problems.append(Problem(".".join(parts), p.value, rule))
    return InvalidInput(error.what, problems)
