"""``Course``: one recipient's course of up to ``max_infusions`` procedures, event-sourced.

A course enrols a recipient (eligibility checked against the published criteria,
``isletflow.recipient``), takes procedure cases from successive donors (each a ``Case`` as
today, driven by whoever drives cases), and follows the graft on its own deadlines:

- ``follow_up_year_1`` … ``_5``: yearly assessments counted from the FIRST infusion;
- ``one_year_after_last``: the assessment trials report, one year after the last infusion;
- ``reinfusion_decision``: ``Protocol.reinfusion_decision_after`` the last infusion [S1]; a
  further infusion follows when the recipient is not insulin-independent then, fewer than
  ``max_infusions`` were given, and no main-branch thrombosis bars it [S2]. That is the one
  rule (``Course.rule``, a ``ReinfusionRule``). A course enrolled with ``decided_by="clinician"``
  (a trainee's) stops there instead, at stage ``awaiting_decision``, until ``Course.decide``
  takes the clinician's decision: a further infusion the rule bars is refused with its reasons
  and changes nothing; any other decision is taken, the rule's verdict recorded beside it.

Each assessment is the graft model's (``isletflow.assessment``), stamped at its due moment,
however late ``advance`` comes. The timeline holds the inputs (``enrolled``, each
``procedure`` with its case's whole timeline) and the consequences, which ``replay`` produces
again and checks; ``restore`` rebuilds a snapshot by replay and refuses any disagreement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError

from .assessment import Assessment, Engrafted, assess, engrafted, measures
from .case import Case
from .course_events import (
    Assessed,
    CourseEvent,
    CourseSnapshot,
    Decided,
    Ended,
    Enrolled,
    Procedure,
    Purpose,
)
from .errors import InvalidInput, Problem, ReplayMismatch
from .recipient import Eligibility
from .timeline import events_from_python

__all__ = ["YEAR", "Course", "ReinfusionRule"]

YEAR = timedelta(days=365)
"""A follow-up year (the course's assessments fall on the same clock date each year)."""
FOLLOW_UP_YEARS = 5
_MOST_INFUSIONS = 3  # a Recipient's infusion_number: the label has no data beyond three [S1]
_ORDER = {"follow_up": 0, "one_year_after_last": 1, "reinfusion_decision": 2}


_INDEPENDENT = "insulin-independent"
_NOT_INDEPENDENT = "not insulin-independent at the decision after the last infusion [S1]"


@dataclass(frozen=True, slots=True)
class ReinfusionRule:
    """The protocol's rule at a re-infusion decision: whether a further infusion follows, why,
    and what bars one whoever decides (a main-branch thrombosis [S2], the most infusions given,
    no further donor); ``barred`` is empty when a further infusion may be given."""

    reinfuse: bool
    reason: str
    barred: tuple[str, ...] = ()


def _purpose(name: str) -> Purpose:
    if name.startswith("follow_up"):
        return "follow_up"
    return "one_year_after_last" if name == "one_year_after_last" else "reinfusion_decision"


class Course:
    """One recipient's course. Make it with ``Course.enrol``, ``replay`` or ``restore``."""

    def __init__(self, enrolled: Enrolled) -> None:
        self._enrolled = enrolled
        self._events: list[CourseEvent] = [enrolled]
        self._now = enrolled.at
        self._stage = "awaiting_donor"
        self._deadlines: dict[str, datetime] = {}
        self.cases: list[Case] = []
        self.engrafted: list[Engrafted] = []
        self.eligibility = Eligibility.of(enrolled.profile)
        self._barred = False
        self._pending: Assessment | None = None
        if not self.eligibility.eligible:
            codes = "+".join(f.code for f in self.eligibility.failures)
            self._end(enrolled.at, f"ineligible: {codes}")

    @classmethod
    def enrol(cls, enrolled: Enrolled) -> Course:
        """A course for the recipient ``enrolled`` describes; an ineligible one ends at once."""
        return cls(enrolled)

    # -- Reading ----------------------------------------------------------------------------

    @property
    def enrolled(self) -> Enrolled:
        return self._enrolled

    @property
    def now(self) -> datetime:
        return self._now

    @property
    def stage(self) -> str:
        """``awaiting_donor``, ``follow_up``, ``awaiting_decision`` (a clinician's) or ``ended``."""
        return self._stage

    @property
    def pending(self) -> Assessment | None:
        """The assessment a clinician's re-infusion decision waits on (``decide``), or None."""
        return self._pending

    @property
    def timeline(self) -> tuple[CourseEvent, ...]:
        return tuple(self._events)

    @property
    def deadlines(self) -> dict[str, datetime]:
        """The armed deadlines, by name, each with its due moment."""
        return dict(sorted(self._deadlines.items(), key=lambda item: self._key(*item)))

    @property
    def infusions(self) -> int:
        return len(self.engrafted)

    @property
    def cumulative_ieq_per_kg(self) -> float:
        """The delivered dose of every infusion so far, IEQ per kg."""
        return sum(e.delivered_ieq_per_kg for e in self.engrafted)

    @property
    def next_infusion(self) -> int:
        return self.infusions + 1

    @property
    def donors(self) -> int:
        return sum(isinstance(e, Procedure) for e in self._events)

    def assessment(self, at: datetime) -> Assessment:
        """The graft's function at ``at`` from everything engrafted so far."""
        e = self._enrolled
        return assess(at, tuple(self.engrafted), e.profile, e.traits, e.protocol, e.model)

    # -- Acting -----------------------------------------------------------------------------

    def add_procedure(self, case: Case) -> None:
        """Take an ended procedure ``case`` of the next infusion, from the next donor."""
        clamp = case.timeline.cross_clamp
        problems = []
        if self._stage != "awaiting_donor":
            problems.append(Problem("course.stage", self._stage, "must be awaiting_donor"))
        if not case.terminal:
            problems.append(Problem("case.state", case.state, "must have ended"))
        if case.recipient.infusion_number != self.next_infusion:
            rule = f"must be the next infusion, {self.next_infusion}"
            problems.append(
                Problem("case.recipient.infusion_number", case.recipient.infusion_number, rule)
            )
        if case.recipient.id != self._enrolled.recipient.id:
            rule = f"must be the course's recipient, {self._enrolled.recipient.id}"
            problems.append(Problem("case.recipient.id", case.recipient.id, rule))
        if clamp < self._now:
            problems.append(
                Problem(
                    "case.cross_clamp", clamp.isoformat(), "must not be before the course's now"
                )
            )
        if problems:
            raise InvalidInput("procedure for the course", problems)
        self.advance(clamp - self._now)
        event = Procedure(at=clamp, donor=self.donors + 1, timeline=case.timeline.to_python())
        self._events.append(event)
        self._now = clamp
        self.cases.append(case)
        graft = engrafted(case.record)
        if graft is not None:
            self._infused(graft, case.record.main_branch_thrombosis)
        elif self.donors >= self._enrolled.max_donors:
            self._out_of_donors(clamp)

    def _infused(self, graft: Engrafted, barred: bool) -> None:
        protocol = self._enrolled.protocol
        if not self.engrafted:
            for year in range(1, FOLLOW_UP_YEARS + 1):
                self._deadlines[f"follow_up_year_{year}"] = graft.at + year * YEAR
        self.engrafted.append(graft)
        self._barred = self._barred or barred
        self._deadlines["one_year_after_last"] = graft.at + YEAR
        self._deadlines["reinfusion_decision"] = graft.at + protocol.reinfusion_decision_after
        self._stage = "follow_up"

    def _out_of_donors(self, at: datetime) -> None:
        self._stage = "follow_up"
        if not self.engrafted:
            self._end(at, f"no product infused from {self.donors} donors")
        elif not self._deadlines:
            self._end(at, "follow-up complete")

    def advance(self, delta: timedelta) -> tuple[CourseEvent, ...]:
        """Move the course's clock on; every deadline that falls due fires, at its moment.

        A clinician's re-infusion decision stops the clock at its moment: the course goes no
        further until ``decide`` (moving on while it waits is refused)."""
        if delta < timedelta(0):
            raise InvalidInput.single("course", "advance", str(delta), "must not be negative")
        if delta and self._stage == "awaiting_decision":
            rule = "must wait for the re-infusion decision (Course.decide)"
            raise InvalidInput.single("course", "advance", str(delta), rule)
        until = self._now + delta
        fired = len(self._events)
        while self._deadlines and self._stage not in ("ended", "awaiting_decision"):
            name, due = min(self._deadlines.items(), key=lambda item: self._key(*item))
            if due > until:
                break
            del self._deadlines[name]
            self._fire(name, due)
        if self._stage not in ("ended", "awaiting_decision"):
            self._now = until
        return tuple(self._events[fired:])

    @staticmethod
    def _key(name: str, due: datetime) -> tuple[datetime, int, str]:
        return due, _ORDER[_purpose(name)], name

    def _fire(self, name: str, due: datetime) -> None:
        purpose = _purpose(name)
        seen = self.assessment(due)
        after = self._enrolled.protocol.reinfusion_decision_after
        year = int(name.rsplit("_", 1)[1]) if purpose == "follow_up" else 1
        if purpose == "reinfusion_decision":
            year = max(1, round(after / YEAR))
        self._events.append(
            Assessed(
                at=due,
                purpose=purpose,
                year=year,
                **measures(seen),
            )
        )
        self._now = due
        if purpose != "reinfusion_decision":
            if self._stage == "follow_up" and not self._deadlines:
                self._end(due, "follow-up complete")
        elif self._enrolled.decided_by == "clinician":
            self._stage, self._pending = "awaiting_decision", seen
        else:
            rule = self.rule(seen)
            self._decided(rule.reinfuse, rule.reason)

    def rule(self, seen: Assessment) -> ReinfusionRule:
        """The protocol's re-infusion rule for this course, with the graft as ``seen``."""
        most = min(self._enrolled.protocol.max_infusions, _MOST_INFUSIONS)
        barred = []
        if self._barred:
            barred.append("a main-branch portal-vein thrombosis bars a further infusion [S2]")
        if self.infusions >= most:
            barred.append(f"the most infusions ({most}) given")
        if self.donors >= self._enrolled.max_donors:
            barred.append(f"no further donor (of {self._enrolled.max_donors})")
        if seen.insulin_independent:
            return ReinfusionRule(False, _INDEPENDENT, tuple(barred))
        if barred:
            return ReinfusionRule(False, barred[0], tuple(barred))
        return ReinfusionRule(True, _NOT_INDEPENDENT)

    def decide(self, reinfuse: bool) -> tuple[str, ...]:
        """Take a clinician's re-infusion decision (stage ``awaiting_decision``): the reasons a
        further infusion is refused (``ReinfusionRule.barred``; nothing changes), or () when the
        decision is taken, recorded with the rule's verdict beside it."""
        seen = self._pending
        if seen is None:
            must = "must be awaiting_decision (a clinician's course at its decision)"
            raise InvalidInput.single("course", "stage", self._stage, must)
        rule = self.rule(seen)
        if reinfuse and rule.barred:
            return rule.barred
        said = "re-infuse" if rule.reinfuse else "no further infusion"
        choice = "re-infuse" if reinfuse else "no further infusion"
        self._decided(reinfuse, f"clinician: {choice}; the rule: {said} ({rule.reason})")
        return ()

    def _decided(self, reinfuse: bool, reason: str) -> None:
        self._events.append(Decided(at=self._now, reinfuse=reinfuse, reason=reason))
        self._pending = None
        self._stage = "awaiting_donor" if reinfuse else "follow_up"
        if not reinfuse and not self._deadlines:
            self._end(self._now, "follow-up complete")

    def _end(self, at: datetime, reason: str) -> None:
        self._events.append(Ended(at=at, reason=reason))
        self._stage = "ended"
        self._deadlines.clear()
        self._pending = None
        self._now = at

    # -- Event sourcing ---------------------------------------------------------------------

    @classmethod
    def replay(cls, timeline: Iterable[CourseEvent]) -> Course:
        """Rebuild a course from its timeline; one that does not replay to itself raises."""
        events = list(timeline)
        if not events or not isinstance(events[0], Enrolled):
            first = events[0] if events else None
            raise InvalidInput.single("course timeline", "0", first, "must start with 'enrolled'")
        course = cls(events[0])
        for event in events[1:]:
            if isinstance(event, Procedure):
                case = Case.replay(events_from_python(event.timeline, what="procedure timeline"))
                course.add_procedure(case)
            elif isinstance(event, Decided) and course.stage == "awaiting_decision":
                course.decide(event.reinfuse)  # a refusal records nothing: the check below
            elif course.stage not in ("ended", "awaiting_decision") and event.at > course.now:
                course.advance(event.at - course.now)
        produced = course._events
        for index, (want, got) in enumerate(zip(events, produced, strict=False)):
            if want != got:
                raise ReplayMismatch(index, want, got)
        if len(produced) != len(events):
            index = min(len(produced), len(events))
            raise ReplayMismatch(index, events[index : index + 1], produced[index : index + 1])
        return course

    def snapshot(self) -> CourseSnapshot:
        """Everything needed to go on exactly from here: ``Course.restore(snapshot)``."""
        return CourseSnapshot(
            now=self._now,
            stage=self._stage,
            infusions=self.infusions,
            cumulative_ieq_per_kg=self.cumulative_ieq_per_kg,
            deadlines=self.deadlines,
            timeline=list(self._events),
        )

    @classmethod
    def restore(cls, snapshot: CourseSnapshot | str | bytes) -> Course:
        """A course rebuilt from a snapshot by replay, brought to its time; every disagreement
        with what the snapshot says is refused, naming each."""
        snap = snapshot if isinstance(snapshot, CourseSnapshot) else _read_snapshot(snapshot)
        course = cls.replay(snap.timeline)
        if snap.now < course.now:
            rule = f"must not be before the timeline's last event ({course.now.isoformat()})"
            raise InvalidInput.single("course snapshot", "now", snap.now.isoformat(), rule)
        before = len(course._events)
        course.advance(snap.now - course.now)
        problems = [
            Problem("timeline", f"{e.kind} at {e.at.isoformat()}", "had not been recorded")
            for e in course._events[before:]
        ]
        told = {
            "stage": (snap.stage, course.stage),
            "infusions": (snap.infusions, course.infusions),
            "cumulative_ieq_per_kg": (snap.cumulative_ieq_per_kg, course.cumulative_ieq_per_kg),
            "deadlines": (snap.deadlines, course.deadlines),
        }
        problems += [
            Problem(name, said, f"disagrees with the timeline ({found!r})")
            for name, (said, found) in told.items()
            if said != found
        ]
        if problems:
            raise InvalidInput("course snapshot", problems)
        return course


def _read_snapshot(text: str | bytes) -> CourseSnapshot:
    try:
        return CourseSnapshot.model_validate_json(text)
    except ValidationError as error:
        raise InvalidInput.from_pydantic("course snapshot", error) from None
