"""Who a case is: one stable identifier per case, the same whichever way the case is exported.

Every export that names a case (a FHIR Bundle, bulk-data NDJSON, the service's FHIR route, the
CLI's JSON) reads the same **case id**, a string:

- for a simulated case, ``case_id(scenario, seed, index)``: uuid5 of the scenario's content
  (everything but its name, description and own seed, which do not change the case), the seed
  it ran with and its index in the scenario's population. Two scenarios that differ in any
  timing, rate or value give different ids, even when their first event (the donor, recipient
  and approach) is the same; the same scenario, seed and index always give the same id;
- set by the caller: any text (a session id, an encounter number). The service uses
  ``named_case_id("session", session_id)``, so two sessions on the same scenario and seed are
  two cases, and the session id itself (a capability) never leaves the service;
- for a saved timeline with nothing else, ``timeline_case_id(created, seed, index)``: its
  ``created`` event, seed and index. A timeline alone cannot say which scenario made it, so
  ``isletflow simulate --format json`` writes the case id beside the timeline, and the commands
  that read a case use it.

A recipient's **course** (one patient, one or more infusions) has its own id; the FHIR
``Patient`` derives from the course id, every other resource from the case id. A case exported
alone is its own course (``course_id`` defaults to the case id).
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, NamedTuple

from ..timeline import Created, events_to_python

if TYPE_CHECKING:
    from ..case import Case
    from ..scenario import Scenario

__all__ = [
    "NAMESPACE",
    "IdentifiedCase",
    "case_id",
    "key",
    "named_case_id",
    "procedure_case_id",
    "timeline_case_id",
]

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:isletflow")
"""The uuid5 namespace every isletflow id is derived in."""

_NOT_CONTENT = {"name", "description", "seed"}


def _uuid(kind: str, content: object) -> str:
    text = json.dumps({kind: content}, sort_keys=True, separators=(",", ":"))
    return str(uuid.uuid5(NAMESPACE, text))


def case_id(scenario: Scenario, seed: int, index: int = 0) -> str:
    """The id of case ``index`` of ``scenario`` simulated with ``seed`` (a uuid, as text)."""
    content = scenario.model_dump(mode="json", exclude=_NOT_CONTENT)
    return _uuid("case", {"scenario": content, "seed": seed, "index": index})


def timeline_case_id(created: Created, seed: int | None = None, index: int | None = None) -> str:
    """The id of a saved timeline known by nothing but itself: its created event, seed, index."""
    event = events_to_python([created])[0]
    return _uuid("timeline", {"created": event, "seed": seed, "index": index})


def procedure_case_id(course_id: str, donor: int) -> str:
    """The id of the case of a course's ``donor``-th donor (1, 2, …). The first is the course's
    own id: a scenario's single case and the first procedure of its course are the same case,
    under the same recipient, however exported."""
    return course_id if donor == 1 else _uuid("procedure", {"course": course_id, "donor": donor})


def named_case_id(kind: str, name: str) -> str:
    """The id of a case a caller names (``kind`` says by what: ``session``, ``encounter``…)."""
    return _uuid(kind, name)


def key(kind: str, identifier: str) -> uuid.UUID:
    """The uuid5 namespace a case's (``kind="case"``) or course's resource ids derive in."""
    return uuid.uuid5(NAMESPACE, f"{kind}:{identifier}")


class IdentifiedCase(NamedTuple):
    """A case and who it is: its ``case_id`` (``None``: only its timeline says), and the
    ``seed`` and ``case_index`` it was simulated with, where known."""

    case: Case
    case_id: str | None = None
    seed: int | None = None
    case_index: int | None = None

    def resolved_id(self) -> str:
        """The case's id: its own, else (a bare timeline or snapshot) from its created event."""
        if self.case_id is not None:
            return self.case_id
        return timeline_case_id(self.case.timeline.created, self.seed, self.case_index)
