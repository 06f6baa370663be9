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
from pathlib import Path
from typing import IO, Any, Literal

from .cohort_summary import CohortSummary, Count, OutcomeCount, Percentiles, Tally
from .course_run import course_record, simulate_course
from .errors import InvalidInput, IsletflowError, MissingTool
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
    "dask_executor",
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


def run_chunk(
    scenario_json: str,
    seed: int,
    begin: int,
    end: int,
    records: bool = False,
    engine: str = "case",
) -> tuple[Tally, list[str] | None]:
    """Simulate recipients ``begin`` to ``end - 1``: their tally, and their course records
    (one JSON line each) if asked.

    The scenario travels as its JSON (small, and the same in any worker); each worker builds
    its samplers once per scenario. On the ``vector`` engine the chunk runs as arrays, and the
    recipients it leaves (a rare branch it does not walk) run here on the per-case engine.
    """
    scenario, sampler = _sampler(scenario_json)
    policy = StandardPolicy()
    tally = Tally()
    made: list[dict[str, Any] | None] = [None] * (end - begin)
    singles: list[int] | range = range(begin, end)
    if engine == "vector":
        chunk = simulate_chunk(_sections(scenario_json), seed, begin, end, records)
        tally.merge(chunk.tally)
        made = chunk.records or made
        singles = chunk.per_case
    for index in singles:
        course = simulate_course(scenario, seed, index, policy=policy, sampler=sampler)
        for case in course.cases:
            tally.add(case)
        record = course_record(course)
        tally.courses.add(record)
        if records:
            made[index - begin] = record
    if not records:
        return tally, None
    return tally, [json.dumps(r, separators=(",", ":"), allow_nan=False) for r in made]


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
) -> CohortSummary:
    """Simulate the courses of recipients 0 … n-1 of ``scenario`` and summarise them.

    By default the recipients run on ``workers`` processes (all cores), in chunks of indices;
    give ``executor`` to use another one (threads, a Dask cluster's ``get_executor()``).
    ``workers=1`` without an executor runs in this process. ``records`` (a path or an open
    text file) receives every recipient's course record as one JSON line, in recipient order.
    ``progress`` is called with the number of recipients each finished chunk held.
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
        if executor is None and count == 1:
            for begin, end in chunks:
                part, lines = run_chunk(text, chosen, begin, end, out is not None, ran)
                _take(tally, part, lines, out, progress, end - begin)
        elif executor is None:
            with ProcessPoolExecutor(max_workers=count) as pool:
                _spread(pool, (text, chosen, ran), chunks, count, tally, out, progress)
        else:
            _spread(executor, (text, chosen, ran), chunks, count, tally, out, progress)
    return CohortSummary.from_tally(tally, scenario=scenario.name, seed=chosen)


def _spread(
    executor: Executor,
    job: tuple[str, int, str],
    chunks: list[tuple[int, int]],
    count: int,
    tally: Tally,
    out: IO[str] | None,
    progress: Callable[[int], None] | None,
) -> None:
    """Run chunks with a bounded number in flight; write records back in recipient order."""
    pending: dict[Future[tuple[Tally, list[str] | None]], int] = {}
    done: dict[int, tuple[Tally, list[str] | None]] = {}
    next_chunk = next_write = 0
    limit = count * 3
    while next_write < len(chunks):
        while next_chunk < len(chunks) and len(pending) + len(done) < limit:
            begin, end = chunks[next_chunk]
            text, seed, engine = job
            future = executor.submit(run_chunk, text, seed, begin, end, out is not None, engine)
            pending[future] = next_chunk
            next_chunk += 1
        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            done[pending.pop(future)] = future.result()
        while next_write in done:
            part, lines = done.pop(next_write)
            begin, end = chunks[next_write]
            _take(tally, part, lines, out, progress, end - begin)
            next_write += 1


def _take(
    tally: Tally,
    part: Tally,
    lines: list[str] | None,
    out: IO[str] | None,
    progress: Callable[[int], None] | None,
    cases: int,
) -> None:
    tally.merge(part)
    if out is not None and lines:
        out.write("\n".join(lines) + "\n")
    if progress is not None:
        progress(cases)


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
