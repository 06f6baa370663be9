"""A Hypothesis state machine that drives the public API at random and checks the invariants.

Each run builds one case, then takes random steps: actions allowed now or not, with valid,
missing, borderline or malformed data, after random waits; clock advances, some landing exactly
on a deadline; and snapshots restored through JSON into a twin that must then behave identically.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import isletflow as fl
from builders import ACCESS, GOOD_PREPARATION, Seen, armed, sealant, seen
from isletflow import workflow as wf
from isletflow.timeline import DeadlineFired, Timeline
from strategies import (
    action_data,
    action_names,
    approaches,
    case_donors,
    deadline_offsets,
    head_starts,
    known_actions,
    late_starts,
    malformed_data,
    protocols,
    recipients,
    step_waits,
    unknown_action_names,
    unreadable_waits,
    waits,
)
from strategies import afters as afters_strategy

SECOND = timedelta(seconds=1)


def standard_next(case: fl.Case) -> tuple[str, dict[str, Any]]:
    """The step a careful team would take next (its guards may still fail)."""
    record, approach = case.record, case.approach.value
    last = record.last_pressure()
    match case.state:
        case "harvest.procured":
            return "start_isolation", {}
        case "harvest.digesting":
            return "finish_digestion", {"digest_ieq": 620_000}
        case "purify.gradient":
            return "start_culture", {"purified_ieq": 480_000}
        case "purify.culture":
            return "submit_for_release", {}
        case "purify.release_testing":
            if record.preparation is None:
                return "record_release_tests", GOOD_PREPARATION
            return "release", {}
        case "purify.released":
            if not record.inductions:
                return "give_induction", {"agent": "rabbit ATG"}
            if record.heparin_units_per_kg is None:
                return "add_heparin", {"units_per_kg": 70}
            return "access_portal_vein", ACCESS[approach]
        case "infuse.access":
            if last is None or last.mmhg >= 20:
                return "record_portal_pressure", {"mmhg": 13}
            return "start_infusion", {}
        case "infuse.infusing":
            return "complete_infusion", {}
        case "infuse.paused":
            if last is not None and last.mmhg >= case.protocol.portal_pressure_stop_mmhg:
                return "record_portal_pressure", {"mmhg": 15}
            return "resume_infusion", {}
        case "infuse.hemostasis":
            return "seal_access", sealant(approach)
        case "immunosuppress.maintenance":
            if not record.troughs:
                return "record_trough", {"drug": "tacrolimus", "ng_per_ml": 5}
            check = case.check("start_follow_up")
            untreated = [f for f in check.failures if f.code == "complication_untreated"]
            if untreated:
                thrombosis = untreated[0].observed == "portal_vein_thrombosis"
                return "treat_complication", {
                    "treatment": "anticoagulation" if thrombosis else "observation"
                }
            return "start_follow_up", {}
        case "immunosuppress.follow_up":
            return "assess_graft", {"igls_grade": "good"}
        case _:
            return "note", {"text": "after the end"}


class CaseMachine(RuleBasedStateMachine):
    """One case, driven at random through the public API."""

    def __init__(self) -> None:
        super().__init__()
        self.case: fl.Case
        self.twin: fl.Case | None = None

    @initialize(
        donor=case_donors,
        recipient=recipients,
        approach=approaches,
        protocol=st.none() | protocols,
        late=late_starts,
        head_start=head_starts,
    )
    def create(
        self,
        donor: fl.Donor,
        recipient: fl.Recipient,
        approach: fl.Approach,
        protocol: fl.Protocol | None,
        late: timedelta,
        head_start: int,
    ) -> None:
        """A new case, sometimes taken some way along the standard path (so every state is met)."""
        clock = fl.SimulatedClock(donor.cross_clamp_at + late)
        self.case = fl.Case.new(donor, recipient, approach, protocol=protocol, clock=clock)
        for _ in range(head_start):
            name, payload = standard_next(self.case)
            if not self.case.act(name, after="30min", **payload):
                break

    # -- Steps ---------------------------------------------------------------------------------

    def act(self, action: str, after: Any, data: dict[str, Any]) -> fl.ActionResult | None:
        """Act on the case (and the twin, if any) and check what a refusal may change."""
        case = self.case
        before = seen(case)
        try:
            out = case.act(action, after=after, **data)
        except fl.InvalidInput as error:
            self.refused_as_malformed(before, (action, after, data), str(error))
            return None
        new = list(case.timeline)[before.events :]
        if out.accepted:
            assert new == list(out.events)
            assert out.events[0].kind == "accepted"
            assert out.state == case.state
        else:
            assert out.failures, "a refusal must say why"
            assert new[-1].kind == "refused"
            assert out.events == (new[-1],)
            if len(new) == 1:
                # The refusal is the only change.
                assert case.state == before.state
                assert case.record == before.record
                assert armed(case) == before.deadlines
                assert case.outcome == before.outcome
            else:
                # A deadline passed while waiting: it fired first, then the action was refused.
                assert [e.kind for e in new] == ["deadline", "refused"]
                assert before.outcome is None
                assert [f.code for f in out.failures] == ["not_allowed"]
                assert case.record == before.record
        if self.twin is not None:
            twin_out = self.twin.act(action, after=after, **data)
            assert twin_out == out
        return out

    def refused_as_malformed(self, before: Seen, args: tuple[str, Any, Any], message: str) -> None:
        assert seen(self.case) == before, "malformed input changed the case"
        if self.twin is not None:
            with pytest.raises(fl.InvalidInput) as twin_error:
                self.twin.act(args[0], after=args[1], **args[2])
            assert str(twin_error.value) == message

    @rule(data=st.data(), after=afters_strategy)
    def any_action(self, data: st.DataObject, after: Any) -> None:
        """An action allowed now (mostly) or any other, with data fit for it or not."""
        name = data.draw(action_names(self.case.state))
        payload = data.draw(action_data(name, self.case.approach))
        self.act(name, after, payload)

    @rule(waits=st.lists(step_waits, min_size=1, max_size=5))
    def standard_steps(self, waits: list[Any]) -> None:
        """A run of the steps a careful team takes, so random cases reach the later phases."""
        for after in waits:
            name, payload = standard_next(self.case)
            self.act(name, after, payload)

    @rule(data=st.data())
    def malformed_step(self, data: st.DataObject) -> None:
        """Malformed input raises InvalidInput (a ValueError) and changes nothing."""
        kind = data.draw(st.sampled_from(["data", "unknown", "negative_after", "bad_after"]))
        if kind == "data":
            name = data.draw(st.sampled_from(sorted(malformed_data)))
            args: tuple[str, Any, dict[str, Any]] = (name, None, data.draw(malformed_data[name]))
        elif kind == "unknown":
            args = (data.draw(unknown_action_names), None, {})
        elif kind == "negative_after":
            args = ("note", -data.draw(waits.filter(bool)), {"text": "x"})
        else:
            args = ("note", data.draw(unreadable_waits), {"text": "x"})
        before = seen(self.case)
        with pytest.raises(fl.InvalidInput):
            self.case.act(args[0], after=args[1], **args[2])
        assert seen(self.case) == before
        if args[0] not in wf.ACTIONS:
            with pytest.raises(fl.UnknownAction):
                self.case.check(args[0])

    @rule(delta=st.one_of(step_waits.filter(lambda w: isinstance(w, timedelta)), waits))
    def advance(self, delta: timedelta) -> None:
        """Moving the clock fires at most one deadline, stamped at its due time."""
        self.advance_by(delta)

    @precondition(lambda self: bool(self.case.deadlines))
    @rule(data=st.data(), offset=deadline_offsets)
    def advance_to_a_deadline(self, data: st.DataObject, offset: timedelta) -> None:
        """Land just before, exactly on, or just after an armed deadline."""
        deadlines = armed(self.case)
        name = data.draw(st.sampled_from(sorted(deadlines)))
        delta = deadlines[name] - self.case.now + offset
        if delta >= timedelta(0):
            self.advance_by(delta)

    def advance_by(self, delta: timedelta) -> None:
        case = self.case
        deadlines, was_active = armed(case), not case.terminal
        events = case.advance(delta)
        fired = [e for e in events if isinstance(e, DeadlineFired)]
        if was_active:
            assert events[-1].kind == "advanced"
            assert events[-1].at == case.now
        else:
            assert events == ()
        assert len(fired) <= 1
        for deadline in fired:
            earliest = min(deadlines.values())
            assert deadline.due == earliest < case.now
            assert deadline.at == earliest
            assert case.state == "aborted"
        if not fired:
            assert all(due >= case.now for due in deadlines.values())
        if self.twin is not None:
            assert self.twin.advance(delta) == events

    @rule()
    def restore_twin(self) -> None:
        """A snapshot restored through JSON: from here on it must do what the case does."""
        self.twin = fl.Case.restore(self.case.snapshot().model_dump_json())

    @rule(data=st.data())
    def check_changes_nothing(self, data: st.DataObject) -> None:
        """check() and allowed() only look."""
        before = seen(self.case)
        name = data.draw(known_actions)
        verdict = self.case.check(name, **data.draw(action_data(name, self.case.approach)))
        allowed = self.case.allowed()
        assert seen(self.case) == before
        assert {c.action for c in allowed} == set(wf.actions_in(self.case.state))
        if name not in wf.actions_in(self.case.state):
            assert not verdict.accepted
            assert [f.code for f in verdict.failures] == ["not_allowed"]

    @precondition(lambda self: self.case.terminal)
    @rule(data=st.data(), after=afters_strategy)
    def terminal_accepts_nothing(self, data: st.DataObject, after: Any) -> None:
        """Once ended, every action is refused not_allowed; state and outcome stay readable."""
        case = self.case
        outcome, state = case.outcome, case.state
        assert outcome is not None
        assert outcome.status == state
        for name in wf.ACTIONS:
            verdict = case.check(name, **data.draw(action_data(name, case.approach)))
            assert [f.code for f in verdict.failures] == ["not_allowed"]
        name = data.draw(known_actions)
        out = self.act(name, after, data.draw(action_data(name, case.approach)))
        assert out is not None
        assert not out.accepted
        assert [f.code for f in out.failures] == ["not_allowed"]
        assert (case.state, case.outcome, case.deadlines) == (state, outcome, ())
        assert case.allowed() == []

    def teardown(self) -> None:
        # Shown by --hypothesis-show-statistics: how far the random cases got.
        if hasattr(self, "case"):
            event("final state", self.case.state)
            event("outcome code", str(self.case.outcome and self.case.outcome.code))
            event("infused", str(self.case.record.infusion_started_at is not None))
            event("twin", str(self.twin is not None))

    # -- Invariants ----------------------------------------------------------------------------

    @invariant()
    def time_never_goes_backwards(self) -> None:
        """Events are in time order, and none is later than the clock."""
        times = [e.at for e in self.case.timeline]
        assert times == sorted(times)
        assert times[-1] <= self.case.now

    @invariant()
    def replay_rebuilds_the_case(self) -> None:
        """Replaying the timeline, after a JSON round trip, gives an equal case."""
        timeline = Timeline.from_json(self.case.timeline.to_json())
        assert timeline == self.case.timeline
        assert fl.Case.replay(timeline) == self.case

    @invariant()
    def snapshot_restores_an_equal_case(self) -> None:
        """A snapshot restored through JSON equals the case, and so does the twin."""
        restored = fl.Case.restore(self.case.snapshot().model_dump_json())
        assert restored == self.case
        assert restored.outcome == self.case.outcome
        if self.twin is not None:
            assert self.twin == self.case
            assert self.twin.now == self.case.now

    @invariant()
    def no_infusion_after_a_viability_deadline(self) -> None:
        """An infusion starts within 6 h of release and 72 h of the end of isolation."""
        record, protocol = self.case.record, self.case.protocol
        started = record.infusion_started_at
        if started is None:
            return
        assert record.released_at is not None
        assert record.isolation_ended_at is not None
        assert started <= record.released_at + protocol.max_release_to_infusion
        assert started <= record.isolation_ended_at + protocol.max_culture

    @invariant()
    def next_deadline_is_the_soonest_armed(self) -> None:
        """``next_deadline`` (kept as the deadlines change) is the soonest of ``deadlines``."""
        for case in (self.case, fl.Case.restore(self.case.snapshot())):
            assert case.next_deadline == min(armed(case).values(), default=None)
            assert [d.due for d in case.deadlines] == sorted(armed(case).values())

    @invariant()
    def outcome_exactly_when_terminal(self) -> None:
        """A case has an outcome once (and only once) it is in a terminal state."""
        case = self.case
        assert (case.outcome is not None) == case.terminal
        if case.terminal:
            assert case.deadlines == ()
            assert case.phase == case.state


TestCaseMachine = CaseMachine.TestCase
TestCaseMachine.settings = settings(stateful_step_count=30)
