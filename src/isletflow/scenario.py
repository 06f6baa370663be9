"""``Scenario``: a case, or a population of cases, described in a YAML or JSON file.

A scenario names the donor, recipient, approach, islet preparation, logistics timings,
portal-pressure behaviour, complication rates, treatment (its sections are in
``scenario_sections``), protocol overrides, overrides of the model's coefficients
(``model:``, sections of ``ModelParameters``: a changed value is the file's own parameter,
whatever the default's status) and a seed. Each value is fixed or a distribution
(see ``isletflow.distributions``). Defaults come from the
clinical reference and name their source tag; values no source gives are marked UNCONFIRMED:
they are illustrative parameters, not clinical facts. Clinical terms come from closed sets
(``models.TERMS``, what the sources name, with the protocol's accepted solutions); a term no
source lists is refused, with the nearest one, unless the file adds it in ``extra_terms``.
``Scenario.load`` lists every problem in a file at once, each with its path
(``timings.culture: '-3h' is negative``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

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
from .distributions import OneOf, TextValue
from .errors import InvalidInput, Problem
from .files import read_mapping
from .model.parameters import DEFAULT, ModelParameters
from .models import TERMS, Approach, TermField, WholeNumber, added_terms
from .protocol import Protocol
from .scenario_sections import (
    ComplicationsSpec,
    DonorSpec,
    PortalPressureSpec,
    PreparationSpec,
    RecipientSpec,
    TimingsSpec,
    TreatmentSpec,
    described,
)
from .uncertainty import GUARDED, SET_BY_SCENARIO, uncertain_section, why_fixed

__all__ = ["SCENARIO_SCHEMA_VERSION", "Scenario"]

SCENARIO_SCHEMA_VERSION = 1
"""Version of the scenario file format; bumped when a file of an older one no longer loads."""


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


def _guarded_unchanged(value: Any) -> Any:
    data = value.model_dump() if isinstance(value, ModelParameters) else value
    if not isinstance(data, Mapping):
        return value  # left to ModelParameters to refuse
    for section, values in data.items():  # strict, as every number of a scenario is
        for name, given in values.items() if isinstance(values, Mapping) else ():
            if isinstance(given, str | bool):
                raise PydanticCustomError(
                    "float_type",
                    "sets {path} to {given}: a coefficient is a number, written without quotes",
                    {"path": f"{section}.{name}", "given": repr(given)},
                )
    for path in sorted(GUARDED | set(SET_BY_SCENARIO)):
        section, name = path.split(".")
        given = data.get(section)
        if isinstance(given, Mapping) and name in given:
            default = getattr(getattr(DEFAULT, section), name)
            if given[name] != default:
                raise PydanticCustomError(
                    "fixed_coefficient",
                    "sets {path} to {given} (default {default}), but {why}: a scenario cannot "
                    "change it here",
                    {
                        "path": path,
                        "given": str(given[name]),
                        "default": f"{default:g}",
                        "why": str(why_fixed(path)),
                    },
                )
    return value


ModelOverrides = Annotated[ModelParameters, BeforeValidator(_guarded_unchanged)]


class Scenario(BaseModel):
    """One case, or a population of them, to simulate. ``Scenario.load(path)`` reads a file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Annotated[Literal[1], BeforeValidator(_exactly_int)] = described(
        "Version of the scenario format (1)"
    )
    name: str = described("A short title", "", max_length=200)
    description: str = described("What the scenario shows", "", max_length=5000)
    seed: Annotated[WholeNumber, Field(ge=0)] | None = described(
        "Seed of the random streams (simulate's seed wins)", None
    )
    approach: Annotated[TextValue, OneOf(*(a.value for a in Approach))] = described(
        "percutaneous [S25, S26, S42], laparoscopic or open [S14, S27, S38]", "percutaneous"
    )
    donor: DonorSpec
    recipient: RecipientSpec
    preparation: PreparationSpec
    timings: TimingsSpec
    portal_pressure: PortalPressureSpec = PortalPressureSpec()
    complications: ComplicationsSpec = ComplicationsSpec()
    treatment: TreatmentSpec = TreatmentSpec()
    course: CourseSpec = described(
        "The recipient's course: candidate data, donor wait", CourseSpec()
    )
    protocol: Protocol = described("Overrides of the protocol's thresholds and windows", Protocol())
    model: ModelOverrides = described(
        "Overrides of the model's coefficients, by section (docs/model.md), e.g. {bleeding: "
        "{aspirin_or: 3.0}}. A value changed here is this scenario's own parameter, not the "
        "source's; coefficients the case's guards read, or a section sets, are refused "
        "(uncertainty.why_fixed)",
        DEFAULT,
    )
    uncertain: Annotated[dict[str, Any], BeforeValidator(uncertain_section)] = Field(
        default_factory=dict,
        description="Parameters a sensitivity analysis (isletflow psa) draws once per outer "
        "draw, by path: model.<section>.<coefficient> or protocol.<number or duration>, each a "
        "distribution, e.g. {model.bleeding.aspirin_or: {uniform: [1.5, 4.5]}} (docs/psa.md). "
        "Simulating the scenario ignores it",
    )
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


def _cleaned(error: InvalidInput) -> InvalidInput:
    # The tag of a plain value ("fixed") says nothing to the file's author: drop it.
    problems = []
    for p in error.problems:
        parts = [part for part in p.location.split(".") if part != "fixed"]
        # Some messages start with the value itself, which the problem already shows.
        rule = p.rule.removeprefix(f"{p.value!r} ") if isinstance(p.value, str) else p.rule
        problems.append(Problem(".".join(parts), p.value, rule))
    return InvalidInput(error.what, problems)
