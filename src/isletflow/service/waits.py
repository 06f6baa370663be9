"""A wait a request asks for (``after``, ``by``): a duration as text, within the service's bounds.

The form is published as a pattern in the OpenAPI document and checked by ``Wait`` itself, in
one function, so that every refusal names the rule the text broke in words ("months, years and
weeks have no fixed length", "must be at most 366d") instead of quoting a regular expression.
The text is then read as every duration is (``duration.NonNegativeDuration``) and passed on in
the form the service writes (ISO 8601).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, Field, TypeAdapter, ValidationError

from ..duration import NonNegativeDuration, format_duration, iso_duration

__all__ = ["Wait"]

MAX_STEP = timedelta(days=366)
"""The longest time one request may move a session's clock on."""

PATTERN = (
    r"^(([0-9]{1,6}(\.[0-9]{1,6})?(d|h|min|s))+"
    r"|P([0-9]{1,6}D)?(T([0-9]{1,6}H)?([0-9]{1,6}M)?([0-9]{1,6}(\.[0-9]{1,6})?S)?)?)$"
)
"""What a wait may be: units as isletflow writes them, or ISO 8601 from days to seconds (a month
or a year has no fixed length), numbers of at most six ASCII digits (not '１h')."""

_FORM = re.compile(PATTERN)
_CALENDAR = re.compile(r"^P[^T]*[YMW]")  # years, months or weeks: before any T
_LONGEST = f"{format_duration(MAX_STEP)} ({iso_duration(MAX_STEP)})"
_RULE = (
    "must be a duration with units, e.g. 90min or 1h30min, or in ISO 8601 from days to seconds, "
    "e.g. PT1H30M or P1DT2H: no spaces, no sign, each number at most 6 digits"
)
_DURATION: TypeAdapter[timedelta] = TypeAdapter(NonNegativeDuration)


def _bounded(text: str) -> str:
    """The wait in the form the service writes (``PT1H30M``), or a ``ValueError`` naming the
    rule it broke."""
    if _CALENDAR.match(text):
        raise ValueError("is in years, months or weeks, which have no fixed length; e.g. P30D")
    if text.startswith("P") and (text == "P" or text.endswith("T")):
        raise ValueError("is an ISO 8601 duration with no time after its P or T, e.g. PT1H30M")
    try:
        step = _DURATION.validate_python(text)
    except ValidationError as error:
        first = error.errors()[0]  # the duration reader's own words for why it is none
        raise ValueError(str(first.get("ctx", {}).get("error", first["msg"]))) from None
    except OverflowError:
        raise ValueError(f"is too long for a duration; a wait is at most {_LONGEST}") from None
    if step > MAX_STEP:
        raise ValueError(f"must be at most {_LONGEST}")
    if not _FORM.match(text):
        raise ValueError(_RULE)  # a duration, but not in a form the service documents
    return iso_duration(step)


Wait = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        json_schema_extra={"pattern": PATTERN},  # checked by _bounded, which says why not
        examples=["90min", "6h", "1h30min", "PT1H30M"],
        description="A duration with units (d, h, min, s) or ISO 8601 (PT1H30M); at most 366d",
    ),
    AfterValidator(_bounded),
]
"""A wait a request asks for, as text."""
