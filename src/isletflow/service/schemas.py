"""What crosses the HTTP boundary: request bodies (validated) and answers (documented).

Each model here is published in the OpenAPI document. Requests forbid unknown fields and bound
every size, so a body that breaks a rule is refused with a 422 naming the field, the value and
the rule before anything reaches a case.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from .. import workflow as wf
from ..duration import format_duration, parse_duration
from ..training.rubric import Rubric

__all__ = [
    "ActRequest",
    "ActResponse",
    "ActionInfo",
    "AdvanceRequest",
    "AdvanceResponse",
    "AllowedAction",
    "ConflictResponse",
    "CreateSession",
    "DeadlineView",
    "DiagramView",
    "GuardView",
    "OutcomeView",
    "ProblemView",
    "ProblemsResponse",
    "ScenarioView",
    "ScoreView",
    "SessionView",
    "TimelineResponse",
]

MAX_STEP = timedelta(days=366)
"""The longest time one request may move a session's clock on."""


def _bounded_step(text: str) -> str:
    try:
        step = parse_duration(text)
    except OverflowError:
        raise ValueError(f"must be at most {format_duration(MAX_STEP)}") from None
    if step < timedelta(0):
        raise ValueError("must not be negative")
    if step > MAX_STEP:
        raise ValueError(f"must be at most {format_duration(MAX_STEP)}")
    return text


Step = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^(\d{1,6}(\.\d{1,6})?(d|h|min|s))+$",
        examples=["90min", "6h", "1h30min"],
        description="A duration with units: d, h, min, s (at most 366d)",
    ),
    AfterValidator(_bounded_step),
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CreateSession(_Request):
    """Start a training session on a bundled scenario or a posted one: give exactly one."""

    scenario: str | None = Field(
        None,
        max_length=64,
        examples=["standard"],
        description="A bundled scenario's name (GET /api/scenarios)",
    )
    scenario_spec: dict[str, Any] | None = Field(
        None, description="A scenario in the scenario file format, as JSON (validated)"
    )
    seed: int | None = Field(
        None, ge=0, le=2**63 - 1, description="Default: the scenario's own seed, else 0"
    )
    index: int = Field(0, ge=0, le=1_000_000, description="Which case of the scenario")
    rubric: Rubric | None = Field(None, description="Overrides of the rubric's weights")

    @model_validator(mode="after")
    def _one_source(self) -> CreateSession:
        if (self.scenario is None) == (self.scenario_spec is None):
            raise ValueError("give exactly one of 'scenario' or 'scenario_spec'")
        return self


class ActRequest(_Request):
    """Take one action, based on the session version the client last saw."""

    action: str = Field(
        min_length=1,
        max_length=64,
        examples=["start_isolation"],
        json_schema_extra={"enum": [*wf.ACTIONS]},  # the engine names the valid ones if not
    )
    expected_version: int = Field(ge=0, description="The session's version the client saw")
    after: Step | None = Field(None, description="Time that passes before the action")
    data: dict[str, Any] = Field(
        default_factory=dict, description="The action's data; see GET /api/actions"
    )


class AdvanceRequest(_Request):
    """Move the session's clock on; deadlines it passes fire."""

    by: Step
    expected_version: int = Field(ge=0)


# -- Answers -------------------------------------------------------------------------------


class GuardView(BaseModel):
    """One guard's verdict: a stable code, a sentence, the values compared."""

    guard: str
    code: str
    passed: bool
    warning: bool
    message: str
    observed: Any = None
    limit: Any = None
    unit: str | None = None
    subcode: str | None = None
    time_left: str | None = Field(None, description="For deadlines: time left, e.g. 3h20min")


class AllowedAction(BaseModel):
    """An action possible in this state, and the guards that would fail if taken now."""

    action: str
    kind: Literal["step", "recording"] = Field(description="A step changes the state")
    accepted: bool = Field(
        description="Whether it would be accepted now, with what the lab would measure"
    )
    failures: list[GuardView]
    warnings: list[GuardView]
    choices: list[dict[str, Any]] = Field(
        description="The fields the trainee chooses (name, required, options, json_schema)"
    )
    measured: list[str] = Field(description="Fields the lab fills in: never sent by a client")


class DeadlineView(BaseModel):
    """An armed deadline: when it falls due and how long is left on the session's clock."""

    name: str
    code: str
    due: datetime
    time_left: str
    seconds_left: float


class ScoreView(BaseModel):
    """The score so far against the expert path, with every deviation and its cost."""

    points: float
    full_marks: float
    deviations: list[dict[str, Any]]


class OutcomeView(BaseModel):
    status: Literal["completed", "aborted", "discarded"]
    code: str | None
    at: datetime


class SessionView(BaseModel):
    """A session's state: what a trainer needs to show and what a client needs to act."""

    id: str
    kind: str = Field(description="What the session runs: 'training'")
    exercise: str = Field(description="A title: the scenario, seed and case index")
    scenario: str | None = Field(description="The bundled scenario's name; None if posted")
    seed: int
    index: int
    version: int = Field(description="Number of events; send it back as expected_version")
    now: datetime
    since_cross_clamp: str
    state: str
    phase: str
    terminal: bool
    outcome: OutcomeView | None
    allowed: list[AllowedAction]
    deadlines: list[DeadlineView]
    record: dict[str, Any] = Field(description="Everything the case has recorded so far")
    revealed: list[dict[str, Any]] = Field(description="Values the lab measured, by step")
    score: ScoreView
    case: dict[str, Any] = Field(description="Donor, recipient and approach")


class ActResponse(BaseModel):
    """An action's verdict. A refusal is a normal answer: ``accepted`` false, with why."""

    accepted: bool
    action: str
    failures: list[GuardView]
    warnings: list[GuardView]
    events: list[dict[str, Any]] = Field(description="The events this request added")
    session: SessionView


class AdvanceResponse(BaseModel):
    events: list[dict[str, Any]]
    session: SessionView


class TimelineResponse(BaseModel):
    version: int
    events: list[dict[str, Any]]


class ScenarioView(BaseModel):
    """A bundled scenario a session can start from."""

    name: str
    title: str
    description: str


class DiagramView(BaseModel):
    """The workflow as data (to draw) and as Mermaid text, with the session's path marked."""

    state: str = Field(description="Where the session stands now")
    states: list[dict[str, Any]] = Field(description="name, phase, visited")
    edges: list[dict[str, Any]] = Field(description="source, target, name, kind, taken")
    mermaid: str


class ActionInfo(BaseModel):
    """An action and the JSON Schema of the data it takes."""

    name: str
    data_schema: dict[str, Any] = Field(description="What the trainee chooses (measured left out)")
    measured: list[str] = Field(description="Fields the lab measures; a client never sends them")


class ProblemView(BaseModel):
    location: str
    value: Any = None
    rule: str


class ProblemsResponse(BaseModel):
    """A 422: every problem with the input, each with the field, the value and the rule."""

    detail: str
    problems: list[ProblemView]


class ConflictResponse(BaseModel):
    """A 409: the action was based on an old version; here is the current state."""

    detail: str
    session: SessionView | None = None
