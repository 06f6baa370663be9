"""Golden files: the timelines of every example scenario and the standard case's whole output.

They pin the engine's behaviour byte for byte while its insides change. A deliberate change is
regenerated on its own (``python tests/test_golden.py``) and named in its commit.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from isletflow.cohort import simulate_cohort
from isletflow.scenario import Scenario
from isletflow.simulation import simulate

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
SCENARIOS = sorted((ROOT / "examples" / "scenarios").glob("*.yaml"))
SEEDS = (1, 2026)


def _timeline(path: Path, seed: int) -> str:
    return simulate(Scenario.load(path), seed=seed).timeline.to_json(indent=1) + "\n"


def _cohort_summary() -> str:
    population = Scenario.load(ROOT / "examples" / "scenarios" / "population.yaml")
    return simulate_cohort(population, n=300, seed=7, workers=1).model_dump_json(indent=1) + "\n"


def _standard_case_output() -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "standard_case.py")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def _golden(name: str) -> str:
    return (GOLDEN / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_timeline_is_unchanged(path: Path, seed: int) -> None:
    """Each example scenario at two seeds gives the stored timeline, byte for byte."""
    assert _timeline(path, seed) == _golden(f"{path.stem}.seed{seed}.json")


def test_standard_case_output_is_unchanged() -> None:
    """examples/standard_case.py prints exactly the stored output."""
    assert _standard_case_output() == _golden("standard_case.out")


def test_cohort_summary_is_unchanged() -> None:
    """300 cases of population.yaml under seed 7 sum up to the stored summary."""
    assert _cohort_summary() == _golden("population.cohort300.json")


def test_every_golden_file_has_a_source() -> None:
    """No stale golden file: each one belongs to a scenario and seed, or to the standard case."""
    expected = {f"{p.stem}.seed{s}.json" for p in SCENARIOS for s in SEEDS}
    expected |= {"standard_case.out", "population.cohort300.json"}
    assert {p.name for p in GOLDEN.iterdir()} == expected


if __name__ == "__main__":  # regenerate: a deliberate change, in its own commit
    GOLDEN.mkdir(exist_ok=True)
    for old in GOLDEN.iterdir():
        old.unlink()
    for scenario in SCENARIOS:
        for seed in SEEDS:
            text = _timeline(scenario, seed)
            (GOLDEN / f"{scenario.stem}.seed{seed}.json").write_text(text, encoding="utf-8")
    (GOLDEN / "standard_case.out").write_text(_standard_case_output(), encoding="utf-8")
    (GOLDEN / "population.cohort300.json").write_text(_cohort_summary(), encoding="utf-8")
