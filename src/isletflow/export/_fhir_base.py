"""What the FHIR mapping is made with: ids, codes, references, and a walk over a timeline.

``Walk`` reads a case's timeline once (where each action happened, how the case ended) and
offers the helpers the resources are built with; ``_fhir_resources.Builder`` makes them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import workflow as wf
from ..case import Case
from ..timeline import (
    Accepted,
    AutomaticStep,
    Created,
    DeadlineFired,
    Event,
)
from .identity import key

SYSTEM = "urn:isletflow"
"""Base of isletflow's identifier systems; a site maps them to its own when it loads a bundle."""
CODES = f"{SYSTEM}:code"
"""isletflow's local code system, for concepts no code from the clinical reference names."""
UCUM = "http://unitsofmeasure.org"
CPT = "http://www.ama-assn.org/go/cpt"
LOINC = "http://loinc.org"
_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


# Release tests [S5b, S24]: (Preparation field, or "dose" for IEQ per kg recipient weight;
# local code; display; unit as shown; UCUM code).
RELEASE_TESTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("ieq", "islet-equivalents", "Islet equivalents in the product", "IEQ", "{IEQ}"),
    ("dose", "islet-dose", "Islet dose per kg recipient weight", "IEQ/kg", "{IEQ}/kg"),
    ("tissue_volume_ml", "tissue-volume", "Settled tissue volume", "mL", "mL"),
    ("purity_percent", "islet-purity", "Islet purity", "%", "%"),
    ("viability_percent", "islet-viability", "Islet viability", "%", "%"),
    ("endotoxin_eu_per_kg", "endotoxin", "Endotoxin per kg recipient weight", "EU/kg", "{EU}/kg"),
    ("stimulation_index", "stimulation-index", "Glucose stimulation index", "ratio", "1"),
)


def stamp(moment: datetime) -> str:
    """A FHIR dateTime/instant: ISO 8601 with its UTC offset."""
    return moment.isoformat()


def ref(resource: dict[str, Any]) -> dict[str, str]:
    """A relative reference, ``Type/id``: valid in a bundle and alone in NDJSON."""
    return {"reference": f"{resource['resourceType']}/{resource['id']}"}


def _code(code: str, display: str, system: str = CODES) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _qty(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": round(value, 6), "unit": unit, "system": UCUM, "code": code}


def _category(code: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": _CATEGORY, "code": code}]}]


@dataclass
class Made:
    """A resource, the timeline events it comes from, and the resources it was made from."""

    resource: dict[str, Any]
    events: list[int]
    sources: list[dict[str, Any]] = field(default_factory=list)


class Walk:
    """One walk over a case's timeline, and the helpers that make resources from it."""

    def __init__(
        self,
        case: Case,
        seed: int | None,
        case_index: int | None,
        case_id: str,
        course_id: str,
    ) -> None:
        self.case = case
        # Reading the state first lets deadlines the clock has passed fire and join the timeline.
        self.state = case.state
        self.events: list[Event] = list(case.timeline)
        created = self.events[0]
        if not isinstance(created, Created):  # pragma: no cover - Case guarantees it
            raise TypeError("a timeline starts with its created event")
        self.created = created
        self.seed, self.case_index = seed, case_index
        self.case_id, self.course_id = case_id, course_id
        # The Patient derives from the recipient's course, every other resource from the case.
        self.key = key("case", case_id)
        self.patient_id = str(uuid.uuid5(key("course", course_id), "Patient"))
        self.made: list[Made] = []
        # Where each accepted action happened (every index, in order), and the end of the case.
        self.at: dict[str, list[int]] = {}
        self.terminal: int | None = None
        for index, event in enumerate(self.events):
            if isinstance(event, Accepted):
                self.at.setdefault(event.action, []).append(index)
                if event.target in wf.TERMINAL and event.source not in wf.TERMINAL:
                    self.terminal = index
            elif isinstance(event, DeadlineFired):
                self.terminal = index
        outcome = case.outcome
        self.outcome_code = (outcome.code or outcome.status) if outcome else None
        self.outcome_status = outcome.status if outcome else None
        self.aborted = outcome is not None and outcome.status != "completed"

    # -- helpers ------------------------------------------------------------------------------

    def id(self, *parts: object) -> str:
        return str(uuid.uuid5(self.key, "/".join(str(p) for p in parts)))

    def first(self, *actions: str) -> int | None:
        found = [i for a in actions for i in self.at.get(a, ())]
        return min(found) if found else None

    def when(self, index: int) -> str:
        return stamp(self.events[index].at)

    def data(self, index: int) -> dict[str, Any]:
        event = self.events[index]
        return event.data if isinstance(event, Accepted) else {}

    def add(self, resource: dict[str, Any], events: Iterable[int | None], **kw: Any) -> None:
        cited = sorted({i for i in events if i is not None})
        # A procedure still to come rests on the case alone: its created event.
        self.made.append(Made(resource, cited or [0], **kw))

    def resource(self, kind: str, *parts: object, **body: Any) -> dict[str, Any]:
        return {"resourceType": kind, "id": self.id(kind, *parts), **body}

    def subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.patient_id}"}

    def observation(
        self, name: str, index: int, code: dict[str, Any], category: str | None, **value: Any
    ) -> dict[str, Any]:
        """An Observation made at timeline event ``index``; ``category`` from HL7's list."""
        categories = {"category": _category(category)} if category else {}
        return self.resource(
            "Observation",
            name,
            index,
            status="final",
            **categories,
            code=code,
            subject=self.subject(),
            effectiveDateTime=self.when(index),
            **value,
        )

    def procedure_status(self, begun: int | None, done: bool) -> tuple[str, list[int]]:
        """FHIR status of a procedure that began at ``begun`` and is ``done`` or not."""
        ended = [self.terminal] if self.terminal is not None else []
        if done:
            return "completed", []
        if begun is None:
            return ("not-done", ended) if self.case.terminal else ("preparation", [])
        return ("stopped", ended) if self.case.terminal else ("in-progress", [])

    def ended(self, proc: dict[str, Any], *, reason: bool = True) -> None:
        """Say on ``proc`` how and when the case ended (its status reason, if it stopped it)."""
        assert self.terminal is not None
        if reason:
            proc["statusReason"] = {"text": self.outcome_code}
        text = f"Case {self.outcome_status}: {self.outcome_code}."
        proc.setdefault("note", []).append({"time": self.when(self.terminal), "text": text})

    def infusion_notes(self) -> list[tuple[int, str]]:
        """What happened during the infusion, as (event index, sentence), in order."""
        notes: list[tuple[int, str]] = []
        for action, text in (
            ("access_portal_vein", "Portal vein accessed"),
            ("start_infusion", "Infusion started"),
            ("resume_infusion", "Infusion resumed"),
            ("complete_infusion", "Infusion completed"),
            ("seal_access", "Access closed"),
        ):
            for index in self.at.get(action, ()):
                details = ", ".join(f"{k}: {_show(v)}" for k, v in self.data(index).items())
                notes.append((index, f"{text}" + (f" ({details})." if details else ".")))
        for index, event in enumerate(self.events):
            if isinstance(event, AutomaticStep) and event.trigger == "pause_infusion":
                notes.append((index, f"Infusion paused: {event.reason.message}"))
        notes.sort()
        return notes


def _show(value: Any) -> str:
    if isinstance(value, list):
        return " and ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
