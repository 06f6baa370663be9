"""The lab's walk of one case's patient along its timeline, kept to go on from.

``ScenarioLab`` (``training.lab``) answers portal pressures and the share of a stopped infusion
from the simulator's own ``Patient``, brought to the request's time by walking the case's timeline
as the simulator syncs it between moves. ``Walks`` keeps each case's walk so a reading costs the
same at the tenth event as at the ten-thousandth; ``WalkPoint`` is a walk as data, for the
service's checkpoints.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..case import Case
from ..models import UtcDatetime
from ..patient import Patient
from ..sampling import CasePlan
from ..timeline import Accepted, Advanced, Event, Refused, Timeline, state_after

__all__ = ["Walk", "WalkPoint", "Walks"]

_INFUSING = "infuse.infusing"
_ZERO = timedelta(0)


class WalkPoint(BaseModel):
    """The lab's walk of one case's patient after ``fed`` events, as data (``ScenarioLab``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fed: int = Field(ge=1)
    state: str
    at: UtcDatetime | None
    excess_mmhg: float
    infused: timedelta
    readings: dict[str, Any] | None = Field(description="The readings stream's generator state")


class Walk:
    """The simulator's patient walked along one case's timeline, as far as it has been fed.

    The patient is synced as the simulator would have at each of the case's moves: between two
    moves it was infused if the case stood in ``infuse.infusing`` (the pressure's rise and fall
    compose exactly, so syncing at every input event gives the simulator's numbers), and each
    reading asked for drew one value of the readings stream, so the next draws what the
    simulator's next reading would.
    """

    __slots__ = ("created", "fed", "last", "patient", "plan", "state")

    def __init__(self, plan: CasePlan, created: Event) -> None:
        self.plan, self.created = plan, created
        self.patient = Patient(plan)
        self.patient.sync(created.at, False)
        (_, self.state), *_ = Timeline([created]).states()
        self.fed, self.last = 1, created

    def follows(self, timeline: Sequence[Event]) -> bool:
        """Whether ``timeline`` is the one fed so far, grown (its events are the very ones)."""
        fed = self.fed
        return (
            len(timeline) >= fed and timeline[0] is self.created and timeline[fed - 1] is self.last
        )

    def feed(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, Accepted | Refused | Advanced):
                self.patient.sync(event.at, self.state == _INFUSING)  # since the last move
            if isinstance(event, Accepted | Refused) and event.action == "record_portal_pressure":
                self.patient.reading(_ZERO, False)  # the value this reading drew, dropped
            self.state = state_after(event, self.state)
            self.fed += 1
            self.last = event

    def point(self) -> WalkPoint:
        patient = self.patient
        return WalkPoint(
            fed=self.fed,
            state=self.state,
            at=patient.synced_at,
            excess_mmhg=patient.excess_mmhg,
            infused=patient.infused,
            readings=patient.readings_state(),
        )

    @classmethod
    def resumed(cls, plan: CasePlan, timeline: Sequence[Event], point: WalkPoint) -> Walk:
        """The walk ``point`` describes, of ``timeline`` (reading its first and fed-th events)."""
        walk = cls(plan, timeline[0])
        walk.patient.resume(point.at, point.excess_mmhg, point.infused, point.readings)
        walk.state, walk.fed, walk.last = point.state, point.fed, timeline[point.fed - 1]
        return walk

    def at(self, now: datetime) -> tuple[Patient, str]:
        """A copy of the patient brought to ``now``, and the case's state (this walk goes on)."""
        patient = copy.deepcopy(self.patient, {id(self.plan): self.plan})
        patient.sync(now, self.state == _INFUSING)
        return patient, self.state


class Walks:
    """Each case's walk, kept to go on from (a cache, so any two compare equal): a reading costs
    the same at the tenth event as at the ten-thousandth. A case is known by its events (the
    walk keeps its first and last), never kept alive; the least recently used go first."""

    LIMIT = 256

    def __init__(self) -> None:
        self._walks: OrderedDict[int, Walk] = OrderedDict()
        self._lock = threading.Lock()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Walks)

    def patient(self, plan: CasePlan, case: Case) -> tuple[Patient, str]:
        """The patient at ``case.now`` and the case's state, as the whole walk would give them."""
        return self.walked(plan, case).at(case.now)

    def walked(self, plan: CasePlan, case: Case) -> Walk:
        """The case's walk, fed to the end of its timeline (kept to go on from)."""
        timeline = case.timeline
        with self._lock:
            walk = self._walks.pop(id(timeline[0]), None)
        if walk is None or walk.plan is not plan or not walk.follows(timeline):
            walk = Walk(plan, timeline[0])
        walk.feed(timeline[walk.fed :])  # a new walk has taken the first event
        self.keep(case, walk)
        return walk

    def keep(self, case: Case, walk: Walk) -> None:
        with self._lock:
            self._walks[id(case.timeline[0])] = walk
            while len(self._walks) > self.LIMIT:
                self._walks.popitem(last=False)
