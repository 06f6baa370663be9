"""A case as FHIR: one transaction ``Bundle`` per case, and bulk-data NDJSON for many cases.

FHIR release: **R4B (4.3.0)**, checked with the models of ``fhir.resources.R4B`` (extra
``isletflow[fhir]``; fhir.resources 8 ships R5 at its top level and R4B, not plain R4, beside
it). Clinical systems take R4 today (US Core, the EHR vendors' APIs, bulk data); R4B changed
none of the resources written here, and no R5-only element is used
(``BiologicallyDerivedProduct.expirationDate`` is R5: the expiry goes in ``storage.duration``).

Why a *transaction* Bundle whose entries are ``PUT Type/id``: every id is derived from the case
(uuid5 of its ``created`` event, the seed and case index, and the timeline index), never random,
so a server loads a case in one atomic request, and exporting the same case again, or further
on, updates the same resources instead of adding copies. A ``collection`` would read the same
but tells a server nothing. References are relative (``Patient/<id>``), so the very same
resources also stand alone, one per line, in the bulk-data NDJSON files of ``write_ndjson``.

The mapping (each resource's ``Provenance`` lists the timeline events it comes from):

- ``created``: the recipient ``Patient`` (identifier only) and a body-weight ``Observation``;
- ``start_isolation`` … end of purification: the isolation ``Procedure`` (a local code: CPT has
  none for it), a cold-ischaemia ``Observation`` (with the warning, if one was given), and the IEQ
  counts of digest and purified product as ``Observation``\\ s;
- the purified product: a ``BiologicallyDerivedProduct`` (processing: isolation, culture, heparin
  added, rejection; storage period ending at its viability deadline, the sooner of
  release + ``max_release_to_infusion`` and end of isolation + ``max_culture``);
- ``record_release_tests``: one ``Observation`` per release test, focused on the product;
- ``give_induction``: a ``MedicationAdministration``;
- portal access … sealing: the infusion ``Procedure`` coded CPT 0584T/0585T/0586T by approach
  [S22], status ``completed``, ``stopped`` (aborted, or a partial dose), ``not-done`` (never
  started, case over), ``in-progress``/``on-hold`` (paused)/``preparation`` while the case goes
  on; its steps as time-stamped notes; portal pressures and the dose delivered as
  ``Observation``\\ s; complications as ``Condition``\\ s;
- ``record_trough``: an ``Observation``, and one maintenance ``MedicationRequest`` per drug;
- ``assess_graft``: the Igls grade as an ``Observation``;
- a ``Device`` for isletflow itself, the agent of every ``Provenance``.

Units are UCUM: ``mm[Hg]``, ``%``, ``mL``, ``kg``, ``h``, ``ng/mL``. UCUM has no islet equivalent
or endotoxin unit, so those are annotations, ``{IEQ}/kg`` and ``{EU}/kg`` (``EU`` bare would read
as exa-enzyme-units). Heparin is a processing step of the product, written ``[IU]/kg`` in its text.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from .. import __version__
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
from . import MissingTool

__all__ = [
    "CODES",
    "NAMESPACE",
    "SYSTEM",
    "case_bundle",
    "case_key",
    "validate_bundle",
    "write_ndjson",
]

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


def _t(moment: datetime) -> str:
    return moment.isoformat()


def _ref(resource: dict[str, Any]) -> dict[str, str]:
    return {"reference": f"{resource['resourceType']}/{resource['id']}"}


def _code(code: str, display: str, system: str = CODES) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _qty(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": round(value, 6), "unit": unit, "system": UCUM, "code": code}


def _category(code: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": _CATEGORY, "code": code}]}]


@dataclass
class _Made:
    resource: dict[str, Any]
    events: list[int]
    sources: list[dict[str, Any]] = field(default_factory=list)  # resources it was made from


# Release tests: (field of Preparation or None for derived, local code, display, UCUM unit, code)
_RELEASE_TESTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("ieq", "islet-equivalents", "Islet equivalents in the product", "IEQ", "{IEQ}"),
    ("dose", "islet-dose", "Islet dose per kg recipient weight", "IEQ/kg", "{IEQ}/kg"),
    ("tissue_volume_ml", "tissue-volume", "Settled tissue volume", "mL", "mL"),
    ("purity_percent", "islet-purity", "Islet purity", "%", "%"),
    ("viability_percent", "islet-viability", "Islet viability", "%", "%"),
    ("endotoxin_eu_per_kg", "endotoxin", "Endotoxin per kg recipient weight", "EU/kg", "{EU}/kg"),
    ("stimulation_index", "stimulation-index", "Glucose stimulation index", "ratio", "1"),
)


class _Builder:
    """One walk over a case's timeline, making its resources in a fixed order."""

    def __init__(self, case: Case, seed: int | None, case_index: int | None) -> None:
        self.case = case
        self.events: list[Event] = list(case.timeline)
        created = self.events[0]
        if not isinstance(created, Created):  # pragma: no cover - Case guarantees it
            raise TypeError("a timeline starts with its created event")
        self.created = created
        self.seed, self.case_index = seed, case_index
        self.key = case_key(created, seed, case_index)
        self.made: list[_Made] = []
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
        return _t(self.events[index].at)

    def data(self, index: int) -> dict[str, Any]:
        event = self.events[index]
        return event.data if isinstance(event, Accepted) else {}

    def add(self, resource: dict[str, Any], events: Iterable[int | None], **kw: Any) -> None:
        cited = sorted({i for i in events if i is not None})
        # A procedure still to come rests on the case alone: its created event.
        self.made.append(_Made(resource, cited or [0], **kw))

    def resource(self, kind: str, *parts: object, **body: Any) -> dict[str, Any]:
        return {"resourceType": kind, "id": self.id(kind, *parts), **body}

    def subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.id('Patient')}"}

    def observation(self, name: str, index: int, code: dict[str, Any], category: str,
                    **value: Any) -> dict[str, Any]:  # fmt: skip
        return self.resource(
            "Observation", name, index, status="final", category=_category(category), code=code,
            subject=self.subject(), effectiveDateTime=self.when(index), **value,
        )  # fmt: skip

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

    # -- the resources, in bundle order ---------------------------------------------------------

    def build(self) -> list[_Made]:
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
                "igls", index, _code("igls-graft-function", "Igls graft function"), "exam",
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
        part_of = [_ref(proc)]
        if begun is not None:
            warned = [i for i, e in enumerate(self.events)
                      if isinstance(e, Warned) and e.action == "start_isolation"]  # fmt: skip
            hours = (self.events[begun].at - self.created.donor.cross_clamp_at).total_seconds()
            obs = self.observation(
                "cold-ischemia", begun, _code("cold-ischemia-time", "Cold ischaemia time"), "exam",
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
        infused = self.first("start_infusion")
        available = infused is None and not self.case.terminal
        events: list[int | None] = [ended, begun, infused]
        processing: list[dict[str, Any]] = [{
            "description": "Islet isolation: digestion and density-gradient purification",
            "procedure": _code("islet-isolation", "Islet isolation and purification"),
            "timePeriod": {"start": self.when(begun) if begun is not None else None,
                           "end": self.when(ended)},
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
            storage["duration"] = {"start": _t(start), "end": _t(window[1])}
            events.append(released)
        processing[0]["timePeriod"] = {k: v for k, v in processing[0]["timePeriod"].items() if v}
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
            common = {"focus": [_ref(product)]}
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
        elif status == "in-progress" and self.case.state == "infuse.paused":
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
            proc["complicationDetail"] = [_ref(c) for c, _ in conditions]
        self.add(proc, events, sources=[_ref(product)] if product is not None else [])
        for condition, index in conditions:
            self.add(condition, [index])
        part_of = [_ref(proc)]
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
                obs["basedOn"] = [_ref(requests[drug])]
            self.add(obs, [index])

    # -- provenance and the bundle -------------------------------------------------------------

    def device(self) -> dict[str, Any]:
        return {
            "resourceType": "Device",
            "id": str(uuid.uuid5(NAMESPACE, f"Device/isletflow/{__version__}")),
            "deviceName": [{"name": "isletflow", "type": "manufacturer-name"}],
            "version": [{"value": __version__}],
        }

    def provenance(self, made: _Made, device: dict[str, Any]) -> dict[str, Any]:
        resource = made.resource
        times = [self.events[i].at for i in made.events]
        entity = [{"role": "source", "what": {
            "identifier": {"system": f"{SYSTEM}:case", "value": str(self.key)},
            "display": "isletflow case"}}]  # fmt: skip
        for index in made.events:
            event = self.events[index]
            label = event.action if isinstance(event, Accepted) else event.kind
            entity.append({"role": "source", "what": {
                "identifier": {"system": f"{SYSTEM}:timeline-event",
                               "value": f"{self.key}/{index}"},
                "display": f"timeline event {index}: {label}"}})  # fmt: skip
        if self.seed is not None:
            entity.append({"role": "source", "what": {
                "identifier": {"system": f"{SYSTEM}:seed", "value": str(self.seed)},
                "display": "simulation seed"}})  # fmt: skip
        if self.case_index is not None:
            entity.append({"role": "source", "what": {
                "identifier": {"system": f"{SYSTEM}:case-index", "value": str(self.case_index)},
                "display": "case index in its cohort"}})  # fmt: skip
        entity += [{"role": "source", "what": ref} for ref in made.sources]
        return {
            "resourceType": "Provenance",
            "id": self.id("Provenance", resource["resourceType"], resource["id"]),
            "target": [_ref(resource)],
            "occurredPeriod": {"start": _t(min(times)), "end": _t(max(times))},
            "recorded": _t(max(times)),
            "agent": [{"who": _ref(device)}],
            "entity": entity,
        }

    def bundle(self) -> dict[str, Any]:
        made = self.build()
        device = self.device()
        resources = [m.resource for m in made]
        resources += [device, *(self.provenance(m, device) for m in made)]
        return {
            "resourceType": "Bundle",
            "id": self.id("Bundle"),
            "identifier": {"system": f"{SYSTEM}:case", "value": str(self.key)},
            "type": "transaction",
            "timestamp": _t(self.events[-1].at),
            "entry": [
                {
                    "fullUrl": f"urn:uuid:{r['id']}",
                    "resource": r,
                    "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
                }
                for r in resources
            ],
        }


def _show(value: Any) -> str:
    if isinstance(value, list):
        return " and ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def case_bundle(
    case: Case, seed: int | None = None, *, case_index: int | None = None, validate: bool = True
) -> dict[str, Any]:
    """The case as a FHIR R4B transaction Bundle, JSON-ready; the same case gives the same bundle.

    ``seed`` (and ``case_index``, a case's place in its cohort) are recorded in every
    ``Provenance`` and enter every id, so cases of one cohort never share an id.
    ``validate`` parses the result with ``fhir.resources`` (extra ``isletflow[fhir]``).
    """
    bundle = _Builder(case, seed, case_index).bundle()
    if validate:
        validate_bundle(bundle)
    return bundle


def validate_bundle(bundle: dict[str, Any]) -> None:
    """Parse ``bundle`` with the ``fhir.resources`` R4B models; raise if it does not conform."""
    try:
        from fhir.resources.R4B.bundle import Bundle
    except ImportError:
        raise MissingTool(
            "FHIR validation", "fhir.resources", "install it with: pip install 'isletflow[fhir]'"
        ) from None
    Bundle.model_validate(bundle)


def write_ndjson(
    cases: Iterable[Case], directory: str | Path, *, seed: int | None = None,
    validate: bool = False,
) -> dict[str, Path]:  # fmt: skip
    """Write bulk-data NDJSON: one file per resource type (``Patient.ndjson`` …), one resource
    a line, in case order; return the files by type.

    This is the layout of FHIR Bulk Data ``$export`` output, which servers' bulk import reads.
    With ``seed`` (a cohort's), each case is identified by its index in ``cases`` too. Files of
    the same names in ``directory`` are replaced. Cases are read one at a time (a generator of a
    large cohort is never held whole); the ``Device`` is written once.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, IO[str]] = {}
    paths: dict[str, Path] = {}
    seen_devices: set[str] = set()
    try:
        for index, case in enumerate(cases):
            bundle = case_bundle(case, seed, case_index=index if seed is not None else None,
                                 validate=validate)  # fmt: skip
            for resource in _resources(bundle):
                kind = resource["resourceType"]
                if kind == "Device":
                    if resource["id"] in seen_devices:
                        continue
                    seen_devices.add(resource["id"])
                if kind not in files:
                    paths[kind] = out / f"{kind}.ndjson"
                    files[kind] = paths[kind].open("w", encoding="utf-8")
                files[kind].write(json.dumps(resource, separators=(",", ":")) + "\n")
    finally:
        for handle in files.values():
            handle.close()
    return dict(sorted(paths.items()))


def _resources(bundle: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in bundle["entry"]:
        resource: dict[str, Any] = entry["resource"]
        yield resource
