"""Scoring: a trainee's protocol deviations, found by comparing two timelines.

Nothing here keeps a counter. ``deviations`` reads the trainee's timeline beside the expert's and
names every deviation; ``score`` prices them with a ``Rubric``. Both are pure functions of
(trainee timeline, expert timeline, rubric), so a score can be recomputed from a stored timeline
at any time and always comes out the same.

The kinds of deviation:

- ``refused``: an action the engine refused, one deviation per distinct guard code.
- ``out_of_order``: an accepted action outside the longest common subsequence of the trainee's and
  the expert's actions (extra, or done in another order).
- ``warning``: a warning the expert path did not get.
- ``deadline_breached``: a deadline that fired.
- ``avoidable_abort``: the case ended aborted or discarded where the expert path completed.
- ``late_infusion``: the infusion started later than the expert's, beyond the rubric's grace.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from pydantic import BaseModel, ConfigDict

from ..deadlines import window
from ..duration import spoken
from ..models import UtcDatetime
from ..timeline import Accepted, Created, DeadlineFired, Event, Outcome, Refused, Timeline, Warned
from .rubric import DEVIATION_KINDS, DeviationKind, Rubric

__all__ = [
    "Deviation",
    "Score",
    "deviations",
    "infusion_started",
    "lcs_pairs",
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


def infusion_started(events: Sequence[Event]) -> timedelta | None:
    """Time from cross-clamp to the start of the infusion, if it started."""
    for event in events:
        if isinstance(event, Accepted) and event.action == "start_infusion":
            return event.at - Timeline(events).cross_clamp
    return None


def lcs_pairs(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Index pairs of one longest common subsequence of ``a`` and ``b`` (earliest matches)."""
    n, m = len(a), len(b)
    longest = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            longest[i][j] = (
                longest[i + 1][j + 1] + 1
                if a[i] == b[j]
                else max(longest[i + 1][j], longest[i][j + 1])
            )
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if a[i] == b[j]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif longest[i + 1][j] >= longest[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def _ordered(events: Sequence[Event], rubric: Rubric) -> list[tuple[int, str]]:
    return [
        (index, e.action)
        for index, e in enumerate(events)
        if isinstance(e, Accepted) and e.action not in rubric.order_ignores
    ]


def _order_reason(action: str, nth: int, expert: list[str]) -> str:
    count = expert.count(action)
    if count == 0:
        return f"The expert path never takes {action}."
    if nth >= count:
        times = "once" if count == 1 else f"{count} times"
        return f"The expert path takes {action} {times}; this one is extra."
    at = [i for i, name in enumerate(expert) if name == action][nth]
    before = f"after {expert[at - 1]}" if at > 0 else "first"
    return f"Out of the expert's order: the expert path takes {action} {before}."


def _out_of_order(
    trainee: Sequence[Event], expert: Sequence[Event], rubric: Rubric
) -> list[Deviation]:
    mine, theirs = _ordered(trainee, rubric), _ordered(expert, rubric)
    expert_names = [name for _, name in theirs]
    matched = {i for i, _ in lcs_pairs([name for _, name in mine], expert_names)}
    found, seen = [], dict[str, int]()
    for position, (index, action) in enumerate(mine):
        nth = seen.get(action, 0)
        seen[action] = nth + 1
        if position in matched:
            continue
        found.append(
            Deviation(
                kind="out_of_order",
                code=action,
                at=trainee[index].at,
                action=action,
                reasons=(_order_reason(action, nth, expert_names),),
                cost=rubric.cost("out_of_order"),
                event_index=index,
            )
        )
    return found


def _deadline_reason(event: DeadlineFired, events: Sequence[Event]) -> str:
    first = events[0]
    words = event.deadline.replace("_", " ")
    if isinstance(first, Created):
        words += f" ({spoken(window(event.deadline, first.protocol))})"
    since = spoken(event.due - Timeline(events).cross_clamp)
    return (
        f"The {words} ran out {since} after cross-clamp, in {event.source}: "
        f"the case was aborted ({event.code})."
    )


def _abort_reason(outcome: Outcome, events: Sequence[Event]) -> str:
    # The event that ended the case is the last one that changed it: nothing is accepted, and no
    # deadline fires, once a case has ended.
    ending = next((e for e in reversed(events) if isinstance(e, Accepted | DeadlineFired)), None)
    if isinstance(ending, Accepted) and ending.action == "abort":
        how = f"The trainee aborted the case ({outcome.code})"
    elif isinstance(ending, Accepted) and ending.action == "reject":
        how = "The trainee rejected the product"
    else:
        how = f"The case was lost ({outcome.code})"
    return f"{how}; the expert path completed it."


def deviations(
    trainee: Sequence[Event], expert: Sequence[Event], rubric: Rubric
) -> list[Deviation]:
    """Every deviation of the trainee's timeline, in the order they happened."""
    found: list[Deviation] = []
    expert_warnings = {e.warning.code for e in expert if isinstance(e, Warned)}
    for index, event in enumerate(trainee):
        if isinstance(event, Refused):
            codes = list(dict.fromkeys(f.code for f in event.failures))
            for code in codes:
                reasons = tuple(f.message for f in event.failures if f.code == code)
                found.append(
                    Deviation(
                        kind="refused",
                        code=code,
                        at=event.at,
                        action=event.action,
                        reasons=reasons,
                        cost=rubric.cost("refused", code),
                        event_index=index,
                    )
                )
        elif isinstance(event, Warned) and event.warning.code not in expert_warnings:
            found.append(
                Deviation(
                    kind="warning",
                    code=event.warning.code,
                    at=event.at,
                    action=event.action,
                    reasons=(event.warning.message,),
                    cost=rubric.cost("warning", event.warning.code),
                    event_index=index,
                )
            )
        elif isinstance(event, DeadlineFired):
            found.append(
                Deviation(
                    kind="deadline_breached",
                    code=event.code,
                    at=event.at,
                    reasons=(_deadline_reason(event, trainee),),
                    cost=rubric.cost("deadline_breached"),
                    event_index=index,
                )
            )
    found += _out_of_order(trainee, expert, rubric)
    mine, theirs = Timeline(trainee).outcome, Timeline(expert).outcome
    if mine is not None and mine.status != "completed" and theirs and theirs.status == "completed":
        found.append(
            Deviation(
                kind="avoidable_abort",
                code=mine.code or mine.status,
                at=mine.at,
                reasons=(_abort_reason(mine, trainee),),
                cost=rubric.cost("avoidable_abort"),
            )
        )
    late = _late_infusion(trainee, expert, rubric)
    if late is not None:
        found.append(late)
    order = {kind: n for n, kind in enumerate(DEVIATION_KINDS)}
    big = len(trainee)
    return sorted(
        found,
        key=lambda d: (d.at, big if d.event_index is None else d.event_index, order[d.kind]),
    )


def _late_infusion(
    trainee: Sequence[Event], expert: Sequence[Event], rubric: Rubric
) -> Deviation | None:
    mine, theirs = infusion_started(trainee), infusion_started(expert)
    if mine is None or theirs is None or mine - theirs <= rubric.late_infusion_grace:
        return None
    hours = (mine - theirs - rubric.late_infusion_grace) / timedelta(hours=1)
    cost = round(min(hours * rubric.cost("late_infusion"), rubric.late_infusion_max), 2)
    index = next(
        i for i, e in enumerate(trainee) if isinstance(e, Accepted) and e.action == "start_infusion"
    )
    reason = (
        f"The infusion started {spoken(mine)} after cross-clamp, {spoken(mine - theirs)} later "
        f"than the expert path ({spoken(theirs)}); {spoken(rubric.late_infusion_grace)} is "
        "allowed."
    )
    return Deviation(
        kind="late_infusion",
        code="late_infusion",
        at=trainee[index].at,
        action="start_infusion",
        reasons=(reason,),
        cost=cost,
        event_index=index,
    )


def score(trainee: Sequence[Event], expert: Sequence[Event], rubric: Rubric) -> Score:
    """The trainee's score against the expert path under ``rubric``."""
    found = tuple(deviations(trainee, expert, rubric))
    points = max(0.0, rubric.full_marks - sum(d.cost for d in found))
    return Score(points=round(points, 2), full_marks=rubric.full_marks, deviations=found)
