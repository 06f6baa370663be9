"""A lab that measures what a scenario sampled: the same case the simulator runs.

``ScenarioLab`` holds a scenario (as JSON data), a seed and a case index: plain data, so a
session snapshot carries it. From them it samples the case's ``CasePlan`` once
(``PlanSampler(scenario).sample(seed, index)``, the simulator's own sampler), and answers with
the plan's values: digest and purified yield, the release tests, the trough level, the Igls
grade. Portal pressures come from the simulator's own ``Patient`` model, brought to the request's
time by walking the case's timeline (infusing or not between its events, as the simulator syncs
it between moves) and with the n-th reading drawing the n-th value of the case's
``portal_pressure.readings`` stream. So a trainee who makes the simulator's moves reads the
simulator's values, and the expert path is ``simulate(scenario, seed, index).timeline``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from ..case import Case
from ..errors import InvalidInput
from ..patient import Patient
from ..sampling import CasePlan, PlanSampler
from ..scenario import Scenario
from ..timeline import Accepted, Advanced, Refused
from .lab import LabRequest

__all__ = ["ScenarioLab"]

_INFUSING = "infuse.infusing"
_ZERO = timedelta(0)


class ScenarioLab(BaseModel):
    """Measures case ``index`` of ``scenario`` under ``seed``: the values the simulator uses."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["scenario"] = "scenario"
    scenario: dict[str, Any] = Field(description="The scenario as JSON data")
    seed: int = Field(ge=0)
    index: int = Field(0, ge=0)
    _plan: CasePlan = PrivateAttr()

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
            patient, state = _patient(plan, case, draws=_readings(case))
            return {"mmhg": patient.reading(request.at - case.now, state == _INFUSING)}
        if action == "record_trough":
            return self._trough(plan, str(request.choices.get("drug", "")))
        if action == "assess_graft":
            return {"igls_grade": plan.igls_grade}
        if action == "complete_infusion" and case.state == "infuse.paused":
            patient, _ = _patient(plan, case, draws=0)
            patient.sync(request.at, False)
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


def _readings(case: Case) -> int:
    """Readings asked for so far: each drew one value of the readings stream."""
    return sum(
        1
        for e in case.timeline
        if isinstance(e, Accepted | Refused) and e.action == "record_portal_pressure"
    )


def _patient(plan: CasePlan, case: Case, *, draws: int) -> tuple[Patient, str]:
    """The simulator's patient, synced as the simulator would have at each of the case's moves.

    Between two moves the patient was infused if the case stood in ``infuse.infusing``; the
    pressure's rise and fall compose exactly, so syncing at every input event (the simulator's
    moves) gives the simulator's numbers. ``draws`` readings already taken are drawn and dropped,
    so the next one draws what the simulator's next reading would.
    """
    patient = Patient(plan)
    for _ in range(draws):
        patient.reading(_ZERO, False)
    timeline = case.timeline
    patient.sync(timeline.created.at, False)
    state = ""  # before the first event: only 'created', which syncs nothing
    for event, after in timeline.states():
        if isinstance(event, Accepted | Refused | Advanced):
            patient.sync(event.at, state == _INFUSING)  # infused since the last move, or not
        state = after
    patient.sync(case.now, state == _INFUSING)
    return patient, state
