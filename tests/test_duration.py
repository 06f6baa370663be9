"""Durations written the clinical way: parse, format, and refuse what is not one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from pydantic import BaseModel, TypeAdapter, ValidationError

from isletflow.duration import (
    Duration,
    IsoDuration,
    NonNegativeDuration,
    format_duration,
    iso_duration,
    parse_duration,
    spoken,
)
from strategies import any_timedeltas, duration_parts


@given(value=any_timedeltas)
def test_format_then_parse_gives_the_same_duration(value: timedelta) -> None:
    """parse_duration(format_duration(d)) == d for any duration, to the microsecond."""
    assert parse_duration(format_duration(value)) == value


@given(value=any_timedeltas)
def test_formatted_form_is_canonical(value: timedelta) -> None:
    """Formatting what was parsed from a formatted duration gives the same text."""
    text = format_duration(value)
    assert format_duration(parse_duration(text)) == text


@given(parts=duration_parts)
def test_written_parts_add_up(parts: tuple[int, int, int, int]) -> None:
    """'2d3h4min5s' is the sum of its parts, whichever parts are written."""
    days, hours, minutes, seconds = parts
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (seconds, "s")]
    text = "".join(f"{n}{unit}" for n, unit in parts if n) or "0s"
    expected = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("90min", timedelta(minutes=90)),
        ("6h", timedelta(hours=6)),
        ("2d", timedelta(days=2)),
        ("1h30min", timedelta(minutes=90)),
        ("1.5h", timedelta(minutes=90)),
        ("-3h", timedelta(hours=-3)),
        (" 1h 30min ", timedelta(minutes=90)),
        ("0.000001s", timedelta(microseconds=1)),
    ],
)
def test_clinical_forms_are_read(text: str, value: timedelta) -> None:
    """The forms clinicians write are read to the right duration."""
    assert parse_duration(text) == value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(minutes=90), "1h30min"),
        (timedelta(0), "0s"),
        (timedelta(hours=-3), "-3h"),
        (timedelta(days=2, seconds=1.5), "2d1.5s"),
    ],
)
def test_formatted_form_is_compact(value: timedelta, text: str) -> None:
    """format_duration writes the compact form."""
    assert format_duration(value) == text


@pytest.mark.parametrize(
    "text", ["", "6", "6 hours", "h", "1e3h", "1.5.3h", "--3h", "+-3h", "3 weeks", "6H"]
)
def test_strings_that_are_not_durations_are_rejected_helpfully(text: str) -> None:
    """A string that is not a duration raises ValueError quoting it and showing examples."""
    with pytest.raises(ValueError, match="is not a duration") as caught:
        parse_duration(text)
    message = str(caught.value)
    assert repr(text) in message
    assert "'90min', '6h', '2d' or '1h30min'" in message


def test_a_duration_beyond_timedelta_is_rejected_as_too_long() -> None:
    """A duration longer than timedelta can hold raises ValueError, not OverflowError."""
    with pytest.raises(ValueError, match="too long"):
        parse_duration("99999999999d")


class _Window(BaseModel):
    length: Duration
    wait: NonNegativeDuration = timedelta(0)


def test_duration_fields_read_text_and_iso_and_write_text() -> None:
    """A Duration field reads '6h' and ISO 8601, and writes the compact form."""
    for given_value in ("6h", "PT6H", " 6h ", timedelta(hours=6)):
        assert _Window(length=given_value).length == timedelta(hours=6)
    assert _Window(length="6h").model_dump_json() == '{"length":"6h","wait":"0s"}'
    assert _Window.model_validate_json('{"length": "PT6H"}').length == timedelta(hours=6)


@pytest.mark.parametrize("value", [21600, 24, 1.5, 0, True, False])
def test_a_duration_field_refuses_a_bare_number(value: object) -> None:
    """A number or a flag for a duration is refused, saying to write a unit (e.g. 24h)."""
    with pytest.raises(ValidationError, match=r"e\.g\. 24h"):
        _Window(length=value)
    with pytest.raises(ValidationError, match=r"e\.g\. 24h"):
        _Window.model_validate_json(f'{{"length": {str(value).lower()}}}')


@pytest.mark.parametrize("text", ["１h", "١h", "2\u2009h", "PT１H", "P１D"])
def test_only_ascii_digits_and_spaces_make_a_duration(text: str) -> None:
    """Unicode digits (full-width, Arabic-Indic) and odd spaces are not read as a duration."""
    with pytest.raises(ValidationError, match="is not a"):
        _Window(length=text)


def test_a_very_long_duration_text_is_refused_unread() -> None:
    """Text over 64 characters is refused as too long, the message quoting it shortened."""
    text = "1h" * 100_000
    with pytest.raises(ValueError, match="too long for a duration") as caught:
        parse_duration(text)
    assert len(str(caught.value)) < 200


def test_non_negative_duration_refuses_a_negative_one() -> None:
    """A NonNegativeDuration field refuses '-1h', saying it is negative."""
    with pytest.raises(ValidationError, match="negative"):
        _Window(length="1h", wait="-1h")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(hours=13, minutes=10), "13 h 10 min"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(days=2, hours=4), "2 d 4 h"),
        (timedelta(seconds=1), "1 s"),
        (timedelta(0), "0 min"),
        (timedelta(hours=-1), "minus 1 h"),
    ],
)
def test_spoken_durations_read_well(value: timedelta, text: str) -> None:
    """spoken() gives the duration as a trainee reads it in a sentence."""
    assert spoken(value) == text


_READ: TypeAdapter[timedelta] = TypeAdapter(Duration)


@given(value=any_timedeltas)
def test_iso_form_reads_back_to_the_same_duration(value: timedelta) -> None:
    """Every reader of durations reads iso_duration(d) back to d, to the microsecond."""
    assert _READ.validate_python(iso_duration(value)) == value


@given(value=any_timedeltas)
def test_iso_form_counts_in_days_never_years(value: timedelta) -> None:
    """iso_duration writes no year, month or week (no fixed length; the service refuses them)."""
    text = iso_duration(value)
    assert not {"Y", "W"} & set(text)
    assert "M" not in text.split("T")[0]  # an M before T would be months


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(days=3, hours=18), "P3DT18H"),
        (timedelta(minutes=90), "PT1H30M"),
        (timedelta(0), "PT0S"),
        (timedelta(hours=-2), "-PT2H"),
        (timedelta(seconds=0.5), "PT0.5S"),
        (timedelta(days=366), "P366D"),
        (timedelta(days=1, seconds=1), "P1DT1S"),
    ],
)
def test_iso_form_is_the_usual_one(value: timedelta, text: str) -> None:
    """iso_duration writes ISO 8601 as pydantic does below a year, in days above."""
    assert iso_duration(value) == text


class _Reading(BaseModel):
    length: IsoDuration


def test_iso_duration_fields_read_both_forms_and_write_iso() -> None:
    """An IsoDuration field reads '6h' and 'PT6H' alike and writes 'PT6H' in JSON."""
    for given_value in ("6h", "PT6H", timedelta(hours=6)):
        assert _Reading(length=given_value).length == timedelta(hours=6)
    assert _Reading(length="6h").model_dump_json() == '{"length":"PT6H"}'
    assert _Reading(length="6h").model_dump()["length"] == timedelta(hours=6)
    with pytest.raises(ValidationError, match=r"e\.g\. 24h"):
        _Reading(length=21600)
