"""`isletflow export fhir` on scenarios: one simulated case, or a cohort as NDJSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from isletflow.cli import main
from isletflow.scenario import Scenario
from isletflow.simulation import simulate

SCENARIOS = Path(__file__).resolve().parents[1] / "examples" / "scenarios"


@pytest.mark.parametrize("approach", ["percutaneous", "laparoscopic", "open"])
def test_a_scenario_of_each_approach_exports_to_a_valid_bundle(approach: str) -> None:
    """A simulated case of each approach becomes a validated Bundle with its CPT code."""
    result = CliRunner().invoke(
        main, ["export", "fhir", str(SCENARIOS / f"approach_{approach}.yaml")]
    )
    assert result.exit_code == 0, result.output
    bundle = json.loads(result.output)
    assert bundle["resourceType"] == "Bundle"
    codes = {
        coding["code"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Procedure"
        for coding in entry["resource"].get("code", {}).get("coding", [])
    }
    cpt = {"percutaneous": "0584T", "laparoscopic": "0585T", "open": "0586T"}[approach]
    assert cpt in codes


def test_scenario_export_is_the_simulated_case() -> None:
    """The bundle of a scenario equals the bundle of simulate() with the same seed."""
    from isletflow.export.fhir import case_bundle
    from isletflow.export.identity import case_id

    path = SCENARIOS / "population.yaml"
    result = CliRunner().invoke(main, ["export", "fhir", str(path), "--seed", "7"])
    assert result.exit_code == 0, result.output
    scenario = Scenario.load(path)
    expected = case_bundle(simulate(scenario, 7), 7, case_index=0, case_id=case_id(scenario, 7, 0))
    assert json.loads(result.output) == expected


def test_a_cohort_of_a_scenario_exports_to_ndjson(tmp_path: Path) -> None:
    """--n 5 --ndjson writes one Patient line per simulated case, all distinct."""
    out = tmp_path / "bulk"
    result = CliRunner().invoke(
        main,
        ["export", "fhir", str(SCENARIOS / "population.yaml"), "--n", "5", "--seed", "3",
         "--ndjson", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    patients = (out / "Patient.ndjson").read_text().splitlines()
    assert len(patients) == 5
    assert len({json.loads(line)["id"] for line in patients}) == 5


def test_many_cases_without_ndjson_is_a_usage_error() -> None:
    """--n above 1 needs --ndjson: a usage error (exit 2), not a traceback."""
    result = CliRunner().invoke(
        main, ["export", "fhir", str(SCENARIOS / "standard.yaml"), "--n", "3"]
    )
    assert result.exit_code == 2
    assert "--ndjson" in result.output
