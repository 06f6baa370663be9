"""The sentences a deviation gives as its reasons: why an action is out of order, how a deadline
ran out, how a case was lost that the expert path completed."""

from __future__ import annotations

from ..deadlines import window
from ..duration import spoken
from ..timeline import Accepted, Created, DeadlineFired, Event, Outcome, Timeline

__all__ = ["abort_reason", "deadline_reason", "order_reason"]


def order_reason(action: str, nth: int, expert: list[str]) -> str:
    count = expert.count(action)
    if count == 0:
        return f"The expert path never takes {action}."
    if nth >= count:
        times = "once" if count == 1 else f"{count} times"
        return f"The expert path takes {action} {times}; this one is extra."
    at = [i for i, name in enumerate(expert) if name == action][nth]
    before = f"after {expert[at - 1]}" if at > 0 else "first"
    return f"Out of the expert's order: the expert path takes {action} {before}."


def deadline_reason(event: DeadlineFired, first: Event) -> str:
    words = event.deadline.replace("_", " ")
    if isinstance(first, Created):
        words += f" ({spoken(window(event.deadline, first.protocol))})"
    since = spoken(event.due - Timeline([first]).cross_clamp)
    return (
        f"The {words} ran out {since} after cross-clamp, in {event.source}: "
        f"the case was aborted ({event.code})."
    )


def abort_reason(outcome: Outcome, ending: Event | None) -> str:
    # ``ending`` is the last event that changed the case (accepted, or a deadline): nothing is
    # accepted, and no deadline fires, once a case has ended.
    if isinstance(ending, Accepted) and ending.action == "abort":
        how = f"The trainee aborted the case ({outcome.code})"
    elif isinstance(ending, Accepted) and ending.action == "reject":
        how = "The trainee rejected the product"
    else:
        how = f"The case was lost ({outcome.code})"
    return f"{how}; the expert path completed it."
