"""Durations written the way clinicians write them: ``90min``, ``6h``, ``2d``, ``1h30min``.

``Duration`` is a ``timedelta`` for pydantic models that also reads these strings (and ISO 8601)
and writes the compact form back, so a file a person wrote (a scenario, a protocol, a rubric)
round-trips unchanged. ``IsoDuration`` reads the same and writes ISO 8601 (``P3DT18H``): the one
form of the data isletflow writes for programs (timelines, training views, debriefs, cohort
summaries, every answer of the HTTP service). A duration always carries its unit: a bare number
(``culture: 24``: hours? seconds?) is refused with an example, as is a digit that is not ASCII
(``１h``). This module is the one parser of durations (files, the CLI, ``Case.act(after=...)``
and the HTTP service all read them here) and the one writer of both forms; text for people says
durations with ``spoken``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from .errors import shown

__all__ = [
    "Duration",
    "IsoDuration",
    "NonNegativeDuration",
    "format_duration",
    "iso_duration",
    "parse_duration",
    "spoken",
]

_UNITS: dict[str, timedelta] = {
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "min": timedelta(minutes=1),
    "s": timedelta(seconds=1),
}
# ASCII only: \d and \s would also take "１h" and "١h" (Unicode digits) and odd spaces.
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)[ \t]*(d|h|min|s)", re.ASCII)
_WHOLE = re.compile(r"[ \t]*(?:[0-9]+(?:\.[0-9]+)?[ \t]*(?:d|h|min|s)[ \t]*)+", re.ASCII)
_LONGEST = 64  # characters: "999999999d" is 10; this bounds the work a written duration costs
_EXAMPLES = "e.g. '90min', '6h', '2d' or '1h30min'"
_ISO: TypeAdapter[timedelta] = TypeAdapter(timedelta)


def parse_duration(text: str) -> timedelta:
    """Read ``90min``, ``6h``, ``2d``, ``1h30min``, ``-3h`` or ``1.5h`` into a timedelta."""
    if len(text) > _LONGEST:
        raise ValueError(
            f"{shown(text)} is too long for a duration (over {_LONGEST} characters); {_EXAMPLES}"
        )
    body = text.strip()
    sign = -1 if body.startswith("-") else 1
    body = body.removeprefix("-").removeprefix("+")
    if not body or not _WHOLE.fullmatch(body):
        raise ValueError(
            f"{text!r} is not a duration; write a number with a unit (d, h, min, s), {_EXAMPLES}"
        )
    micros = Decimal(0)
    for number, unit in _PART.findall(body):
        micros += Decimal(number) * (_UNITS[unit] // timedelta(microseconds=1))
    try:
        return sign * timedelta(microseconds=int(micros))
    except OverflowError:
        raise ValueError(
            f"{text!r} is too long; a duration must be under {timedelta.max.days:,} days"
        ) from None


def format_duration(value: timedelta) -> str:
    """The compact, exact form: ``13h10min``, ``2d``, ``-3h``, ``0s``."""
    if value < timedelta(0):
        return "-" + format_duration(-value)
    if value == timedelta(0):
        return "0s"
    parts = []
    rest = value
    for unit in ("d", "h", "min"):
        whole, rest = divmod(rest, _UNITS[unit])
        if whole:
            parts.append(f"{whole}{unit}")
    if rest:
        seconds = Decimal(rest // timedelta(microseconds=1)) / Decimal(1_000_000)
        parts.append(f"{seconds.normalize():f}s")
    return "".join(parts)


def iso_duration(value: timedelta) -> str:
    """ISO 8601 in days at most: ``P3DT18H``, ``PT1H30M``, ``PT0.5S``, ``-PT2H``, ``PT0S``.

    Never years or months (pydantic writes 366 days as ``P1Y1D``): they have no fixed length,
    and the HTTP service refuses them in a wait, so a client can send back what it read.
    """
    if value < timedelta(0):
        return "-" + iso_duration(-value)
    if value == timedelta(0):
        return "PT0S"
    days, rest = divmod(value, _UNITS["d"])
    hours, rest = divmod(rest, _UNITS["h"])
    minutes, rest = divmod(rest, _UNITS["min"])
    seconds = Decimal(rest // timedelta(microseconds=1)) / Decimal(1_000_000)
    time = f"{hours}H" if hours else ""
    time += f"{minutes}M" if minutes else ""
    time += f"{seconds.normalize():f}S" if seconds else ""
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")


def spoken(value: timedelta) -> str:
    """A duration for a sentence: ``13 h 10 min``, ``45 min``, ``2 d 4 h`` (to the minute)."""
    if value < timedelta(0):
        return "minus " + spoken(-value)
    minutes = round(value.total_seconds() / 60)
    if minutes == 0:
        seconds = round(value.total_seconds())
        return f"{seconds} s" if seconds else "0 min"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if n]
    return " ".join(parts)


def _coerce(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.upper().startswith(("P", "-P")) and len(text) <= _LONGEST and text.isascii():
            try:
                return _ISO.validate_python(text)  # ISO 8601, as pydantic reads it
            except ValidationError:
                raise ValueError(f"{text!r} is not an ISO 8601 duration; {_EXAMPLES}") from None
        return parse_duration(text)
    if isinstance(value, bool):
        raise PydanticCustomError(
            "duration_type", "is true or false, not a duration; write one with a unit, e.g. 24h"
        )
    if isinstance(value, int | float | Decimal):
        raise PydanticCustomError(
            "duration_unit",
            "is a number without a unit; write it with one (d, h, min, s), e.g. 24h",
        )
    return value  # anything else: pydantic refuses it as not a duration


def _not_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError("is negative; a duration here must be 0 or more")
    return value


_WRITTEN = {
    "type": "string",
    "pattern": r"^-?([0-9]+(\.[0-9]+)?[ \t]*(d|h|min|s)[ \t]*)+$",
    "examples": ["90min", "6h", "2d", "1h30min"],
}
_READ = {"anyOf": [_WRITTEN, {"type": "string", "format": "duration"}]}
# No "format": "duration": JSON Schema's format is RFC 3339's, which has no fraction of a second,
# and a wait of 0.5 s is written PT0.5S (ISO 8601 allows a decimal fraction on the last part).
_ISO_WRITTEN = {
    "type": "string",
    "pattern": r"^-?P([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+(\.[0-9]+)?S)?)?$",
    "examples": ["PT1H30M", "P3DT18H", "PT0S"],
}

Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    WithJsonSchema(_READ, mode="validation"),
    WithJsonSchema(_WRITTEN, mode="serialization"),
]
"""A timedelta read from ``90min``-style text or ISO 8601; never from a bare number."""

IsoDuration = Annotated[
    timedelta,
    BeforeValidator(_coerce),
    PlainSerializer(iso_duration, return_type=str, when_used="json"),
    WithJsonSchema(_READ, mode="validation"),
    WithJsonSchema(_ISO_WRITTEN, mode="serialization"),
]
"""A ``Duration`` that JSON writes in ISO 8601 (``P3DT18H``): for data programs read."""

NonNegativeDuration = Annotated[Duration, AfterValidator(_not_negative)]
"""A ``Duration`` that may not be negative."""
