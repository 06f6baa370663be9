"""Timelines as text a person reads: one line per event, times since cross-clamp."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

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
    Warned,
)

__all__ = ["describe", "timeline_table"]


def _data(data: dict[str, Any]) -> str:
    return ", ".join(f"{key}={_value(value)}" for key, value in data.items())


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "+".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return f"{value:,.0f}"
    return str(value)


def describe(event: Event) -> tuple[str, str]:
    """A short label and a sentence for one event."""
    if isinstance(event, Created):
        d, r = event.donor, event.recipient
        spec = event.approach.spec
        return "case created", (
            f"donor {d.age_years} y, {d.preservation_solution}; recipient {r.id} "
            f"{r.weight_kg:g} kg; {event.approach.value} ({spec.cpt_code})"
        )
    if isinstance(event, Accepted):
        return event.action, _data(event.data)
    if isinstance(event, Refused):
        reasons = "; ".join(f.message for f in event.failures)
        return f"REFUSED {event.action}", reasons
    if isinstance(event, Warned):
        return "warning", event.warning.message
    if isinstance(event, DeadlineFired):
        return f"ABORTED {event.code}", f"deadline {event.deadline} passed"
    if isinstance(event, AutomaticStep):
        return event.trigger, f"automatic: {event.reason.message}"
    if isinstance(event, Advanced):
        return "time passes", spoken(event.by)
    raise TypeError(f"not an event: {event!r}")


def timeline_table(case: Case | Sequence[Event]) -> str:
    """The timeline as an aligned table: clock time, time since cross-clamp, state, event."""
    events = list(case.timeline if isinstance(case, Case) else case)
    first = events[0]
    clamp: datetime = first.donor.cross_clamp_at if isinstance(first, Created) else first.at
    rows = [("time (UTC)", "since clamp", "state", "event", "details")]
    state = "harvest.procured"
    for event in events:
        if isinstance(event, Accepted | AutomaticStep):
            state = event.target
        elif isinstance(event, DeadlineFired):
            state = "aborted"
        label, detail = describe(event)
        rows.append((event.at.strftime("%Y-%m-%d %H:%M"), spoken(event.at - clamp), state,
                     label, detail))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)) + "  "
             + row[4] for row in rows]  # fmt: skip
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
