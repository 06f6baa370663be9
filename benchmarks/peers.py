"""The peers: the limit's workflow written the way a user of each library would write it.

Each peer is ``limit.PlainCase`` (the same policy, guards, patient and tuple events) with one
change, the one a user of that library makes: a state machine per case that owns the state and
runs the guards as its conditions. ``TransitionsCase`` builds one ``transitions.Machine`` per
case (the model is the case; the conditions are the case's guard methods, named by string);
``StatechartCase`` builds one ``python-statemachine`` ``StateMachine`` per case, whose model is
the case. A condition that fails leaves the state alone: the step is refused.
"""

from __future__ import annotations

from typing import Any

from limit import ACTIVE, PlainCase
from transitions import Machine

from isletflow.sampling import CasePlan

STATES = [*ACTIVE, "completed", "aborted", "discarded"]

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "start_isolation", "source": "harvest.procured", "dest": "harvest.digesting",
     "conditions": "isolation_ok"},
    {"trigger": "finish_digestion", "source": "harvest.digesting", "dest": "purify.gradient"},
    {"trigger": "start_culture", "source": "purify.gradient", "dest": "purify.culture",
     "conditions": "yield_ok"},
    {"trigger": "submit_for_release", "source": ["purify.gradient", "purify.culture"],
     "dest": "purify.release_testing", "conditions": "culture_ok"},
    {"trigger": "release", "source": "purify.release_testing", "dest": "purify.released",
     "conditions": "release_ok"},
    {"trigger": "reject", "source": "purify.release_testing", "dest": "discarded"},
    {"trigger": "access_portal_vein", "source": "purify.released", "dest": "infuse.access",
     "conditions": "access_ok"},
    {"trigger": "start_infusion", "source": "infuse.access", "dest": "infuse.infusing",
     "conditions": "infusion_ok"},
    {"trigger": "pause_infusion", "source": "infuse.infusing", "dest": "infuse.paused"},
    {"trigger": "resume_infusion", "source": "infuse.paused", "dest": "infuse.infusing",
     "conditions": "pressure_ok"},
    {"trigger": "complete_infusion", "source": ["infuse.infusing", "infuse.paused"],
     "dest": "infuse.hemostasis"},
    {"trigger": "seal_access", "source": "infuse.hemostasis", "dest": "immunosuppress.maintenance"},
    {"trigger": "start_follow_up", "source": "immunosuppress.maintenance",
     "dest": "immunosuppress.follow_up"},
    {"trigger": "assess_graft", "source": "immunosuppress.follow_up", "dest": "completed"},
    {"trigger": "abort", "source": list(ACTIVE), "dest": "aborted"},
]  # fmt: skip


class TransitionsCase(PlainCase):
    """One ``transitions.Machine`` per case; the guards are its conditions.

    No ``__slots__``: ``transitions`` attaches a method per trigger to its model.
    """

    def __init__(self, plan: CasePlan) -> None:
        super().__init__(plan)
        self.machine = Machine(
            model=self, states=STATES, transitions=TRANSITIONS, initial="harvest.procured",
            auto_transitions=False,
        )  # fmt: skip

    def fire(self, trigger: str) -> bool:
        source = self.state
        if not self.trigger(trigger):  # type: ignore[attr-defined]
            self.events.append((self.now, "refused", trigger, source, tuple(self.failures)))
            return False
        self.events.append((self.now, "accepted", trigger, source, self.state))
        return True


def _statechart() -> type[Any]:
    from statemachine import State, StateMachine

    class Workflow(StateMachine):  # type: ignore[misc]
        """The workflow as python-statemachine declares it; the model keeps ``state``."""

        procured = State(initial=True, value="harvest.procured")
        digesting = State(value="harvest.digesting")
        gradient = State(value="purify.gradient")
        culture = State(value="purify.culture")
        release_testing = State(value="purify.release_testing")
        released = State(value="purify.released")
        access = State(value="infuse.access")
        infusing = State(value="infuse.infusing")
        paused = State(value="infuse.paused")
        hemostasis = State(value="infuse.hemostasis")
        maintenance = State(value="immunosuppress.maintenance")
        follow_up = State(value="immunosuppress.follow_up")
        completed = State(final=True, value="completed")
        aborted = State(final=True, value="aborted")
        discarded = State(final=True, value="discarded")

        start_isolation = procured.to(digesting, cond="isolation_ok")
        finish_digestion = digesting.to(gradient)
        start_culture = gradient.to(culture, cond="yield_ok")
        submit_for_release = gradient.to(release_testing, cond="culture_ok") | culture.to(
            release_testing, cond="culture_ok"
        )
        release = release_testing.to(released, cond="release_ok")
        reject = release_testing.to(discarded)
        access_portal_vein = released.to(access, cond="access_ok")
        start_infusion = access.to(infusing, cond="infusion_ok")
        pause_infusion = infusing.to(paused)
        resume_infusion = paused.to(infusing, cond="pressure_ok")
        complete_infusion = infusing.to(hemostasis) | paused.to(hemostasis)
        seal_access = hemostasis.to(maintenance)
        start_follow_up = maintenance.to(follow_up)
        assess_graft = follow_up.to(completed)
        abort = (
            procured.to(aborted) | digesting.to(aborted) | gradient.to(aborted)
            | culture.to(aborted) | release_testing.to(aborted) | released.to(aborted)
            | access.to(aborted) | infusing.to(aborted) | paused.to(aborted)
            | hemostasis.to(aborted) | maintenance.to(aborted) | follow_up.to(aborted)
        )  # fmt: skip

    return Workflow


_WORKFLOW: type[Any] | None = None


class StatechartCase(PlainCase):
    """One ``python-statemachine`` machine per case, with the case as its model."""

    def __init__(self, plan: CasePlan) -> None:
        super().__init__(plan)
        global _WORKFLOW
        if _WORKFLOW is None:
            _WORKFLOW = _statechart()
        self.machine = _WORKFLOW(model=self)

    def fire(self, trigger: str) -> bool:
        from statemachine.exceptions import TransitionNotAllowed

        source = self.state
        try:
            self.machine.send(trigger)
        except TransitionNotAllowed:
            self.events.append((self.now, "refused", trigger, source, tuple(self.failures)))
            return False
        self.events.append((self.now, "accepted", trigger, source, self.state))
        return True
