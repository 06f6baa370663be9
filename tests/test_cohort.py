"""Cohorts: the same summary however the recipients are split, tallies, percentiles, records."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from isletflow.cohort import Tally, simulate_cohort
from isletflow.cohort_summary import _percentiles
from isletflow.course_run import course_record, simulate_course
from isletflow.errors import InvalidInput
from isletflow.scenario import Scenario
from isletflow.simulation import simulate
from strategies_sim import EXAMPLES

POPULATION = Scenario.load(EXAMPLES / "population.yaml")


def test_summary_is_identical_across_workers_and_chunking(tmp_path: Path):
    """1 worker in-process and 2 processes with other chunks give byte-identical results."""
    one = tmp_path / "one.jsonl"
    two = tmp_path / "two.jsonl"
    a = simulate_cohort(POPULATION, 60, seed=5, workers=1, chunk_size=25, records=one)
    b = simulate_cohort(POPULATION, 60, seed=5, workers=2, chunk_size=7, records=two)
    assert a.model_dump_json() == b.model_dump_json()
    assert one.read_bytes() == two.read_bytes()


def test_any_executor_gives_the_same_summary():
    """A thread pool passed as executor gives the summary of the default run."""
    a = simulate_cohort(POPULATION, 30, seed=3, workers=1)
    with ThreadPoolExecutor(2) as pool:
        b = simulate_cohort(POPULATION, 30, seed=3, executor=pool, chunk_size=11)
    assert a == b


def test_cohort_recipient_is_the_simulated_course(tmp_path: Path):
    """Line i of the records file is exactly simulate_course(scenario, seed, i)'s record."""
    out = tmp_path / "t.jsonl"
    simulate_cohort(POPULATION, 12, seed=9, workers=1, chunk_size=5, records=out)
    lines = out.read_text().splitlines()
    assert len(lines) == 12
    seventh = json.loads(lines[7])
    assert seventh["index"] == 7
    assert seventh == course_record(simulate_course(POPULATION, 9, 7))


def test_counts_and_rates_add_up():
    """Outcome counts sum to n, each status's codes to its count, and rates to 1."""
    summary = simulate_cohort(POPULATION, 100, seed=1, workers=1)
    assert summary.course.recipients == 100
    assert summary.cases >= 100  # one case per donor offered
    assert sum(o.count for o in summary.outcomes.values()) == summary.cases
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
    assert summary.dose_ieq_per_kg.min >= 4000  # released products meet the minimum dose
    infusions = summary.course.infusions
    assert sum(c.count for c in infusions.values()) == summary.course.eligible.count
    assert sum(int(k) * c.count for k, c in infusions.items()) == summary.infused.count


def test_progress_reports_every_case():
    """The progress callback is told about every recipient exactly once."""
    seen: list[int] = []
    simulate_cohort(POPULATION, 17, seed=2, workers=1, chunk_size=5, progress=seen.append)
    assert sum(seen) == 17


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
    records = [course_record(simulate_course(POPULATION, 4, i)) for i in range(4)]
    forward, backward = Tally(), Tally()
    for case, record in zip(cases, [*records, None, None], strict=True):
        part = Tally()
        part.add(case)
        if record is not None:
            part.courses.add(record)
        forward.merge(part)
    for case, record in reversed(list(zip(cases, [*records, None, None], strict=True))):
        part = Tally()
        part.add(case)
        if record is not None:
            part.courses.add(record)
        backward.merge(part)
    assert forward == backward
    assert forward.cases == 6
    assert forward.courses.recipients == 4


def test_negative_n_is_refused():
    """A negative number of recipients is InvalidInput naming n, not an empty cohort."""
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
        remote = simulate_cohort(POPULATION, 12, seed=8, executor=executor, chunk_size=4)
    assert remote == simulate_cohort(POPULATION, 12, seed=8, workers=1)


def test_the_vector_path_on_dask_writes_the_per_case_records(tmp_path: Path) -> None:
    """Issue 17 point 6: the vector path's chunks on a local Dask cluster, cut small, write
    every recipient's record as the per-case engine does in one process, and the same summary."""
    distributed = pytest.importorskip("distributed")
    from isletflow.cohort import dask_executor

    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    )
    remote, local = tmp_path / "dask.jsonl", tmp_path / "case.jsonl"
    with cluster, dask_executor(cluster.scheduler_address) as executor:
        on_dask = simulate_cohort(
            POPULATION, 30, 8, executor, chunk_size=7, records=remote, engine="vector"
        )
    per_case = simulate_cohort(POPULATION, 30, 8, workers=1, records=local, engine="case")
    assert remote.read_text() == local.read_text()
    assert len(remote.read_text().splitlines()) == 30
    assert on_dask == per_case
