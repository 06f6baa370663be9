"""What every guard is made of: the facts it reads, its verdicts, and its registration."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, TypeAdapter

from ..duration import Duration, IsoDuration, iso_duration
from ..models import Approach, Donor, Recipient
from ..protocol import Protocol
from ..record import CaseRecord

__all__ = ["Facts", "Guard", "GuardResult", "guard"]

Observed = float | int | str | bool | timedelta | tuple[str, ...] | None


# In JSON a compared duration is written {"duration": "PT13H10M"}, so reading it back is never
# a guess between a duration and a text that looks like one. An earlier isletflow wrote
# {"duration": "13h10min"}: its timelines read as they did.
_DURATION: TypeAdapter[timedelta] = TypeAdapter(Duration)


def _value_in(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"duration"}:
        return _DURATION.validate_python(value["duration"])
    return tuple(value) if isinstance(value, list) else value


def _value_out(value: Any) -> Any:
    if isinstance(value, timedelta):
        return {"duration": iso_duration(value)}
    return list(value) if isinstance(value, tuple) else value


Compared = Annotated[
    Observed, BeforeValidator(_value_in), PlainSerializer(_value_out, when_used="json")
]


@dataclass(frozen=True, slots=True)
class GuardResult:
    """The verdict of one check. ``passed`` False with ``warning`` True records without refusing."""

    guard: str
    code: str
    passed: bool
    message: str
    observed: Compared = None
    limit: Compared = None
    unit: str | None = None
    subcode: str | None = None
    time_left: IsoDuration | None = None
    warning: bool = False


@dataclass(slots=True)
class Facts:
    """What a guard may look at: the case, the time, and the data the step brings.

    Guards only read it. It is not frozen because one is made for every guarded step of every
    case, and a frozen dataclass costs an ``object.__setattr__`` per field to make.
    """

    donor: Donor
    recipient: Recipient
    approach: Approach
    protocol: Protocol
    record: CaseRecord
    state: str
    now: datetime
    data: Any

    def brought(self, field: str) -> Any:
        """A value the step brings (``None`` if it brings none)."""
        return getattr(self.data, field, None)

    def given(self, field: str) -> Any:
        """A value the step brings, or failing that, the one already recorded."""
        value = getattr(self.data, field, None)
        return value if value is not None else getattr(self.record, field)


@dataclass(frozen=True, slots=True)
class Guard:
    """A registered guard: its cheap verdict and the body that explains it."""

    name: str
    holds: Callable[[Facts], Any]  # truthy when the check passes (a bool, or numpy's bool_)
    explain: Callable[[Facts], Iterator[GuardResult]]


def guard(
    holds: Callable[[Facts], Any],
) -> Callable[[Callable[[Facts], Iterator[GuardResult]]], Guard]:
    """Make the decorated body a guard (named after it) whose verdict is ``holds``."""

    def make(explain: Callable[[Facts], Iterator[GuardResult]]) -> Guard:
        return Guard(explain.__name__, holds, explain)

    return make
