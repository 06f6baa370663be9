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
    }
    answer: dict[str, Any] = run("fhir.mjs", {"servers": servers})
    return answer


def test_every_export_validates_and_loads_as_a_transaction(reports: dict[str, Any]) -> None:
    """HL7's schema and Medplum's validator find nothing; Medplum takes every transaction whole."""
    for name, report in reports.items():
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
