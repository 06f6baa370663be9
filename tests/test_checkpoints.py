"""A session goes on from a point as it would have gone on; its older events are read on demand.

``TrainingSession.point`` and ``TrainingSession.continued`` are the library side of the service's
checkpoints: whatever point a session is cut at, the session continued from it (with the events
after it replayed) is the session itself, view for view, and reads the events before the point
only when the whole timeline is asked for. ``EventLog`` is the timeline that reads them.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Sequence
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isletflow.case import Case
from isletflow.eventlog import EventLog
from isletflow.record import Note
from isletflow.timeline import Event
from isletflow.training import (
    Exercise,
    LabRequest,
    PlanStep,
    TrainingSession,
    lab_from_data,
    moves_of,
    standard_exercise,
    walk,
)
from isletflow.training.session import SessionPoint
from strategies_training import random_steps, trainee_scripts

EXERCISE = standard_exercise()


class Reads:
    """A loader of ``events[:start]`` that counts how often it is asked; like a store, it gives
    new objects, equal to the events but not them."""

    def __init__(self, events: Sequence[Event], start: int) -> None:
        self.events, self.start, self.count = list(events), start, 0

    def __call__(self) -> list[Event]:
        self.count += 1
        return [copy.copy(event) for event in self.events[: self.start]]


def _walked(script: list[PlanStep]) -> TrainingSession:
    session = EXERCISE.session()
    walk(session.case, session.lab, script)
    return session


def _cut(session: TrainingSession, k: int) -> tuple[SessionPoint, Reads]:
    """The point of ``session`` after its first ``k`` events (through JSON), and its loader."""
    timeline = list(session.case.timeline)
    earlier = TrainingSession(
        Case.replay(timeline[:k]), lab_from_data(session.lab.to_data()), session.expert
    )
    point = SessionPoint.model_validate_json(earlier.point().model_dump_json())
    return point, Reads(timeline, k - 1)


def _continued(session: TrainingSession, point: SessionPoint, reads: Reads) -> TrainingSession:
    following = list(session.case.timeline)[point.version :]
    lab = lab_from_data(session.lab.to_data())
    continued = TrainingSession.continued(
        point, reads, following, lab, session.expert, exercise=session.exercise
    )
    continued.case.clock.advance(session.case.now - continued.case.now)  # a finished case's
    return continued


@settings(max_examples=25)  # each example walks, replays and compares whole sessions
@given(trainee_scripts(), st.data())
def test_a_session_continued_from_any_point_is_the_session(
    script: list[PlanStep], data: st.DataObject
) -> None:
    """Cut anywhere, continued with the events after the cut: the same view, case and timeline,
    and the same again after more steps on both."""
    session = _walked(script)
    k = data.draw(st.integers(1, len(session.case.timeline)), label="cut after")
    point, reads = _cut(session, k)
    continued = _continued(session, point, reads)
    assert continued.view() == session.view()
    assert continued.case == session.case
    assert list(continued.case.timeline) == list(session.case.timeline)
    assert reads.count <= 1
    for step in data.draw(st.lists(random_steps(), max_size=4), label="then"):
        for one in (session, continued):
            with contextlib.suppress(ValueError):  # refused by both alike, changing neither
                walk(one.case, one.lab, [step])
        assert continued.view() == session.view()
    assert continued.score() == session.score()
    assert continued.debrief() == session.debrief()


def test_a_continued_session_reads_no_earlier_event_until_the_timeline_is_asked_for() -> None:
    """Acts, waits and views on a continued session read none of the events before its point;
    the debrief reads them once."""
    session = _walked([PlanStep("note", None, {"text": f"n{i}"}) for i in range(30)])
    point, reads = _cut(session, 25)
    continued = _continued(session, point, reads)
    for one in (session, continued):
        one.act("note", "5min", text="after the cut")
        one.wait("1h")
        one.act("start_isolation")
    assert continued.view() == session.view()
    assert continued.score() == session.score()
    assert reads.count == 0
    assert continued.debrief() == session.debrief()
    assert reads.count == 1


# Noisy readings (population, case 1: infused) and an infusion paused on a high pressure.
LAB_EXERCISES = [
    Exercise.from_scenario("population", index=1),
    Exercise.from_scenario("portal_pressure_pause"),
]


@settings(max_examples=10)
@given(st.sampled_from(LAB_EXERCISES), st.data())
def test_a_continued_lab_measures_what_the_whole_walk_measures(
    exercise: Exercise, data: st.DataObject
) -> None:
    """Cut in the infusion (noisy readings, a pause), continued: the lab reads the same values
    as the session that walked all along, without reading the events before the cut."""
    session = exercise.session()
    moves = list(moves_of(exercise.expert))
    walk(session.case, session.lab, moves)
    infusing = [
        i + 1 for i, (_, state) in enumerate(session.case.timeline.states()) if "infuse" in state
    ]
    k = data.draw(st.sampled_from(infusing), label="cut after")
    cut = exercise.session()
    walk(cut.case, cut.lab, moves_of(list(session.case.timeline)[:k]))
    point = SessionPoint.model_validate_json(cut.point().model_dump_json())
    reads = Reads(session.case.timeline, k - 1)
    lab = lab_from_data(session.lab.to_data())
    continued = TrainingSession.continued(point, reads, [], lab, exercise.expert)
    for action in ("record_portal_pressure", "complete_infusion"):
        for wait in (timedelta(0), timedelta(minutes=7)):
            mine = LabRequest(action, {}, continued.case, wait)
            theirs = LabRequest(action, {}, cut.case, wait)
            assert continued.lab.measure(mine) == cut.lab.measure(theirs)
    steps = [PlanStep("record_portal_pressure", "5min", {}), PlanStep("record_portal_pressure")]
    for one in (cut, continued):
        walk(one.case, one.lab, steps)
    assert continued.case.record.portal_pressures == cut.case.record.portal_pressures
    assert reads.count == 0


def test_a_point_must_have_scored_its_events() -> None:
    """A point whose scorer fed another number of events than it covers is refused."""
    point, reads = _cut(_walked([]), 1)
    bad = point.model_copy(update={"version": point.version + 1})
    with pytest.raises(ValueError, match=r"scorer\.fed"):
        TrainingSession.continued(bad, reads, [], EXERCISE.lab, EXERCISE.expert)


def test_notes_are_in_the_timeline_and_the_record_counts_them() -> None:
    """The record keeps how many notes and the last; the timeline holds every one."""
    session = _walked([PlanStep("note", "1min", {"text": t}) for t in ("a", "b", "c")])
    record, timeline = session.case.record, session.case.timeline
    assert record.notes_taken == 3
    assert record.last_note == Note(timeline[-1].at, "c")
    assert [n.text for n in timeline.notes()] == ["a", "b", "c"]
    assert Case.replay(timeline).record == record


# -- EventLog ---------------------------------------------------------------------------------

_EVENTS = list(EXERCISE.expert)


@given(st.integers(1, len(_EVENTS) - 1), st.data())
def test_a_log_read_on_demand_is_the_log_held_whole(start: int, data: st.DataObject) -> None:
    """Indexing and slicing from the start on read nothing; anything before reads once; every
    answer is the list's."""
    reads = Reads(_EVENTS, start)
    log = EventLog(_EVENTS[start:], first=_EVENTS[0], start=start, load=reads)
    n = len(_EVENTS)
    assert len(log) == n
    assert log.unread == start
    for i in data.draw(st.lists(st.integers(start, n - 1), max_size=5), label="late"):
        assert log[i] == _EVENTS[i]
        assert log[i - n] == _EVENTS[i]
        assert list(log[i:]) == _EVENTS[i:]
    assert log[0] == _EVENTS[0]
    assert reads.count == 0
    with pytest.raises(IndexError):
        log[n]
    i = data.draw(st.integers(-n, n - 1), label="any")
    j = data.draw(st.integers(-n, n), label="to")
    assert log[i] == _EVENTS[i]
    assert list(log[i:j]) == _EVENTS[i:j]
    first = log[0]
    assert list(log) == _EVENTS
    assert log == _EVENTS
    assert log[0] is first  # read or not, event 0 is the one kept
    assert reads.count <= 1
    log.append(_EVENTS[0])
    assert list(log) == [*_EVENTS, _EVENTS[0]]
    assert log.unread == 0


def test_a_loader_that_gives_other_events_is_refused() -> None:
    """Read events that are not those before the start (too few, another first) are refused,
    and the log is as it was."""
    for wrong in (_EVENTS[:2], _EVENTS[1:4]):
        log = EventLog(_EVENTS[3:], first=_EVENTS[0], start=3, load=lambda w=wrong: w)
        with pytest.raises(ValueError, match="before the checkpoint"):
            list(log)
        assert log.unread == 3
        assert log[-1] == _EVENTS[-1]
