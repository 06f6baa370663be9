"""Scoring: a trainee's protocol deviations, found by comparing two timelines.

``deviations`` reads the trainee's timeline beside the expert's and names every deviation;
``score`` prices them with a ``Rubric``. Both are pure functions of (trainee timeline, expert
timeline, rubric), recomputable from a stored timeline at any time. Both are one fold over the
trainee's events, ``Scorer``: a session keeps its scorer and feeds it each new event, so scoring
after an act costs the same at the tenth event as at the ten-thousandth.

The kinds of deviation:

- ``refused``: an action the engine refused, one deviation per distinct guard code.
- ``out_of_order``: an accepted action outside the longest common subsequence of the trainee's and
  the expert's actions (extra, or done in another order).
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

from ..duration import spoken
from ..model.bleeding import high_heparin
from ..model.parameters import DEFAULT as MODEL
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
from .alignment import Alignment
from .reasons import abort_reason, deadline_reason, order_reason
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
    candidates: tuple[Deviation, ...]
    taken: dict[str, int]
    ending: JsonEvent | None
    ended_by: JsonEvent | None
    outcome: Outcome | None
    infusion: tuple[int, JsonEvent] | None
    ordered: int = Field(ge=0, description="How many actions the order comparison holds")
    causes: tuple[str, ...] = Field((), description="Codes the refusals and warnings showed")
    positions: dict[str, list[int]]


_ENDINGS = ("abort", "reject")  # the actions that end a case by choice, with a ``reason``
# Warnings charged where their cause was chosen (the dose in ``add_heparin``), not where they show.
_CHARGED_AT_CAUSE = frozenset({"heparin_bleeding_risk"})


def _agent(event: Accepted) -> str:
    """An induction's agent as compared: case and spacing aside (``Rabbit  ATG`` is rabbit atg)."""
    return " ".join(str(event.data.get("agent", "")).casefold().split())


def _heparin(event: Accepted) -> float:
    return float(event.data.get("units_per_kg") or 0.0)


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
    once, when it is fed: what it costs is known then, except whether an accepted action is in
    the expert's order, which depends on the actions after it (the ``Alignment`` answers that
    for the timeline so far). So ``Scorer(expert, rubric).feed(events[:k]).feed(events[k:])``
    scores exactly as ``score(events, expert, rubric)`` does, for every ``k``.
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
            _heparin(e) for e in expert if isinstance(e, Accepted) and e.action == "add_heparin"
        ]
        self._expert_heparin = max(doses, default=None)
        self._expert_outcome = Timeline(expert).outcome
        self._expert_infusion = infusion_started(expert)
        self._alignment = Alignment(self._expert_names)
        self.fed = 0
        self._first: Event | None = None
        self._found: list[Deviation] = []  # refusals, warnings and deadlines, in event order
        self._candidates: list[Deviation] = []  # each ordered action, were it out of order
        self._taken: dict[str, int] = {}
        self._ending: Event | None = None  # the last accepted action or deadline
        self._outcome: Outcome | None = None
        self.ended_by: Event | None = None  # the event the outcome comes from
        self._infusion: tuple[int, Accepted] | None = None  # the first start_infusion
        self._score: Score | None = None

    def point(self) -> ScorerPoint:
        """This scorer as data, to go on from with ``resumed`` (after at least one event)."""
        alignment = self._alignment
        return ScorerPoint.model_construct(
            fed=self.fed,
            found=tuple(self._found),
            candidates=tuple(self._candidates),
            taken=dict(self._taken),
            ending=self._ending,
            ended_by=self.ended_by,
            outcome=self._outcome,
            infusion=self._infusion,
            ordered=alignment._length,
            positions={name: list(at) for name, at in alignment._positions.items()},
            causes=tuple(sorted(self._causes)),
        )

    @classmethod
    def resumed(
        cls, expert: Sequence[Event], rubric: Rubric, point: ScorerPoint, first: Event
    ) -> Scorer:
        """The scorer ``point`` describes, of a timeline that begins with ``first``."""
        scorer = cls(expert, rubric)
        scorer.fed, scorer._first = point.fed, first
        scorer._found, scorer._candidates = list(point.found), list(point.candidates)
        scorer._taken = dict(point.taken)
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
        alignment = scorer._alignment
        alignment._length = point.ordered
        alignment._positions = {name: list(at) for name, at in point.positions.items()}
        alignment._pairs = None
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
                reasons = tuple(f.message for f in event.failures if f.code == code)
                self._add(index, event, "refused", code, event.action, reasons)
        elif isinstance(event, Warned):
            self._causes.add(event.warning.code)
            code = event.warning.code
            if code not in self._expert_warnings and code not in _CHARGED_AT_CAUSE:
                reasons = (event.warning.message,)
                self._add(index, event, "warning", event.warning.code, event.action, reasons)
        elif isinstance(event, DeadlineFired) and event.deadline not in self._expert_deadlines:
            reason = deadline_reason(event, self._first)
            self._add(index, event, "deadline_breached", event.code, None, (reason,))
        if isinstance(event, Accepted | DeadlineFired):
            self._ending = event
            ended = Timeline([event]).outcome  # the timeline's outcome is its last such event
            if ended is not None:
                self._outcome, self.ended_by = ended, event
        if not isinstance(event, Accepted):
            return
        if event.action in _ENDINGS:
            reason = str(event.data.get("reason"))
            released = event.action == "reject" and "release_failed" in self._causes
            if not released and reason not in self._causes | self._expert_reasons:
                why = (
                    f"The trainee chose {event.action} ({reason}), but no refusal or warning had "
                    "shown that reason.",
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
            nth = self._taken.get(event.action, 0)
            self._taken[event.action] = nth + 1
            reason = order_reason(event.action, nth, self._expert_names)
            self._candidates.append(
                Deviation(
                    kind="out_of_order",
                    code=event.action,
                    at=event.at,
                    action=event.action,
                    reasons=(reason,),
                    cost=rubric.cost("out_of_order"),
                    event_index=index,
                )
            )
            self._alignment.append(event.action)

    def _judge_heparin(self, index: int, event: Accepted) -> None:
        units, theirs = _heparin(event), self._expert_heparin
        if not high_heparin(units) or (theirs is not None and units <= theirs):
            return
        bleeding = MODEL.bleeding
        expert = "adds none" if theirs is None else f"adds {theirs:g} U/kg"
        why = (
            f"The trainee added heparin {units:g} U/kg, at or over "
            f"{bleeding.heparin_threshold_units_per_kg:g} U/kg, where the odds of bleeding were "
            f"{bleeding.high_heparin_or:g} times higher [S47]; the expert path {expert}.",
        )
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
        matched = {i for i, _ in self._alignment.pairs()}
        found = [*self._found, *(d for i, d in enumerate(self._candidates) if i not in matched)]
        mine, theirs = self._outcome, self._expert_outcome
        if (
            mine is not None
            and mine.status != "completed"
            and theirs
            and theirs.status == "completed"
        ):
            found.append(
                Deviation(
                    kind="avoidable_abort",
                    code=mine.code or mine.status,
                    at=mine.at,
                    reasons=(abort_reason(mine, self._ending),),
                    cost=self.rubric.cost("avoidable_abort"),
                )
            )
        late = self._late_infusion()
        if late is not None:
            found.append(late)
        order = {kind: n for n, kind in enumerate(DEVIATION_KINDS)}
        big = self.fed
        return sorted(
            found,
            key=lambda d: (d.at, big if d.event_index is None else d.event_index, order[d.kind]),
        )

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
        reason = (
            f"The infusion started {spoken(mine)} after cross-clamp, {spoken(mine - theirs)} "
            f"later than the expert path ({spoken(theirs)}); {spoken(rubric.late_infusion_grace)} "
            "is allowed."
        )
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
