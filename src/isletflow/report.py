"""Timelines as text a person reads: one line per event, times since cross-clamp."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .case import Case
from .duration import spoken
from .timeline import (
    Accepted,
    Advanced,
    AutomaticStep,
    Created,
    DeadlineFired,
    Event,
    Refused,
    Timeline,
    Warned,
)
from .wording import action_words, data_text, prose

if TYPE_CHECKING:
    from .cohort_summary import CohortSummary

__all__ = ["describe", "summary_table", "timeline_table"]


def _data(data: dict[str, Any]) -> str:
    return ", ".join(f"{key}={_value(value)}" for key, value in data.items())


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "+".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return f"{value:,.0f}"
    return str(value)


def describe(event: Event, *, words: bool = False) -> tuple[str, str]:
    """A short label and a sentence for one event: names as typed (a timeline table for
    whoever writes scenarios and scripts), or with ``words`` as a trainee reads them, from the
    one table of words (``wording``): ``start the isolation``, ``digest 620,000 IEQ``."""
    said = action_words if words else str
    sentence = prose if words else str
    if isinstance(event, Created):
        d, r = event.donor, event.recipient
        spec = event.approach.spec
        return "case created", (
            f"donor {d.age_years} y, {d.preservation_solution}; recipient {r.id} "
            f"{r.weight_kg:g} kg; {event.approach.value} ({spec.cpt_code})"
        )
    if isinstance(event, Accepted):
        return said(event.action), (data_text if words else _data)(event.data)
    if isinstance(event, Refused):
        reasons = "; ".join(sentence(f.message) for f in event.failures)
        return f"REFUSED {said(event.action)}", reasons
    if isinstance(event, Warned):
        return "warning", sentence(event.warning.message)
    if isinstance(event, DeadlineFired):
        if words:
            ran_out = f"the {prose(event.deadline)} ran out; the case is aborted ({event.code})"
            return "deadline passed", ran_out
        return f"ABORTED {event.code}", f"deadline {event.deadline} passed"
    if isinstance(event, AutomaticStep):
        if words:
            return f"{action_words(event.trigger)} (automatic)", prose(event.reason.message)
        return event.trigger, f"automatic: {event.reason.message}"
    if isinstance(event, Advanced):
        return "time passes", spoken(event.by)
    raise TypeError(f"not an event: {event!r}")


def timeline_table(case: Case | Sequence[Event]) -> str:
    """The timeline as an aligned table: clock time, time since cross-clamp, state, event."""
    timeline = case.timeline if isinstance(case, Case) else Timeline(list(case))
    first = timeline[0]
    clamp: datetime = timeline.cross_clamp if isinstance(first, Created) else first.at
    rows = [("time (UTC)", "since clamp", "state", "event", "details")]
    for event, state in timeline.states():
        label, detail = describe(event)
        when = event.at.strftime("%Y-%m-%d %H:%M")
        rows.append((when, spoken(event.at - clamp), state, label, detail))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)) + "  " + row[4]
        for row in rows
    ]
    lines.insert(1, "-" * (sum(widths) + 2 * len(widths) + len("details")))
    if isinstance(case, Case):
        outcome = case.outcome
        lines.append("")
        if outcome is None:
            lines.append(f"Still in progress: {case.state}.")
        else:
            code = f" ({outcome.code})" if outcome.code else ""
            lines.append(f"Outcome: {outcome.status}{code} at {outcome.at:%Y-%m-%d %H:%M} UTC.")
    return "\n".join(line.rstrip() for line in lines)


def summary_table(summary: CohortSummary) -> str:
    """A cohort summary as text: outcomes with their codes, then times and doses."""
    n = summary.cases
    codes = [code for out in summary.outcomes.values() for code in out.codes]
    w = max([56, *(len(code) + 4 for code in codes)])
    lines = [f"{summary.scenario or 'scenario'}: {n:,} cases, seed {summary.seed}", ""]
    lines.append(f"{'outcome':<{w}}{'cases':>9}{'rate':>9}")
    for status, out in summary.outcomes.items():
        lines.append(f"{status:<{w}}{out.count:>9,}{out.rate:>9.2%}")
        for code, count in out.codes.items():
            lines.append(f"  {code:<{w - 2}}{count.count:>9,}{count.rate:>9.2%}")
    extras = [(f"release failure: {k}", v) for k, v in summary.release_failures.items()]
    extras += [(f"complication: {k}", v) for k, v in summary.complications.items()]
    extras += [
        ("infused", summary.infused),
        ("infusion paused", summary.infusion_paused),
        ("partial dose", summary.partial_dose),
    ]
    lines.append("")
    lines.extend(f"{label:<{w}}{c.count:>9,}{c.rate:>9.2%}" for label, c in extras)
    # By group: the procedures (rate over all cases), then each complication per procedure.
    for group, values in summary.groups.items():
        lines += ["", f"{'by ' + group:<{w}}{'cases':>9}{'rate':>9}"]
        for value, counts in values.items():
            for what, c in counts.items():
                label = f"{value}: {what}"
                lines.append(f"  {label:<{w - 2}}{c.count:>9,}{c.rate:>9.2%}")
    lines += ["", f"{'time':<24}{'cases':>9}" + "".join(f"{h:>13}" for h in _COLUMNS)]
    for name, stats in summary.times.items():
        if stats is not None:
            cells = "".join(f"{_short(getattr(stats, h)):>13}" for h in _COLUMNS)
            lines.append(f"{name:<24}{stats.count:>9,}{cells}")
    dose = summary.dose_ieq_per_kg
    if dose is not None:
        cells = "".join(f"{getattr(dose, h):>13,.0f}" for h in _COLUMNS)
        lines.append(f"{'dose (IEQ/kg)':<24}{dose.count:>9,}{cells}")
    return "\n".join([*lines, "", *_course_lines(summary)])


def _course_lines(summary: CohortSummary) -> list[str]:
    """The recipients: infusions, then one year after the last infusion by cumulative dose,
    then the follow-up years after the first."""
    course = summary.course
    lines = [
        f"recipients {course.recipients:,}; eligible {course.eligible.count:,} "
        f"({course.eligible.rate:.1%}); infusions per infused recipient "
        f"{course.infusions_per_recipient:.2f}",
        "  infusions: "
        + ", ".join(f"{k}: {v.count:,} ({v.rate:.1%})" for k, v in course.infusions.items()),
        "",
        "one year after the last infusion, by cumulative dose (IEQ/kg)",
        f"{'':<26}{'recipients':>11}{'insulin-free':>14}{'HbA1c<7 no SH':>15}{'failure':>9}",
    ]
    groups = [("tertile", course.by_dose_tertile), ("band", course.by_dose_band)]
    for kind, found in groups:
        for g in found:
            label = f"{kind} {g.lowest_ieq_per_kg:,.0f}-{g.highest_ieq_per_kg:,.0f}"
            lines.append(
                f"{label:<26}{g.recipients:>11,}{g.insulin_independent.rate:>14.1%}"
                f"{g.hba1c_below_7_without_severe_hypoglycaemia.rate:>15.1%}"
                f"{g.graft_failure.rate:>9.1%}"
            )
    lines += [
        "",
        f"{'year after the first':<26}{'recipients':>11}{'insulin-free':>14}{'graft works':>15}",
    ]
    for y in course.follow_up:
        lines.append(
            f"{'year ' + str(y.year):<26}{y.recipients:>11,}"
            f"{y.insulin_independent.rate:>14.1%}{y.graft_function.rate:>15.1%}"
        )
    return lines


_COLUMNS = ("p5", "p25", "p50", "p75", "p95")


def _short(value: timedelta) -> str:
    return spoken(value).replace(" ", "")
