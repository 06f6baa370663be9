"""The benchmark's plain-Python limit runs the same workflow as isletflow, to the same ends."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from isletflow import workflow as wf
from isletflow.sampling import PlanSampler
from isletflow.scenario import Scenario
from isletflow.simulation import simulate

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCENARIOS = sorted((BENCHMARKS.parent / "examples" / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def limit() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import limit

        yield limit
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_the_limit_table_is_the_workflow_table(limit: ModuleType) -> None:
    """The limit's dict table has exactly isletflow's steps."""
    assert dict(wf.moves()) == limit.TABLE


def test_the_limit_ends_population_cases_as_isletflow_does(limit: ModuleType) -> None:
    """On the benchmark's workload, every case ends with the same status, code and time."""
    scenario = Scenario.load(BENCHMARKS.parent / "examples" / "scenarios" / "population.yaml")
    sampler = PlanSampler(scenario)
    for index in range(120):
        case = simulate(scenario, 2026, index, sampler=sampler)
        assert case.outcome is not None
        plain = limit.PlainCase(sampler.sample(2026, index)).run()
        assert plain.outcome == (case.outcome.status, case.outcome.code, case.outcome.at), index


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_limit_ends_each_example_as_isletflow_does(limit: ModuleType, path: Path) -> None:
    """Every example scenario (each stop the workflow has) ends the same way in the limit."""
    scenario = Scenario.load(path)
    sampler = PlanSampler(scenario)
    for index in range(3):
        case = simulate(scenario, 5, index, sampler=sampler)
        assert case.outcome is not None
        plain = limit.PlainCase(sampler.sample(5, index)).run()
        assert plain.outcome == (case.outcome.status, case.outcome.code, case.outcome.at)


def test_one_step_times_real_moves(limit: ModuleType) -> None:
    """Every mover the benchmark times moves its case (checked before timing), in µs > 0."""
    import cohort

    scenario = Scenario.load(BENCHMARKS.parent / "examples" / "scenarios" / "population.yaml")
    steps = cohort.one_step(scenario, rounds=1)
    assert set(steps) == {
        "isletflow, the machine's table",
        "limit: dict lookup",
        "transitions, Machine per case",
    }
    assert all(us > 0 for us in steps.values())
