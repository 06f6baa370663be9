"""A recipient's course as FHIR: one Patient, every donor's case under it, ids that agree with
the single-case export and never collide between recipients."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from click.testing import CliRunner

from isletflow.cli import main
from isletflow.cli.casefile import load_scenario
from isletflow.course_run import course_record, simulate_course
from isletflow.export.fhir import CPT, case_resources, course_bundle
from isletflow.export.identity import case_id

SCENARIO = load_scenario("population")
SEED = SCENARIO.seed_for(None)
TWO_INFUSIONS = 4  # recipient 4 of the bundled population has two infusions (checked below)


def _bundle(index: int, **options: Any) -> dict[str, Any]:
    course = simulate_course(SCENARIO, SEED, index)
    course_id = case_id(SCENARIO, SEED, index)
    return course_bundle(course.cases, course_id, SEED, case_index=index, **options)


def _resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle["entry"]]


def test_a_course_is_one_patient_with_every_procedure() -> None:
    course = simulate_course(SCENARIO, SEED, TWO_INFUSIONS)
    assert course_record(course)["infusions"] == 2
    resources = _resources(_bundle(TWO_INFUSIONS))
    kinds = Counter(r["resourceType"] for r in resources)
    assert kinds["Patient"] == 1
    assert kinds["Provenance"] == len(course.cases)  # one per donor's case
    infusions = [
        r
        for r in resources
        if r["resourceType"] == "Procedure"
        and any(c.get("system") == CPT for c in r["code"]["coding"])
    ]
    assert len(infusions) == 2
    (patient,) = (r for r in resources if r["resourceType"] == "Patient")
    subjects = {r["subject"]["reference"] for r in resources if "subject" in r}
    assert subjects == {f"Patient/{patient['id']}"}
    ids = [(r["resourceType"], r["id"]) for r in resources]
    assert len(ids) == len(set(ids))


def test_the_first_procedure_has_the_single_case_ids() -> None:
    """The scenario's single case is the course's first procedure: the same resources."""
    single = simulate_course(SCENARIO, SEED, TWO_INFUSIONS).cases[0]
    alone = case_resources(single, SEED, case_id=case_id(SCENARIO, SEED, TWO_INFUSIONS))
    in_course = {(r["resourceType"], r["id"]) for r in _resources(_bundle(TWO_INFUSIONS))}
    assert {(r["resourceType"], r["id"]) for r in alone} <= in_course


def test_two_recipients_share_no_resource() -> None:
    one = {(r["resourceType"], r["id"]) for r in _resources(_bundle(TWO_INFUSIONS))}
    other = {(r["resourceType"], r["id"]) for r in _resources(_bundle(7))}
    assert {kind for kind, _ in one & other} == {"Device"}  # isletflow itself


def test_a_course_transaction_keeps_the_entry_limit() -> None:
    """A course passes 50 entries: a transaction is refused naming the count, a batch is not."""
    from isletflow.errors import InvalidInput

    with pytest.raises(InvalidInput, match="entries"):
        _bundle(TWO_INFUSIONS, kind="transaction", validate=False)
    assert _bundle(TWO_INFUSIONS, kind="transaction", max_entries=500, validate=False)["entry"]


def test_the_cli_exports_a_course_and_validates_it() -> None:
    pytest.importorskip("fhir.resources")
    done = CliRunner().invoke(
        main, ["export", "fhir", "population", "--course", "--index", str(TWO_INFUSIONS)]
    )
    assert done.exit_code == 0, done.output
    bundle = json.loads(done.output)
    assert bundle["type"] == "batch"
    assert bundle == _bundle(TWO_INFUSIONS, validate=False)
