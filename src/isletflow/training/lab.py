"""The lab: where the values a trainee does not choose come from.

A trainee chooses (anaesthesia, imaging, induction agent, heparin dose, sealant, reasons, notes)
and decides *when*. What the islet lab and the monitors measure (digest and purified yield, the
release tests, portal pressures, trough levels, the Igls grade, the share of a stopped infusion)
comes from a ``Lab``. ``MEASURED`` says which fields of which action are measured (each action's
row of the workflow table says it); a trainee who tries to give one gets an ``InvalidInput``.
``CHOICES`` is each action's data model less those fields: what a trainee fills in.

A lab is asked through ``LabRequest`` (the action, the trainee's choices, the case just before the
action happens) and answers plain data. It must answer the same question the same way: it is also
asked for previews (``TrainingSession.view``).

``ScenarioLab`` is the lab: it measures what a scenario sampled for one case, the case the
simulator runs. It holds the scenario (as JSON data), a seed and a case index: plain data, so a
session snapshot carries it (``to_data``, read back by ``lab_from_data``). From them it samples
the case's ``CasePlan`` once (``PlanSampler(scenario).sample(seed, index)``, the simulator's own
sampler) and answers with the plan's values: digest and purified yield, the release tests, the
trough level, the Igls grade. Portal pressures and the share of a stopped infusion come from the
simulator's own ``Patient``, brought to the request's time by walking the case's timeline
(infusing or not between its moves, as the simulator syncs it between moves), the n-th reading
drawing the n-th value of the case's ``portal_pressure.readings`` stream. So a trainee who makes
the simulator's moves reads the simulator's values, and the expert path is
``simulate(scenario, seed, index).timeline``. The lab keeps each case's walk and goes on from it
(``Walks``), so a reading does not walk the whole timeline again. In a recipient's course a later
donor's lab holds its ``slot`` (``course_run.DonorSlot``: which donor, which infusion, its
cross-clamp, what was engrafted before) and samples that donor's plan as ``simulate_course`` does
(``course_run.slot_plan``).

What happens to the trainee's patient is drawn with the simulator's own patient functions from
what the trainee recorded (``act_with_lab``): closing the access may bleed, with the sealant the
trainee chose, the heparin and the readings recorded; the day-1 Doppler may find a thrombosis.
Each is recorded on the case as it happens, from the case's own streams, so the trainee who makes
the expert's choices meets the expert's complications, and a different choice changes the odds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    create_model,
)

from .. import workflow as wf
from ..case import ActionResult, Case
from ..course_run import DonorSlot, slot_plan
from ..duration import NonNegativeDuration
from ..errors import InvalidInput, Problem, UnknownAction
from ..models import Approach
from ..patient import DOPPLER, bleeds_after, thrombosis_after
from ..sampling import CasePlan, PlanSampler
from ..scenario import Scenario
from ..simulation import graft_assessment
from .walk import Walk, WalkPoint, Walks

__all__ = [
    "CHOICES",
    "Lab",
    "LabRequest",
    "ScenarioLab",
    "WalkPoint",
    "act_with_lab",
    "lab_from_data",
]

_INFUSING = "infuse.infusing"
_ZERO = timedelta(0)

MEASURED: Mapping[str, frozenset[str]] = {
    name: row.measured for name, row in wf.ACTIONS.items() if row.measured
}
"""For each action, the fields of its data that the lab or a monitor measures (from its row)."""


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
    """What a lab is asked: ``action`` with the trainee's ``choices``, ``after`` a wait.

    ``case`` is the case as it is before the wait; the action will happen ``after`` from its
    ``now``. The action may not be possible then (a deadline may fall in between, the trainee may
    try it in the wrong state, the wait may run past the calendar, which ``Case.act`` refuses):
    the lab answers all the same, with any valid value. A lab reasons with the wait, never adds it
    to a date. Read the case; never act on it.
    """

    action: str
    choices: Mapping[str, Any]
    case: Case
    after: timedelta = _ZERO


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
        """The lab as JSON-ready data with its ``kind``, for a session snapshot."""
        ...


class ScenarioLab(BaseModel):
    """Measures case ``index`` of ``scenario`` under ``seed``: the values the simulator uses."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["scenario"] = "scenario"
    scenario: dict[str, Any] = Field(description="The scenario as JSON data")
    seed: int = Field(ge=0)
    index: int = Field(0, ge=0)
    slot: DonorSlot | None = Field(
        None, description="A later donor of the recipient's course; None for the first"
    )
    _plan: CasePlan = PrivateAttr()
    _walks: Walks = PrivateAttr(default_factory=lambda: Walks())

    def model_post_init(self, context: Any, /) -> None:
        # Validated and sampled once; a scenario with problems raises InvalidInput listing them.
        scenario = Scenario.from_mapping(self.scenario)
        sampler = PlanSampler(scenario)
        self._plan = slot_plan(sampler, self.seed, self.index, self.slot or DonorSlot())

    @classmethod
    def of(
        cls, scenario: Scenario, seed: int, index: int = 0, slot: DonorSlot | None = None
    ) -> ScenarioLab:
        """The lab of case ``index`` of ``scenario`` under ``seed`` (its donor in ``slot``)."""
        data = scenario.model_dump(mode="json", exclude_unset=True)
        return cls(scenario=data, seed=seed, index=index, slot=slot)

    @property
    def plan(self) -> CasePlan:
        """Every sampled value of the case (shared; do not change it)."""
        return self._plan

    def measure(self, request: LabRequest) -> dict[str, Any]:
        action, case = request.action, request.case
        plan = self.plan
        if action == "finish_digestion":
            return {"digest_ieq": plan.digest_ieq}
        if action == "start_culture" or (
            action == "submit_for_release" and case.record.purified_ieq is None
        ):
            return {"purified_ieq": plan.purified_ieq}
        if action == "record_release_tests":
            return dict(plan.release_tests)
        if action == "record_portal_pressure":
            patient, state = self._walks.patient(plan, case)
            return {"mmhg": patient.reading(request.after, state == _INFUSING)}
        if action == "record_trough":
            return self._trough(plan, str(request.choices.get("drug", "")))
        if action == "assess_graft":
            try:
                at = case.now + request.after
            except OverflowError:  # a wait past the calendar, which the act then refuses
                at = case.now
            return graft_assessment(plan, case, at)
        if action == "complete_infusion" and case.state == "infuse.paused":
            # Paused, nothing more goes in while the trainee waits: the share is the share now.
            patient, _ = self._walks.patient(plan, case)
            return {"fraction_delivered": patient.fraction_if_stopped()}
        return {}

    @staticmethod
    def _trough(plan: CasePlan, drug: str) -> dict[str, Any]:
        if drug != plan.trough_drug:
            raise InvalidInput.single(
                "data for record_trough",
                "record_trough.drug",
                drug,
                f"is not measured in this case; its lab measures: {plan.trough_drug}",
            )
        return {"ng_per_ml": plan.trough_ng_per_ml}

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.model_dump(mode="json")
        if self.slot is None:
            del data["slot"]  # a first donor's lab is written as it always was
        return data

    def walk_point(self, case: Case) -> WalkPoint:
        """The patient walked along ``case``'s timeline to its end, as data (a checkpoint's)."""
        return self._walks.walked(self.plan, case).point()

    def resume_walk(self, case: Case, point: WalkPoint) -> None:
        """Go on for ``case`` from the walk ``point`` describes (its first ``point.fed`` events)."""
        self._walks.keep(case, Walk.resumed(self.plan, case.timeline, point))


def lab_from_data(data: Mapping[str, Any]) -> Lab:
    """The lab that ``to_data`` described (a snapshot's lab is a ``ScenarioLab``)."""
    kind = data.get("kind")
    if kind != "scenario":
        raise InvalidInput.single("lab", "kind", kind, "must be 'scenario'")
    try:
        return ScenarioLab.model_validate(dict(data))
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
        rule = "is measured by the lab, not chosen by the trainee; leave it out"
        problems = [Problem(f"{action}.{name}", choices[name], rule) for name in measured]
        raise InvalidInput(f"data for {action}", problems)
    try:
        model.model_validate(dict(choices))
    except ValidationError as error:
        raise InvalidInput.from_pydantic(f"data for {action}", error, prefix=action) from None


def _what_happens_first(
    case: Case, plan: CasePlan, action: str, wait: timedelta, choices: Mapping[str, Any]
) -> timedelta:
    """Record what happens to the trainee's patient before ``action``, drawn with the
    simulator's patient functions from what the trainee recorded; the wait left for ``action``.

    Closing the access with the trainee's sealant may bleed (``bleeds_after``), recorded as the
    access is closed; the day-1 Doppler may find a thrombosis (``thrombosis_after``), recorded at
    its time when the trainee's next action comes after it. A trainee who records the
    complication first (as the expert's moves do) is not given a second one.
    """
    record, state = case.record, case.state
    if state == "infuse.hemostasis" and action == "seal_access" and not record.complications:
        percutaneous = case.approach is Approach.PERCUTANEOUS
        sealant = choices.get("track_sealant") if percutaneous else None
        if case.check("seal_access", **choices).accepted and bleeds_after(plan, record, sealant):
            case.act("record_complication", after=wait, kind="bleeding")
            return _ZERO
    sealed = record.access_closed_at  # read from the record: the timeline may not be loaded
    found = any(c.kind == "portal_vein_thrombosis" for c in record.complications)
    if state == "immunosuppress.maintenance" and sealed is not None and not found:
        doppler = sealed + DOPPLER
        if case.now + wait >= doppler and (extent := thrombosis_after(plan, record)):
            before = max(_ZERO, doppler - case.now)
            on = "found on portal Doppler day 1"
            case.act(
                "record_complication",
                after=before,
                kind="portal_vein_thrombosis",
                extent=extent,
                detail=on,
            )
            return wait - before
    return wait


def act_with_lab(
    case: Case, lab: Lab, action: str, after: timedelta | str | None, choices: Mapping[str, Any]
) -> ActionResult:
    """``case.act`` with the trainee's ``choices`` and the lab's measurements.

    Malformed input (the trainee's or the lab's) raises before any time passes. The lab is asked
    even when the action will be refused (the case records a refusal with valid data); such a
    refusal's data is never shown as a result (``session.revealed`` reads accepted steps only).
    """
    check_choices(action, choices)
    wait = _wait(after)  # parsed once: Case.act takes the timedelta as it is
    if isinstance(lab, ScenarioLab) and action != "record_complication":
        wait = _what_happens_first(case, lab.plan, action, wait or _ZERO, choices)
    fields = MEASURED.get(action, frozenset())
    request = LabRequest(action, dict(choices), case, wait or _ZERO)
    answer = lab.measure(request) if fields else {}
    measured = {name: value for name, value in answer.items() if name in fields}
    # Case.act checks the wait against the calendar ('after'), before anything moves.
    return case.act(action, after=wait, **choices, **measured)
