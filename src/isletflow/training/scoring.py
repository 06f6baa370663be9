"""Scoring: a trainee's protocol deviations, found by comparing two timelines.

``deviations`` reads the trainee's timeline beside the expert's and names every deviation;
``score`` prices them with a ``Rubric``. Both are pure functions of (trainee timeline, expert
timeline, rubric), recomputable from a stored timeline at any time. Both are one fold over the
trainee's events, ``Scorer``: a session keeps its scorer and feeds it each new event, so scoring
after an act costs the same at the tenth event as at the ten-thousandth.

Every deviation is charged, when it happens, to the event that caused it (``event_index``, and
``action`` when it was an action): later events never move it or take it back, so the score a
trainee sees drops at the action or wait that cost it.

The kinds of deviation:

- ``refused``: an action the engine refused, one deviation per distinct guard code.
- ``out_of_order``: an accepted action taken ahead of expert actions not yet done (it jumps
  ahead of them), or one the expert path does not take (extra), judged when it is taken.
- ``warning``: a warning the expert path did not get.
- ``deadline_breached``: a deadline that fired where the expert path met none (the trainee
  waited until the islets were lost); one the expert path met too is the scenario's logistics.
- ``avoidable_abort``: the case ended aborted or discarded where the expert path completed.
- ``abort_without_cause``: an ``abort`` or ``reject`` (charged to it) whose reason no refusal or
  warning had shown and the expert path did not end with; a failed release is a reject's cause.
- ``wrong_induction``: an induction agent the expert path does not give (case and spacing aside).
- ``high_heparin``: heparin added at or over the bleeding-risk threshold [S47] and more than the
  expert path adds, charged to that ``add_heparin`` (its warning at ``start_infusion`` is not
  charged again).
- ``late_infusion``: the infusion started later than the expert's, beyond the rubric's grace.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from ..model.bleeding import high_heparin
from ..models import UtcDatetime
from ..timeline import (
    Accepted,
    DeadlineFired,
    Event,
    JsonEvent,
    Outcome,
    Refused,
    Timeline,
    Warned,
)
from ..wording import action_words, prose
from .reasons import abort_reason, deadline_reason, heparin_reason, late_reason, order_reason
from .rubric import DEVIATION_KINDS, DeviationKind, Rubric

__all__ = [
    "Deviation",
    "Score",
    "Scorer",
    "ScorerPoint",
    "deviations",
    "infusion_started",
    "score",
]


class Deviation(BaseModel):
    """One departure from the protocol or the expert path, with when, why and what it cost."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: DeviationKind
    code: str
    at: UtcDatetime
    action: str | None = None
    reasons: tuple[str, ...] = ()
    cost: float
    event_index: int | None = None  # where in the trainee's timeline, if one event caused it


class Score(BaseModel):
    """The points left after every deviation's cost, never below zero."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    points: float
    full_marks: float
    deviations: tuple[Deviation, ...]

    @property
    def lost(self) -> float:
        return sum(d.cost for d in self.deviations)


class ScorerPoint(BaseModel):
    """A ``Scorer`` part-way, as data: what it took in of the first ``fed`` events.

    Written into the service's checkpoints (``Scorer.point``, ``Scorer.resumed``), so a session
    continued from one scores on without feeding the events before it again.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    fed: int = Field(ge=1)
    found: tuple[Deviation, ...]
    ending: JsonEvent | None
    ended_by: JsonEvent | None
    outcome: Outcome | None
    infusion: tuple[int, JsonEvent] | None
    causes: tuple[str, ...] = Field((), description="Codes the refusals and warnings showed")
    expected: int = Field(ge=0, description="Where in the expert's actions the trainee stands")
    owed: dict[str, int] = Field(description="Expert actions jumped over, not done yet")
    ended_index: int | None = Field(None, description="Where ended_by stands in the timeline")


_ENDINGS = ("abort", "reject")  # the actions that end a case by choice, with a ``reason``
# Warnings charged where their cause was chosen (the dose in ``add_heparin``), not where they show.
_CHARGED_AT_CAUSE = frozenset({"heparin_bleeding_risk"})


def _agent(event: Accepted) -> str:
    """An induction's agent as compared: case and spacing aside (``Rabbit  ATG`` is rabbit atg)."""
    return " ".join(str(event.data.get("agent", "")).casefold().split())


def infusion_started(events: Sequence[Event]) -> timedelta | None:
    """Time from cross-clamp to the start of the infusion, if it started."""
    for event in events:
        if isinstance(event, Accepted) and event.action == "start_infusion":
            return event.at - Timeline(events).cross_clamp
    return None


def _ordered(events: Sequence[Event], rubric: Rubric) -> list[str]:
    """The actions compared for order: accepted ones the rubric does not leave out."""
    return [
        e.action for e in events if isinstance(e, Accepted) and e.action not in rubric.order_ignores
    ]


class Scorer:
    """The deviations of a trainee's timeline, taken in event by event (``feed``).

    ``score`` and ``deviations`` are this fold over the whole timeline. Each event is looked at
    once, when it is fed, and what it costs is known then. So ``Scorer(expert, rubric)
    .feed(events[:k]).feed(events[k:])`` scores as ``score(events, expert, rubric)``, for any k.
    """

    def __init__(self, expert: Sequence[Event], rubric: Rubric) -> None:
        self.rubric = rubric
        self._expert_names = _ordered(expert, rubric)
        self._expert_warnings = {e.warning.code for e in expert if isinstance(e, Warned)}
        self._expert_deadlines = {e.deadline for e in expert if isinstance(e, DeadlineFired)}
        self._causes: set[str] = set()  # codes a refusal or warning has shown so far
        # The expert's reason to end the case: the scenario calls for it, refused or not.
        endings = [e for e in expert if isinstance(e, Accepted) and e.action in _ENDINGS]
        self._expert_reasons = {str(e.data.get("reason")) for e in endings}
        given = [e for e in expert if isinstance(e, Accepted) and e.action == "give_induction"]
        self._expert_agents = {_agent(e) for e in given}
        doses = [
            e.data["units_per_kg"]
            for e in expert
            if isinstance(e, Accepted) and e.action == "add_heparin"
        ]
        self._expert_heparin: float | None = max(map(float, doses), default=None)
        self._expert_outcome = Timeline(expert).outcome
        self._expert_infusion = infusion_started(expert)
        self._expected = 0  # the next of the expert's actions in order
        self._owed: dict[str, int] = {}  # expert actions an earlier action jumped ahead of
        self.fed = 0
        self._first: Event | None = None
        self._found: list[Deviation] = []  # refusals, warnings and deadlines, in event order
        self._ending: Event | None = None  # the last accepted action or deadline
        self._outcome: Outcome | None = None
        self.ended_by: Event | None = None  # the event the outcome comes from
        self._ended_index: int | None = None
        self._infusion: tuple[int, Accepted] | None = None  # the first start_infusion
        self._score: Score | None = None

    def point(self) -> ScorerPoint:
        """This scorer as data, to go on from with ``resumed`` (after at least one event)."""
        return ScorerPoint.model_construct(
            fed=self.fed,
            found=tuple(self._found),
            ending=self._ending,
            ended_by=self.ended_by,
            outcome=self._outcome,
            infusion=self._infusion,
            causes=tuple(sorted(self._causes)),
            expected=self._expected,
            owed=dict(self._owed),
            ended_index=self._ended_index,
        )

    @classmethod
    def resumed(
        cls, expert: Sequence[Event], rubric: Rubric, point: ScorerPoint, first: Event
    ) -> Scorer:
        """The scorer ``point`` describes, of a timeline that begins with ``first``."""
        scorer = cls(expert, rubric)
        scorer.fed, scorer._first = point.fed, first
        scorer._found = list(point.found)
        scorer._causes = set(point.causes)
        scorer._ending, scorer.ended_by, scorer._outcome = (
            point.ending,
            point.ended_by,
            point.outcome,
        )
        if point.infusion is not None:
            index, started = point.infusion
            if not isinstance(started, Accepted):
                raise ValueError("a scorer's infusion must be an accepted start_infusion")
            scorer._infusion = (index, started)
        scorer._expected, scorer._owed = point.expected, dict(point.owed)
        scorer._ended_index = point.ended_index
        return scorer

    def feed(self, events: Iterable[Event]) -> Scorer:
        """Take in the timeline's next events (those after the ``fed`` already taken)."""
        for event in events:
            self._take(self.fed, event)
            self.fed += 1
            self._score = None
        return self

    def _take(self, index: int, event: Event) -> None:
        if self._first is None:
            self._first = event
        rubric = self.rubric
        if isinstance(event, Refused):
            self._causes |= {f.code for f in event.failures}
            self._causes |= {f.subcode for f in event.failures if f.subcode}
            for code in dict.fromkeys(f.code for f in event.failures):
                reasons = tuple(prose(f.message) for f in event.failures if f.code == code)
                self._add(index, event, "refused", code, event.action, reasons)
        elif isinstance(event, Warned):
            self._causes.add(event.warning.code)
            code = event.warning.code
            if code not in self._expert_warnings and code not in _CHARGED_AT_CAUSE:
                reasons = (prose(event.warning.message),)
                self._add(index, event, "warning", event.warning.code, event.action, reasons)
        elif isinstance(event, DeadlineFired) and event.deadline not in self._expert_deadlines:
            reason = deadline_reason(event, self._first)
            self._add(index, event, "deadline_breached", event.code, None, (reason,))
        if isinstance(event, Accepted | DeadlineFired):
            self._ending = event
            ended = Timeline([event]).outcome  # the timeline's outcome is its last such event
            if ended is not None:
                self._outcome, self.ended_by, self._ended_index = ended, event, index
        if not isinstance(event, Accepted):
            return
        if event.action in _ENDINGS:
            reason = str(event.data.get("reason"))
            released = event.action == "reject" and "release_failed" in self._causes
            if not released and reason not in self._causes | self._expert_reasons:
                why = (
                    f"The trainee chose to {action_words(event.action)} ({prose(reason)}), but no "
                    "refusal or warning had shown that reason.",
                )
                self._add(index, event, "abort_without_cause", reason, event.action, why)
        if (
            event.action == "give_induction"
            and self._expert_agents
            and _agent(event) not in self._expert_agents
        ):
            why = (
                f"The trainee gave {event.data.get('agent')} as induction; the expert path gives "
                f"{', '.join(sorted(self._expert_agents))}.",
            )
            self._add(index, event, "wrong_induction", "induction_agent", event.action, why)
        if event.action == "add_heparin":
            self._judge_heparin(index, event)
        if event.action == "start_infusion" and self._infusion is None:
            self._infusion = (index, event)
        if event.action not in rubric.order_ignores:
            self._judge_order(index, event)

    def _judge_order(self, index: int, event: Accepted) -> None:
        """Whether ``event`` keeps the expert's order, judged now and never again.

        The trainee stands at ``expected`` in the expert's actions. An action owed (one an
        earlier action jumped ahead of) or the expected one is in order. One further on jumps
        ahead of the expert actions between: it is out of order, and those become owed, so
        doing them afterwards costs nothing (one action done early is one deviation, not a
        cascade). One the expert path does not take from here on is extra.
        """
        action, names, owed = event.action, self._expert_names, self._owed
        if owed.get(action, 0) > 0:
            owed[action] -= 1
            return
        ahead = names[self._expected :]
        if action not in ahead:
            reason = order_reason(action, (), names)
        else:
            jumped = ahead[: ahead.index(action)]
            self._expected += len(jumped) + 1
            if not jumped:
                return
            for name in jumped:
                owed[name] = owed.get(name, 0) + 1
            reason = order_reason(action, jumped, names)
        self._add(index, event, "out_of_order", action, action, (reason,))

    def _judge_heparin(self, index: int, event: Accepted) -> None:
        units, theirs = float(event.data["units_per_kg"]), self._expert_heparin
        if not high_heparin(units) or (theirs is not None and units <= theirs):
            return
        why = (heparin_reason(units, theirs),)
        self._add(index, event, "high_heparin", "heparin_bleeding_risk", event.action, why)

    def _add(
        self,
        index: int,
        event: Event,
        kind: DeviationKind,
        code: str,
        action: str | None,
        reasons: tuple[str, ...],
    ) -> None:
        cost = self.rubric.cost(kind, code if kind in ("refused", "warning") else None)
        self._found.append(
            Deviation(
                kind=kind,
                code=code,
                at=event.at,
                action=action,
                reasons=reasons,
                cost=cost,
                event_index=index,
            )
        )

    @property
    def outcome(self) -> Outcome | None:
        """How the timeline fed so far ended (``Timeline.outcome``), or ``None``."""
        return self._outcome

    def deviations(self) -> list[Deviation]:
        """Every deviation of the timeline fed so far, in the order they happened."""
        late = self._late_infusion()
        order = {kind: n for n, kind in enumerate(DEVIATION_KINDS)}
        found = sorted(
            [*self._found, *([] if late is None else [late])],
            key=lambda d: (-1 if d.event_index is None else d.event_index, order[d.kind]),
        )
        mine, theirs = self._outcome, self._expert_outcome
        if mine and mine.status != "completed" and theirs and theirs.status == "completed":
            found.append(  # the case's last event: nothing is charged after it
                Deviation(
                    kind="avoidable_abort",
                    code=mine.code or mine.status,
                    at=mine.at,
                    action=self.ended_by.action if isinstance(self.ended_by, Accepted) else None,
                    reasons=(abort_reason(mine, self._ending, self._first),),
                    cost=self.rubric.cost("avoidable_abort"),
                    event_index=self._ended_index,
                )
            )
        return found

    def _late_infusion(self) -> Deviation | None:
        theirs, rubric = self._expert_infusion, self.rubric
        if self._infusion is None or self._first is None or theirs is None:
            return None
        index, started = self._infusion
        mine = started.at - Timeline([self._first]).cross_clamp
        if mine - theirs <= rubric.late_infusion_grace:
            return None
        hours = (mine - theirs - rubric.late_infusion_grace) / timedelta(hours=1)
        cost = round(min(hours * rubric.cost("late_infusion"), rubric.late_infusion_max), 2)
        reason = late_reason(mine, theirs, rubric.late_infusion_grace)
        return Deviation(
            kind="late_infusion",
            code="late_infusion",
            at=started.at,
            action="start_infusion",
            reasons=(reason,),
            cost=cost,
            event_index=index,
        )

    def score(self) -> Score:
        """The score of the timeline fed so far (kept until the next event is fed)."""
        if self._score is None:
            found = tuple(self.deviations())
            points = max(0.0, self.rubric.full_marks - sum(d.cost for d in found))
            full_marks = self.rubric.full_marks
            self._score = Score(points=round(points, 2), full_marks=full_marks, deviations=found)
        return self._score


def deviations(
    trainee: Sequence[Event], expert: Sequence[Event], rubric: Rubric
) -> list[Deviation]:
    """Every deviation of the trainee's timeline, in the order they happened."""
    return Scorer(expert, rubric).feed(trainee).deviations()


def score(trainee: Sequence[Event], expert: Sequence[Event], rubric: Rubric) -> Score:
    """The trainee's score against the expert path under ``rubric``."""
    return Scorer(expert, rubric).feed(trainee).score()
