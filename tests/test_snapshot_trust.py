"""A snapshot is never trusted: an edit is refused, naming the disagreement, or equals replay."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import isletflow as fl
from builders import case_at
from isletflow import workflow as wf
from isletflow.timeline import CaseSnapshot
from strategies_interop import cases


def _data(case: fl.Case) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(case.snapshot().model_dump_json())
    return data


def _shift(stamp: str, by: timedelta) -> str:
    return (datetime.fromisoformat(stamp.replace("Z", "+00:00")) + by).isoformat()


def _mutations(snap: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every edit a tamperer might make to this snapshot, each with a name."""
    out: list[tuple[str, dict[str, Any]]] = []

    def edit(name: str, change: Any) -> None:
        copied = copy.deepcopy(snap)
        change(copied)
        out.append((name, copied))

    for state in wf.STATES:
        if state != snap["state"]:
            edit(f"state {state}", lambda s, state=state: s.__setitem__("state", state))
    for name in snap["deadlines"]:
        edit(f"drop deadline {name}", lambda s, name=name: s["deadlines"].pop(name))
        for by in (timedelta(days=3650), timedelta(seconds=-1)):
            edit(
                f"move deadline {name} by {by}",
                lambda s, name=name, by=by: s["deadlines"].__setitem__(
                    name, _shift(s["deadlines"][name], by)
                ),
            )
    for name in set(wf.DEADLINES) - set(snap["deadlines"]):
        edit(
            f"add deadline {name}", lambda s, name=name: s["deadlines"].__setitem__(name, s["now"])
        )
    for field, value in snap["record"].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            edit(
                f"record {field}", lambda s, f=field, v=value: s["record"].__setitem__(f, v * 2 + 1)
            )
        elif value is not None and field.endswith("_at"):
            edit(f"record {field} cleared", lambda s, f=field: s["record"].__setitem__(f, None))
    edit(
        "now before the last event",
        lambda s: s.__setitem__("now", _shift(s["timeline"][-1]["at"], -timedelta(hours=1))),
    )
    edit("now much later", lambda s: s.__setitem__("now", _shift(s["now"], timedelta(days=400))))
    events = snap["timeline"]
    for index in range(1, len(events)):
        edit(f"drop event {index}", lambda s, i=index: s["timeline"].pop(i))
        if index + 1 < len(events):
            edit(
                f"swap events {index}, {index + 1}",
                lambda s, i=index: s["timeline"].insert(i + 1, s["timeline"].pop(i)),
            )
        if events[index]["kind"] == "accepted":
            edit(
                f"event {index} names another action",
                lambda s, i=index: s["timeline"][i].__setitem__("action", "release"),
            )
    edit("created twice", lambda s: s["timeline"].insert(1, copy.deepcopy(s["timeline"][0])))
    return out


def _same(a: fl.Case, b: fl.Case) -> bool:
    return a == b and a.now == b.now and a.outcome == b.outcome


@given(cases(), st.data())
def test_every_edit_of_a_snapshot_is_refused_or_changes_nothing(
    case: fl.Case, data: st.DataObject
) -> None:
    """Restoring an edited snapshot raises an IsletflowError, or gives the replay of its timeline
    with exactly what the snapshot says (state, record, deadlines, time)."""
    original = _data(case)
    name, edited = data.draw(st.sampled_from(_mutations(original)), label="edit")
    try:
        restored = fl.Case.restore(edited)
    except fl.IsletflowError:
        return
    replayed = fl.Case.replay(restored.timeline)
    replayed.clock.advance(restored.now - replayed.now)
    assert _same(restored, replayed), name
    said = json.loads(CaseSnapshot.read(edited).model_dump_json())
    assert _data(restored) == said, name


@pytest.mark.parametrize(
    ("where", "change", "named"),
    [
        ("state jumped forward", lambda s: s.__setitem__("state", "purify.released"), "state"),
        (
            "deadline removed",
            lambda s: s["deadlines"].pop("culture_window"),
            "deadlines.culture_window",
        ),
        (
            "record edited",
            lambda s: s["record"].__setitem__("purified_ieq", 9e9),
            "record.purified_ieq",
        ),
    ],
)
def test_an_edited_snapshot_is_refused_naming_what_disagrees(
    where: str, change: Any, named: str
) -> None:
    """A snapshot whose state, deadline or record disagrees with its timeline names the field."""
    snap = _data(case_at("purify.culture"))
    change(snap)
    with pytest.raises(fl.InvalidInput) as caught:
        fl.Case.restore(snap)
    assert named in [p.location for p in caught.value.problems], where


def test_a_snapshot_that_hides_a_passed_deadline_is_refused() -> None:
    """A snapshot taken after a deadline fell due, with the deadline's abort cut out, is refused."""
    case = case_at("purify.culture")
    snap = _data(case)
    snap["now"] = _shift(snap["now"], timedelta(days=10))
    with pytest.raises(fl.InvalidInput) as caught:
        fl.Case.restore(snap)
    assert "timeline" in [p.location for p in caught.value.problems]


def test_an_advance_past_the_calendar_in_a_timeline_is_a_replay_mismatch() -> None:
    """A tampered 'advanced' event past the calendar is an IsletflowError, not OverflowError."""
    case = case_at("purify.culture")
    case.advance("1h")
    events = json.loads(case.timeline.to_json())
    events[-1]["by"] = "999999999d"
    with pytest.raises(fl.IsletflowError):
        fl.Case.replay(fl.Timeline.from_json(json.dumps(events)))


@pytest.mark.parametrize("version", [True, 1.0, "1"])
def test_a_schema_version_that_only_equals_one_is_refused(version: object) -> None:
    """schema_version must be the integer 1: true, 1.0 and "1" are another version."""
    snap = _data(case_at("purify.culture"))
    snap["schema_version"] = version
    with pytest.raises(fl.IsletflowError):
        fl.Case.restore(snap)
