"""The sentences a deviation gives as its reasons: why an action is out of order, how a deadline
ran out, how a case was lost that the expert path completed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from ..deadlines import window, window_source
from ..duration import spoken
from ..model.parameters import DEFAULT  # the guarded threshold and its quoted odds
from ..timeline import Accepted, Created, DeadlineFired, Event, Outcome, Timeline
from ..wording import action_words

__all__ = ["abort_reason", "deadline_reason", "heparin_reason", "late_reason", "order_reason"]


def order_reason(action: str, jumped: Sequence[str], expert: Sequence[str]) -> str:
    """Why ``action`` is out of order: it ``jumped`` ahead of those, or it is extra."""
    said = action_words(action)
    if jumped:
        names = " and ".join(action_words(name) for name in dict.fromkeys(jumped))
        return (
            f"Out of the expert's order: the expert path does '{said}' after {names}, "
            "which had not been done yet."
        )
    count = expert.count(action)
    if count == 0:
        return f"The expert path never does '{said}'."
    times = "once" if count == 1 else f"{count} times"
    return f"The expert path does '{said}' {times}; this one is extra."


def _window(deadline: str, first: Event | None) -> str:
    """``cold ischemia (12 h [S5a])``: the deadline, its window under the case's protocol and
    the source tag of that window, where the case's first event gives the protocol."""
    words = deadline.replace("_", " ")
    if isinstance(first, Created):
        tag = window_source(deadline)
        words += f" ({spoken(window(deadline, first.protocol))}{f' [{tag}]' if tag else ''})"
    return words


def deadline_reason(event: DeadlineFired, first: Event) -> str:
    since = spoken(event.due - Timeline([first]).cross_clamp)
    return (
        f"The {_window(event.deadline, first)} ran out {since} after cross-clamp, in "
        f"{event.source}: the case was aborted ({event.code})."
    )


def abort_reason(outcome: Outcome, ending: Event | None, first: Event | None = None) -> str:
    # ``ending`` is the last event that changed the case (accepted, or a deadline): nothing is
    # accepted, and no deadline fires, once a case has ended. A deadline's loss names its
    # window with the window's source (``first``, the case's created event, gives the protocol).
    if isinstance(ending, Accepted) and ending.action == "abort":
        how = f"The trainee aborted the case ({outcome.code})"
    elif isinstance(ending, Accepted) and ending.action == "reject":
        how = "The trainee rejected the product"
    elif isinstance(ending, DeadlineFired):
        how = f"The case was lost ({outcome.code}): the {_window(ending.deadline, first)} ran out"
    else:
        how = f"The case was lost ({outcome.code})"
    return f"{how}; the expert path completed it."


def heparin_reason(units: float, expert: float | None) -> str:
    threshold = DEFAULT.bleeding.heparin_threshold_units_per_kg
    odds = DEFAULT.bleeding.high_heparin_or
    theirs = "adds none" if expert is None else f"adds {expert:g} U/kg"
    return (
        f"The trainee added heparin {units:g} U/kg, at or over {threshold:g} U/kg, where the "
        f"odds of bleeding were {odds:g} times higher [S47]; the expert path {theirs}."
    )


def late_reason(mine: timedelta, theirs: timedelta, grace: timedelta) -> str:
    return (
        f"The infusion started {spoken(mine)} after cross-clamp, {spoken(mine - theirs)} "
        f"later than the expert path ({spoken(theirs)}); {spoken(grace)} is allowed."
    )
