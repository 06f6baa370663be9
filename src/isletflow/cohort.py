"""Cohorts: many cases of one scenario, on every core, or on any ``concurrent.futures.Executor``.

Each case depends only on (seed, index), and workers return tallies, not timelines: counts per
outcome and code, and value counts of the key times (to the minute) and doses (to the IEQ/kg).
Tallies add up the same in any order, so the summary is identical however the cohort is split,
and memory stays flat: a tally grows with the range of values seen, not with the cases.
Percentiles are exact on those quantised values (nearest rank).
"""

from __future__ import annotations

import functools
import math
import os
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict

from .case import Case
from .duration import Duration
from .errors import InvalidInput, IsletflowError, MissingTool
from .sampling import PlanSampler
from .scenario import Scenario
from .simulation import StandardPolicy, run, start

__all__ = [
    "CohortSummary",
    "Count",
    "OutcomeCount",
    "Percentiles",
    "Tally",
    "dask_executor",
    "simulate_cohort",
]

TIMES = ("cold_ischemia", "isolation_to_infusion", "release_to_infusion", "total")
"""Key times: cross-clamp to isolation; start of isolation to start of infusion; release to
start of infusion; cross-clamp to the case's end."""

_MINUTE = timedelta(minutes=1)


# -- Tallies (what workers send back) --------------------------------------------------------


@dataclass(slots=True)
class Tally:
    """Counts from some cases of a cohort; ``merge`` adds another in."""

    cases: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    codes: Counter[tuple[str, str]] = field(default_factory=Counter)
    release_failures: Counter[str] = field(default_factory=Counter)
    complications: Counter[str] = field(default_factory=Counter)
    infused: int = 0
    paused: int = 0
    partial_dose: int = 0
    groups: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    minutes: dict[str, Counter[int]] = field(default_factory=lambda: {t: Counter() for t in TIMES})
    dose: Counter[int] = field(default_factory=Counter)

    def add(self, case: Case) -> None:
        """Count one ended case."""
        outcome = case.outcome
        assert outcome is not None  # the simulator runs each case to its end
        record = case.record
        clamp = case.donor.cross_clamp_at
        self.cases += 1
        self.outcomes[outcome.status] += 1
        self.codes[outcome.status, outcome.code or ""] += 1
        if outcome.status == "discarded" and outcome.code:
            for sub in outcome.code.split("+"):
                self.release_failures[sub] += 1
        for complication in record.complications:
            self.complications[complication.kind] += 1
        if record.infusion_started_at is not None:
            self.infused += 1
            approach = case.approach.value
            unsealed = "none" if approach == "percutaneous" else "no track"
            for group in (("approach", approach), ("sealant", record.track_sealant or unsealed)):
                self.groups[(*group, "")] += 1  # the procedures ("" sorts first)
                self.groups.update((*group, c.kind) for c in record.complications)
        if any(getattr(e, "target", None) == "infuse.paused" for e in case.timeline):
            self.paused += 1
        if record.fraction_delivered is not None and record.fraction_delivered < 1:
            self.partial_dose += 1
        started, infused = record.isolation_started_at, record.infusion_started_at
        _minutes(self.minutes["cold_ischemia"], clamp, started)
        _minutes(self.minutes["isolation_to_infusion"], started, infused)
        _minutes(self.minutes["release_to_infusion"], record.released_at, infused)
        _minutes(self.minutes["total"], clamp, outcome.at)
        if record.dose_delivered_ieq_per_kg is not None:
            self.dose[round(record.dose_delivered_ieq_per_kg)] += 1

    def merge(self, other: Tally) -> None:
        for name in ("cases", "infused", "paused", "partial_dose"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("outcomes", "codes", "release_failures", "complications", "groups", "dose"):
            getattr(self, name).update(getattr(other, name))
        for name, counts in other.minutes.items():
            self.minutes[name].update(counts)


def _minutes(into: Counter[int], since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None:
        into[round((until - since) / _MINUTE)] += 1


# -- The summary (what a caller gets) ---------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Count(_Model):
    count: int
    rate: float


class OutcomeCount(_Model):
    count: int
    rate: float
    codes: dict[str, Count]


class Percentiles(_Model):
    """Nearest-rank percentiles of a quantity over the cases that have it."""

    count: int
    mean: float
    min: float
    p5: float
    p25: float
    p50: float
    p75: float
    p95: float
    max: float


class TimePercentiles(_Model):
    """Percentiles of a duration, to the minute."""

    count: int
    mean: Duration
    min: Duration
    p5: Duration
    p25: Duration
    p50: Duration
    p75: Duration
    p95: Duration
    max: Duration


class CohortSummary(_Model):
    """What a cohort came to: outcomes, codes, complications, key times, doses.

    Outcome, release and infusion rates are over all cases; complications, pauses (however the
    infusion then ended) and partial doses over ``infused``, the procedures. ``groups``: those
    per procedure by approach and by sealant (``none`` left open, ``no track`` surgical).
    """

    scenario: str
    seed: int
    cases: int
    outcomes: dict[str, OutcomeCount]
    release_failures: dict[str, Count]
    complications: dict[str, Count]
    infused: Count
    infusion_paused: Count
    partial_dose: Count
    groups: dict[str, dict[str, dict[str, Count]]]
    times: dict[str, TimePercentiles | None]
    dose_ieq_per_kg: Percentiles | None

    @classmethod
    def from_tally(cls, tally: Tally, *, scenario: str, seed: int) -> CohortSummary:
        n, procedures = tally.cases, tally.infused

        def count(k: int, of: int = n) -> Count:
            return Count(count=k, rate=round(k / of, 6) if of else 0.0)

        groups: dict[str, dict[str, dict[str, Count]]] = {}
        for (group, value, what), k in sorted(tally.groups.items()):
            of = tally.groups[group, value, ""] if what else n
            groups.setdefault(group, {}).setdefault(value, {})[what or "infused"] = count(k, of)

        outcomes = {}
        pairs = sorted(tally.codes.items())
        for status in sorted(tally.outcomes):
            codes = {code or "(none)": count(k) for (s, code), k in pairs if s == status}
            total = count(tally.outcomes[status])
            outcomes[status] = OutcomeCount(count=total.count, rate=total.rate, codes=codes)
        times = {name: _time_percentiles(tally.minutes[name]) for name in TIMES}
        return cls(
            scenario=scenario,
            seed=seed,
            cases=n,
            outcomes=outcomes,
            release_failures={k: count(v) for k, v in sorted(tally.release_failures.items())},
            complications={k: count(v, procedures) for k, v in sorted(tally.complications.items())},
            infused=count(tally.infused),
            infusion_paused=count(tally.paused, procedures),
            partial_dose=count(tally.partial_dose, procedures),
            groups=groups,
            times=times,
            dose_ieq_per_kg=Percentiles(**dose) if (dose := _percentiles(tally.dose)) else None,
        )


def _time_percentiles(minutes: Counter[int]) -> TimePercentiles | None:
    stats = _percentiles(minutes)
    return (
        None
        if not stats
        else TimePercentiles(**{k: v if k == "count" else _MINUTE * v for k, v in stats.items()})
    )


def _percentiles(counts: Counter[int]) -> dict[str, Any] | None:
    total = sum(counts.values())
    if not total:
        return None
    values = sorted(counts)
    wanted = {"p5": 5, "p25": 25, "p50": 50, "p75": 75, "p95": 95}
    ranks = {name: max(1, math.ceil(p / 100 * total)) for name, p in wanted.items()}
    out: dict[str, Any] = {"count": total, "min": values[0], "max": values[-1]}
    seen = 0
    for value in values:
        seen += counts[value]
        for name, rank in ranks.items():
            if name not in out and seen >= rank:
                out[name] = value
    mean = sum(v * k for v, k in counts.items()) / total
    out["mean"] = round(mean, 2)
    return out


# -- Running -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _sampler(scenario_json: str) -> PlanSampler:
    return PlanSampler(Scenario.model_validate_json(scenario_json))


def run_chunk(
    scenario_json: str, seed: int, begin: int, end: int, timelines: bool = False
) -> tuple[Tally, list[str] | None]:
    """Simulate cases ``begin`` to ``end - 1``: their tally, and their timelines if asked.

    The scenario travels as its JSON (small, and the same in any worker); each worker builds
    its samplers once per scenario.
    """
    sampler = _sampler(scenario_json)
    policy = StandardPolicy()
    tally = Tally()
    lines: list[str] | None = [] if timelines else None
    for index in range(begin, end):
        # The compiled table, not the shared transitions machine: the same steps (a
        # differential test holds the two engines' timelines equal), at a fraction of the cost.
        case, world = start(sampler.sample(seed, index))
        run(case, world, policy)
        tally.add(case)
        if lines is not None:
            lines.append(f'{{"index":{index},"seed":{seed},"timeline":{case.timeline.to_json()}}}')
    return tally, lines


def simulate_cohort(
    scenario: Scenario,
    n: int,
    seed: int | None = None,
    executor: Executor | None = None,
    *,
    workers: int | None = None,
    chunk_size: int | None = None,
    timelines: str | Path | IO[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> CohortSummary:
    """Simulate cases 0 … n-1 of ``scenario`` and summarise them.

    By default the cases run on ``workers`` processes (all cores), in chunks of case indices;
    give ``executor`` to use another one (threads, a Dask cluster's ``get_executor()``).
    ``workers=1`` without an executor runs in this process. ``timelines`` (a path or an open
    text file) receives every case's timeline as one JSON line, in case order. ``progress`` is
    called with the number of cases each finished chunk held.
    """
    if n < 0:
        raise InvalidInput.single("cohort", "n", n, "must be 0 or more")
    chosen = scenario.seed_for(seed)
    count = workers or os.cpu_count() or 1
    size = chunk_size or max(1, min(2000, math.ceil(n / (count * 8)))) if n else 1
    chunks = [(b, min(n, b + size)) for b in range(0, n, size)]
    tally = Tally()
    text = scenario.model_dump_json()
    with _sink(timelines) as out:
        if executor is None and count == 1:
            for begin, end in chunks:
                part, lines = run_chunk(text, chosen, begin, end, out is not None)
                _take(tally, part, lines, out, progress, end - begin)
        elif executor is None:
            with ProcessPoolExecutor(max_workers=count) as pool:
                _spread(pool, text, chosen, chunks, count, tally, out, progress)
        else:
            _spread(executor, text, chosen, chunks, count, tally, out, progress)
    return CohortSummary.from_tally(tally, scenario=scenario.name, seed=chosen)


def _spread(
    executor: Executor,
    scenario: str,
    seed: int,
    chunks: list[tuple[int, int]],
    count: int,
    tally: Tally,
    out: IO[str] | None,
    progress: Callable[[int], None] | None,
) -> None:
    """Run chunks with a bounded number in flight; write timelines back in case order."""
    pending: dict[Future[tuple[Tally, list[str] | None]], int] = {}
    done: dict[int, tuple[Tally, list[str] | None]] = {}
    next_chunk = next_write = 0
    limit = count * 3
    while next_write < len(chunks):
        while next_chunk < len(chunks) and len(pending) + len(done) < limit:
            begin, end = chunks[next_chunk]
            future = executor.submit(run_chunk, scenario, seed, begin, end, out is not None)
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
