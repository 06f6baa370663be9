"""The recipient's course: reproducible, the first donor's case unchanged, event-sourced."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isletflow.cli.casefile import load_scenario
from isletflow.course import YEAR, Course
from isletflow.course_events import Assessed, Decided, Ended, Procedure
from isletflow.course_run import course_record, simulate_course
from isletflow.errors import InvalidInput, ReplayMismatch
from isletflow.models import Preparation, Recipient
from isletflow.protocol import Protocol
from isletflow.release import RELEASE_TESTS
from isletflow.simulation import simulate
from isletflow.timeline import events_from_python

POPULATION = load_scenario("population")


def _several_infusions(limit: int = 40) -> Course:
    for index in range(limit):
        course = simulate_course(POPULATION, None, index)
        if course.infusions >= 2:
            return course
    raise AssertionError("no recipient with two infusions")


def test_a_course_is_reproducible_by_seed_and_differs_between_recipients():
    """The same (seed, index) gives the same course; another index another one."""
    first = course_record(simulate_course(POPULATION, 5, 3))
    again = course_record(simulate_course(POPULATION, 5, 3))
    other = course_record(simulate_course(POPULATION, 5, 4))
    assert first == again
    assert first != other


def test_the_first_donor_is_the_single_case_of_today():
    """Infusion 1 from the first donor has exactly the timeline ``simulate`` gives."""
    for index in range(3):
        course = simulate_course(POPULATION, None, index)
        single = simulate(POPULATION, None, index)
        assert course.cases[0].timeline == single.timeline


def test_later_infusions_take_their_own_donor_basiliximab_and_add_up():
    """A second infusion is a new donor's case, with basiliximab (CIT-07 [S6]), the recipient's
    weight, the infusion number 2; the cumulative dose is the sum delivered."""
    course = _several_infusions()
    record = course_record(course)
    infused = [c for c in course.cases if c.record.infusion_started_at is not None]
    assert [c.recipient.infusion_number for c in infused] == list(range(1, course.infusions + 1))
    assert infused[0].record.inductions[0].agent == "rabbit ATG"
    assert {c.record.inductions[0].agent for c in infused[1:]} == {"basiliximab"}
    assert len({c.recipient.weight_kg for c in course.cases}) == 1
    assert len({c.donor.age_years for c in course.cases}) > 1 or len(course.cases) > 1
    total = sum(c.record.dose_delivered_ieq_per_kg or 0 for c in infused)
    assert record["cumulative_ieq_per_kg"] == pytest.approx(total, abs=0.1)
    decisions = [e for e in course.timeline if isinstance(e, Decided)]
    assert decisions[0].reinfuse
    assert (
        decisions[0].at
        == infused[0].record.infusion_completed_at + POPULATION.protocol.reinfusion_decision_after
    )


def test_the_later_dose_minimum_applies_from_the_second_infusion():
    """4,500 IEQ/kg fails a first infusion's 5,000 and passes a later one's 4,000 [S5b, S1]."""
    dose = next(t for t in RELEASE_TESTS if t.subcode == "dose_below_minimum")
    prep = Preparation(
        ieq=4500 * 70,
        tissue_volume_ml=5,
        purity_percent=60,
        viability_percent=90,
        endotoxin_eu_per_kg=1,
        stimulation_index=2,
        labelled_recipient_id="R-1",
    )
    first = Recipient(id="R-1", weight_kg=70)
    later = Recipient(id="R-1", weight_kg=70, infusion_number=2)
    assert not dose.passes(prep, first, Protocol())
    assert dose.passes(prep, later, Protocol())
    assert not dose.passes(prep, later, Protocol(min_later_dose_ieq_per_kg=4600))


def test_follow_up_counts_from_the_first_infusion_and_one_year_from_the_last():
    """Assessments fall at years 1-5 after the first infusion and one year after the last."""
    course = _several_infusions()
    first, last = course.engrafted[0].at, course.engrafted[-1].at
    follow = [e for e in course.timeline if isinstance(e, Assessed) and e.purpose == "follow_up"]
    assert [e.at for e in follow] == [first + y * YEAR for y in range(1, 6)]
    record = course_record(course)
    assert [a["year"] for a in record["follow_up"]] == [1, 2, 3, 4, 5]
    assert record["one_year_after_last_infusion"]["year"] == 1
    ones = [e for e in course.timeline if isinstance(e, Assessed) and e.at == last + YEAR]
    assert any(e.purpose == "one_year_after_last" for e in ones)
    assert isinstance(course.timeline[-1], Ended)


def test_no_further_infusion_after_a_main_branch_thrombosis():
    """A thrombosis of the main portal vein bars a further infusion [S2], however poor the
    graft."""
    scenario = POPULATION.model_copy(
        update={
            "complications": POPULATION.complications.model_copy(
                update={"portal_vein_thrombosis": 1.0}
            )
        }
    )
    found = 0
    for index in range(60):
        course = simulate_course(scenario, None, index)
        decisions = [e for e in course.timeline if isinstance(e, Decided)]
        barred = [c for c in course.cases if c.record.main_branch_thrombosis]
        if (
            barred
            and decisions
            and not decisions[-1].reinfuse
            and "thrombosis" in decisions[-1].reason
        ):
            found += 1
            assert course.infusions == len(decisions)
        for decision in decisions:
            before = [c for c in barred if c.record.infusion_completed_at < decision.at]
            assert not (decision.reinfuse and before)
    assert found


def test_replay_rebuilds_the_course_and_refuses_an_edited_consequence():
    """Replaying the timeline gives the same course; an edited assessment does not replay."""
    course = _several_infusions()
    again = Course.replay(course.timeline)
    assert again.timeline == course.timeline
    assert again.deadlines == course.deadlines
    events = list(course.timeline)
    at = next(i for i, e in enumerate(events) if isinstance(e, Assessed))
    events[at] = events[at].model_copy(
        update={"igls": "optimal" if events[at].igls != "optimal" else "failure"}
    )
    with pytest.raises(ReplayMismatch):
        Course.replay(events)


def test_a_snapshot_mid_course_restores_and_goes_on_identically():
    """A course cut after its first procedure, snapshotted as JSON and restored, goes on to the
    same timeline as the course never stopped."""
    course = _several_infusions()
    events = list(course.timeline)
    cut = _after_first_infusion(events)
    part = Course.replay(events[:cut])
    text = part.snapshot().model_dump_json()
    restored = Course.restore(text)
    assert restored.timeline == part.timeline
    assert restored.deadlines == part.deadlines
    for event in events[cut:]:
        if isinstance(event, Procedure):
            restored.add_procedure(_case(event))
        elif event.at > restored.now:
            restored.advance(event.at - restored.now)
    assert restored.timeline == course.timeline


def _after_first_infusion(events) -> int:
    """The length of the timeline up to the procedure of the first infusion."""
    for i in range(1, len(events) + 1):
        if isinstance(events[i - 1], Procedure) and Course.replay(events[:i]).infusions:
            return i
    raise AssertionError("no infusion")


def _case(event: Procedure):
    from isletflow.case import Case

    return Case.replay(events_from_python(event.timeline))


def test_an_edited_snapshot_is_refused_naming_what_disagrees():
    """A snapshot whose stage or deadlines disagree, or whose time skips a due assessment it
    never recorded, is refused."""
    course = _several_infusions()
    events = list(course.timeline)
    cut = _after_first_infusion(events)
    snap = Course.replay(events[:cut]).snapshot()
    data = json.loads(snap.model_dump_json())
    with pytest.raises(InvalidInput) as caught:
        Course.restore(json.dumps({**data, "stage": "ended", "infusions": 3}))
    assert {p.location for p in caught.value.problems} >= {"stage", "infusions"}
    later = snap.now + 2 * YEAR
    with pytest.raises(InvalidInput) as skipped:
        Course.restore(snap.model_copy(update={"now": later}))
    assert any("had not been recorded" in p.rule for p in skipped.value.problems)


def test_an_ineligible_candidate_is_enrolled_and_ended_at_once():
    """A candidate outside the criteria gets no procedure: the course ends, saying why."""
    scenario = POPULATION.model_copy(
        update={
            "course": POPULATION.course.model_copy(
                update={"profile": POPULATION.course.profile.model_copy(update={"age_years": 70})}
            )
        }
    )
    course = simulate_course(scenario, None, 0)
    record = course_record(course)
    assert course.stage == "ended"
    assert record["infusions"] == 0
    assert not record["eligible"]
    assert record["ineligible_because"] == ["too_old"]
    assert isinstance(course.timeline[-1], Ended)
    assert "too_old" in course.timeline[-1].reason


@given(index=st.integers(0, 10_000), seed=st.integers(0, 2**32 - 1), cut=st.integers(1, 40))
@settings(max_examples=8, deadline=None)
def test_any_course_replays_and_restores_from_any_point(index: int, seed: int, cut: int):
    """For any recipient, the course replays to itself, and a snapshot taken after any prefix
    of its timeline that a course stood at restores to an equal course (timeline, stage,
    deadlines); a prefix cut between an assessment and its decision does not replay."""
    course = simulate_course(POPULATION, seed, index)
    assert Course.replay(course.timeline).timeline == course.timeline
    events = list(course.timeline)
    cut = min(cut, len(events))
    # What falls due at one moment happens together (an assessment, its decision, the end): no
    # course ever stood between them, so a cut there is not a course's timeline.
    while (
        0 < cut < len(events)
        and not isinstance(events[cut], Procedure)
        and events[cut].at == events[cut - 1].at
    ):
        cut += 1
    part = Course.replay(events[:cut])
    restored = Course.restore(part.snapshot().model_dump_json())
    assert restored.timeline == part.timeline
    assert restored.stage == part.stage
    assert restored.deadlines == part.deadlines
    assert [e.at for e in events] == sorted(e.at for e in events)  # time never goes back
    torn = [i for i in range(1, len(events)) if isinstance(events[i], Decided)]
    for i in torn[:1]:
        with pytest.raises(ReplayMismatch):
            Course.replay(events[:i])


def test_a_wrong_procedure_or_a_negative_advance_is_refused_and_changes_nothing():
    """A case of another infusion number, or one not ended, is an InvalidInput naming each
    problem; so is a negative advance; the course is unchanged."""
    course = _several_infusions()
    events = list(course.timeline)
    cut = _after_first_infusion(events)
    part = Course.replay(events[:cut])
    before = part.timeline
    first_case = part.cases[-1]  # infusion 1: the course waits for infusion 2 only later
    with pytest.raises(InvalidInput) as caught:
        part.add_procedure(first_case)
    locations = {p.location for p in caught.value.problems}
    assert "case.recipient.infusion_number" in locations
    assert "course.stage" in locations
    with pytest.raises(InvalidInput):
        part.advance(-YEAR)
    assert part.timeline == before


def test_a_clinicians_course_waits_at_its_decision_and_replays_it():
    """Enrolled with decided_by="clinician", a course stops at its re-infusion decision (moving
    on is refused), takes the clinician's decision with the rule beside it, and replays and
    restores with it, also while it waits."""
    course = _several_infusions()
    first = course.cases[0]
    enrolled = course.enrolled.model_copy(update={"decided_by": "clinician"})
    mine = Course.enrol(enrolled)
    mine.add_procedure(first)
    mine.advance(mine.deadlines["reinfusion_decision"] - mine.now + YEAR)
    assert mine.stage == "awaiting_decision"
    assert mine.pending is not None
    assert mine.now == mine.pending.at  # the clock stopped at the decision
    waiting = Course.restore(mine.snapshot().model_dump_json())
    assert waiting.stage == "awaiting_decision"
    assert waiting.pending == mine.pending
    with pytest.raises(InvalidInput, match=r"Course\.decide"):
        mine.advance(YEAR)
    rule = mine.rule(mine.pending)
    assert rule.reinfuse
    assert not rule.barred
    assert mine.decide(False) == ()
    decided = [e for e in mine.timeline if isinstance(e, Decided)]
    assert not decided[-1].reinfuse
    assert "clinician" in decided[-1].reason
    assert "the rule: re-infuse" in decided[-1].reason
    assert mine.stage == "follow_up"
    assert Course.replay(mine.timeline).timeline == mine.timeline
    with pytest.raises(InvalidInput, match="awaiting_decision"):
        mine.decide(True)
