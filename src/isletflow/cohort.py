"""Cohorts: many recipients of one scenario, on every core, or on any ``Executor``.

Each recipient's course depends only on (seed, index), and workers return tallies, not
timelines (``isletflow.cohort_summary``): counts per procedure case and per recipient, which add
up the same in any order, so the summary is identical however the cohort is split, and memory
stays flat. ``records`` receives each recipient's course record (``course_run.course_record``)
as one JSON line, in recipient order.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

import numpy as np

from .cohort_summary import CohortSummary, Count, OutcomeCount, Percentiles, Tally
from .course_run import course_record, simulate_course
from .errors import InvalidInput, IsletflowError, MissingTool
from .outcomes import OUTCOMES, columns, values
from .sampling import PlanSampler
from .scenario import Scenario
from .simulation import StandardPolicy
from .vector.path import covers, simulate_chunk
from .vector.plans import Sections

__all__ = [
    "CohortSummary",
    "Count",
    "OutcomeCount",
    "Percentiles",
    "Tally",
    "cohort_engine",
    "cohort_outcomes",
    "dask_executor",
    "runner",
    "simulate_cohort",
]

# -- Running -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _sampler(scenario_json: str) -> tuple[Scenario, PlanSampler]:
    scenario = Scenario.model_validate_json(scenario_json)
    return scenario, PlanSampler(scenario)


@functools.lru_cache(maxsize=4)
def _sections(scenario_json: str) -> Sections:
    return Sections(_sampler(scenario_json)[0])


_VECTOR_CHUNK = 100_000  # recipients per chunk on the vector path (arrays of a few MB each)

Engine = Literal["auto", "vector", "case"]
"""How a cohort runs: ``vector`` (whole chunks as arrays), ``case`` (the per-case engine, one
recipient at a time), or ``auto`` (the vector path whenever it covers the scenario)."""


def cohort_engine(scenario: Scenario, engine: Engine = "auto") -> tuple[str, str]:
    """Which engine a cohort of ``scenario`` runs on (``vector`` or ``case``), and why.

    ``engine="vector"`` for a scenario the vector path does not cover is an InvalidInput
    naming the reason."""
    if engine not in ("auto", "vector", "case"):
        raise InvalidInput.single("cohort", "engine", engine, "must be auto, vector or case")
    if engine == "case":
        return "case", "the per-case engine was asked for"
    reason = covers(scenario)
    if reason is None:
        return "vector", "the vector path covers the scenario"
    if engine == "vector":
        raise InvalidInput.single("cohort", "engine", engine, f"cannot run: {reason}")
    return "case", f"the vector path does not cover the scenario: {reason}"


class ChunkResult(NamedTuple):
    """What a chunk of recipients gives back: its tally, and when asked its course records (a
    JSON line each) and its outcomes (recipients × 2 × outcomes, ``outcomes.values``)."""

    tally: Tally
    lines: list[str] | None
    outcomes: np.ndarray | None


def run_chunk(
    scenario_json: str,
    seed: int,
    begin: int,
    end: int,
    records: bool = False,
    engine: str = "case",
    *,
    outcomes: bool = False,
) -> ChunkResult:
    """Simulate recipients ``begin`` to ``end - 1``: their tally, their course records (one
    JSON line each) and their outcomes, each if asked.

    The scenario travels as its JSON (small, and the same in any worker); each worker builds
    its samplers once per scenario. On the ``vector`` engine the chunk runs as arrays, and the
    recipients it leaves (a rare branch it does not walk) run here on the per-case engine.
    """
    scenario, sampler = _sampler(scenario_json)
    policy = StandardPolicy()
    tally = Tally()
    made: list[dict[str, Any] | None] = [None] * (end - begin)
    found = np.zeros((end - begin, 2, len(OUTCOMES))) if outcomes else None
    singles: list[int] | range = range(begin, end)
    if engine == "vector":
        chunk = simulate_chunk(_sections(scenario_json), seed, begin, end, records, outcomes)
        tally.merge(chunk.tally)
        made = chunk.records or made
        found = chunk.outcomes if chunk.outcomes is not None else found
        singles = chunk.per_case
    for index in singles:
        course = simulate_course(scenario, seed, index, policy=policy, sampler=sampler)
        for case in course.cases:
            tally.add(case)
        record = course_record(course)
        tally.courses.add(record)
        if records:
            made[index - begin] = record
        if found is not None:
            found[index - begin] = values(columns([record]))[0]
    if not records:
        return ChunkResult(tally, None, found)
    lines = [json.dumps(r, separators=(",", ":"), allow_nan=False) for r in made]
    return ChunkResult(tally, lines, found)


def simulate_cohort(
    scenario: Scenario,
    n: int,
    seed: int | None = None,
    executor: Executor | None = None,
    *,
    workers: int | None = None,
    chunk_size: int | None = None,
    records: str | Path | IO[str] | None = None,
    progress: Callable[[int], None] | None = None,
    engine: Engine = "auto",
    outcomes: Callable[[np.ndarray], None] | None = None,
) -> CohortSummary:
    """Simulate the courses of recipients 0 … n-1 of ``scenario`` and summarise them.

    By default the recipients run on ``workers`` processes (all cores), in chunks of indices;
    give ``executor`` to use another one (threads, a Dask cluster's ``get_executor()``).
    ``workers=1`` without an executor runs in this process. ``records`` (a path or an open
    text file) receives every recipient's course record as one JSON line, in recipient order.
    ``progress`` is called with the number of recipients each finished chunk held, and
    ``outcomes`` with each chunk's outcomes (recipients × 2 × outcomes, ``outcomes.values``),
    in recipient order.
    ``engine`` chooses how the recipients run (``cohort_engine``): by default on the vector
    path when it covers the scenario (chunks of up to 100,000 recipients), else on the
    per-case engine; either gives the same summary and records.
    """
    if n < 0:
        raise InvalidInput.single("cohort", "n", n, "must be 0 or more")
    ran, _ = cohort_engine(scenario, engine)
    chosen = scenario.seed_for(seed)
    count = workers or os.cpu_count() or 1
    most, share = (_VECTOR_CHUNK, 1) if ran == "vector" else (2000, 8)
    size = chunk_size or max(1, min(most, math.ceil(n / (count * share)))) if n else 1
    chunks = [(b, min(n, b + size)) for b in range(0, n, size)]
    tally = Tally()
    text = scenario.model_dump_json()
    with _sink(records) as out:
        job = _Job(text, chosen, ran, out is not None, outcomes is not None)
        into = _Into(tally, out, outcomes, progress)
        if executor is None and count == 1:
            for begin, end in chunks:
                into.take(job.run(begin, end), end - begin)
        elif executor is None:
            with ProcessPoolExecutor(max_workers=count) as pool:
                _spread(pool, job, chunks, count, into)
        else:
            _spread(executor, job, chunks, count, into)
    return CohortSummary.from_tally(tally, scenario=scenario.name, seed=chosen)


@dataclass(frozen=True, slots=True)
class _Job:
    """What every chunk of one cohort runs: ``run_chunk``'s arguments but the chunk's bounds."""

    text: str
    seed: int
    engine: str
    records: bool
    outcomes: bool

    def run(self, begin: int, end: int) -> ChunkResult:
        """The chunk ``begin`` … ``end - 1``, run here."""
        return run_chunk(*self._args(begin, end), outcomes=self.outcomes)

    def submit(self, executor: Executor, begin: int, end: int) -> Future[ChunkResult]:
        """The chunk ``begin`` … ``end - 1``, handed to ``executor``."""
        return executor.submit(run_chunk, *self._args(begin, end), outcomes=self.outcomes)

    def _args(self, begin: int, end: int) -> tuple[str, int, int, int, bool, str]:
        return (self.text, self.seed, begin, end, self.records, self.engine)


@dataclass(slots=True)
class _Into:
    """Where a cohort's chunks go, in recipient order: the tally, the records' file, the
    outcomes' callback and the progress callback."""

    tally: Tally
    out: IO[str] | None
    outcomes: Callable[[np.ndarray], None] | None
    progress: Callable[[int], None] | None

    def take(self, result: ChunkResult, cases: int) -> None:
        self.tally.merge(result.tally)
        if self.out is not None and result.lines:
            self.out.write("\n".join(result.lines) + "\n")
        if self.outcomes is not None and result.outcomes is not None:
            self.outcomes(result.outcomes)
        if self.progress is not None:
            self.progress(cases)


def _spread(
    executor: Executor, job: _Job, chunks: list[tuple[int, int]], count: int, into: _Into
) -> None:
    """Run chunks with a bounded number in flight; hand results on in recipient order."""
    pending: dict[Future[ChunkResult], int] = {}
    done: dict[int, ChunkResult] = {}
    next_chunk = next_write = 0
    limit = count * 3
    while next_write < len(chunks):
        while next_chunk < len(chunks) and len(pending) + len(done) < limit:
            pending[job.submit(executor, *chunks[next_chunk])] = next_chunk
            next_chunk += 1
        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            done[pending.pop(future)] = future.result()
        while next_write in done:
            begin, end = chunks[next_write]
            into.take(done.pop(next_write), end - begin)
            next_write += 1


def cohort_outcomes(
    scenario: Scenario,
    n: int,
    seed: int,
    executor: Executor | None = None,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Recipients 0 … n-1 of ``scenario`` under ``seed`` (``simulate_cohort``, on ``executor``
    or ``workers`` processes): their outcomes, recipients × 2 × outcomes
    (``outcomes.values``)."""
    chunks: list[np.ndarray] = []
    simulate_cohort(
        scenario, n, seed, executor, workers=workers, outcomes=chunks.append, progress=progress
    )
    return np.concatenate(chunks) if chunks else np.zeros((0, 2, len(OUTCOMES)))


@contextmanager
def runner(executor: Executor | None, workers: int | None) -> Iterator[tuple[Executor | None, int]]:
    """One executor for many cohorts (a pool started once), and the number of workers."""
    count = workers or os.cpu_count() or 1
    if executor is not None or count == 1:
        yield executor, count
        return
    with ProcessPoolExecutor(max_workers=count) as started:
        yield started, count


@contextmanager
def _sink(target: str | Path | IO[str] | None) -> Iterator[IO[str] | None]:
    if target is None or not isinstance(target, str | Path):
        yield target
        return
    with open(target, "w", encoding="utf-8") as handle:
        yield handle


def dask_client_class() -> Any:
    """``distributed.Client``, or MissingTool naming the ``dask`` extra (checked before work)."""
    try:
        from distributed import Client
    except ImportError:
        hint = "install it with: pip install 'isletflow[dask]'"
        raise MissingTool("a cohort on a Dask cluster", "dask.distributed", hint) from None
    return Client


@contextmanager
def dask_executor(address: str, timeout: float = 10) -> Iterator[Executor]:
    """An executor on the Dask cluster at ``address`` (the ``dask`` extra); a scheduler that
    does not answer within ``timeout`` seconds is an InvalidInput naming the address."""
    try:
        client = dask_client_class()(address, timeout=timeout)
    except IsletflowError:
        raise
    except Exception as error:  # whatever failed (refused, timed out, not Dask), it did not answer
        reason = (str(error).splitlines() or [type(error).__name__])[0][:120]
        rule = f"did not answer as a Dask scheduler within {timeout:g} s ({reason})"
        if isinstance(error, ValueError):
            rule = f"is not a Dask scheduler's address ({reason})"
        raise InvalidInput.single("Dask cluster", "address", address, rule) from None
    try:
        yield client.get_executor()
    finally:
        client.close()
