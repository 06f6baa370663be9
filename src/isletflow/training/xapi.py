"""A session's learning record as xAPI statements (Experience API 1.0.3), JSON-ready.

Verbs, from ADL's vocabulary:

- ``attempted`` (http://adlnet.gov/expapi/verbs/attempted): the trainee began the exercise;
- ``completed`` (http://adlnet.gov/expapi/verbs/completed): an action the engine accepted, and the
  exercise when the case completed (with the score);
- ``failed`` (http://adlnet.gov/expapi/verbs/failed): an action the engine refused (the guard
  sentences are the response), a deadline that fired, and the exercise when the case ended
  aborted or discarded (with the score).

Everything comes from the timeline: timestamps are the case's own times (never the wall clock),
and statement ids are uuid5 of the registration and the event's place, so the same session gives
the same statements byte for byte. Activities and extensions are named by ``urn:isletflow:``
IRIs; the actor is an account on the caller's learning platform.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..duration import format_duration
from ..timeline import Accepted, DeadlineFired, Event, Outcome, Refused, Timeline, events_to_python
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

    name: str = Field(min_length=1, max_length=200)
    account_name: str = Field(min_length=1, max_length=200)
    home_page: str = Field(
        pattern=r"^https?://", description="The platform where the account lives (an IRL)"
    )

    def agent(self) -> dict[str, Any]:
        return {
            "objectType": "Agent",
            "name": self.name,
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
    extensions = {f"{_EXT}outcome": outcome.status, f"{_EXT}code": outcome.code}
    said = {"success": done, "completion": True, "score": points, "extensions": extensions}
    return "completed" if done else "failed", said


def xapi_statements(
    trainee: Sequence[Event],
    expert: Sequence[Event],
    rubric: Rubric,
    actor: Actor,
    exercise: str = "training session",
) -> list[dict[str, Any]]:
    """The session as xAPI statements, oldest first."""
    timeline = Timeline(trainee)
    first = timeline.created
    created = json.dumps(events_to_python([first]), sort_keys=True)
    registration = uuid.uuid5(NAMESPACE, f"{actor.home_page}|{actor.account_name}|{created}")
    slug = "-".join(exercise.lower().split())
    course = _activity(f"urn:isletflow:exercise:{slug}", exercise, "simulation")
    result = score(trainee, expert, rubric)
    costs: dict[int, list[dict[str, Any]]] = {}
    for d in result.deviations:
        if d.event_index is not None:
            cost = {"kind": d.kind, "code": d.code, "cost": d.cost}
            costs.setdefault(d.event_index, []).append(cost)

    def statement(
        place: str, at: datetime, verb: str, obj: dict[str, Any], said: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid5(registration, place)),
            "version": XAPI_VERSION,
            "actor": actor.agent(),
            "verb": {"id": VERBS[verb], "display": {"en": verb}},
            "object": obj,
            "result": said,
            "context": {
                "registration": str(registration),
                "platform": "isletflow",
                "contextActivities": {"parent": [course]},
                "extensions": {
                    f"{_EXT}since-cross-clamp": format_duration(at - timeline.cross_clamp)
                },
            },
            "timestamp": _timestamp(at),
        }

    out = [statement("0", first.at, "attempted", course, {"completion": False})]
    for index, event in enumerate(trainee):
        about = _about(event, {f"{_EXT}deviations": costs.get(index, [])})
        if about is not None:
            out.append(statement(str(index), event.at, *about))
    ended = timeline.outcome
    if ended is not None:
        verb, said = _ending(ended, result)
        out.append(statement("outcome", ended.at, verb, course, said))
    return out
