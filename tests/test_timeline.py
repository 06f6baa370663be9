"""Timeline and snapshot: the JSON round trip loses nothing, replay and restore are exact."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import isletflow as fl
from builders import ACCESS, GOOD_PREPARATION, case_at, new_case, standard_steps
from isletflow.errors import ReplayMismatch, SnapshotIncompatible
from isletflow.timeline import SCHEMA_VERSION, Accepted, Advanced

ROOT = Path(__file__).parents[1]


def rich_case() -> fl.Case:
    """A percutaneous case whose timeline holds every kind of event and guard value."""
    case = new_case("percutaneous")
    case.act("start_isolation", after="9h")  # warned: durations compared
    case.act("finish_digestion", after="4h", digest_ieq=600_000)
    case.act("submit_for_release", after="3h", purified_ieq=400_000)
    case.act("record_release_tests", **{**GOOD_PREPARATION, "gram_stain_positive": True})
    case.act("release")  # refused: a bool compared
    case.act("record_release_tests", **GOOD_PREPARATION)
    case.act("release")
    case.act("access_portal_vein", anesthesia="local_sedation", imaging=["ultrasound"])  # tuples
    case.act("access_portal_vein", **ACCESS["percutaneous"])
    case.act("record_portal_pressure", mmhg=14)
    case.act("add_heparin", units_per_kg=70)
    case.act("give_induction", agent="rabbit ATG")
    case.act("start_infusion", after="10min")  # refused: induction too recent (a duration)
    case.act("start_infusion", after="30min")
    case.act("record_portal_pressure", after="5min", mmhg=23)  # automatic pause
    case.advance(timedelta(hours=1))
    case.act("complete_infusion", fraction_delivered=0.75)
    case.act("abort", reason="recipient_unstable")
    return case


def guard_results(events: fl.Timeline) -> list[fl.GuardResult]:
    found: list[fl.GuardResult] = []
    for event in events:
        found += getattr(event, "failures", ())
        found += [r for r in (getattr(event, "warning", None), getattr(event, "reason", None)) if r]
    return found


def test_rich_timeline_has_every_event_kind_and_guard_value_type() -> None:
    """The case used for round trips does hold durations, tuples and bools in guard values."""
    case = rich_case()
    kinds = {e.kind for e in case.timeline}
    assert kinds == {"created", "accepted", "refused", "warned", "automatic", "advanced"}
    values = [v for r in guard_results(case.timeline) for v in (r.observed, r.limit)]
    assert {type(v) for v in values} >= {timedelta, tuple, bool, float, str}


def test_timeline_json_round_trip_loses_nothing() -> None:
    """Timeline -> JSON -> Timeline is equal, with each guard value of the same type."""
    case = rich_case()
    back = fl.Timeline.from_json(case.timeline.to_json())
    assert back == case.timeline
    for before, after in zip(guard_results(case.timeline), guard_results(back), strict=True):
        for field in ("observed", "limit", "time_left"):
            assert type(getattr(after, field)) is type(getattr(before, field)), field
    assert fl.Case.replay(back) == case


def test_durations_in_guard_values_are_written_in_iso_8601() -> None:
    """A compared duration is written {"duration": "PT9H"}, never a bare number or text."""
    data = json.loads(rich_case().timeline.to_json())
    (warned,) = [e for e in data if e["kind"] == "warned" and e["action"] == "start_isolation"]
    assert warned["warning"]["observed"] == {"duration": "PT9H"}
    assert warned["warning"]["limit"] == {"duration": "PT8H"}


def test_a_timeline_with_clinical_durations_in_guard_values_still_reads() -> None:
    """A timeline an earlier isletflow wrote ({"duration": "9h"}) reads to the same events."""
    timeline = rich_case().timeline
    older = timeline.to_json().replace('"PT9H"', '"9h"').replace('"PT8H"', '"8h"')
    assert older != timeline.to_json()
    assert fl.Timeline.from_json(older) == timeline


def test_the_protocol_a_timeline_carries_is_written_in_iso_8601() -> None:
    """The created event's protocol writes PT12H, as every duration in a timeline; an older
    timeline's 12h reads to the same protocol, and a protocol file keeps 12h."""
    timeline = rich_case().timeline
    protocol = json.loads(timeline.to_json())[0]["protocol"]
    assert (protocol["max_cold_ischemia"], protocol["max_culture"]) == ("PT12H", "P3D")
    older = timeline.to_json().replace('"PT12H"', '"12h"').replace('"P3D"', '"3d"')
    assert fl.Timeline.from_json(older) == timeline
    assert fl.Protocol().model_dump(mode="json")["max_cold_ischemia"] == "12h"


def test_snapshot_json_round_trip_and_restore_go_on_identically() -> None:
    """A case restored from snapshot JSON equals the original and takes the same next steps."""
    for approach in ("percutaneous", "laparoscopic", "open"):
        case = case_at("purify.released", approach)
        text = case.snapshot().model_dump_json()
        restored = fl.Case.restore(text)
        assert restored == case
        assert (restored.now, restored.deadlines, restored.record) == (
            case.now, case.deadlines, case.record
        )  # fmt: skip
        steps = standard_steps(approach)
        for action, after, data in steps[[s[0] for s in steps].index("give_induction") :]:
            assert case.act(action, after=after, **data) == restored.act(action, after, **data)
        assert restored == case
        assert restored.outcome == case.outcome
        assert restored.timeline.to_json() == case.timeline.to_json()


def test_snapshot_of_an_aborted_case_restores_its_outcome() -> None:
    """A snapshot of a case aborted by a deadline restores the same outcome."""
    case = new_case()
    case.advance(timedelta(hours=13))
    restored = fl.Case.restore(case.snapshot().model_dump_json())
    assert restored.outcome == case.outcome
    assert restored.outcome is not None
    assert restored.outcome.code == "cold_ischemia_exceeded"


@pytest.mark.parametrize("form", ["json", "mapping", "object"])
def test_snapshot_of_another_schema_version_is_refused(form: str) -> None:
    """A snapshot of schema version 2 is refused with SnapshotIncompatible, as text or object."""
    snapshot = new_case().snapshot()
    data = json.loads(snapshot.model_dump_json())
    data["schema_version"] = SCHEMA_VERSION + 1
    given: Any = {
        "json": json.dumps(data),
        "mapping": data,
        "object": snapshot.model_copy(update={"schema_version": SCHEMA_VERSION + 1}),
    }[form]
    with pytest.raises(SnapshotIncompatible) as caught:
        fl.Case.restore(given)
    assert isinstance(caught.value, fl.InvalidInput)
    assert (caught.value.found, caught.value.expected) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)
    assert f"schema_version: {SCHEMA_VERSION + 1} must be {SCHEMA_VERSION}" in str(caught.value)


def test_snapshot_naming_unknown_state_or_deadline_is_refused() -> None:
    """A snapshot with a state or deadline the workflow lacks lists both problems."""
    data = json.loads(case_at("purify.culture").snapshot().model_dump_json())
    data["state"] = "purify.freezer"
    data["deadlines"]["shelf_life"] = data["deadlines"]["culture_window"]
    with pytest.raises(fl.InvalidInput) as caught:
        fl.Case.restore(data)
    assert {p.location for p in caught.value.problems} == {"state", "deadlines.shelf_life"}


def test_restore_refuses_a_clock_before_the_snapshot() -> None:
    """Restoring onto a clock earlier than the snapshot's time raises InvalidInput."""
    case = case_at("purify.culture")
    with pytest.raises(fl.InvalidInput):
        fl.Case.restore(case.snapshot(), clock=fl.SimulatedClock(case.now - timedelta(hours=1)))


def _edited(case: fl.Case, index: int, **changes: Any) -> list[fl.Event]:
    events = list(case.timeline)
    events[index] = dataclasses.replace(events[index], **changes)  # type: ignore[type-var]
    return events


def _index(case: fl.Case, action: str) -> int:
    return next(
        i for i, e in enumerate(case.timeline) if isinstance(e, Accepted) and e.action == action
    )


def test_replay_of_an_edited_timeline_raises_replay_mismatch() -> None:
    """Changed data, a changed result, a moved time or a dropped event: ReplayMismatch."""
    case = case_at("infuse.hemostasis")
    pressure = _index(case, "record_portal_pressure")
    release = _index(case, "release")
    event = case.timeline[release]
    edits = {
        "data": _edited(case, pressure, data={"mmhg": 25.0}),
        "target": _edited(case, release, target="discarded"),
        "earlier": _edited(case, release, at=event.at - timedelta(days=2)),
        "dropped": [e for i, e in enumerate(case.timeline) if i != release],
        "extra": [*case.timeline, case.timeline[-1]],
    }
    for name, events in edits.items():
        with pytest.raises(ReplayMismatch) as caught:
            fl.Case.replay(events)
        assert isinstance(caught.value, ValueError), name
        assert f"timeline event {caught.value.index} does not replay" in str(caught.value)


def test_replay_of_something_that_is_not_a_timeline_is_refused() -> None:
    """A timeline that does not start with a created event raises InvalidInput."""
    case = case_at("purify.gradient")
    with pytest.raises(fl.InvalidInput):
        fl.Case.replay(list(case.timeline)[1:])
    with pytest.raises(fl.InvalidInput):
        fl.Case.replay([])
    with pytest.raises(fl.InvalidInput):
        fl.Timeline.from_json('[{"kind": "teleported", "at": "2026-01-05T08:00:00Z"}]')


def test_replay_of_an_advance_that_fired_a_deadline() -> None:
    """An advance past a deadline replays to the same case, its advanced event included."""
    for case in (new_case(), case_at("purify.released")):
        case.advance(timedelta(hours=13))
        assert [e.kind for e in case.timeline[-2:]] == ["deadline", "advanced"]
        assert fl.Case.replay(case.timeline) == case
        assert fl.Case.replay(fl.Timeline.from_json(case.timeline.to_json())) == case


def test_replay_rebuilds_every_standard_case() -> None:
    """Each approach's standard case replays, step by step, to an equal case."""
    for approach in ("percutaneous", "laparoscopic", "open"):
        case = new_case(approach)
        for action, after, data in standard_steps(approach):
            case.act(action, after=after, **data)
            assert fl.Case.replay(case.timeline) == case
        assert case.state == "completed"


def test_advance_in_a_terminal_state_records_nothing() -> None:
    """Advancing an ended case moves its clock but adds no event."""
    case = new_case()
    case.abort("donor_family_withdrew")
    events = len(case.timeline)
    assert case.advance("2d") == ()
    assert len(case.timeline) == events
    assert not isinstance(case.timeline[-1], Advanced)


_SCRIPT = """
import sys
sys.path[:0] = [{tests!r}, {examples!r}]
from standard_case import standard_case
print(standard_case("percutaneous").timeline.to_json())
"""


def test_the_same_case_writes_byte_identical_json_in_any_process() -> None:
    """The standard case's timeline JSON is the same under different string-hash seeds."""
    script = _SCRIPT.format(tests=str(ROOT / "tests"), examples=str(ROOT / "examples"))
    outputs = set()
    for seed in ("0", "1", "2", "3", "5"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1


EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "scenarios"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_timeline_says_the_state_outcome_and_cross_clamp_of_its_case(path: Path) -> None:
    """states() ends in the case's state, follows each step's target; outcome and clamp agree."""
    from isletflow.scenario import Scenario
    from isletflow.simulation import simulate

    case = simulate(Scenario.load(path), seed=3)
    timeline = case.timeline
    pairs = list(timeline.states())
    assert [event for event, _ in pairs] == list(timeline)
    assert pairs[0][1] == "harvest.procured"
    assert pairs[-1][1] == case.state
    for event, state in pairs:
        if isinstance(event, Accepted):
            assert state == event.target
    assert timeline.outcome == case.outcome
    assert timeline.cross_clamp == case.donor.cross_clamp_at


@pytest.mark.parametrize("approach", ["percutaneous", "open"])
def test_every_deadline_a_case_arms_is_in_its_timeline_deadlines(approach: str) -> None:
    """At every step of a walk, each armed deadline is one of Timeline.deadlines(), as armed."""
    case = new_case(approach)
    for action, after, data in standard_steps(approach):
        assert set(case.deadlines) <= set(case.timeline.deadlines())
        case.act(action, after=after, **data)
    names = [d.name for d in case.timeline.deadlines()]
    assert names == ["cold_ischemia", "culture_window", "release_window"]
    assert case.deadlines == ()
