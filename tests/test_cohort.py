"""Cohorts: the same summary however the cases are split, tallies, percentiles, timelines."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from isletflow.cohort import Tally, _percentiles, simulate_cohort
from isletflow.errors import InvalidInput
from isletflow.scenario import Scenario
from isletflow.simulation import simulate
from strategies_sim import EXAMPLES

POPULATION = Scenario.load(EXAMPLES / "population.yaml")


def test_summary_is_identical_across_workers_and_chunking(tmp_path: Path):
    """1 worker in-process and 2 processes with other chunks give byte-identical results."""
    one = tmp_path / "one.jsonl"
    two = tmp_path / "two.jsonl"
    a = simulate_cohort(POPULATION, 120, seed=5, workers=1, chunk_size=50, timelines=one)
    b = simulate_cohort(POPULATION, 120, seed=5, workers=2, chunk_size=7, timelines=two)
    assert a.model_dump_json() == b.model_dump_json()
    assert one.read_bytes() == two.read_bytes()


def test_any_executor_gives_the_same_summary():
    """A thread pool passed as executor gives the summary of the default run."""
    a = simulate_cohort(POPULATION, 60, seed=3, workers=1)
    with ThreadPoolExecutor(2) as pool:
        b = simulate_cohort(POPULATION, 60, seed=3, executor=pool, chunk_size=11)
    assert a == b


def test_cohort_case_is_the_simulated_case(tmp_path: Path):
    """Line i of the timelines file is exactly simulate(scenario, seed, i)'s timeline."""
    out = tmp_path / "t.jsonl"
    simulate_cohort(POPULATION, 12, seed=9, workers=1, chunk_size=5, timelines=out)
    lines = out.read_text().splitlines()
    assert len(lines) == 12
    seventh = json.loads(lines[7])
    assert seventh["index"] == 7
    expected = json.loads(simulate(POPULATION, seed=9, index=7).timeline.to_json())
    assert seventh["timeline"] == expected


def test_counts_and_rates_add_up():
    """Outcome counts sum to n, each status's codes to its count, and rates to 1."""
    summary = simulate_cohort(POPULATION, 200, seed=1, workers=1)
    assert summary.cases == 200
    assert sum(o.count for o in summary.outcomes.values()) == 200
    assert sum(o.rate for o in summary.outcomes.values()) == pytest.approx(1)
    for outcome in summary.outcomes.values():
        assert sum(c.count for c in outcome.codes.values()) == outcome.count
    assert "completed" in summary.outcomes
    assert summary.infused.count >= summary.outcomes["completed"].count
    assert summary.complications["bleeding"].count <= summary.infused.count
    times = summary.times["cold_ischemia"]
    assert times is not None
    assert times.p5 <= times.p50 <= times.p95
    assert summary.dose_ieq_per_kg is not None
    assert summary.dose_ieq_per_kg.min >= 5000  # released products meet the minimum dose


def test_progress_reports_every_case():
    """The progress callback is told about every case exactly once."""
    seen: list[int] = []
    simulate_cohort(POPULATION, 37, seed=2, workers=1, chunk_size=10, progress=seen.append)
    assert sum(seen) == 37


def test_percentiles_use_nearest_rank():
    """Percentiles of value counts are nearest-rank, with an exact mean."""
    stats = _percentiles(Counter({1: 1, 2: 1, 3: 1, 4: 1, 100: 1}))
    assert stats is not None
    assert (stats["min"], stats["p25"], stats["p50"], stats["p95"], stats["max"]) == (
        1, 2, 3, 100, 100
    )  # fmt: skip
    assert stats["mean"] == 22
    assert _percentiles(Counter()) is None


def test_tallies_merge_in_any_order():
    """Merging tallies is order-independent, so chunks may finish in any order."""
    cases = [simulate(POPULATION, seed=4, index=i) for i in range(6)]
    forward, backward = Tally(), Tally()
    for case in cases:
        part = Tally()
        part.add(case)
        forward.merge(part)
    for case in reversed(cases):
        part = Tally()
        part.add(case)
        backward.merge(part)
    assert forward == backward
    assert forward.cases == 6


def test_negative_n_is_refused():
    """A negative number of cases is InvalidInput naming n, not an empty cohort."""
    with pytest.raises(InvalidInput) as caught:
        simulate_cohort(POPULATION, -1, workers=1)
    (problem,) = caught.value.problems
    assert (problem.location, problem.value, problem.rule) == ("n", -1, "must be 0 or more")


def test_dask_cluster_gives_the_same_summary():
    """On a local Dask cluster the summary equals the in-process one (needs the dask extra)."""
    distributed = pytest.importorskip("distributed")
    from isletflow.cohort import dask_executor

    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    )
    with cluster, dask_executor(cluster.scheduler_address) as executor:
        remote = simulate_cohort(POPULATION, 30, seed=8, executor=executor, chunk_size=8)
    assert remote == simulate_cohort(POPULATION, 30, seed=8, workers=1)
