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
from ..timeline import Accepted, Created, DeadlineFired, Event, Refused, events_to_python
from .rubric import Rubric
from .scoring import cross_clamp, outcome_of, score

__all__ = ["VERBS", "Actor", "xapi_statements"]

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


def xapi_statements(
    trainee: Sequence[Event],
    expert: Sequence[Event],
    rubric: Rubric,
    actor: Actor,
    exercise: str = "training session",
) -> list[dict[str, Any]]:
    """The session as xAPI statements, oldest first."""
    first = trainee[0]
    if not isinstance(first, Created):
        raise ValueError("a timeline starts with its 'created' event")
    created = json.dumps(events_to_python([first]), sort_keys=True)
    registration = uuid.uuid5(NAMESPACE, f"{actor.home_page}|{actor.account_name}|{created}")
    slug = "-".join(exercise.lower().split())
    course = _activity(f"urn:isletflow:exercise:{slug}", exercise, "simulation")
    clamp = cross_clamp(trainee)
    result = score(trainee, expert, rubric)
    costs: dict[int, list[dict[str, Any]]] = {}
    for d in result.deviations:
        if d.event_index is not None:
            costs.setdefault(d.event_index, []).append(
                {"kind": d.kind, "code": d.code, "cost": d.cost}
            )

    def statement(
        place: str, verb: str, obj: dict[str, Any], at: datetime, outcome: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid5(registration, place)),
            "version": XAPI_VERSION,
            "actor": actor.agent(),
            "verb": {"id": VERBS[verb], "display": {"en": verb}},
            "object": obj,
            "result": outcome,
            "context": {
                "registration": str(registration),
                "platform": "isletflow",
                "contextActivities": {"parent": [course]},
                "extensions": {f"{_EXT}since-cross-clamp": format_duration(at - clamp)},
            },
            "timestamp": _timestamp(at),
        }

    def action(name: str) -> dict[str, Any]:
        return _activity(f"urn:isletflow:action:{name}", name.replace("_", " "), "interaction")

    out = [statement("0", "attempted", course, first.at, {"completion": False})]
    for index, event in enumerate(trainee):
        extensions: dict[str, Any] = {f"{_EXT}deviations": costs.get(index, [])}
        if isinstance(event, Accepted):
            extensions |= {f"{_EXT}state": event.target, f"{_EXT}data": event.data}
            out.append(statement(str(index), "completed", action(event.action), event.at,
                                 {"success": True, "extensions": extensions}))  # fmt: skip
        elif isinstance(event, Refused):
            extensions |= {f"{_EXT}codes": sorted({f.code for f in event.failures})}
            response = " ".join(f.message for f in event.failures)
            out.append(statement(str(index), "failed", action(event.action), event.at,
                                 {"success": False, "response": response,
                                  "extensions": extensions}))  # fmt: skip
        elif isinstance(event, DeadlineFired):
            deadline = _activity(f"urn:isletflow:deadline:{event.deadline}",
                                 event.deadline.replace("_", " "), "objective")  # fmt: skip
            out.append(statement(str(index), "failed", deadline, event.at,
                                 {"success": False, "extensions": extensions}))  # fmt: skip
    ended = outcome_of(trainee)
    if ended is not None:
        done = ended.status == "completed"
        points = {"raw": result.points, "min": 0, "max": result.full_marks,
                  "scaled": round(result.points / result.full_marks, 4)}  # fmt: skip
        out.append(statement("outcome", "completed" if done else "failed", course, ended.at, {
            "success": done, "completion": True, "score": points,
            "extensions": {f"{_EXT}outcome": ended.status, f"{_EXT}code": ended.code},
        }))  # fmt: skip
    return out
