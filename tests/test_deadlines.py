"""Deadlines: each fires on the simulated clock, stamped at its own time, and only past it."""

from __future__ import annotations

from datetime import timedelta

import pytest

import isletflow as fl
from builders import (
    ACCESS,
    APPROACHES,
    GOOD_PREPARATION,
    T0,
    armed,
    case_at,
    infusion_ready,
    new_case,
)

SECOND = timedelta(seconds=1)
approach_param = pytest.mark.parametrize("approach", APPROACHES)


def fired(case: fl.Case) -> list[fl.Event]:
    return [e for e in case.timeline if e.kind == "deadline"]


def released(approach: str = "percutaneous") -> fl.Case:
    case = case_at("purify.release_testing", approach)
    case.act("record_release_tests", **GOOD_PREPARATION)
    assert case.act("release").accepted
    return case


@approach_param
def test_released_islets_expire_at_exactly_release_plus_6_h(approach: str) -> None:
    """Left in purify.released, the case aborts islets_expired stamped at release + 6 h."""
    case = released(approach)
    release_at = case.record.released_at
    assert release_at is not None
    case.advance(timedelta(hours=6))
    assert case.state == "purify.released"  # at the deadline itself, not yet past it
    assert case.time_left()["release_window"] == timedelta(0)
    case.advance(timedelta(hours=3))
    assert case.state == "aborted"
    assert case.outcome == fl.Outcome("aborted", "islets_expired", release_at + timedelta(hours=6))
    (event,) = fired(case)
    assert (event.deadline, event.at, event.source) == (  # type: ignore[union-attr]
        "release_window",
        release_at + timedelta(hours=6),
        "purify.released",
    )


@approach_param
def test_infusion_may_start_at_exactly_release_plus_6_h(approach: str) -> None:
    """start_infusion exactly 6 h after release is accepted and disarms the viability windows."""
    case = released(approach)
    case.act("give_induction", agent="rabbit ATG")
    case.act("add_heparin", units_per_kg=70)
    case.act("access_portal_vein", **ACCESS[approach])
    case.act("record_portal_pressure", mmhg=12)
    out = case.act("start_infusion", after=timedelta(hours=6))
    assert out.accepted, out.failures
    assert armed(case) == {}
    case.advance(timedelta(days=10))
    assert case.state == "infuse.infusing"


@approach_param
def test_cold_ischemia_deadline_aborts_at_cross_clamp_plus_12_h(approach: str) -> None:
    """A case left in harvest.procured aborts cold_ischemia_exceeded at cross-clamp + 12 h."""
    case = new_case(approach)
    assert armed(case) == {"cold_ischemia": T0 + timedelta(hours=12)}
    case.advance(timedelta(hours=12))
    assert case.outcome is None
    case.advance(SECOND)
    assert case.outcome == fl.Outcome("aborted", "cold_ischemia_exceeded", T0 + timedelta(hours=12))


def test_cold_ischemia_deadline_stops_once_isolation_starts() -> None:
    """After start_isolation the cold ischaemia deadline is disarmed: 20 h more change nothing."""
    case = new_case()
    case.act("start_isolation", after="2h")
    assert "cold_ischemia" not in armed(case)
    case.advance(timedelta(hours=20))
    assert case.state == "harvest.digesting"


def test_a_case_created_after_its_cold_ischemia_deadline_is_aborted_at_once() -> None:
    """A case whose clock starts 13 h after cross-clamp is aborted at its creation time."""
    start = T0 + timedelta(hours=13)
    case = fl.Case.new(
        new_case().donor, new_case().recipient, "open", clock=fl.SimulatedClock(start)
    )
    assert case.outcome == fl.Outcome("aborted", "cold_ischemia_exceeded", start)


@approach_param
def test_culture_window_is_72_h_from_the_end_of_isolation(approach: str) -> None:
    """In culture, the case aborts islets_expired at end of isolation + 72 h, not before."""
    case = case_at("purify.culture", approach)
    ended = case.record.isolation_ended_at
    assert ended is not None
    assert armed(case) == {"culture_window": ended + timedelta(hours=72)}
    case.advance(timedelta(hours=72))
    assert case.state == "purify.culture"
    case.advance(timedelta(minutes=1))
    assert case.outcome == fl.Outcome("aborted", "islets_expired", ended + timedelta(hours=72))


def test_culture_window_is_not_restarted_by_submitting_for_release() -> None:
    """submit_for_release after 24 h of culture keeps the deadline at isolation end + 72 h."""
    case = case_at("purify.culture")
    ended = case.record.isolation_ended_at
    assert ended is not None
    case.act("submit_for_release", after="24h")
    assert armed(case) == {"culture_window": ended + timedelta(hours=72)}
    case.advance(timedelta(hours=48) + SECOND)
    assert case.outcome == fl.Outcome("aborted", "islets_expired", ended + timedelta(hours=72))


def test_culture_window_counts_when_culture_is_skipped() -> None:
    """Submitted straight from the gradient, the product still expires 72 h after isolation."""
    case = case_at("purify.gradient")
    case.act("submit_for_release", after="1h", purified_ieq=400_000)
    ended = case.record.isolation_ended_at
    assert ended == case.now
    assert armed(case) == {"culture_window": ended + timedelta(hours=72)}


def test_release_is_refused_not_allowed_after_the_culture_window() -> None:
    """A deadline passed during act(after=...) fires first; the action is refused not_allowed."""
    case = case_at("purify.release_testing")
    ended = case.record.isolation_ended_at
    assert ended is not None
    case.act("record_release_tests", **GOOD_PREPARATION)
    out = case.act("release", after="3d")
    assert not out.accepted
    assert [f.code for f in out.failures] == ["not_allowed"]
    assert [e.kind for e in case.timeline[-2:]] == ["deadline", "refused"]
    assert case.outcome == fl.Outcome("aborted", "islets_expired", ended + timedelta(hours=72))
    assert case.timeline[-2].at < case.timeline[-1].at


@approach_param
def test_infusion_is_refused_after_the_release_window(approach: str) -> None:
    """start_infusion asked for 6 h + 1 s after release is refused: the case has been aborted."""
    case = infusion_ready(approach, induction_before=timedelta(minutes=40))
    release_at = case.record.released_at
    assert release_at is not None
    out = case.act("start_infusion", after=release_at + timedelta(hours=6) + SECOND - case.now)
    assert not out.accepted
    assert [f.code for f in out.failures] == ["not_allowed"]
    assert case.record.infusion_started_at is None
    assert case.outcome == fl.Outcome("aborted", "islets_expired", release_at + timedelta(hours=6))


def test_advance_past_two_deadlines_fires_only_the_earliest() -> None:
    """Released 70 h after isolation, a 10 h advance fires the culture window, not both."""
    case = case_at("purify.culture")
    ended = case.record.isolation_ended_at
    assert ended is not None
    case.act("submit_for_release", after="69h")
    case.act("record_release_tests", after="1h", **GOOD_PREPARATION)
    case.act("release")
    assert armed(case) == {
        "culture_window": ended + timedelta(hours=72),
        "release_window": ended + timedelta(hours=76),
    }
    events = case.advance(timedelta(hours=10))
    assert [e.kind for e in events] == ["deadline", "advanced"]
    assert events[0].deadline == "culture_window"  # type: ignore[union-attr]
    assert len(fired(case)) == 1
    assert armed(case) == {}
    assert case.outcome == fl.Outcome("aborted", "islets_expired", ended + timedelta(hours=72))


def test_a_deadline_fires_on_a_read_when_the_clock_moved_by_itself() -> None:
    """A clock moved outside the case: reading state fires the passed deadline at its time."""
    clock = fl.SimulatedClock(T0)
    case = fl.Case.new(new_case().donor, new_case().recipient, "open", clock=clock)
    clock.advance(timedelta(hours=20))
    assert case.state == "aborted"
    assert case.outcome == fl.Outcome("aborted", "cold_ischemia_exceeded", T0 + timedelta(hours=12))
    assert fl.Case.replay(case.timeline) == case


def test_shorter_protocol_windows_move_the_deadlines() -> None:
    """A site protocol with a 4 h release window aborts at release + 4 h."""
    protocol = fl.Protocol(max_release_to_infusion=timedelta(hours=4))
    case = new_case(protocol=protocol)
    for action, after, data in [("start_isolation", "1h", {}),
                                ("finish_digestion", "4h", {"digest_ieq": 1}),
                                ("submit_for_release", "5h", {}),
                                ("record_release_tests", None, GOOD_PREPARATION),
                                ("release", None, {})]:  # fmt: skip
        assert case.act(action, after=after, **data).accepted
    case.advance(timedelta(hours=5))
    assert case.outcome == fl.Outcome("aborted", "islets_expired", T0 + timedelta(hours=14))


def test_a_deadline_beyond_the_calendar_is_armed_but_never_fires() -> None:
    """A window that would end after year 9999 arms without crashing the step and never fires."""
    from datetime import UTC, datetime

    donor = {"age_years": 40, "cross_clamp_at": datetime(9999, 12, 31, 20, tzinfo=UTC)}
    case = fl.Case.new(donor, {"id": "R1", "weight_kg": 70}, "open")
    assert armed(case)["cold_ischemia"] == datetime.max.replace(tzinfo=UTC)
    case.advance("3h")
    assert case.outcome is None
    assert case.state == "harvest.procured"
