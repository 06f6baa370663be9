"""The vector cohort path against the per-case engine and numpy's floor, in one run.

    .venv/bin/python benchmarks/vector.py                  # 10^6 recipients on the vector path
    .venv/bin/python benchmarks/vector.py --n 100000 --rounds 1
    make bench                                            # benchmarks/cohort.py prints this too

On ``examples/scenarios/population.yaml`` (seed 2026), interleaved over ``--rounds`` rounds and
timed in CPU seconds of this process (``process_time``), the cost per recipient of:

- ``per-case engine``: ``cohort.run_chunk(..., engine="case")`` on ``--per-case`` recipients
  (its cost per recipient does not depend on how many);
- ``vector path``: ``simulate_cohort(..., workers=1, engine="vector")`` on ``--n`` recipients, in
  this process, in the cohort's own chunks (the summary included);
- ``numpy floor``: numpy drawing, from one ``PCG64``, as many uniforms per recipient as the
  vector path draws from its named streams (counted on a cohort of the same size beforehand:
  every output of ``Streams._draw``, which every draw goes through), one call per chunk of the
  cohort's size (100,000 recipients, so that 10^6 recipients' uniforms are not one 700 MB
  array): what any model on these draws
  costs at least.

Then the ratios (per-case ÷ vector, vector ÷ floor; each the median of the per-round ratios),
and ``simulate_cohort`` on the vector path with 1 worker and with 2 (wall seconds, medians; the
same summary both ways), with the peak resident memory (``VmHWM``) of each of the 2 workers and
of this process. Not a test: nothing here fails on a time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from cputime import cpu_seconds

from isletflow.cohort import run_chunk, simulate_cohort
from isletflow.scenario import Scenario
from isletflow.vector import streams

POPULATION = Path(__file__).resolve().parents[1] / "examples" / "scenarios" / "population.yaml"
SEED = 2026
CHUNK = 100_000  # recipients per chunk of the vector path (cohort._VECTOR_CHUNK)


@contextmanager
def counting_uniforms() -> Iterator[list[int]]:
    """Count every output the vector path draws from its streams (``Streams._draw``, which
    ``raw``, ``random`` and ``take`` all go through), in this process: the one-element list
    holds the total when the block ends."""
    total = [0]
    original = streams.Streams._draw

    def draw(self: streams.Streams, rows: np.ndarray, count: int, *, doubles: bool) -> Any:
        total[0] += count * len(rows)
        return original(self, rows, count, doubles=doubles)

    setattr(streams.Streams, "_draw", draw)  # noqa: B010 (counted here only, put back below)
    try:
        yield total
    finally:
        setattr(streams.Streams, "_draw", original)  # noqa: B010


def uniforms_per_recipient(scenario: Scenario, n: int) -> float:
    """How many uniforms the vector path draws per recipient, over ``n`` recipients."""
    with counting_uniforms() as total:
        simulate_cohort(scenario, n, SEED, workers=1, engine="vector")
    return total[0] / n


@dataclass(frozen=True)
class PerRecipient:
    """Median CPU µs per recipient of each contender, the ratios, and what the floor drew."""

    per_case: float
    vector: float
    floor: float
    case_over_vector: float
    vector_over_floor: float
    uniforms: float


def per_recipient(scenario: Scenario, n: int, per_case: int, rounds: int) -> PerRecipient:
    """The three contenders, interleaved round by round (module docstring)."""
    text = scenario.model_dump_json()
    run_chunk(text, SEED, 0, 5, engine="case")  # samplers built outside the timing
    simulate_cohort(scenario, 100, SEED, workers=1, engine="vector")
    drawn = uniforms_per_recipient(scenario, n)
    chunks = [round(drawn * min(CHUNK, n - b)) for b in range(0, n, CHUNK)]

    def floor() -> None:
        generator = np.random.Generator(np.random.PCG64(SEED))
        for count in chunks:
            generator.random(count)

    tasks: dict[str, tuple[Callable[[], object], int]] = {
        "per case": (lambda: run_chunk(text, SEED, 0, per_case, engine="case"), per_case),
        "vector": (lambda: simulate_cohort(scenario, n, SEED, workers=1, engine="vector"), n),
        "floor": (floor, n),
    }
    times: dict[str, list[float]] = {name: [] for name in tasks}
    for _ in range(rounds):
        for name, (task, cases) in tasks.items():
            times[name].append(cpu_seconds(task) / cases * 1e6)

    def ratio(top: str, bottom: str) -> float:
        return statistics.median(a / b for a, b in zip(times[top], times[bottom], strict=True))

    return PerRecipient(
        per_case=statistics.median(times["per case"]),
        vector=statistics.median(times["vector"]),
        floor=statistics.median(times["floor"]),
        case_over_vector=ratio("per case", "vector"),
        vector_over_floor=ratio("vector", "floor"),
        uniforms=drawn,
    )


def _peak_kib(pid: int | str) -> int | None:
    """Peak resident memory (``VmHWM``) of process ``pid`` in KiB; None off Linux."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


@dataclass(frozen=True)
class Workers:
    """``simulate_cohort`` on 1 worker and on 2: wall seconds, same summary, peaks in KiB."""

    one: float
    two: float
    same: bool
    worker_peaks: list[int]
    parent_peak: int


def workers(scenario: Scenario, n: int, rounds: int) -> Workers:
    """Wall seconds (medians over ``rounds``) of the vector path on 1 worker (in this process)
    and on 2 (a pool of two processes, chunks split between them); each worker's peak RSS."""
    one: list[float] = []
    two: list[float] = []
    same = True
    peaks: list[int] = []
    for _ in range(rounds):
        began = time.perf_counter()
        alone = simulate_cohort(scenario, n, SEED, workers=1, engine="vector")
        one.append(time.perf_counter() - began)
        with ProcessPoolExecutor(max_workers=2) as pool:
            began = time.perf_counter()
            shared = simulate_cohort(scenario, n, SEED, pool, workers=2, engine="vector")
            two.append(time.perf_counter() - began)
            found = [_peak_kib(p.pid) for p in multiprocessing.active_children() if p.pid]
            peaks = sorted((k for k in found if k is not None), reverse=True) or peaks
        same = same and alone == shared
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return Workers(statistics.median(one), statistics.median(two), same, peaks, parent)


def report(scenario: Scenario, n: int, per_case: int, rounds: int, cohort_n: int) -> None:
    """Print the vector path's section of ``make bench``."""
    seen = per_recipient(scenario, n, per_case, rounds)
    print(f"The vector path ({n:,} recipients in the cohort's chunks, {per_case} on the per-case "
          f"engine, {rounds} interleaved rounds; CPU µs per recipient, medians):")  # fmt: skip
    print(f"  per-case engine  {seen.per_case:10.1f}")
    print(f"  vector path      {seen.vector:10.2f}")
    print(f"  numpy floor      {seen.floor:10.3f}   ({seen.uniforms:.1f} uniforms per recipient, "
          "as many as the vector path draws, from one PCG64, a call per chunk)")  # fmt: skip
    print(f"  per-case ÷ vector {seen.case_over_vector:8.0f}×   (goal ≥ 100×)")
    print(f"  vector ÷ floor    {seen.vector_over_floor:8.1f}×   (goal ≤ 20×)")
    w = workers(scenario, cohort_n, max(1, min(rounds, 3)))
    peaks = ", ".join(f"{k / 1024:.0f}" for k in w.worker_peaks) or "not measured (no /proc)"
    print(f"\nsimulate_cohort on the vector path, {cohort_n:,} recipients: 1 worker {w.one:.2f} s,"
          f" 2 workers {w.two:.2f} s (wall): speed-up {w.one / w.two:.2f}× on 2 workers; "
          f"same summary: {w.same}")  # fmt: skip
    print(f"  peak RSS of each of the 2 workers: {peaks} MiB; this process (which also ran the "
          f"1-worker cohorts in place): {w.parent_peak / 1024:.0f} MiB")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="recipients, vector path")
    parser.add_argument("--per-case", type=int, default=300, help="recipients, per-case engine")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--cohort-n", type=int, default=400_000, help="for 1 vs 2 workers")
    args = parser.parse_args(argv)
    scenario = Scenario.load(POPULATION)
    print(f"population.yaml, seed {SEED}; Python {sys.version.split()[0]}\n")
    report(scenario, args.n, args.per_case, args.rounds, args.cohort_n)


if __name__ == "__main__":
    main()
