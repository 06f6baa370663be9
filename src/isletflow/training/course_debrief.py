"""Scoring and debriefing a trainee's course: the procedures, the re-infusion decisions, and the
recipient's function over time beside the expert's.

A course is scored in two parts, both pure functions of what the session recorded:

- each procedure against the expert path on the same donor (``TrainingSession.score``, the
  procedure ``Rubric``); the course takes their **mean**, so a course of two procedures is not
  marked down for having two, and declining a further infusion does not escape one;
- each re-infusion decision against the course's own rule (``Course.rule``, the rule
  ``simulate_course`` follows): ``declined_reinfusion`` when the rule called for a further
  infusion and the trainee declined it, ``unneeded_reinfusion`` when the trainee asked for one
  though the recipient was insulin-independent, ``barred_reinfusion`` when the trainee asked for
  one the rule bars (the engine refused it and nothing changed). Their costs are subtracted from
  the mean, never below zero.

The expert path (the simulator's policy on each donor, the rule at each decision) loses nothing
at the course level: its score is the mean of its procedures' own, 100 where the policy meets no
refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..course import Course
from ..course_events import Decided, Ended
from ..course_run import AssessmentRecord, course_record
from ..models import Number, UtcDatetime
from .debrief import Debrief
from .rubric import Rubric

__all__ = [
    "CourseDebrief",
    "CourseRubric",
    "CourseScore",
    "Decision",
    "DecisionWeights",
    "assessment_text",
    "course_score",
]

DecisionKind = Literal["declined_reinfusion", "unneeded_reinfusion", "barred_reinfusion"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DecisionWeights(_Frozen):
    """What a re-infusion decision against the rule costs (teaching judgements, like every
    rubric weight): declining an infusion the protocol calls for leaves the recipient on insulin
    with the severe hypoglycaemia that made them a candidate, which no later care mends (20);
    an infusion an insulin-independent recipient does not need exposes them to another
    procedure's bleeding and thrombosis and uses a donor's pancreas (15); asking for one the rule
    bars is a refusal that would have harmed the patient, priced as the procedure rubric prices
    those (5)."""

    declined_reinfusion: Number = Field(20.0, ge=0)
    unneeded_reinfusion: Number = Field(15.0, ge=0)
    barred_reinfusion: Number = Field(5.0, ge=0)


class CourseRubric(_Frozen):
    """How a course is scored: each procedure by ``procedure``, each decision by ``decisions``."""

    procedure: Rubric = Rubric()
    decisions: DecisionWeights = DecisionWeights()


class Decision(_Frozen):
    """One re-infusion decision the trainee made, as the session recorded it: what was seen,
    what the rule said, what the trainee chose, and whether the engine took it."""

    at: UtcDatetime
    infusions: int = Field(ge=1, description="Infusions given when deciding")
    assessment: AssessmentRecord
    rule_reinfuse: bool
    rule_reason: str
    reinfuse: bool
    accepted: bool
    refusals: tuple[str, ...] = Field((), description="Why the engine refused it")


class CourseDeviation(_Frozen):
    """A decision against the course's rule, why, and what it cost."""

    kind: DecisionKind
    at: UtcDatetime
    decision: int = Field(ge=0, description="Which of the session's decisions")
    reasons: tuple[str, ...]
    cost: float


class CourseScore(_Frozen):
    """The procedures' mean less the decisions' costs, never below zero."""

    points: float
    full_marks: float
    procedures: tuple[float, ...] = Field(description="Each procedure's points, in order")
    deviations: tuple[CourseDeviation, ...]


def _said(reinfuse: bool) -> str:
    return "a further infusion" if reinfuse else "no further infusion"


def course_deviations(
    decisions: Sequence[Decision], weights: DecisionWeights
) -> list[CourseDeviation]:
    """Every decision of ``decisions`` that departs from the course's rule."""
    found = []
    for n, d in enumerate(decisions):
        kind: DecisionKind | None = None
        if not d.accepted:
            kind, reasons = "barred_reinfusion", d.refusals
        elif d.reinfuse != d.rule_reinfuse:
            kind = "unneeded_reinfusion" if d.reinfuse else "declined_reinfusion"
            reasons = (
                f"The trainee chose {_said(d.reinfuse)}; the protocol's rule gives "
                f"{_said(d.rule_reinfuse)} ({d.rule_reason}).",
            )
        if kind is not None:
            cost = float(getattr(weights, kind))
            found.append(
                CourseDeviation(kind=kind, at=d.at, decision=n, reasons=reasons, cost=cost)
            )
    return found


def course_score(
    procedures: Sequence[float], decisions: Sequence[Decision], rubric: CourseRubric
) -> CourseScore:
    """The course's score from its procedures' points and its decisions (module docstring)."""
    full = float(rubric.procedure.full_marks)
    found = course_deviations(decisions, rubric.decisions)
    mean = sum(procedures) / len(procedures) if procedures else full
    points = round(max(0.0, mean - sum(d.cost for d in found)), 2)
    return CourseScore(
        points=points, full_marks=full, procedures=tuple(procedures), deviations=tuple(found)
    )


class FunctionRow(_Frozen):
    """The recipient's function one year after the first infusion: the trainee's, the expert's."""

    year: int
    trainee: AssessmentRecord | None
    expert: AssessmentRecord | None


class ExpertDecision(_Frozen):
    """A re-infusion decision of the expert's course."""

    at: UtcDatetime
    reinfuse: bool
    reason: str


class CourseDebrief(_Frozen):
    """Everything a trainee needs after a course, as data; ``text()`` for a person."""

    exercise: str
    finished: bool
    ended_because: str | None
    points: float
    full_marks: float
    infusions: int
    expert_infusions: int
    cumulative_ieq_per_kg: float
    expert_cumulative_ieq_per_kg: float
    procedures: tuple[Debrief, ...]
    decisions: tuple[Decision, ...]
    expert_decisions: tuple[ExpertDecision, ...]
    deviations: tuple[CourseDeviation, ...]
    one_year_after_last: FunctionRow
    function: tuple[FunctionRow, ...] = Field(description="Years 1-5 after the first infusion")

    @classmethod
    def of(
        cls,
        exercise: str,
        course: Course,
        expert: Course,
        procedures: Sequence[Debrief],
        decisions: Sequence[Decision],
        score: CourseScore,
    ) -> CourseDebrief:
        """The debrief of the trainee's ``course`` beside the ``expert``'s."""
        mine, theirs = course_record(course), course_record(expert)
        ended = [e for e in course.timeline if isinstance(e, Ended)]
        return cls(
            exercise=exercise,
            finished=course.stage == "ended",
            ended_because=ended[-1].reason if ended else None,
            points=score.points,
            full_marks=score.full_marks,
            infusions=mine["infusions"],
            expert_infusions=theirs["infusions"],
            cumulative_ieq_per_kg=mine["cumulative_ieq_per_kg"],
            expert_cumulative_ieq_per_kg=theirs["cumulative_ieq_per_kg"],
            procedures=tuple(procedures),
            decisions=tuple(decisions),
            expert_decisions=tuple(
                ExpertDecision(at=e.at, reinfuse=e.reinfuse, reason=e.reason)
                for e in expert.timeline
                if isinstance(e, Decided)
            ),
            deviations=score.deviations,
            one_year_after_last=FunctionRow(
                year=1,
                trainee=mine["one_year_after_last_infusion"],
                expert=theirs["one_year_after_last_infusion"],
            ),
            function=_by_year(mine["follow_up"], theirs["follow_up"]),
        )

    def text(self) -> str:
        """The debrief as text a person reads."""
        mean = _mean(self.procedures)
        lost = sum(d.cost for d in self.deviations)
        lines = [f"Course debrief: {self.exercise}", ""]
        status = "ended" if self.finished else "not finished"
        why = f" ({self.ended_because})" if self.ended_because else ""
        lines.append(f"Course:     {status}{why}")
        lines.append(
            f"Score:      {self.points:g} / {self.full_marks:g} (the procedures' mean "
            f"{mean:g}, less {lost:g} for decisions)"
        )
        lines.append(
            f"Infusions:  you {self.infusions} ({self.cumulative_ieq_per_kg:,.0f} IEQ/kg "
            f"delivered); expert {self.expert_infusions} "
            f"({self.expert_cumulative_ieq_per_kg:,.0f} IEQ/kg)"
        )
        lines += ["", "Procedures (each scored against the expert path on the same donor):"]
        for n, played in enumerate(self.procedures, 1):
            lines.append(
                f"  {n}. {played.exercise}: {_ending(played)}, "
                f"{played.points:g} / {played.full_marks:g}"
            )
        lines += ["", "Re-infusion decisions (the expert's: its n-th, at its own moment):"]
        if not self.decisions and not self.expert_decisions:
            lines.append("  none (the course never reached one)")
        taken = 0
        for d in self.decisions:
            verdict = "taken" if d.accepted else "refused: " + "; ".join(d.refusals)
            lines.append(
                f"  {d.at:%Y-%m-%d}, after infusion {d.infusions}: {assessment_text(d.assessment)}"
            )
            lines.append(f"    rule:   {_said(d.rule_reinfuse)} ({d.rule_reason})")
            lines.append(f"    you:    {_said(d.reinfuse)} ({verdict})")
            if d.accepted:
                if taken < len(self.expert_decisions):
                    expert = self.expert_decisions[taken]
                    lines.append(f"    expert: {_said(expert.reinfuse)} ({expert.reason})")
                taken += 1
        for expert in self.expert_decisions[taken:]:
            lines.append(f"  {expert.at:%Y-%m-%d}, expert only: {_said(expert.reinfuse)}")
        if self.deviations:
            lines += ["", f"Deviations in decisions ({len(self.deviations)}):"]
            for dev in self.deviations:
                lines.append(f"  {dev.at:%Y-%m-%d}  -{dev.cost:g}  {dev.kind}")
                lines.extend(f"               {reason}" for reason in dev.reasons)
        lines += ["", "The recipient's function, years after the first infusion (you, expert):"]
        lines += _table([*self.function])
        lines += ["", "One year after the last infusion (you, expert):"]
        lines += _table([self.one_year_after_last], label="last+1")
        return "\n".join(line.rstrip() for line in lines)


def _ending(played: Debrief) -> str:
    outcome = played.outcome
    if outcome is None:
        return "not finished"
    return outcome.status + (f" ({outcome.code})" if outcome.code else "")


def _mean(procedures: Sequence[Debrief]) -> float:
    if not procedures:
        return 0.0
    return round(sum(d.points for d in procedures) / len(procedures), 2)


def _by_year(mine: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> tuple[FunctionRow, ...]:
    years = sorted({a["year"] for a in mine} | {a["year"] for a in theirs})
    a, b = {x["year"]: x for x in mine}, {x["year"]: x for x in theirs}
    return tuple(FunctionRow(year=y, trainee=a.get(y), expert=b.get(y)) for y in years)


def assessment_text(a: AssessmentRecord) -> str:
    """An assessment in one line a trainee reads."""
    independent = "insulin-independent" if a.insulin_independent else "on insulin"
    return (
        f"C-peptide {a.c_peptide_stimulated_ng_per_ml:g} ng/mL, insulin "
        f"{a.insulin_units_per_kg_per_day:g} U/kg/day, HbA1c {a.hba1c_percent:g} %, "
        f"{a.severe_hypoglycaemia_events} severe hypos, Igls {a.igls}, {independent}"
    )


_HEAD = ("year", "who", "C-peptide", "insulin", "HbA1c", "severe", "Igls", "independent")
_UNITS = ("", "", "ng/mL", "U/kg/day", "%", "hypos", "", "of insulin")


def _cells(a: AssessmentRecord | None) -> tuple[str, ...]:
    if a is None:
        return ("-",) * 6
    return (
        f"{a.c_peptide_stimulated_ng_per_ml:.2f}",
        f"{a.insulin_units_per_kg_per_day:.2f}",
        f"{a.hba1c_percent:.1f}",
        str(a.severe_hypoglycaemia_events),
        a.igls,
        "yes" if a.insulin_independent else "no",
    )


def _table(rows: list[FunctionRow], label: str | None = None) -> list[str]:
    if not rows:
        return ["  none yet (no infusion)"]
    body = []
    for row in rows:
        body.append((label or str(row.year), "you", *_cells(row.trainee)))
        body.append(("", "expert", *_cells(row.expert)))
    table = [_HEAD, _UNITS, *body]
    widths = [max(len(r[i]) for r in table) for i in range(len(_HEAD))]
    return [
        "  "
        + "  ".join(
            c.ljust(w) if i in (1, 6) else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in table
    ]
