"""The debrief: the trainee's timeline beside the expert path, every deviation and its cost.

``debrief`` is, like ``score``, a pure function of the two timelines and the rubric. ``Debrief``
is JSON-ready (``model_dump_json``) and reads as text (``text()``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from ..deadlines import window_source
from ..duration import IsoDuration, spoken
from ..models import UtcDatetime
from ..report import describe
from ..timeline import (
    Accepted,
    Advanced,
    AutomaticStep,
    Created,
    DeadlineFired,
    Event,
    Status,
    Timeline,
)
from ..wording import action_words
from .alignment import lcs_pairs
from .rubric import Rubric
from .scoring import Deviation, infusion_started, score

__all__ = ["Debrief", "DebriefOutcome", "DebriefRow", "debrief", "outcome_view"]


class DebriefStep(BaseModel):
    """One event of a timeline as the debrief shows it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: UtcDatetime
    since_clamp: IsoDuration
    state: str
    label: str
    detail: str
    event_index: int


class DebriefRow(BaseModel):
    """A trainee step beside the expert step it matches (either may be missing)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trainee: DebriefStep | None
    expert: DebriefStep | None
    deviation_kinds: tuple[str, ...] = ()


class DebriefOutcome(BaseModel):
    """How a case ended: status, code, when, and how long after cross-clamp."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Status
    code: str | None
    at: UtcDatetime
    since_clamp: IsoDuration
    source: str | None = Field(
        None, description="The source tag of the rule that ended it: a deadline's window"
    )


class Debrief(BaseModel):
    """Everything a trainee needs after a session, as data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    exercise: str
    cross_clamp_at: UtcDatetime
    finished: bool
    outcome: DebriefOutcome | None
    expert_outcome: DebriefOutcome | None
    points: float
    full_marks: float
    time_to_infusion: IsoDuration | None
    expert_time_to_infusion: IsoDuration | None
    deviations: tuple[Deviation, ...]
    rows: tuple[DebriefRow, ...]

    def text(self) -> str:
        """The debrief as text a person reads."""
        lines = [f"Debrief: {self.exercise}", ""]
        lines.append(f"Outcome:  {_outcome_text(self.outcome)}")
        lines.append(f"Expert:   {_outcome_text(self.expert_outcome)}")
        lines.append(f"Score:    {self.points:g} / {self.full_marks:g}")
        lines.append(
            f"Infusion: {_since(self.time_to_infusion)} "
            f"(expert: {_since(self.expert_time_to_infusion)})"
        )
        lines.append("")
        if self.deviations:
            lines.append(f"Deviations ({len(self.deviations)}), with the points each cost:")
            times = [spoken(d.at - self.cross_clamp_at) for d in self.deviations]
            width = max(len(t) for t in times)
            for d, when in zip(self.deviations, times, strict=True):
                what = f": {action_words(d.action)}" if d.action and d.action != d.code else ""
                cost = f"-{d.cost:g}"
                kind = d.kind.replace("_", " ")
                lines.append(f"  {when:>{width}}  {cost:>4}  {kind}{what} [{d.code}]")
                lines.extend(f"  {'':>{width}}        {reason}" for reason in d.reasons)
        else:
            lines.append("No deviations: the expert path, step for step.")
        lines.append("")
        lines.append("Your timeline beside the expert path (! marks a deviation):")
        lines.extend(_side_by_side(self.rows))
        return "\n".join(line.rstrip() for line in lines)


def _since(value: timedelta | None) -> str:
    return f"{spoken(value)} after cross-clamp" if value is not None else "never started"


def _outcome_text(outcome: DebriefOutcome | None) -> str:
    if outcome is None:
        return "not finished"
    source = f" [{outcome.source}]" if outcome.source else ""
    code = f" ({outcome.code}{source})" if outcome.code else ""
    return f"{outcome.status}{code}, {spoken(outcome.since_clamp)} after cross-clamp"


_DETAIL_WIDTH = 44  # a step's details wrap under its label, in its own column


def _side_by_side(rows: Sequence[DebriefRow]) -> list[str]:
    def cell(step: DebriefStep | None) -> tuple[str, list[str]]:
        if step is None:
            return "", [""]
        details = textwrap.wrap(step.detail, _DETAIL_WIDTH) if step.detail else []
        return spoken(step.since_clamp), [step.label, *(f"  {d}" for d in details)]

    header = ("since clamp", ["you"], "", "since clamp", ["expert"])
    cells = [(*cell(r.trainee), "!" if r.deviation_kinds else "", *cell(r.expert)) for r in rows]
    cells = [(c[0], c[1], c[2], c[3], c[4]) for c in cells]
    table = [header, *cells]
    widths = [
        max(len(row[0]) for row in table),
        max(len(line) for row in table for line in row[1]),
        1,
        max(len(row[3]) for row in table),
    ]
    out = []
    for when, mine, mark, then, theirs in table:
        for n in range(max(len(mine), len(theirs))):
            first = n == 0
            out.append(
                "  ".join(
                    [
                        (when if first else "").rjust(widths[0]),
                        (mine[n] if n < len(mine) else "").ljust(widths[1]),
                        (mark if first else "").ljust(1),
                        (then if first else "").rjust(widths[3]),
                        theirs[n] if n < len(theirs) else "",
                    ]
                )
            )
    out.insert(1, "-" * max(len(line.rstrip()) for line in out))
    return out


def _steps(events: Sequence[Event]) -> list[DebriefStep]:
    timeline = Timeline(events)
    clamp = timeline.cross_clamp
    steps = []
    for index, (event, state) in enumerate(timeline.states()):
        if isinstance(event, Created):
            continue
        label, detail = describe(event, words=True)
        steps.append(
            DebriefStep(
                at=event.at,
                since_clamp=event.at - clamp,
                state=state,
                label=label,
                detail=detail,
                event_index=index,
            )
        )
    return steps


def _row_time(row: DebriefRow) -> tuple[timedelta, int]:
    step = row.trainee or row.expert
    assert step is not None
    return step.since_clamp, 0 if row.trainee else 1


def _key(event: Event, index: int) -> str:
    # Accepted actions match by action, and what the engine did by itself (an automatic pause,
    # a deadline) by what it did: both paths met it, so it is one row. A refusal or a warning
    # is the trainee's own line.
    if isinstance(event, Accepted):
        return f"a:{event.action}"
    if isinstance(event, AutomaticStep):
        return f"auto:{event.trigger}"
    if isinstance(event, DeadlineFired):
        return f"deadline:{event.deadline}"
    return f"#{index}"


def outcome_view(events: Sequence[Event]) -> DebriefOutcome | None:
    timeline = Timeline(events)
    outcome = timeline.outcome
    if outcome is None:
        return None
    since_clamp = outcome.at - timeline.cross_clamp
    return DebriefOutcome(
        status=outcome.status,
        code=outcome.code,
        at=outcome.at,
        since_clamp=since_clamp,
        source=_source(events),
    )


def _source(events: Sequence[Event]) -> str | None:
    """The source of a deadline's window, when a deadline ended the case (``outcome_of``
    reads the same last deadline or accepted event)."""
    for event in reversed(events):
        if isinstance(event, DeadlineFired):
            return window_source(event.deadline) or None
        if isinstance(event, Accepted):
            return None
    return None


def debrief(
    trainee: Sequence[Event], expert: Sequence[Event], rubric: Rubric, exercise: str = "session"
) -> Debrief:
    """The debrief of ``trainee`` against ``expert`` under ``rubric``."""
    result = score(trainee, expert, rubric)
    mine = [s for s in _steps(trainee) if not isinstance(trainee[s.event_index], Advanced)]
    theirs = [s for s in _steps(expert) if not isinstance(expert[s.event_index], Advanced)]
    pairs = lcs_pairs(
        [_key(trainee[s.event_index], s.event_index) for s in mine],
        [_key(expert[s.event_index], -1 - s.event_index) for s in theirs],
    )
    kinds: dict[int, list[str]] = {}
    for d in result.deviations:
        if d.event_index is not None:
            kinds.setdefault(d.event_index, []).append(d.kind)
    rows: list[DebriefRow] = []
    i = j = 0
    for pi, pj in [*pairs, (len(mine), len(theirs))]:
        # Between two matched steps, each path's own steps, merged by time since cross-clamp.
        gap = [
            DebriefRow(trainee=s, expert=None, deviation_kinds=tuple(kinds.get(s.event_index, ())))
            for s in mine[i:pi]
        ]
        gap += [DebriefRow(trainee=None, expert=s) for s in theirs[j:pj]]
        rows += sorted(gap, key=_row_time)
        if pi < len(mine):
            step = mine[pi]
            flagged = tuple(kinds.get(step.event_index, ()))
            rows.append(DebriefRow(trainee=step, expert=theirs[pj], deviation_kinds=flagged))
        i, j = pi + 1, pj + 1
    return Debrief(
        exercise=exercise,
        cross_clamp_at=Timeline(trainee).cross_clamp,
        finished=Timeline(trainee).outcome is not None,
        outcome=outcome_view(trainee),
        expert_outcome=outcome_view(expert),
        points=result.points,
        full_marks=result.full_marks,
        time_to_infusion=infusion_started(trainee),
        expert_time_to_infusion=infusion_started(expert),
        deviations=result.deviations,
        rows=tuple(rows),
    )
