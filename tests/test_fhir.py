"""FHIR export: bundles that parse, hold every clinical event, and are the same for one case."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from hypothesis import given, settings

import isletflow as fl
from isletflow.errors import MissingTool
from isletflow.export.fhir import CPT, UCUM, case_bundle, write_ndjson
from isletflow.timeline import Accepted, AutomaticStep, Created, DeadlineFired, Warned
from strategies_interop import cases, new_case, run, walk

# Actions that only move the workflow along and carry no clinical fact of their own.
BOOKKEEPING = {"note", "start_follow_up"}


def resources(bundle: dict[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    found = [e["resource"] for e in bundle["entry"]]
    return [r for r in found if kind is None or r["resourceType"] == kind]


def by_id(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{r['resourceType']}/{r['id']}": r for r in resources(bundle)}


def cited(bundle: dict[str, Any]) -> set[int]:
    """The timeline indexes the case's Provenance names as sources."""
    (prov,) = resources(bundle, "Provenance")
    return {
        int(e["what"]["identifier"]["value"].rsplit("/", 1)[1])
        for e in prov["entity"]
        if e["what"].get("identifier", {}).get("system") == "urn:isletflow:timeline-event"
    }


def infusion(bundle: dict[str, Any]) -> dict[str, Any]:
    (proc,) = [p for p in resources(bundle, "Procedure") if p["code"]["coding"][0]["system"] == CPT]
    return proc


def standard(approach: fl.Approach = fl.Approach.PERCUTANEOUS, **variants: Any) -> fl.Case:
    return run(new_case(approach), walk(approach, **variants))


def test_standard_bundle_parses_into_fhir_models() -> None:
    """The standard case's bundle parses as an R4B Bundle, and each resource as its own model."""
    bundle = case_bundle(standard())
    Bundle.model_validate(bundle)
    assert bundle["type"] == "transaction"
    kinds = set()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        url = f"{resource['resourceType']}/{resource['id']}"
        assert entry["request"] == {"method": "PUT", "url": url}
        kinds.add(resource["resourceType"])
    assert kinds == {
        "Patient", "Observation", "Procedure", "BiologicallyDerivedProduct",
        "MedicationAdministration", "MedicationRequest", "Device", "Provenance",
    }  # fmt: skip


@pytest.mark.parametrize("approach", list(fl.Approach))
def test_infusion_is_coded_with_the_approach_cpt_code(approach: fl.Approach) -> None:
    """The infusion Procedure carries CPT 0584T/0585T/0586T according to the approach [S22]."""
    proc = infusion(case_bundle(standard(approach), validate=False))
    expected = {"percutaneous": "0584T", "laparoscopic": "0585T", "open": "0586T"}[approach]
    assert proc["code"]["coding"][0]["code"] == expected == approach.spec.cpt_code
    assert proc["status"] == "completed"


def test_infusion_status_follows_the_case() -> None:
    """Completed; stopped if aborted or partial; not-done if never begun; on-hold when paused."""
    percutaneous = fl.Approach.PERCUTANEOUS
    steps = walk(percutaneous)
    started = next(i for i, s in enumerate(steps) if s[0] == "start_infusion") + 1
    aborted = run(new_case(percutaneous), steps[:started])
    aborted.abort("recipient_unstable")
    partial = standard(fraction=0.6)
    expired = new_case(percutaneous)
    expired.advance(timedelta(hours=13))  # past the 12 h cold-ischaemia limit [S5a]
    live = run(new_case(percutaneous), steps[:3])
    spiked = walk(percutaneous, spike=True)
    paused = run(
        new_case(percutaneous), spiked[: [a for a, _, _ in spiked].index("resume_infusion")]
    )
    statuses = {
        name: infusion(case_bundle(case, validate=False))
        for name, case in [("aborted", aborted), ("partial", partial), ("expired", expired),
                           ("live", live), ("paused", paused)]
    }  # fmt: skip
    assert statuses["aborted"]["status"] == "stopped"
    assert statuses["aborted"]["statusReason"]["text"] == "recipient_unstable"
    assert statuses["aborted"]["performedPeriod"]["end"] == aborted.timeline[-1].at.isoformat()
    assert statuses["partial"]["status"] == "stopped"
    assert statuses["partial"]["outcome"]["text"] == "60% of the product infused"
    assert statuses["expired"]["status"] == "not-done"
    assert statuses["expired"]["statusReason"]["text"] == "cold_ischemia_exceeded"
    assert "performedPeriod" not in statuses["expired"]
    assert statuses["live"]["status"] == "preparation"
    assert paused.state == "infuse.paused"
    assert statuses["paused"]["status"] == "on-hold"


def test_product_expiry_is_the_sooner_viability_deadline() -> None:
    """The product's storage ends at release + 6 h, or at the culture window when sooner."""
    case = standard()
    (product,) = resources(case_bundle(case, validate=False), "BiologicallyDerivedProduct")
    released = case.record.released_at
    assert released is not None
    window = product["storage"][0]["duration"]
    assert window["start"] == released.isoformat()
    assert window["end"] == (released + case.protocol.max_release_to_infusion).isoformat()
    assert product["status"] == "unavailable"  # infused

    short = fl.Protocol(max_culture="30h")
    early = run(new_case(fl.Approach.OPEN, short), walk(fl.Approach.OPEN)[:6])
    assert early.state == "purify.released"
    (product,) = resources(case_bundle(early, validate=False), "BiologicallyDerivedProduct")
    ended = early.record.isolation_ended_at
    assert ended is not None
    assert product["storage"][0]["duration"]["end"] == (ended + short.max_culture).isoformat()
    assert product["status"] == "available"


def test_observations_use_ucum_units() -> None:
    """Pressures are mm[Hg], percentages %, and IEQ and endotoxin UCUM annotations per kg."""
    bundle = case_bundle(standard(), validate=False)
    units = {}
    for obs in resources(bundle, "Observation"):
        quantity = obs.get("valueQuantity")
        if quantity:
            assert quantity["system"] == UCUM
            units[obs["code"]["coding"][0]["code"]] = quantity["code"]
    assert units["portal-venous-pressure"] == "mm[Hg]"
    assert units["islet-purity"] == units["islet-viability"] == "%"
    assert units["endotoxin"] == "{EU}/kg"
    assert units["islet-dose"] == units["islet-dose-delivered"] == "{IEQ}/kg"
    assert units["tissue-volume"] == "mL"
    assert units["trough-level"] == "ng/mL"


def test_immunosuppression_is_administration_and_request() -> None:
    """Induction is a MedicationAdministration; each maintenance drug a MedicationRequest."""
    case = standard()
    bundle = case_bundle(case, validate=False)
    (induction,) = resources(bundle, "MedicationAdministration")
    assert induction["medicationCodeableConcept"]["text"] == "rabbit ATG"
    assert induction["effectiveDateTime"] == case.record.inductions[0].at.isoformat()
    requests = resources(bundle, "MedicationRequest")
    assert [r["medicationCodeableConcept"]["text"] for r in requests] == ["tacrolimus",
                                                                           "sirolimus"]  # fmt: skip
    assert {r["status"] for r in requests} == {"active"}


def test_one_provenance_targets_every_resource_with_case_events_and_seed() -> None:
    """One Provenance targets every resource but the Device, naming case, events and seed."""
    bundle = case_bundle(standard(), seed=1234, case_index=7)
    (prov,) = resources(bundle, "Provenance")
    full_urls = {e["resource"]["id"]: e["fullUrl"] for e in bundle["entry"]}
    expected = [full_urls[r["id"]] for r in resources(bundle)
                if r["resourceType"] not in ("Provenance", "Device")]  # fmt: skip
    assert [t["reference"] for t in prov["target"]] == expected
    systems = {e["what"]["identifier"]["system"]: e["what"]["identifier"]["value"]
               for e in prov["entity"] if "identifier" in e["what"]}  # fmt: skip
    assert systems["urn:isletflow:case"] == bundle["identifier"]["value"]
    assert systems["urn:isletflow:seed"] == "1234"
    assert systems["urn:isletflow:case-index"] == "7"
    assert "urn:isletflow:timeline-event" in systems


@settings(max_examples=40)
@given(cases())
def test_every_clinical_event_is_in_the_bundle_at_its_time(case: fl.Case) -> None:
    """Every event with clinical meaning is a source of the Provenance, its time in a resource."""
    bundle = case_bundle(case)
    Bundle.model_validate(bundle)
    citations = cited(bundle)
    clinical_resources = [json.dumps(r) for r in resources(bundle)
                          if r["resourceType"] != "Provenance"]  # fmt: skip
    for index, event in enumerate(case.timeline):
        clinical = isinstance(event, Created | Warned | DeadlineFired | AutomaticStep) or (
            isinstance(event, Accepted) and event.action not in BOOKKEEPING
        )
        if not clinical:
            continue
        stamp = json.dumps(event.at.isoformat())
        assert index in citations, f"event {index} ({event.kind}) is in no resource"
        assert any(stamp in r for r in clinical_resources), (
            f"event {index} ({event.kind}) is cited but its time {stamp} is nowhere"
        )


@settings(max_examples=25)
@given(cases())
def test_same_case_gives_the_same_bundle(case: fl.Case) -> None:
    """Exporting a case twice, or its restored snapshot, gives byte-identical JSON."""
    first = json.dumps(case_bundle(case, seed=5, validate=False), sort_keys=True)
    again = json.dumps(case_bundle(case, seed=5, validate=False), sort_keys=True)
    restored = fl.Case.restore(case.snapshot().model_dump_json())
    assert again == first
    assert json.dumps(case_bundle(restored, seed=5, validate=False), sort_keys=True) == first


@pytest.mark.parametrize("approach", list(fl.Approach))
def test_replayed_case_gives_the_same_bundle(approach: fl.Approach) -> None:
    """A case rebuilt from its saved timeline exports exactly as the original."""
    case = standard(approach, spike=True, complication=True)
    replayed = fl.Case.replay(fl.Timeline.from_json(case.timeline.to_json()))
    assert case_bundle(replayed, validate=False) == case_bundle(case, validate=False)


def test_ids_depend_on_seed_and_case_index_not_on_chance() -> None:
    """Two runs agree; another seed or cohort index gives other ids, never a shared one."""
    case = standard()
    ids = {r["id"] for r in resources(case_bundle(case, validate=False))}
    again = {r["id"] for r in resources(case_bundle(case, validate=False))}
    seeded = {r["id"] for r in resources(case_bundle(case, seed=1, validate=False))}
    indexed = {r["id"] for r in resources(case_bundle(case, seed=1, case_index=2,
                                                      validate=False))}  # fmt: skip
    assert ids == again
    device = {r["id"] for r in resources(case_bundle(case, validate=False), "Device")}
    assert ids & seeded == device
    assert seeded & indexed == device


def test_write_ndjson_groups_resources_by_type(tmp_path: Path) -> None:
    """Bulk NDJSON: a file per type, one resource a line, the Device once, cohort ids distinct."""
    cohort = [standard(), standard(), standard(fl.Approach.OPEN)]
    files = write_ndjson(iter(cohort), tmp_path, seed=42, validate=True)
    assert files["Patient"] == tmp_path / "Patient.ndjson"
    seen = set()
    for kind, path in files.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for line in lines:
            resource = json.loads(line)
            assert resource["resourceType"] == kind
            get_fhir_model_class(kind).model_validate(resource)
            seen.add((kind, resource["id"]))
        if kind == "Device":
            assert len(lines) == 1
        if kind == "Patient":
            assert len(lines) == 3  # identical first two cases, still three patients
    total = sum(len(p.read_text().splitlines()) for p in files.values())
    assert len(seen) == total


def test_one_case_ndjson_matches_its_bundle(tmp_path: Path) -> None:
    """Without a seed, a case's NDJSON lines are its bundle's resources, references relative."""
    case = standard()
    files = write_ndjson([case], tmp_path)
    lines = [json.loads(x) for p in files.values() for x in p.read_text().splitlines()]
    batch = case_bundle(case, kind="batch", validate=False)
    assert sorted(lines, key=json.dumps) == sorted(resources(batch), key=json.dumps)
    transaction = case_bundle(case, validate=False)
    assert {r["id"] for r in lines} == {r["id"] for r in resources(transaction)}


def test_validation_without_the_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without fhir.resources, validating raises MissingTool naming the extra."""
    monkeypatch.setitem(sys.modules, "fhir.resources.R4B.bundle", None)
    with pytest.raises(MissingTool, match=r"isletflow\[fhir\]"):
        case_bundle(standard())
    assert case_bundle(standard(), validate=False)["resourceType"] == "Bundle"


def test_import_isletflow_does_not_load_fhir() -> None:
    """``import isletflow`` (and the export module itself) leaves fhir.resources unloaded."""
    code = (
        "import sys, isletflow, isletflow.export.fhir; "
        "print(any(m.startswith('fhir') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
