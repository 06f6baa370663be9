"""The clinical mapping of a case to FHIR R4B resources (see ``isletflow.export.fhir``).

``Builder`` walks a case's timeline once and makes its resources in a fixed order, each with
the timeline events it comes from; ``fhir`` adds the Provenance, the Device and the Bundle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import workflow as wf
from ..timeline import Warned
from ._fhir_base import (
    CPT,
    LOINC,
    RELEASE_TESTS,
    SYSTEM,
    Made,
    Walk,
    _code,
    _qty,
    ref,
    stamp,
)

_COURSE = "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy"
_PRODUCT_DEADLINES = ("culture_window", "release_window")
assert all(name in wf.DEADLINES for name in _PRODUCT_DEADLINES)


class Builder(Walk):
    """Makes a case's resources, in bundle order, from its walk."""

    # -- the resources, in bundle order ---------------------------------------------------------

    def build(self) -> list[Made]:
        recipient = self.created.recipient
        patient = {
            "resourceType": "Patient",
            "id": self.patient_id,
            "identifier": [
                {"system": f"{SYSTEM}:recipient", "value": recipient.id},
                {"system": f"{SYSTEM}:course", "value": self.course_id},
            ],
            "active": True,
        }
        self.add(patient, [0])
        self.add(
            self.observation(
                "body-weight",
                0,
                _code("29463-7", "Body weight", LOINC),
                "vital-signs",
                valueQuantity=_qty(recipient.weight_kg, "kg", "kg"),
            ),
            [0],
        )
        self.isolation()
        product = self.product()
        if product is not None:
            self.release_tests(product)
        for index in self.at.get("give_induction", ()):
            self.add(
                self.resource(
                    "MedicationAdministration",
                    index,
                    status="completed",
                    medicationCodeableConcept={"text": self.data(index)["agent"]},
                    subject=self.subject(),
                    effectiveDateTime=self.when(index),
                    reasonCode=[{"text": "Induction immunosuppression before islet infusion"}],
                ),
                [index],
            )
        self.infusion(product)
        self.maintenance()
        for index in self.at.get("assess_graft", ()):
            grade = self.data(index)["igls_grade"]
            self.add(
                self.observation(
                    "igls",
                    index,
                    _code("igls-graft-function", "Igls graft function"),
                    None,
                    valueCodeableConcept=_code(grade, f"Igls {grade}", f"{SYSTEM}:igls"),
                ),
                [index],
            )
        return self.made

    def isolation(self) -> dict[str, Any]:
        begun = self.first("start_isolation")
        ended = self.first("start_culture", "submit_for_release")
        status, why = self.procedure_status(begun, ended is not None)
        proc = self.resource(
            "Procedure",
            "isolation",
            status=status,
            code=_code("islet-isolation", "Islet isolation and purification"),
            subject=self.subject(),
        )
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
            warned = [
                i
                for i, e in enumerate(self.events)
                if isinstance(e, Warned) and e.action == "start_isolation"
            ]
            hours = (self.events[begun].at - self.created.donor.cross_clamp_at).total_seconds()
            obs = self.observation(
                "cold-ischemia",
                begun,
                _code("cold-ischemia-time", "Cold ischaemia time"),
                None,
                valueQuantity=_qty(hours / 3600, "h", "h"),
                partOf=part_of,
            )
            for i in warned:
                event = self.events[i]
                assert isinstance(event, Warned)
                obs.setdefault("note", []).append(
                    {"time": self.when(i), "text": event.warning.message}
                )
            self.add(obs, [begun, *warned])
        digest = ("digest-islet-equivalents", "Islet equivalents in the digest")
        purified = ("purified-islet-equivalents", "Islet equivalents after purification")
        for action, field_name, (code, display) in (
            ("finish_digestion", "digest_ieq", digest),
            ("start_culture", "purified_ieq", purified),
            ("submit_for_release", "purified_ieq", purified),
        ):
            for index in self.at.get(action, ()):
                value = self.data(index).get(field_name)
                if value is not None:
                    self.add(
                        self.observation(
                            code,
                            index,
                            _code(code, display),
                            "laboratory",
                            valueQuantity=_qty(value, "IEQ", "{IEQ}"),
                            partOf=part_of,
                        ),
                        [index],
                    )
        return proc

    def expiry(self) -> datetime | None:
        """When the product's viability ends: the soonest product deadline the case armed."""
        armed = self.case.timeline.deadlines()
        return min((d.due for d in armed if d.name in _PRODUCT_DEADLINES), default=None)

    def product(self) -> dict[str, Any] | None:
        ended = self.first("start_culture", "submit_for_release")
        if ended is None:
            return None
        begun = self.first("start_isolation")
        assert begun is not None  # isolation ends only after it has begun
        infused = self.first("start_infusion")
        available = infused is None and not self.case.terminal
        events: list[int | None] = [ended, begun, infused]
        processing: list[dict[str, Any]] = [
            {
                "description": "Islet isolation: digestion and density-gradient purification",
                "procedure": _code("islet-isolation", "Islet isolation and purification"),
                "timePeriod": {"start": self.when(begun), "end": self.when(ended)},
            }
        ]
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
            processing.append(
                {
                    "description": f"Unfractionated heparin added, {units:g} [IU]/kg "
                    "recipient weight",
                    "timeDateTime": self.when(index),
                }
            )
            events.append(index)
        for index in self.at.get("reject", ()):
            reason = self.data(index).get("reason")
            text = "Rejected at release testing" + (f": {reason}" if reason else "")
            processing.append({"description": text, "timeDateTime": self.when(index)})
            events.append(index)
        if not available and infused is None and self.terminal is not None:
            events.append(self.terminal)
        released = self.first("release")
        expires = self.expiry()
        storage: dict[str, Any] = {"description": "Viability window: infuse before its end"}
        if expires is not None:
            start = self.events[released if released is not None else ended].at
            storage["duration"] = {"start": stamp(start), "end": stamp(expires)}
            events.append(released)
        product = self.resource(
            "BiologicallyDerivedProduct",
            identifier=[{"system": f"{SYSTEM}:product", "value": f"{self.case_id}/product"}],
            productCategory="cells",
            productCode=_code("allogeneic-islets", "Allogeneic pancreatic islets"),
            status="available" if available else "unavailable",
            processing=processing,
            storage=[storage],
        )
        self.add(product, events)
        return product

    def release_tests(self, product: dict[str, Any]) -> None:
        weight = self.created.recipient.weight_kg
        for index in self.at.get("record_release_tests", ()):
            data = self.data(index)
            common = {"focus": [ref(product)]}
            for name, code, display, unit, ucum in RELEASE_TESTS:
                value = data["ieq"] / weight if name == "dose" else data[name]
                self.add(
                    self.observation(
                        code,
                        index,
                        _code(code, display),
                        "laboratory",
                        valueQuantity=_qty(value, unit, ucum),
                        **common,
                    ),
                    [index],
                )
            self.add(
                self.observation(
                    "gram-stain",
                    index,
                    _code("gram-stain-organisms", "Gram stain: organisms seen"),
                    "laboratory",
                    valueBoolean=bool(data.get("gram_stain_positive", False)),
                    **common,
                ),
                [index],
            )
            self.add(
                self.observation(
                    "identity",
                    index,
                    _code("labelled-recipient", "Recipient identifier on the label"),
                    "laboratory",
                    valueString=data["labelled_recipient_id"],
                    **common,
                ),
                [index],
            )

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
            "Procedure",
            "infusion",
            status=status,
            code=_code(spec.cpt_code, spec.title, CPT),
            subject=self.subject(),
            bodySite=[{"text": "Portal vein"}],
        )
        events: list[int | None] = [access, *why]
        notes = self.infusion_notes()
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
                "Condition",
                index,
                code=_code(kind, kind.replace("_", " ").capitalize()),
                subject=self.subject(),
                onsetDateTime=self.when(index),
                recordedDate=self.when(index),
            )
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
            self.add(
                self.observation(
                    "portal-pressure",
                    index,
                    _code("portal-venous-pressure", "Portal venous pressure"),
                    "procedure",
                    valueQuantity=_qty(self.data(index)["mmhg"], "mmHg", "mm[Hg]"),
                    partOf=part_of,
                ),
                [index],
            )
        dose = self.case.record.dose_delivered_ieq_per_kg
        if completed is not None and dose is not None:
            self.add(
                self.observation(
                    "dose-delivered",
                    completed,
                    _code("islet-dose-delivered", "Islet dose delivered"),
                    "procedure",
                    valueQuantity=_qty(dose, "IEQ/kg", "{IEQ}/kg"),
                    partOf=part_of,
                ),
                [completed],
            )

    def maintenance(self) -> None:
        started = self.first("seal_access")
        requests: dict[str, dict[str, Any]] = {}
        for index in self.at.get("record_trough", ()):
            drug = self.data(index)["drug"]
            if drug not in requests and started is not None:
                why = [self.terminal] if self.aborted and self.terminal is not None else []
                requests[drug] = self.resource(
                    "MedicationRequest",
                    drug,
                    status="stopped" if why else "active",
                    intent="order",
                    medicationCodeableConcept={"text": drug},
                    subject=self.subject(),
                    authoredOn=self.when(started),
                    courseOfTherapyType=_code(
                        "continuous", "Continuous long term therapy", _COURSE
                    ),
                    reasonCode=[{"text": "Maintenance immunosuppression"}],
                )
                self.add(requests[drug], [started, index, *why])
            obs = self.observation(
                "trough",
                index,
                _code("trough-level", f"{drug} trough level"),
                "laboratory",
                valueQuantity=_qty(self.data(index)["ng_per_ml"], "ng/mL", "ng/mL"),
            )
            if drug in requests:
                obs["basedOn"] = [ref(requests[drug])]
            self.add(obs, [index])
