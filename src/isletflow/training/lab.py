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
(``_Walks``), so a reading does not walk the whole timeline again.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
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
from ..duration import NonNegativeDuration
from ..errors import InvalidInput, Problem, UnknownAction
from ..models import UtcDatetime
from ..patient import Patient
from ..sampling import CasePlan, PlanSampler
from ..scenario import Scenario
from ..simulation import graft_assessment
from ..timeline import Accepted, Advanced, Event, Refused, Timeline, state_after

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
    _plan: CasePlan = PrivateAttr()
    _walks: _Walks = PrivateAttr(default_factory=lambda: _Walks())

    def model_post_init(self, context: Any, /) -> None:
        # Validated and sampled once; a scenario with problems raises InvalidInput listing them.
        scenario = Scenario.from_mapping(self.scenario)
        self._plan = PlanSampler(scenario).sample(self.seed, self.index)

    @classmethod
    def of(cls, scenario: Scenario, seed: int, index: int = 0) -> ScenarioLab:
        """The lab of case ``index`` of ``scenario`` under ``seed``."""
        data = scenario.model_dump(mode="json", exclude_unset=True)
        return cls(scenario=data, seed=seed, index=index)

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
        return data

    def walk_point(self, case: Case) -> WalkPoint:
        """The patient walked along ``case``'s timeline to its end, as data (a checkpoint's)."""
        return self._walks.walked(self.plan, case).point()

    def resume_walk(self, case: Case, point: WalkPoint) -> None:
        """Go on for ``case`` from the walk ``point`` describes (its first ``point.fed`` events)."""
        self._walks.keep(case, _Walk.resumed(self.plan, case.timeline, point))


class WalkPoint(BaseModel):
    """The lab's walk of one case's patient after ``fed`` events, as data (``ScenarioLab``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fed: int = Field(ge=1)
    state: str
    at: UtcDatetime | None
    excess_mmhg: float
    infused: timedelta
    readings: dict[str, Any] | None = Field(description="The readings stream's generator state")


class _Walk:
    """The simulator's patient walked along one case's timeline, as far as it has been fed.

    The patient is synced as the simulator would have at each of the case's moves: between two
    moves it was infused if the case stood in ``infuse.infusing`` (the pressure's rise and fall
    compose exactly, so syncing at every input event gives the simulator's numbers), and each
    reading asked for drew one value of the readings stream, so the next draws what the
    simulator's next reading would.
    """

    __slots__ = ("created", "fed", "last", "patient", "plan", "state")

    def __init__(self, plan: CasePlan, created: Event) -> None:
        self.plan, self.created = plan, created
        self.patient = Patient(plan)
        self.patient.sync(created.at, False)
        (_, self.state), *_ = Timeline([created]).states()
        self.fed, self.last = 1, created

    def follows(self, timeline: Sequence[Event]) -> bool:
        """Whether ``timeline`` is the one fed so far, grown (its events are the very ones)."""
        fed = self.fed
        return (
            len(timeline) >= fed and timeline[0] is self.created and timeline[fed - 1] is self.last
        )

    def feed(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, Accepted | Refused | Advanced):
                self.patient.sync(event.at, self.state == _INFUSING)  # since the last move
            if isinstance(event, Accepted | Refused) and event.action == "record_portal_pressure":
                self.patient.reading(_ZERO, False)  # the value this reading drew, dropped
            self.state = state_after(event, self.state)
            self.fed += 1
            self.last = event

    def point(self) -> WalkPoint:
        patient = self.patient
        rng = patient._rng
        return WalkPoint(
            fed=self.fed,
            state=self.state,
            at=patient._at,
            excess_mmhg=patient.excess_mmhg,
            infused=patient.infused,
            readings=None if rng is None else dict(rng.bit_generator.state),
        )

    @classmethod
    def resumed(cls, plan: CasePlan, timeline: Sequence[Event], point: WalkPoint) -> _Walk:
        """The walk ``point`` describes, of ``timeline`` (reading its first and fed-th events)."""
        walk = cls(plan, timeline[0])
        patient = walk.patient
        patient._at, patient.excess_mmhg, patient.infused = (
            point.at,
            point.excess_mmhg,
            point.infused,
        )
        if point.readings is not None:
            patient._rng = plan.stream("portal_pressure.readings")
            patient._rng.bit_generator.state = point.readings
        walk.state, walk.fed, walk.last = point.state, point.fed, timeline[point.fed - 1]
        return walk

    def at(self, now: datetime) -> tuple[Patient, str]:
        """A copy of the patient brought to ``now``, and the case's state (this walk goes on)."""
        patient = copy.deepcopy(self.patient, {id(self.plan): self.plan})
        patient.sync(now, self.state == _INFUSING)
        return patient, self.state


class _Walks:
    """Each case's walk, kept to go on from (a cache, so any two compare equal): a reading costs
    the same at the tenth event as at the ten-thousandth. A case is known by its events (the
    walk keeps its first and last), never kept alive; the least recently used go first."""

    LIMIT = 256

    def __init__(self) -> None:
        self._walks: OrderedDict[int, _Walk] = OrderedDict()
        self._lock = threading.Lock()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Walks)

    def patient(self, plan: CasePlan, case: Case) -> tuple[Patient, str]:
        """The patient at ``case.now`` and the case's state, as the whole walk would give them."""
        return self.walked(plan, case).at(case.now)

    def walked(self, plan: CasePlan, case: Case) -> _Walk:
        """The case's walk, fed to the end of its timeline (kept to go on from)."""
        timeline = case.timeline
        with self._lock:
            walk = self._walks.pop(id(timeline[0]), None)
        if walk is None or walk.plan is not plan or not walk.follows(timeline):
            walk = _Walk(plan, timeline[0])
        walk.feed(timeline[walk.fed :])  # a new walk has taken the first event
        self.keep(case, walk)
        return walk

    def keep(self, case: Case, walk: _Walk) -> None:
        with self._lock:
            self._walks[id(case.timeline[0])] = walk
            while len(self._walks) > self.LIMIT:
                self._walks.popitem(last=False)


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
    fields = MEASURED.get(action, frozenset())
    request = LabRequest(action, dict(choices), case, wait or _ZERO)
    answer = lab.measure(request) if fields else {}
    measured = {name: value for name, value in answer.items() if name in fields}
    # Case.act checks the wait against the calendar ('after'), before anything moves.
    return case.act(action, after=wait, **choices, **measured)
