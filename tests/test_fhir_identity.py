"""Case identity in FHIR: distinct cases never share an id, one case has the same ids however
exported, transactions fit a server's limit, references resolve by the Bundle rules."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import isletflow as fl
from isletflow import library
from isletflow.cli import main
from isletflow.cli.casefile import read_cases
from isletflow.errors import InvalidInput
from isletflow.export.fhir import MAX_TRANSACTION_ENTRIES, case_bundle, case_resources
from isletflow.export.identity import case_id, named_case_id
from strategies_interop import new_case, run, walk

DEVICE = "Device"


def ids(resources: list[dict[str, Any]]) -> set[str]:
    """The ids of a case's own resources (the isletflow Device is shared by design)."""
    return {r["id"] for r in resources if r["resourceType"] != DEVICE}


def entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"]]


def references(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in references(v)]
    if isinstance(value, list):
        return [r for v in value for r in references(v)]
    return []


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_bundled_scenarios_share_no_resource_id() -> None:
    """The cases of any two bundled scenarios (same donor and recipient or not) share no id."""
    seen: dict[str, set[str]] = {}
    for name in library.names():
        (loaded,) = read_cases(name)
        seen[name] = ids(case_resources(loaded.case, case_id=loaded.case_id))
    for (a, ours), (b, theirs) in itertools.combinations(seen.items(), 2):
        assert not ours & theirs, f"{a} and {b} share {len(ours & theirs)} ids"


def test_cli_bundles_of_two_scenarios_with_one_first_event_differ(tmp_path: Path) -> None:
    """The reviewer's repro: standard and cold_ischemia_exceeded begin alike, share no id."""
    bundles = []
    for name in ("standard", "cold_ischemia_exceeded"):
        code, out = invoke("export", "fhir", name, "--no-validate")
        assert code == 0, out
        bundles.append(json.loads(out))
    a, b = bundles
    assert a["id"] != b["id"]
    assert a["identifier"]["value"] != b["identifier"]["value"]
    assert ids(entries(a)) & ids(entries(b)) == set()


def test_same_case_as_bundle_and_as_ndjson_has_the_same_ids(tmp_path: Path) -> None:
    """``export fhir standard`` and ``--n 1 --ndjson`` give the very same resource ids."""
    code, out = invoke("export", "fhir", "standard", "--no-validate")
    assert code == 0, out
    bundled = {(r["resourceType"], r["id"]) for r in entries(json.loads(out))}
    code, out = invoke("export", "fhir", "standard", "--n", "1", "--ndjson", str(tmp_path))
    assert code == 0, out
    lines = [json.loads(x) for p in tmp_path.glob("*.ndjson") for x in p.read_text().splitlines()]
    assert {(r["resourceType"], r["id"]) for r in lines} == bundled


def test_simulate_json_is_accepted_with_its_case_id(tmp_path: Path) -> None:
    """``simulate --format json`` output exports to the same bundle as the scenario, and draws."""
    code, document = invoke("simulate", "standard", "--format", "json")
    assert code == 0, document
    saved = tmp_path / "case.json"
    saved.write_text(document, encoding="utf-8")
    code, from_file = invoke("export", "fhir", str(saved), "--no-validate")
    assert code == 0, from_file
    code, from_scenario = invoke("export", "fhir", "standard", "--no-validate")
    assert json.loads(from_file) == json.loads(from_scenario)
    scenario = library.resolve("standard")[1]
    assert json.loads(document)["case_id"] == case_id(scenario, scenario.seed_for(None), 0)
    code, drawn = invoke("diagram", "--case", str(saved))
    assert code == 0, drawn
    assert "classDef" in drawn or "class " in drawn


def test_a_case_document_without_its_id_is_refused_by_name(tmp_path: Path) -> None:
    """A case document missing ``case_id`` is refused naming it, not taken for a snapshot."""
    code, document = invoke("simulate", "standard", "--format", "json")
    data = json.loads(document)
    del data["case_id"]
    saved = tmp_path / "old.json"
    saved.write_text(json.dumps(data), encoding="utf-8")
    code, out = invoke("export", "fhir", str(saved), "--no-validate")
    assert code == 1
    assert "case_id" in out
    assert "schema_version" not in out


def test_a_caller_given_case_id_and_course() -> None:
    """A caller's case id makes other ids; cases of one course share the Patient and no more."""
    approach = fl.Approach.PERCUTANEOUS
    case = run(new_case(approach), walk(approach))
    first = case_resources(case, case_id=named_case_id("session", "a"), course_id="course-1")
    second = case_resources(case, case_id=named_case_id("session", "b"), course_id="course-1")
    alone = case_resources(case, case_id=named_case_id("session", "b"))
    patient = {r["id"] for r in first if r["resourceType"] == "Patient"}
    assert ids(first) & ids(second) == patient
    assert ids(alone) & ids(first) == set()
    course = [i for r in first if r["resourceType"] == "Patient" for i in r["identifier"]]
    assert {"system": "urn:isletflow:course", "value": "course-1"} in course


@pytest.mark.parametrize("name", library.names())
def test_every_bundled_transaction_fits_the_limit_and_resolves(name: str) -> None:
    """A transaction has at most 50 entries, and each reference is an entry's urn:uuid fullUrl."""
    (loaded,) = read_cases(name)
    bundle = case_bundle(loaded.case, case_id=loaded.case_id)
    assert bundle["type"] == "transaction"
    assert len(bundle["entry"]) <= MAX_TRANSACTION_ENTRIES
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    assert full_urls == {f"urn:uuid:{r['id']}" for r in entries(bundle)}
    found = references(entries(bundle))
    assert found
    assert set(found) <= full_urls
    provenance = [r for r in entries(bundle) if r["resourceType"] == "Provenance"]
    assert len(provenance) == 1


def test_a_batch_keeps_references_relative_and_has_no_size_limit() -> None:
    """A batch: no fullUrl, references Type/id that name its entries' request urls."""
    approach = fl.Approach.PERCUTANEOUS
    case = run(new_case(approach), walk(approach, spike=True, complication=True))
    bundle = case_bundle(case, kind="batch", max_entries=3)
    assert bundle["type"] == "batch"
    assert all("fullUrl" not in e for e in bundle["entry"])
    urls = {e["request"]["url"] for e in bundle["entry"]}
    assert set(references(entries(bundle))) <= urls


def test_a_transaction_above_the_limit_is_refused_with_the_way_out() -> None:
    """Above max_entries a transaction is an InvalidInput saying the count and to use a batch."""
    approach = fl.Approach.PERCUTANEOUS
    case = run(new_case(approach), walk(approach))
    size = len(case_bundle(case, validate=False)["entry"])
    with pytest.raises(InvalidInput, match=rf"entries: {size} must be at most 5 .*batch"):
        case_bundle(case, max_entries=5, validate=False)
    code, out = invoke("export", "fhir", "standard", "--max-entries", "5", "--no-validate")
    assert code == 1
    assert "batch" in out
    code, out = invoke("export", "fhir", "standard", "--type", "batch", "--max-entries", "5")
    assert code == 0
    assert json.loads(out)["type"] == "batch"


def test_every_resource_has_a_generated_narrative() -> None:
    """Each resource has XHTML text naming its type, with what it says escaped (dom-6)."""
    approach = fl.Approach.OPEN
    case = run(new_case(approach), walk(approach, complication=True))
    for resource in case_resources(case):
        text = resource["text"]
        assert text["status"] == "generated"
        assert text["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml"><p><b>')
        assert f"<b>{resource['resourceType']}</b>" in text["div"]
        inner = re.sub(r"</?(div|p|b)[^>]*>", "", text["div"])
        assert "<" not in inner
        assert ">" not in inner


def test_json_lines_of_a_case_are_refused_saying_what_to_give(tmp_path: Path) -> None:
    """``simulate --format jsonl`` output is refused by export and diagram with the way out."""
    code, lines = invoke("simulate", "standard", "--format", "jsonl")
    assert code == 0
    saved = tmp_path / "case.jsonl"
    saved.write_text(lines, encoding="utf-8")
    for command in (["export", "fhir", str(saved)], ["diagram", "--case", str(saved)]):
        code, out = invoke(*command)
        assert code == 1
        assert "JSON Lines" in out
        assert "simulate --format json" in out
