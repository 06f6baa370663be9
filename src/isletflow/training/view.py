"""What a UI shows of a training session at one moment: ``View``, JSON-ready and typed.

``TrainingSession.view()`` builds it; the HTTP service serves the same model with the session's
header added (``service.schemas.SessionView`` is a ``View``), so a Python caller and a web page
read the same fields. Every duration in it is ISO 8601 (``P1DT9H30M``, ``IsoDuration``), the
form of all the data isletflow writes; every time is UTC.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from ..case import Case
from ..definition import Kind
from ..duration import IsoDuration
from ..guards import GuardResult
from ..guards.base import Compared
from ..models import Approach, Donor, Recipient, UtcDatetime
from ..record import CaseRecord
from ..timeline import Accepted, Event
from ..wording import prose
from .debrief import DebriefOutcome
from .lab import CHOICES, MEASURED, Lab, ScenarioLab
from .results import Results
from .scoring import Score

__all__ = [
    "MODES",
    "ActionView",
    "CaseView",
    "Choice",
    "DeadlineView",
    "Mode",
    "Verdict",
    "View",
    "brief_of",
    "choices_for",
    "measurements",
    "shown_score",
    "withholds",
]


Mode = Literal["guided", "assessment"]
"""How a session teaches: ``guided`` judges every possible action before it is tried (with its
reasons); ``assessment`` lists what may be tried but gives no verdict or reason until the trainee
attempts it (the attempt's answer and, after the case, the debrief reveal everything)."""
MODES: tuple[Mode, ...] = get_args(Mode)


def withholds(mode: Mode, finished: bool) -> bool:
    """Whether reasons wait for the debrief: in an assessment whose case has not ended.

    Then the score shows each deviation's kind, code, action and cost (the points move as they
    did) but no reasons, which may name the expert's path (``the expert path gives rabbit
    ATG``), and the debrief, which lays that path out, is not given (``InvalidInput``)."""
    return mode == "assessment" and not finished


def shown_score(score: Score, mode: Mode, finished: bool) -> Score:
    """``score`` as the trainee may see it now (``withholds``): reasons removed, or all of it."""
    if not withholds(mode, finished):
        return score
    hidden = tuple(d.model_copy(update={"reasons": ()}) for d in score.deviations)
    return score.model_copy(update={"deviations": hidden})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Verdict(_Frozen):
    """One guard's verdict: a stable code, a sentence a trainee reads, the values compared."""

    guard: str
    code: str
    passed: bool
    warning: bool = Field(False, description="A failed warning is recorded, not refused")
    message: str
    observed: Compared = None
    limit: Compared = None
    unit: str | None = None
    subcode: str | None = None
    time_left: IsoDuration | None = Field(None, description="For a time limit: the time left")

    @classmethod
    def of(cls, result: GuardResult) -> Verdict:
        """The verdict a trainee reads: the guard's sentence with names said in words."""
        return cls(
            guard=result.guard,
            code=result.code,
            passed=result.passed,
            warning=result.warning,
            message=prose(result.message),
            observed=result.observed,
            limit=result.limit,
            unit=result.unit,
            subcode=result.subcode,
            time_left=result.time_left,
        )

    @classmethod
    def all_of(cls, results: Sequence[GuardResult]) -> tuple[Verdict, ...]:
        return tuple(cls.of(result) for result in results)


class Choice(_Frozen):
    """One field a trainee fills in for an action, enough for a UI to build its form."""

    name: str
    required: bool
    description: str | None = None
    options: tuple[str, ...] | None = None
    many: bool = False
    json_schema: dict[str, Any] = Field(description="The field's JSON Schema, $refs resolved")


class ActionView(_Frozen):
    """An action possible now: would it be accepted (with what the lab would measure), and if
    not, every failing guard. In assessment mode it is not judged: ``accepted`` is None and no
    failure or warning is given."""

    action: str
    kind: Kind = Field(description="A step moves the case on; a recording only records")
    accepted: bool | None = Field(description="None in assessment mode: judged only when tried")
    failures: tuple[Verdict, ...] = ()
    warnings: tuple[Verdict, ...] = ()
    choices: tuple[Choice, ...] = Field((), description="What the trainee chooses")
    measured: tuple[str, ...] = Field((), description="Fields the lab fills in: never sent")


class DeadlineView(_Frozen):
    """An armed deadline: when it falls due on the case's clock and how long is left."""

    name: str
    code: str = Field(description="The code the case is aborted with if it passes")
    due: UtcDatetime
    time_left: IsoDuration


class Measurement(_Frozen):
    """A value the lab or a monitor gave, revealed by the step that produced it."""

    at: UtcDatetime
    action: str
    field: str
    value: bool | int | float | str
    context: dict[str, Any] = Field(default_factory=dict, description="The trainee's choices")


class CaseView(_Frozen):
    """Who and how: the donor, the recipient and the approach of the case."""

    donor: Donor
    recipient: Recipient
    approach: Approach
    cpt_code: str = Field(description="The approach's procedure code")

    @classmethod
    def of(cls, case: Case) -> CaseView:
        approach = case.approach
        return cls(
            donor=case.donor,
            recipient=case.recipient,
            approach=approach,
            cpt_code=approach.spec.cpt_code,
        )


class View(_Frozen):
    """What a UI shows at one moment."""

    exercise: str = Field(description="A title: the scenario, seed and case index")
    mode: Mode = Field("guided", description="guided: actions judged before they are tried")
    now: UtcDatetime = Field(description="The case's clock")
    since_clamp: IsoDuration = Field(description="Time since the donor's cross-clamp")
    state: str
    phase: str
    finished: bool
    outcome: DebriefOutcome | None
    allowed: tuple[ActionView, ...] = Field(description="Every action possible now")
    deadlines: tuple[DeadlineView, ...] = Field(description="The armed ones, the soonest first")
    revealed: tuple[Measurement, ...] = Field(description="Values measured so far, by step")
    score: Score = Field(description="So far, against the expert path, with each deviation")
    record: CaseRecord = Field(description="Everything the case has recorded so far")
    case: CaseView
    results: Results = Field(
        default_factory=Results,
        description="The values revealed as a clinician reads them: units, limits, verdicts",
    )
    brief: str | None = Field(None, description="The case brief, as the clinician received it")


def brief_of(lab: Lab) -> str | None:
    """The case brief of the scenario a lab measures (its description), if it has one."""
    if not isinstance(lab, ScenarioLab):
        return None
    return str(lab.scenario.get("description") or "") or None


def _resolve(node: Any, defs: Mapping[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _resolve(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _resolve(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(value, defs) for value in node]
    return node


def _options(schema: Mapping[str, Any]) -> tuple[tuple[str, ...] | None, bool]:
    many = schema.get("type") == "array"
    node = schema.get("items", schema) if many else schema
    for variant in [node, *node.get("anyOf", [])]:
        if "enum" in variant:
            return tuple(str(v) for v in variant["enum"]), many
    return None, many


@functools.cache
def choices_for(action: str) -> tuple[Choice, ...]:
    """The fields a trainee chooses for ``action`` (its data less what the lab measures)."""
    schema = CHOICES[action].model_json_schema()
    defs = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    fields = []
    for name, raw in schema.get("properties", {}).items():
        resolved = _resolve(raw, defs)
        options, many = _options(resolved)
        fields.append(
            Choice(
                name=name,
                required=name in required,
                description=resolved.get("description"),
                options=options,
                many=many,
                json_schema=resolved,
            )
        )
    return tuple(fields)


def measurements(event: Event) -> list[Measurement]:
    """The values ``event`` revealed: the measured fields of an accepted step, else none."""
    if not isinstance(event, Accepted):
        return []
    measured = MEASURED.get(event.action, frozenset())
    if not measured:
        return []
    context = {k: v for k, v in event.data.items() if k not in measured}
    return [
        Measurement(at=event.at, action=event.action, field=name, value=value, context=context)
        for name, value in event.data.items()
        if name in measured
    ]
