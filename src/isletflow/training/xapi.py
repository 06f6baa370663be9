"""A session's learning record as xAPI statements (Experience API 1.0.3), JSON-ready.

Verbs, from ADL's vocabulary:

- ``attempted`` (http://adlnet.gov/expapi/verbs/attempted): the trainee began the exercise;
- ``completed`` (http://adlnet.gov/expapi/verbs/completed): an action the engine accepted, and the
  exercise when the case completed (with the score);
- ``failed`` (http://adlnet.gov/expapi/verbs/failed): an action the engine refused (the guard
  sentences are the response), a deadline that fired, and the exercise when the case ended
  aborted or discarded (with the score).

Identity: one **attempt** of one exercise by one trainee is one xAPI ``registration`` (uuid5 of
the platform, the account, the exercise and the attempt's id, which the caller gives: the
service's session id, a new uuid per ``isletflow train``). Statement ids are uuid5 of the
registration and the event's place, so two attempts, or two exercises, never share an id, while
sending the same attempt again sends the same statements byte for byte (an LRS keeps them once).

Time: ``timestamp`` is when the trainee acted, by the wall clock: the caller passes those times
(``acted``, by timeline index) where it knows them; where it does not, the statement has no
timestamp and the LRS sets it to when it stored the statement, as xAPI says. The case's own
(simulated) time is in the context extensions ``…:case-time`` (an instant) and
``…:since-cross-clamp`` (an ISO 8601 duration). Activities and extensions are named by
``urn:isletflow:`` IRIs; the actor is an account on the caller's learning platform, its
display name optional and separate from the account's id.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..duration import iso_duration
from ..timeline import Accepted, DeadlineFired, Event, Outcome, Refused, Timeline
from .rubric import Rubric
from .scoring import Score, score

__all__ = ["Actor", "xapi_statements"]

XAPI_VERSION = "1.0.3"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:isletflow:xapi")
VERBS = {
    "attempted": "http://adlnet.gov/expapi/verbs/attempted",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
}
_EXT = "urn:isletflow:xapi:"


class Actor(BaseModel):
    """The trainee, as an account on a learning platform (xAPI Agent with an account)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_name: str = Field(
        min_length=1, max_length=200, description="The account's id on the platform (stable)"
    )
    home_page: str = Field(
        pattern=r"^https?://", description="The platform where the account lives (an IRL)"
    )
    name: str | None = Field(
        None, min_length=1, max_length=200, description="The trainee's display name, if any"
    )

    def agent(self) -> dict[str, Any]:
        shown = {"name": self.name} if self.name is not None else {}
        return {
            "objectType": "Agent",
            **shown,
            "account": {"homePage": self.home_page, "name": self.account_name},
        }


def _timestamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _activity(iri: str, name: str, kind: str) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": iri,
        "definition": {"name": {"en": name}, "type": f"http://adlnet.gov/expapi/activities/{kind}"},
    }


def _action(name: str) -> dict[str, Any]:
    return _activity(f"urn:isletflow:action:{name}", name.replace("_", " "), "interaction")


Said = tuple[str, dict[str, Any], dict[str, Any]]
"""What a statement says: its verb, its object and its result."""


def _about(event: Event, extensions: dict[str, Any]) -> Said | None:
    """What the statement about ``event`` says; ``None`` for an event that makes none."""
    if isinstance(event, Accepted):
        extensions |= {f"{_EXT}state": event.target, f"{_EXT}data": event.data}
        return "completed", _action(event.action), {"success": True, "extensions": extensions}
    if isinstance(event, Refused):
        extensions |= {f"{_EXT}codes": sorted({f.code for f in event.failures})}
        response = " ".join(f.message for f in event.failures)
        result = {"success": False, "response": response, "extensions": extensions}
        return "failed", _action(event.action), result
    if isinstance(event, DeadlineFired):
        name = event.deadline
        deadline = _activity(f"urn:isletflow:deadline:{name}", name.replace("_", " "), "objective")
        return "failed", deadline, {"success": False, "extensions": extensions}
    return None


def _ending(outcome: Outcome, result: Score) -> tuple[str, dict[str, Any]]:
    """The verb and result of the statement that closes the exercise, with the score."""
    done = outcome.status == "completed"
    points = {
        "raw": result.points,
        "min": 0,
        "max": result.full_marks,
        "scaled": round(result.points / result.full_marks, 4),
    }
    lost: dict[str, float] = {}
    for d in result.deviations:  # the points lost by kind of deviation: the score's breakdown
        lost[d.kind] = round(lost.get(d.kind, 0.0) + d.cost, 2)
    extensions = {
        f"{_EXT}outcome": outcome.status,
        f"{_EXT}code": outcome.code,
        f"{_EXT}lost-by-kind": lost,
    }
    said = {"success": done, "completion": True, "score": points, "extensions": extensions}
    return "completed" if done else "failed", said


def _ending_index(trainee: Sequence[Event], ended: Outcome) -> int:
    """Where the case ended: the deadline that fired, or the step into its end state."""
    return max(
        i
        for i, e in enumerate(trainee)
        if e.at == ended.at
        and (isinstance(e, DeadlineFired) or (isinstance(e, Accepted) and e.target == ended.status))
    )


def registration(actor: Actor, exercise: str, attempt: str) -> uuid.UUID:
    """The xAPI registration of one ``attempt`` of ``exercise`` by ``actor``."""
    who = {"platform": actor.home_page, "account": actor.account_name}
    text = json.dumps({**who, "exercise": exercise, "attempt": attempt}, sort_keys=True)
    return uuid.uuid5(NAMESPACE, text)


def xapi_statements(
    trainee: Sequence[Event],
    expert: Sequence[Event],
    rubric: Rubric,
    actor: Actor,
    exercise: str = "training session",
    *,
    attempt: str,
    acted: Mapping[int, datetime] | None = None,
) -> list[dict[str, Any]]:
    """The session as xAPI statements, oldest first.

    ``attempt`` names this attempt (any text, unique per attempt); ``acted`` gives, by timeline
    index, when the trainee acted by the wall clock (a statement without it has no timestamp).
    """
    timeline = Timeline(trainee)
    attempt_id = registration(actor, exercise, attempt)
    slug = "-".join(exercise.lower().split())
    course = _activity(f"urn:isletflow:exercise:{slug}", exercise, "simulation")
    result = score(trainee, expert, rubric)
    costs: dict[int, list[dict[str, Any]]] = {}
    for d in result.deviations:
        if d.event_index is not None:
            cost = {"kind": d.kind, "code": d.code, "cost": d.cost}
            costs.setdefault(d.event_index, []).append(cost)
    when = acted or {}

    def statement(
        place: str, index: int, verb: str, obj: dict[str, Any], said: dict[str, Any]
    ) -> dict[str, Any]:
        at = trainee[index].at
        since = iso_duration(at - timeline.cross_clamp)
        # The exercise is the parent of what happens in it, not of itself.
        parent = {} if obj is course else {"contextActivities": {"parent": [course]}}
        stamped = {"timestamp": _timestamp(when[index])} if index in when else {}
        return {
            "id": str(uuid.uuid5(attempt_id, place)),
            "version": XAPI_VERSION,
            "actor": actor.agent(),
            "verb": {"id": VERBS[verb], "display": {"en": verb}},
            "object": obj,
            "result": said,
            "context": {
                "registration": str(attempt_id),
                "platform": "isletflow",
                **parent,
                "extensions": {
                    f"{_EXT}case-time": _timestamp(at),
                    f"{_EXT}since-cross-clamp": since,
                },
            },
            **stamped,
        }

    out = [statement("0", 0, "attempted", course, {"completion": False})]
    for index, event in enumerate(trainee):
        about = _about(event, {f"{_EXT}deviations": costs.get(index, [])})
        if about is not None:
            out.append(statement(str(index), index, *about))
    ended = timeline.outcome
    if ended is not None:
        verb, said = _ending(ended, result)
        out.append(statement("outcome", _ending_index(trainee, ended), verb, course, said))
    return out
