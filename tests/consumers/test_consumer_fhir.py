"""FHIR against independent consumers: HL7's R4 JSON Schema, Medplum's validator, and Medplum's
FHIR engine in memory, loading the CLI's own exports: two cases never merge, one case loaded
twice (or as a bundle and as NDJSON) never duplicates, every bundled case loads as a transaction.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from node_consumers import run

from isletflow import library
from isletflow.cli import main


def export(*args: str) -> Any:
    result = CliRunner().invoke(main, ["export", "fhir", *args, "--no-validate"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def ndjson(name: str, folder: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(
        main, ["export", "fhir", name, "--n", "1", "--ndjson", str(folder), "--no-validate"]
    )
    assert result.exit_code == 0, result.output
    return [
        json.loads(x) for p in sorted(folder.glob("*.ndjson")) for x in p.read_text().splitlines()
    ]


def bundle_load(bundle: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "bundle", "data": bundle}


def types(bundle: dict[str, Any]) -> Counter[str]:
    return Counter(e["resource"]["resourceType"] for e in bundle["entry"])


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The CLI's exports of every bundled scenario, and the standard case's NDJSON."""
    folder = tmp_path_factory.mktemp("ndjson")
    return {
        "bundles": {name: export(name) for name in library.names()},
        "standard-ndjson": ndjson("standard", folder),
    }


@pytest.fixture(scope="module")
def reports(exported: dict[str, Any]) -> dict[str, Any]:
    """One node run, one fresh Medplum server per scenario of loads."""
    bundles = exported["bundles"]
    servers = {
        "two-cases": [
            bundle_load(bundles["standard"]),
            bundle_load(bundles["cold_ischemia_exceeded"]),
        ],
        "same-case-twice": [bundle_load(bundles["standard"]), bundle_load(bundles["standard"])],
        "bundle-then-ndjson": [
            bundle_load(bundles["standard"]),
            {"kind": "resources", "data": exported["standard-ndjson"]},
        ],
        "every-bundled-scenario": [bundle_load(b) for b in bundles.values()],
        "controls": [bundle_load(_oversized(bundles["standard"])), bundle_load(_corrupted())],
    }
    answer: dict[str, Any] = run("fhir.mjs", {"servers": servers})
    return answer


def _oversized(bundle: dict[str, Any]) -> dict[str, Any]:
    """The standard transaction with copies of its observations under new ids: 55 entries."""
    copies = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    extra = []
    for number, entry in enumerate(copies[: 55 - len(bundle["entry"])]):
        new_id = f"{entry['resource']['id'][:-4]}{number:04d}"
        resource = {**entry["resource"], "id": new_id}
        extra.append({"fullUrl": f"urn:uuid:{new_id}", "resource": resource,
                      "request": {"method": "PUT", "url": f"Observation/{new_id}"}})  # fmt: skip
    return {**bundle, "entry": bundle["entry"] + extra}


def _corrupted() -> dict[str, Any]:
    """One Observation with a status FHIR does not have, no code, and an unknown element."""
    resource = {"resourceType": "Observation", "id": "bad-1", "status": "bogus", "mood": "x"}
    entry = {"resource": resource, "request": {"method": "PUT", "url": "Observation/bad-1"}}
    return {"resourceType": "Bundle", "type": "batch", "entry": [entry]}


def test_the_consumers_catch_what_they_are_here_to_catch(reports: dict[str, Any]) -> None:
    """Controls: Medplum refuses a 55-entry transaction; both validators flag a bad resource."""
    oversized, corrupted = reports["controls"]["loads"]
    assert oversized["outcome"] == "Transaction contains more update operations than allowed"
    assert any("HL7 schema" in p for p in corrupted["problems"])
    assert any("Medplum" in p for p in corrupted["problems"])


def test_every_export_validates_and_loads_as_a_transaction(reports: dict[str, Any]) -> None:
    """HL7's schema and Medplum's validator find nothing; Medplum takes every transaction whole."""
    for name, report in reports.items():
        if name == "controls":
            continue
        for index, load in enumerate(report["loads"]):
            assert load["problems"] == [], f"{name}, load {index}: {load['problems'][:5]}"
            assert load["outcome"] == "All OK", f"{name}, load {index}: {load['outcome']}"
            assert set(load["statuses"]) <= {"200", "201"}, (name, index, load["statuses"])


def test_two_different_cases_stay_two_patients(
    reports: dict[str, Any], exported: dict[str, Any]
) -> None:
    """standard then cold_ischemia_exceeded: two patients, each with its own procedures only."""
    report = reports["two-cases"]
    assert report["counts"]["Patient"] == 2
    for name in ("standard", "cold_ischemia_exceeded"):
        bundle = exported["bundles"][name]
        (patient,) = [e["resource"]["id"] for e in bundle["entry"]
                      if e["resource"]["resourceType"] == "Patient"]  # fmt: skip
        mine = report["patients"][patient]
        expected = {e["resource"]["id"]: e["resource"]["status"] for e in bundle["entry"]
                    if e["resource"]["resourceType"] == "Procedure"}  # fmt: skip
        assert {p["id"]: p["status"] for p in mine["procedures"]} == expected
        assert len(mine["observations"]) == types(bundle)["Observation"]


def test_the_same_case_twice_or_as_ndjson_does_not_duplicate(
    reports: dict[str, Any], exported: dict[str, Any]
) -> None:
    """Loading the standard case twice, or its bundle then its NDJSON, leaves one copy."""
    expected = types(exported["bundles"]["standard"])
    for name in ("same-case-twice", "bundle-then-ndjson"):
        counts = {k: v for k, v in reports[name]["counts"].items() if v}
        assert counts == dict(expected), name


def test_every_bundled_scenario_is_its_own_patient(
    reports: dict[str, Any], exported: dict[str, Any]
) -> None:
    """All 22 bundled cases in one server: a patient each, no resource overwritten by another."""
    report = reports["every-bundled-scenario"]
    total: Counter[str] = Counter()
    for bundle in exported["bundles"].values():
        total += types(bundle)
    total["Device"] = 1  # isletflow itself, shared by design
    assert report["counts"]["Patient"] == len(exported["bundles"])
    assert {k: v for k, v in report["counts"].items() if v} == dict(total)
