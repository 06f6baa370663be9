"""The clinical mapping of a case to FHIR R4B resources (see ``isletflow.export.fhir``).

``Builder`` walks a case's timeline once and makes its resources in a fixed order, each with
the timeline events it comes from; ``fhir`` adds the Provenance, the Device and the Bundle.
"""

from __future__ import annotations

import json
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
    Warned,
    events_to_python,
)

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:isletflow")
"""The uuid5 namespace every case key is derived in."""
SYSTEM = "urn:isletflow"
"""Base of isletflow's identifier systems; a site maps them to its own when it loads a bundle."""
CODES = f"{SYSTEM}:code"
"""isletflow's local code system, for concepts no code from the clinical reference names."""
UCUM = "http://unitsofmeasure.org"
CPT = "http://www.ama-assn.org/go/cpt"
LOINC = "http://loinc.org"
_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_COURSE = "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy"
_PRODUCT_DEADLINES = ("culture_window", "release_window")
assert all(name in wf.DEADLINES for name in _PRODUCT_DEADLINES)


def case_key(created: Created, seed: int | None = None, case_index: int | None = None) -> uuid.UUID:
    """The uuid5 every id of a case is derived from: its created event, seed and case index."""
    text = json.dumps(
        {"created": events_to_python([created])[0], "seed": seed, "case_index": case_index},
        sort_keys=True,
        separators=(",", ":"),
    )
    return uuid.uuid5(NAMESPACE, text)


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


# Release tests [S5b, S24]: (Preparation field, or "dose" for IEQ per kg recipient weight;
# local code; display; unit as shown; UCUM code).
_RELEASE_TESTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("ieq", "islet-equivalents", "Islet equivalents in the product", "IEQ", "{IEQ}"),
    ("dose", "islet-dose", "Islet dose per kg recipient weight", "IEQ/kg", "{IEQ}/kg"),
    ("tissue_volume_ml", "tissue-volume", "Settled tissue volume", "mL", "mL"),
    ("purity_percent", "islet-purity", "Islet purity", "%", "%"),
    ("viability_percent", "islet-viability", "Islet viability", "%", "%"),
    ("endotoxin_eu_per_kg", "endotoxin", "Endotoxin per kg recipient weight", "EU/kg", "{EU}/kg"),
    ("stimulation_index", "stimulation-index", "Glucose stimulation index", "ratio", "1"),
)


class Builder:
    """One walk over a case's timeline, making its resources in a fixed order."""

    def __init__(self, case: Case, seed: int | None, case_index: int | None) -> None:
        self.case = case
        # Reading the state first lets deadlines the clock has passed fire and join the timeline.
        self.state = case.state
        self.events: list[Event] = list(case.timeline)
        created = self.events[0]
        if not isinstance(created, Created):  # pragma: no cover - Case guarantees it
            raise TypeError("a timeline starts with its created event")
        self.created = created
        self.seed, self.case_index = seed, case_index
        self.key = case_key(created, seed, case_index)
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
        return {"reference": f"Patient/{self.id('Patient')}"}

    def observation(self, name: str, index: int, code: dict[str, Any], category: str | None,
                    **value: Any) -> dict[str, Any]:  # fmt: skip
        """An Observation made at timeline event ``index``; ``category`` from HL7's list."""
        categories = {"category": _category(category)} if category else {}
        return self.resource(
            "Observation", name, index, status="final", **categories, code=code,
            subject=self.subject(), effectiveDateTime=self.when(index), **value,
        )  # fmt: skip

    def procedure_status(self, begun: int | None, done: bool) -> tuple[str, list[int]]:
        """FHIR status of a procedure that began at ``begun`` and is ``done`` or not."""
        ended = [self.terminal] if self.terminal is not None else []
        if done:
            return "completed", []
        if begun is None:
            return ("not-done", ended) if (self.state in wf.TERMINAL) else ("preparation", [])
        return ("stopped", ended) if (self.state in wf.TERMINAL) else ("in-progress", [])

    def ended(self, proc: dict[str, Any], *, reason: bool = True) -> None:
        """Say on ``proc`` how and when the case ended (its status reason, if it stopped it)."""
        assert self.terminal is not None
        if reason:
            proc["statusReason"] = {"text": self.outcome_code}
        text = f"Case {self.outcome_status}: {self.outcome_code}."
        proc.setdefault("note", []).append({"time": self.when(self.terminal), "text": text})

    # -- the resources, in bundle order ---------------------------------------------------------

    def build(self) -> list[Made]:
        recipient = self.created.recipient
        patient = self.resource(
            "Patient", identifier=[{"system": f"{SYSTEM}:recipient", "value": recipient.id}],
            active=True,
        )  # fmt: skip
        self.add(patient, [0])
        self.add(self.observation(
            "body-weight", 0, _code("29463-7", "Body weight", LOINC), "vital-signs",
            valueQuantity=_qty(recipient.weight_kg, "kg", "kg"),
        ), [0])  # fmt: skip
        self.isolation()
        product = self.product()
        if product is not None:
            self.release_tests(product)
        for index in self.at.get("give_induction", ()):
            self.add(self.resource(
                "MedicationAdministration", index, status="completed",
                medicationCodeableConcept={"text": self.data(index)["agent"]},
                subject=self.subject(), effectiveDateTime=self.when(index),
                reasonCode=[{"text": "Induction immunosuppression before islet infusion"}],
            ), [index])  # fmt: skip
        self.infusion(product)
        self.maintenance()
        for index in self.at.get("assess_graft", ()):
            grade = self.data(index)["igls_grade"]
            self.add(self.observation(
                "igls", index, _code("igls-graft-function", "Igls graft function"), None,
                valueCodeableConcept=_code(grade, f"Igls {grade}", f"{SYSTEM}:igls"),
            ), [index])  # fmt: skip
        return self.made

    def isolation(self) -> dict[str, Any]:
        begun = self.first("start_isolation")
        ended = self.first("start_culture", "submit_for_release")
        status, why = self.procedure_status(begun, ended is not None)
        proc = self.resource(
            "Procedure", "isolation", status=status,
            code=_code("islet-isolation", "Islet isolation and purification"),
            subject=self.subject(),
        )  # fmt: skip
        if begun is not None:
            end = ended if ended is not None else (why[0] if why else None)
            proc["performedPeriod"] = {"start": self.when(begun)}
            if end is not None:
                proc["performedPeriod"]["end"] = self.when(end)
        digestion = self.first("finish_digestion")
        if digestion is not None:
            proc["note"] = [{"time": self.when(digestion), "text": "Digestion finished."}]
        if why:
            self.ended(proc)
        self.add(proc, [begun, ended, digestion, *why])
        part_of = [ref(proc)]
        if begun is not None:
            warned = [i for i, e in enumerate(self.events)
                      if isinstance(e, Warned) and e.action == "start_isolation"]  # fmt: skip
            hours = (self.events[begun].at - self.created.donor.cross_clamp_at).total_seconds()
            obs = self.observation(
                "cold-ischemia", begun, _code("cold-ischemia-time", "Cold ischaemia time"), None,
                valueQuantity=_qty(hours / 3600, "h", "h"), partOf=part_of,
            )  # fmt: skip
            for i in warned:
                event = self.events[i]
                assert isinstance(event, Warned)
                obs.setdefault("note", []).append({"time": self.when(i),
                                                   "text": event.warning.message})  # fmt: skip
            self.add(obs, [begun, *warned])
        digest = ("digest-islet-equivalents", "Islet equivalents in the digest")
        purified = ("purified-islet-equivalents", "Islet equivalents after purification")
        for action, field_name, (code, display) in (
            ("finish_digestion", "digest_ieq", digest),
            ("start_culture", "purified_ieq", purified),
            ("submit_for_release", "purified_ieq", purified),
        ):  # fmt: skip
            for index in self.at.get(action, ()):
                value = self.data(index).get(field_name)
                if value is not None:
                    self.add(self.observation(
                        code, index, _code(code, display), "laboratory",
                        valueQuantity=_qty(value, "IEQ", "{IEQ}"), partOf=part_of,
                    ), [index])  # fmt: skip
        return proc

    def expiry(self) -> tuple[datetime, datetime] | None:
        """Start and end of the product's viability window, from the steps that armed it."""
        due: list[tuple[datetime, datetime]] = []
        for name in _PRODUCT_DEADLINES:
            arming = [s.trigger for s in wf.STEPS if name in s.arms]
            index = self.first(*arming)
            if index is not None:
                start = self.events[index].at
                window = getattr(self.created.protocol, wf.DEADLINES[name].window)
                due.append((start, start + window))
        return min(due, key=lambda pair: pair[1]) if due else None

    def product(self) -> dict[str, Any] | None:
        ended = self.first("start_culture", "submit_for_release")
        if ended is None:
            return None
        begun = self.first("start_isolation")
        assert begun is not None  # isolation ends only after it has begun
        infused = self.first("start_infusion")
        available = infused is None and self.state not in wf.TERMINAL
        events: list[int | None] = [ended, begun, infused]
        processing: list[dict[str, Any]] = [{
            "description": "Islet isolation: digestion and density-gradient purification",
            "procedure": _code("islet-isolation", "Islet isolation and purification"),
            "timePeriod": {"start": self.when(begun), "end": self.when(ended)},
        }]  # fmt: skip
        culture = self.first("start_culture")
        if culture is not None:
            period = {"start": self.when(culture)}
            submitted = [i for i in self.at.get("submit_for_release", ()) if i > culture]
            if submitted:
                period["end"] = self.when(submitted[0])
                events.append(submitted[0])
            processing.append({"description": "Culture", "timePeriod": period})
            events.append(culture)
        for index in self.at.get("add_heparin", ()):
            units = self.data(index)["units_per_kg"]
            processing.append({"description": f"Unfractionated heparin added, {units:g} [IU]/kg "
                               "recipient weight", "timeDateTime": self.when(index)})  # fmt: skip
            events.append(index)
        for index in self.at.get("reject", ()):
            reason = self.data(index).get("reason")
            text = "Rejected at release testing" + (f": {reason}" if reason else "")
            processing.append({"description": text, "timeDateTime": self.when(index)})
            events.append(index)
        if not available and infused is None and self.terminal is not None:
            events.append(self.terminal)
        released = self.first("release")
        window = self.expiry()
        storage: dict[str, Any] = {"description": "Viability window: infuse before its end"}
        if window is not None:
            start = self.events[released].at if released is not None else window[0]
            storage["duration"] = {"start": stamp(start), "end": stamp(window[1])}
            events.append(released)
        product = self.resource(
            "BiologicallyDerivedProduct",
            identifier=[{"system": f"{SYSTEM}:product", "value": f"{self.key}/product"}],
            productCategory="cells",
            productCode=_code("allogeneic-islets", "Allogeneic pancreatic islets"),
            status="available" if available else "unavailable",
            processing=processing,
            storage=[storage],
        )  # fmt: skip
        self.add(product, events)
        return product

    def release_tests(self, product: dict[str, Any]) -> None:
        weight = self.created.recipient.weight_kg
        for index in self.at.get("record_release_tests", ()):
            data = self.data(index)
            common = {"focus": [ref(product)]}
            for name, code, display, unit, ucum in _RELEASE_TESTS:
                value = data["ieq"] / weight if name == "dose" else data[name]
                self.add(self.observation(
                    code, index, _code(code, display), "laboratory",
                    valueQuantity=_qty(value, unit, ucum), **common,
                ), [index])  # fmt: skip
            self.add(self.observation(
                "gram-stain", index, _code("gram-stain-organisms", "Gram stain: organisms seen"),
                "laboratory", valueBoolean=bool(data.get("gram_stain_positive", False)), **common,
            ), [index])  # fmt: skip
            self.add(self.observation(
                "identity", index, _code("labelled-recipient", "Recipient identifier on the label"),
                "laboratory", valueString=data["labelled_recipient_id"], **common,
            ), [index])  # fmt: skip

    def infusion(self, product: dict[str, Any] | None) -> None:
        spec = self.created.approach.spec
        access = self.first("access_portal_vein")
        sealed = self.first("seal_access")
        completed = self.first("complete_infusion")
        fraction = self.data(completed).get("fraction_delivered", 1.0) if completed else None
        status, why = self.procedure_status(access, sealed is not None and fraction == 1.0)
        if sealed is not None and fraction != 1.0:
            status = "stopped"
        elif status == "in-progress" and self.state == "infuse.paused":
            status = "on-hold"
        proc = self.resource(
            "Procedure", "infusion", status=status, code=_code(spec.cpt_code, spec.title, CPT),
            subject=self.subject(), bodySite=[{"text": "Portal vein"}],
        )  # fmt: skip
        events: list[int | None] = [access, *why]
        notes: list[tuple[int, str]] = []
        for action, text in (
            ("access_portal_vein", "Portal vein accessed"), ("start_infusion", "Infusion started"),
            ("resume_infusion", "Infusion resumed"), ("complete_infusion", "Infusion completed"),
            ("seal_access", "Access closed"),
        ):  # fmt: skip
            for index in self.at.get(action, ()):
                details = ", ".join(f"{k}: {_show(v)}" for k, v in self.data(index).items())
                notes.append((index, f"{text}" + (f" ({details})." if details else ".")))
        for index, event in enumerate(self.events):
            if isinstance(event, AutomaticStep) and event.trigger == "pause_infusion":
                notes.append((index, f"Infusion paused: {event.reason.message}"))
        notes.sort()
        events += [i for i, _ in notes]
        if notes:
            proc["note"] = [{"time": self.when(i), "text": text} for i, text in notes]
        if access is not None:
            end = sealed if sealed is not None else (why[0] if why else None)
            proc["performedPeriod"] = {"start": self.when(access)}
            if end is not None:
                proc["performedPeriod"]["end"] = self.when(end)
        if why:
            self.ended(proc)
        elif self.aborted and sealed is not None and self.terminal is not None:
            # Aborted after the infusion: the infusion is where the case's end is told.
            events.append(self.terminal)
            self.ended(proc, reason=False)
        elif status == "stopped":
            proc["statusReason"] = {"text": "partial dose"}
        if fraction is not None:
            proc["outcome"] = {"text": f"{fraction:.0%} of the product infused"}
        conditions = []
        for index in self.at.get("record_complication", ()):
            data = self.data(index)
            kind = data["kind"]
            condition = self.resource(
                "Condition", index, code=_code(kind, kind.replace("_", " ").capitalize()),
                subject=self.subject(), onsetDateTime=self.when(index),
                recordedDate=self.when(index),
            )  # fmt: skip
            if data.get("detail"):
                condition["note"] = [{"text": data["detail"]}]
            conditions.append((condition, index))
        if conditions:
            proc["complicationDetail"] = [ref(c) for c, _ in conditions]
        self.add(proc, events, sources=[ref(product)] if product is not None else [])
        for condition, index in conditions:
            self.add(condition, [index])
        part_of = [ref(proc)]
        for index in self.at.get("record_portal_pressure", ()):
            self.add(self.observation(
                "portal-pressure", index, _code("portal-venous-pressure", "Portal venous pressure"),
                "procedure", valueQuantity=_qty(self.data(index)["mmhg"], "mmHg", "mm[Hg]"),
                partOf=part_of,
            ), [index])  # fmt: skip
        dose = self.case.record.dose_delivered_ieq_per_kg
        if completed is not None and dose is not None:
            self.add(self.observation(
                "dose-delivered", completed, _code("islet-dose-delivered", "Islet dose delivered"),
                "procedure", valueQuantity=_qty(dose, "IEQ/kg", "{IEQ}/kg"), partOf=part_of,
            ), [completed])  # fmt: skip

    def maintenance(self) -> None:
        started = self.first("seal_access")
        requests: dict[str, dict[str, Any]] = {}
        for index in self.at.get("record_trough", ()):
            drug = self.data(index)["drug"]
            if drug not in requests and started is not None:
                why = [self.terminal] if self.aborted and self.terminal is not None else []
                requests[drug] = self.resource(
                    "MedicationRequest", drug, status="stopped" if why else "active",
                    intent="order", medicationCodeableConcept={"text": drug},
                    subject=self.subject(), authoredOn=self.when(started),
                    courseOfTherapyType=_code("continuous", "Continuous long term therapy",
                                              _COURSE),
                    reasonCode=[{"text": "Maintenance immunosuppression"}],
                )  # fmt: skip
                self.add(requests[drug], [started, index, *why])
            obs = self.observation(
                "trough", index, _code("trough-level", f"{drug} trough level"), "laboratory",
                valueQuantity=_qty(self.data(index)["ng_per_ml"], "ng/mL", "ng/mL"),
            )  # fmt: skip
            if drug in requests:
                obs["basedOn"] = [ref(requests[drug])]
            self.add(obs, [index])


def _show(value: Any) -> str:
    if isinstance(value, list):
        return " and ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
