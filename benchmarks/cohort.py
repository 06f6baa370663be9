"""isletflow's cohort simulation against the plain-Python limit and two peers, in one run.

    make bench                       # or: .venv/bin/python benchmarks/cohort.py
    .venv/bin/python benchmarks/cohort.py --cases 1000 --rounds 9
    .venv/bin/python benchmarks/cohort.py --quick   # 10^5 on the vector path, the per-core table

First, what cohorts run on (``benchmarks/vector.py``): CPU µs per recipient of the per-case
engine, of the vector path (10^6 recipients; 10^5 with ``--quick``) and of numpy drawing as many
uniforms (the floor), their ratios, the vector path's 1-vs-2-worker speed-up and each worker's
peak memory. Then the per-case engine's own work against a plain-Python limit and two peers:

Every contender runs the same workload: cases of ``examples/scenarios/population.yaml``, sampled
by the same ``PlanSampler`` (so the draws are identical), driven by the same policy through the
same steps and guards, writing an event per step. Before anything is timed the benchmark checks
that every contender ends every case with the same outcome (status, code and time).

- ``isletflow cohort``: the per-case work of ``simulate_cohort``'s workers (cases moving on the
  table read back from the shared ``transitions`` machine, and the cohort's tally of each case);
  a recipient's course repeats it for each later donor, so the per-case cost is what compares;
- ``limit``: ``limit.PlainCase``, a dict table with inline guards and tuple events;
- ``transitions, Machine per case`` and ``python-statemachine, machine per case``: the limit's
  workflow with each library's machine built per case and the guards as its conditions.

The machine is shared with others, so absolute times are noise: contenders run interleaved
(A, B, C, D, E, A, B, …), each round timed in CPU seconds of this process, and the result is the
median per contender and the ratios between medians. Memory is ``tracemalloc``'s count of the
bytes held by N live cases stopped mid-case (at ``infuse.access``), divided by N.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import vector
from cputime import rounds_of
from limit import TABLE, PlainCase
from peers import StatechartCase, TransitionsCase

from isletflow.cohort import Tally, run_chunk
from isletflow.sampling import CasePlan, PlanSampler
from isletflow.scenario import Scenario
from isletflow.simulation import StandardPolicy, World, run, start
from isletflow.workflow import next_state

ROOT = Path(__file__).resolve().parents[1]
POPULATION = ROOT / "examples" / "scenarios" / "population.yaml"
SEED = 2026
MID = "infuse.access"  # where a case is stopped for the memory count: half-way, deadlines armed

Outcome = tuple[str, str | None, Any]


# -- The contenders ---------------------------------------------------------------------------


class Contender:
    """One way of simulating cases ``begin`` to ``end - 1``; each knows how to stop mid-case."""

    def __init__(self, name: str, sampler: PlanSampler, text: str) -> None:
        self.name, self.sampler, self.text = name, sampler, text

    def cohort(self, begin: int, end: int) -> None:
        """The timed workload: sample and simulate every case (the cohort's own loop if any)."""
        for index in range(begin, end):
            self.drive(self.sampler.sample(SEED, index))

    def drive(self, plan: CasePlan, until: str | None = None) -> Any:
        raise NotImplementedError

    def outcome(self, plan: CasePlan) -> Outcome:
        raise NotImplementedError


class Isletflow(Contender):
    def cohort(self, begin: int, end: int) -> None:
        """Each recipient's first donor's case, tallied as the cohort tallies every case (a
        course adds its later donors' cases, each this same work, and its record)."""
        tally = Tally()
        for index in range(begin, end):
            case, _ = self.drive(self.sampler.sample(SEED, index))
            tally.add(case)

    def drive(self, plan: CasePlan, until: str | None = None) -> Any:
        """The case and its world (its patient), run to the end or stopped at ``until``."""
        case, world = start(plan)
        with contextlib.suppress(_Stop):
            run(case, world, _Until(until) if until else _POLICY)
        return case, world

    def outcome(self, plan: CasePlan) -> Outcome:
        case, _ = self.drive(plan)
        return (case.outcome.status, case.outcome.code, case.outcome.at)


class _Stop(Exception):
    pass


_POLICY = StandardPolicy()


class _Until:
    """The standard policy, stopping the run (by raising) when the case reaches ``state``."""

    def __init__(self, state: str) -> None:
        self.state = state

    def next_move(self, case: Any, world: World) -> Any:
        if case.state == self.state:
            raise _Stop
        return _POLICY.next_move(case, world)


class Plain(Contender):
    kind: type[PlainCase] = PlainCase

    def drive(self, plan: CasePlan, until: str | None = None) -> Any:
        return self.kind(plan).run(until)

    def outcome(self, plan: CasePlan) -> Outcome:
        outcome = self.drive(plan).outcome
        assert outcome is not None
        return outcome


class PerCaseTransitions(Plain):
    kind = TransitionsCase


class PerCaseStatechart(Plain):
    kind = StatechartCase


def contenders(scenario: Scenario) -> list[Contender]:
    sampler, text = PlanSampler(scenario), scenario.model_dump_json()
    return [
        Isletflow("isletflow cohort", sampler, text),
        Plain("limit: plain-Python table", sampler, text),
        PerCaseTransitions("transitions, Machine per case", sampler, text),
        PerCaseStatechart("python-statemachine, machine per case", sampler, text),
    ]


# -- Measuring ----------------------------------------------------------------------------------


def check_outcomes(all_: list[Contender], scenario: Scenario, cases: int) -> None:
    """Every contender ends every case the same way: or the comparison means nothing."""
    sampler = PlanSampler(scenario)
    for index in range(cases):
        plan = sampler.sample(SEED, index)
        reference = all_[0].outcome(plan)
        for other in all_[1:]:
            got = other.outcome(sampler.sample(SEED, index))
            assert got == reference, f"case {index}: {other.name} {got} != {reference}"


def interleaved(tasks: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median CPU seconds of each task, the tasks taking turns round by round."""
    return {name: statistics.median(t) for name, t in rounds_of(tasks, rounds).items()}


def ratio(times: dict[str, list[float]], top: str, bottom: str) -> float:
    """The median over rounds of ``top``'s time over ``bottom``'s in the same round.

    Neighbours in one round share the machine's load of the moment, so their ratio is steadier
    than the ratio of two medians taken from different rounds.
    """
    return statistics.median(a / b for a, b in zip(times[top], times[bottom], strict=True))


def making_a_case(scenario: Scenario, rounds: int) -> dict[str, float]:
    """Median CPU µs to make one case at its start, per contender (no step taken)."""
    plan = PlanSampler(scenario).sample(SEED, 0)

    makers: dict[str, Callable[[], object]] = {
        "isletflow Case (+ its World)": lambda: start(plan),
        "limit: PlainCase": lambda: PlainCase(plan),
        "transitions: case + its Machine": lambda: TransitionsCase(plan),
        "python-statemachine: case + machine": lambda: StatechartCase(plan),
    }
    times = interleaved({k: (lambda f=f: [f() for _ in range(200)]) for k, f in makers.items()},
                        rounds)  # fmt: skip
    return {name: t / 200 * 1e6 for name, t in times.items()}


def one_step(scenario: Scenario, rounds: int) -> dict[str, float]:
    """Median CPU µs of moving a case one step (pause, then resume, the infusion), guards aside
    where the engine keeps them apart: what each engine adds to a step, nothing else."""
    pair = ("pause_infusion", "resume_infusion")
    steps = 500

    def isletflow() -> Callable[[], object]:
        state = next_state("infuse.infusing", pair[0])
        assert state == "infuse.paused", "the timed steps must move the case"
        assert next_state(state, pair[1]) == "infuse.infusing"

        def run() -> None:
            state = "infuse.infusing"
            for _ in range(steps):
                for trigger in pair:
                    state = next_state(state, trigger)

        return run

    def limit() -> Callable[[], object]:
        case = {"state": "infuse.infusing"}

        def run() -> None:
            for _ in range(steps):
                for trigger in pair:
                    case["state"] = TABLE[case["state"], trigger]

        return run

    def per_case() -> Callable[[], object]:
        case = TransitionsCase(PlanSampler(scenario).sample(SEED, 0))
        case.state = "infuse.infusing"  # the model's state, set as transitions lets a user
        case.pressures = [(case.now, 5.0, "infuse.paused")]  # so resume's condition holds
        trigger = case.trigger  # type: ignore[attr-defined]
        assert trigger(pair[0]), "the timed steps must move the case"
        assert case.state == "infuse.paused"
        assert trigger(pair[1]), "the timed steps must move the case (resume's condition)"
        return lambda: [trigger(t) for _ in range(steps) for t in pair]

    movers = {
        "isletflow, the machine's table": isletflow(),
        "limit: dict lookup": limit(),
        "transitions, Machine per case": per_case(),
    }
    times = interleaved(movers, rounds)
    return {name: t / (steps * len(pair)) * 1e6 for name, t in times.items()}


def bytes_per_live_case(contender: Contender, scenario: Scenario, cases: int) -> float:
    """Bytes held by ``cases`` live cases stopped at ``MID`` (with their plans), per case."""
    sampler = PlanSampler(scenario)
    contender.drive(sampler.sample(SEED, 0), until=MID)  # warm caches outside the count
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    live = [contender.drive(sampler.sample(SEED, index), until=MID) for index in range(cases)]
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del live
    return held / cases


def memory(all_: list[Contender], scenario: Scenario, cases: int) -> dict[str, float]:
    return {c.name: bytes_per_live_case(c, scenario, cases) for c in all_}


def cohort_peak(scenario: Scenario, cases: int) -> tuple[float, int]:
    """Peak bytes ``tracemalloc`` sees while one worker's loop simulates ``cases`` recipients'
    courses, and the number of distinct values its tally holds (what the memory grows with)."""
    text = scenario.model_dump_json()
    run_chunk(text, SEED, 0, 10)  # samplers built outside the count
    gc.collect()
    tracemalloc.start()
    tally = run_chunk(text, SEED, 0, cases).tally
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    keys = sum(map(len, tally.minutes.values())) + len(tally.dose) + len(tally.codes)
    keys += len(tally.courses.one_year) + len(tally.courses.years)
    return peak, keys


def startup(runs: int) -> dict[str, float]:
    """Median wall ms of ``python -c pass``, ``import isletflow`` and ``isletflow --help``."""
    python = sys.executable
    command = Path(python).parent / "isletflow"
    argv = {
        "python -c pass": [python, "-c", "pass"],
        "python -c 'import isletflow'": [python, "-c", "import isletflow"],
        "isletflow --help": [str(command), "--help"],
    }
    times: dict[str, list[float]] = {name: [] for name in argv}
    for _ in range(runs):
        for name, args in argv.items():
            began = time.perf_counter()
            subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
            times[name].append((time.perf_counter() - began) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


# -- Reporting -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500, help="cases per timed round")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (median)")
    parser.add_argument("--check", type=int, default=300, help="cases whose outcomes must agree")
    parser.add_argument("--memory-cases", type=int, default=1000)
    parser.add_argument("--vector-n", type=int, help="recipients on the vector path "
                        "(default 10^6; 10^5 with --quick)")  # fmt: skip
    parser.add_argument("--per-case", type=int, default=300, help="recipients, per-case engine")
    parser.add_argument("--cohort-n", type=int, help="recipients for 1 vs 2 workers (vector "
                        "path; default 400,000; 100,000 with --quick)")  # fmt: skip
    parser.add_argument("--startup-runs", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="smaller vector runs, and only "
                        "the per-core comparison after them")  # fmt: skip
    args = parser.parse_args()

    scenario = Scenario.load(POPULATION)
    all_ = contenders(scenario)
    print(f"population.yaml, seed {SEED}; Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs (shared: read the ratios, not the times)\n")  # fmt: skip

    big = 100_000 if args.quick else 1_000_000
    vector.report(scenario, args.vector_n or big, args.per_case, 3, args.cohort_n or big * 4 // 10)
    print()

    check_outcomes(all_, scenario, args.check)
    print(f"outcomes: all {len(all_)} contenders agree on cases 0-{args.check - 1}\n")

    n = args.cases
    for contender in all_:
        contender.cohort(0, 20)  # warm up: caches, lazily built machines and samplers
    sampler = PlanSampler(scenario)
    tasks: dict[str, Callable[[], object]] = {c.name: (lambda c=c: c.cohort(0, n)) for c in all_}
    tasks["sampling"] = lambda: [sampler.sample(SEED, i) for i in range(n)]
    per_round = rounds_of(tasks, args.rounds)
    medians = {name: statistics.median(t) for name, t in per_round.items()}
    sampling = medians["sampling"]
    mine, limit = all_[0].name, all_[1].name
    mem = {} if args.quick else memory(all_, scenario, args.memory_cases)

    print(f"Per core: {n} cases per round, {args.rounds} interleaved rounds; median CPU time, "
          "and the median of each round's ratios")  # fmt: skip
    header = f"{'':40s} {'µs/case':>9s} {'cases/s':>9s} {'÷ limit':>8s} {'÷ isletflow':>11s}"
    print(header + (f" {'bytes/live case':>16s}" if mem else ""))
    for contender in all_:
        t = medians[contender.name]
        line = (f"{contender.name:40s} {t / n * 1e6:9.0f} {n / t:9.0f} "
                f"{ratio(per_round, contender.name, limit):8.2f} "
                f"{ratio(per_round, contender.name, mine):11.2f}")  # fmt: skip
        print(line + (f" {mem[contender.name]:16,.0f}" if mem else ""))
    print(f"{'  of which sampling (PlanSampler)':40s} {sampling / n * 1e6:9.0f}")
    made = making_a_case(scenario, args.rounds)
    print("\nMaking one case, before any step (median CPU µs):")
    for name, us in made.items():
        print(f"  {name:38s} {us:7.1f}")
    steps = one_step(scenario, args.rounds)
    print("\nMoving a case one step (median CPU µs; the policy, data and events aside):")
    for name, us in steps.items():
        print(f"  {name:38s} {us:7.2f}")
    engines: dict[str, float] = {}
    print("\nThe engines alone (sampling taken out of every contender):")
    for contender in all_[1:]:
        engines[contender.name] = statistics.median(
            (t - s) / (m - s)
            for t, s, m in zip(per_round[contender.name], per_round["sampling"],
                               per_round[mine], strict=True)
        )  # fmt: skip
        print(f"  {contender.name:38s} {engines[contender.name]:6.2f} × isletflow's")

    peer = all_[2].name
    print(f"\nAgainst the peer '{peer}' (how many times isletflow is faster or lighter):")
    against = {
        "a whole case (sampling, policy, guards)": ratio(per_round, peer, mine),
        "the engines alone (sampling taken out)": engines[peer],
        "making a case": made["transitions: case + its Machine"]
        / made["isletflow Case (+ its World)"],
        "moving it one step": steps["transitions, Machine per case"]
        / steps["isletflow, the machine's table"],
    }
    if mem:
        against["bytes per live case above the limit's"] = (mem[peer] - mem[limit]) / (
            mem[mine] - mem[limit]
        )
    for what, times in against.items():
        print(f"  {what:44s} {times:6.1f}×")
    whole = ratio(per_round, limit, peer)
    print(f"  (even the limit is only {1 / whole:.1f}× faster than this peer on a whole case: "
          "the work they share bounds any ratio there)")  # fmt: skip
    if args.quick:
        return

    print("\nOne worker's memory (tallies, not timelines): peak while simulating")
    for cases in (args.memory_cases, args.memory_cases * 8):
        peak, keys = cohort_peak(scenario, cases)
        print(f"  {cases:6d} recipients: {peak / 1024:7,.0f} KiB, {peak / cases:5.0f} B each; "
              f"tally of {keys:,} distinct minutes, doses and codes")  # fmt: skip

    times = startup(args.startup_runs)
    base = times["python -c pass"]
    print(f"\nStart-up (median of {args.startup_runs}, wall ms):")
    for name, ms in times.items():
        print(f"  {name:32s} {ms:7.1f} ms  (+{ms - base:.1f} ms over python -c pass)")


if __name__ == "__main__":
    main()
