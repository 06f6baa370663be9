"""The lab seam: where the values a trainee does not choose come from.

A trainee chooses (anaesthesia, imaging, induction agent, heparin dose, sealant, reasons, notes)
and decides *when*. What the islet lab and the monitors measure (digest and purified yield, the
release tests, portal pressures, trough levels, the Igls grade, the share of a stopped infusion)
comes from a ``Lab``. ``MEASURED`` says which fields of which action are measured; a trainee
who tries to give one gets an ``InvalidInput``.

A lab is asked through ``LabRequest`` (the action, the trainee's choices, the case just before the
action happens) and answers plain data. It must answer the same question the same way: it is also
asked for previews (``TrainingSession.view``). Its state is plain data (``to_data``), so a session
snapshot can carry it, and ``lab_from_data`` rebuilds it by its ``kind`` (``LAB_KINDS``).
``FixedLab`` answers fixed values; a scenario-backed lab plugs in the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model

from .. import workflow as wf
from ..case import ActionResult, Case
from ..duration import NonNegativeDuration
from ..errors import InvalidInput, Problem, UnknownAction
from ..models import Preparation

__all__ = [
    "CHOICES",
    "LAB_KINDS",
    "MEASURED",
    "FixedLab",
    "Lab",
    "LabRequest",
    "act_with_lab",
    "lab_from_data",
]

MEASURED: Mapping[str, frozenset[str]] = {
    name: row.measured for name, row in wf.ACTIONS.items() if row.measured
}
"""For each action, the fields of its data that the lab or a monitor measures (from its row)."""


def _standard_pressures() -> dict[str, tuple[float, ...]]:
    # Baseline 13, peak 17 (typical baseline 12-14, peak about 18 [S13, S14]); 16 after.
    return {
        "infuse.access": (13.0,),
        "infuse.infusing": (17.0,),
        "infuse.paused": (17.0,),
        "infuse.hemostasis": (16.0,),
    }


def _choices_model(action: str, row: wf.Step | wf.Recording) -> type[BaseModel]:
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in row.data.model_fields.items()
        if name not in row.measured
    }
    title = "".join(part.capitalize() for part in action.split("_")) + "Choices"
    return create_model(title, __config__=ConfigDict(frozen=True, extra="forbid"), **fields)


CHOICES: Mapping[str, type[BaseModel]] = {
    action: _choices_model(action, row) for action, row in wf.ACTIONS.items()
}
"""For each action, the data a trainee chooses: its row's data model less what is measured."""


@dataclass(frozen=True, slots=True)
class LabRequest:
    """What a lab is asked: ``action`` with the trainee's ``choices``, to happen at ``at``.

    ``case`` is the case as it is before any wait; ``at`` is when the action will happen. The
    action may not be possible then (a deadline may fall in between, or the trainee may try it in
    the wrong state): the lab answers all the same, with any valid value. Read the case; never
    act on it.
    """

    action: str
    choices: Mapping[str, Any]
    case: Case
    at: datetime


@runtime_checkable
class Lab(Protocol):
    """Where measured values come from. Answers must depend only on the request.

    A lab must answer every action in ``MEASURED`` in any state, with values that pass the
    action's validation; only the answers for accepted steps are ever shown.
    """

    def measure(self, request: LabRequest) -> Mapping[str, Any]:
        """The measured fields for ``request.action`` (only names in ``MEASURED``)."""
        ...

    def to_data(self) -> dict[str, Any]:
        """The lab as JSON-ready data with a ``kind`` key that ``LAB_KINDS`` knows."""
        ...


class FixedLab(BaseModel):
    """A lab that measures fixed values; portal pressures follow a small schedule per state.

    The defaults are the example values of ``examples/standard_case.py``: example data for one
    case, not clinical thresholds.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["fixed"] = "fixed"
    digest_ieq: float = Field(620_000, ge=0)
    purified_ieq: float = Field(480_000, ge=0, description="After the gradient")
    release_tests: Preparation = Preparation(
        ieq=455_000, tissue_volume_ml=6.0, purity_percent=65, viability_percent=92,
        endotoxin_eu_per_kg=0.8, gram_stain_positive=False, stimulation_index=2.4,
        labelled_recipient_id="R-001",
    )  # fmt: skip
    portal_pressure_mmhg: dict[str, Annotated[tuple[float, ...], Field(min_length=1)]] = Field(
        default_factory=_standard_pressures,
        min_length=1,
        description="Readings by state, in order; the last one repeats",
    )
    trough_ng_per_ml: dict[str, float] = Field(
        # Inside the Edmonton targets: tacrolimus 3-6, sirolimus 12-15 ng/mL [S10].
        default_factory=lambda: {"tacrolimus": 5.2, "sirolimus": 13.0},
        description="Trough level by drug",
    )
    igls_grade: Literal["optimal", "good", "marginal", "failure"] = "optimal"
    fraction_delivered_if_stopped: float = Field(
        0.5, gt=0, le=1, description="Share delivered when an infusion is completed while paused"
    )

    def measure(self, request: LabRequest) -> dict[str, Any]:
        action, case = request.action, request.case
        record = case.record
        if action == "finish_digestion":
            return {"digest_ieq": self.digest_ieq}
        if action == "start_culture" or (
            action == "submit_for_release" and record.purified_ieq is None
        ):
            return {"purified_ieq": self.purified_ieq}
        if action == "record_release_tests":
            return self.release_tests.model_dump()
        if action == "record_portal_pressure":
            return {"mmhg": self._pressure(case)}
        if action == "record_trough":
            return self._trough(str(request.choices.get("drug", "")))
        if action == "assess_graft":
            return {"igls_grade": self.igls_grade}
        if action == "complete_infusion" and case.state == "infuse.paused":
            return {"fraction_delivered": self.fraction_delivered_if_stopped}
        return {}

    def _pressure(self, case: Case) -> float:
        state = case.state
        # A state without a schedule (the action will be refused there) reads the first one.
        schedule = self.portal_pressure_mmhg.get(state) or next(
            iter(self.portal_pressure_mmhg.values())
        )
        taken = sum(1 for r in case.record.portal_pressures if r.state == state)
        return schedule[min(taken, len(schedule) - 1)]

    def _trough(self, drug: str) -> dict[str, Any]:
        level = self.trough_ng_per_ml.get(drug)
        if level is None:
            known = ", ".join(sorted(self.trough_ng_per_ml))
            raise InvalidInput.single(
                "data for record_trough", "record_trough.drug", drug,
                f"is not measured by this lab; it measures: {known}",
            )  # fmt: skip
        return {"ng_per_ml": level}

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.model_dump(mode="json")
        return data


def _scenario_lab(data: Mapping[str, Any]) -> Lab:
    # Imported when first needed: a scenario lab samples with numpy, which `isletflow --help`
    # and a fixed-lab session never load.
    from .scenario_lab import ScenarioLab

    return ScenarioLab.model_validate(dict(data))


LAB_KINDS: dict[str, Callable[[Mapping[str, Any]], Lab]] = {
    "fixed": FixedLab.model_validate,
    "scenario": _scenario_lab,
}
"""How to rebuild a lab from ``to_data``, by kind. A new kind of lab registers itself here."""


def lab_from_data(data: Mapping[str, Any]) -> Lab:
    """The lab that ``to_data`` described."""
    kind = data.get("kind")
    make = LAB_KINDS.get(str(kind))
    if make is None:
        raise InvalidInput.single("lab", "kind", kind, "must be one of: " + ", ".join(LAB_KINDS))
    try:
        return make(data)
    except ValidationError as error:
        raise InvalidInput.from_pydantic("lab", error) from None


_WAIT: TypeAdapter[timedelta] = TypeAdapter(NonNegativeDuration)


def _wait(after: timedelta | str | None) -> timedelta | None:
    if after is None:
        return None
    try:
        return _WAIT.validate_python(after)
    except ValidationError as error:
        raise InvalidInput.from_pydantic("after", error, prefix="after") from None


def check_choices(action: str, choices: Mapping[str, Any]) -> None:
    """Raise ``InvalidInput`` if ``choices`` name a measured field or break a rule."""
    model = CHOICES.get(action)
    if model is None:
        raise UnknownAction(action, wf.ACTIONS)
    measured = sorted(MEASURED.get(action, frozenset()) & choices.keys())
    if measured:
        raise InvalidInput(
            f"data for {action}",
            [Problem(f"{action}.{name}", choices[name],
                     "is measured by the lab, not chosen by the trainee; leave it out")
             for name in measured],
        )  # fmt: skip
    try:
        model.model_validate(dict(choices))
    except ValidationError as error:
        raise InvalidInput.from_pydantic(f"data for {action}", error, prefix=action) from None


def act_with_lab(
    case: Case, lab: Lab, action: str, after: timedelta | str | None, choices: Mapping[str, Any]
) -> ActionResult:
    """``case.act`` with the trainee's ``choices`` and the lab's measurements.

    Malformed input (the trainee's or the lab's) raises before any time passes. The lab is asked
    even when the action will be refused (the case records a refusal with valid data); such a
    refusal's data is never shown as a result (``session.revealed`` reads accepted steps only).
    """
    check_choices(action, choices)
    wait = _wait(after)
    try:
        at = case.now + (wait or timedelta(0))
    except OverflowError:  # as Case.act says it, before the lab is asked anything
        raise InvalidInput.past_the_calendar("after", wait or timedelta(0)) from None
    fields = MEASURED.get(action, frozenset())
    answer = lab.measure(LabRequest(action, dict(choices), case, at)) if fields else {}
    measured = {name: value for name, value in answer.items() if name in fields}
    return case.act(action, after=wait, **choices, **measured)
