"""Scenario values drawn for a whole chunk (``draws.values``) against one at a time, in one run.

    .venv/bin/python benchmarks/draws.py
    .venv/bin/python benchmarks/draws.py --n 100000 --cases 300 --rounds 5 --checks 2000000

Three parts, each printed with the ratios that matter (not a test: nothing fails on a time):

1. **Are numpy's log, exp and sqrt math's?** ``values`` is bit for bit the per-case sampler only
   if they are on this machine: each is run on ``--checks`` values of the ranges the draws feed
   it, and the count of results whose bits differ is printed (it must be 0).
2. **A chunk at once.** For one field of each kind in ``population.yaml``, the CPU µs per value
   of ``values`` over ``--n`` uniforms, of the per-case sampler one uniform at a time (what a
   cohort paid per value before), and of numpy drawing the ``--n`` uniforms themselves (the
   floor); and the ratios.
3. **What one inverse normal CDF costs the per-case engine.** The sampler and ``values`` share
   ``elementwise.normal_quantile`` (CPython's AS241 ported, as ``draws`` calls it); a float
   runs it as bytecode where ``statistics.NormalDist.inv_cdf`` ran in C. Timed both ways
   (CPython's C function put in the port's place for floats, here only): µs per normal draw,
   per case sampled (``PlanSampler.sample``) and per recipient simulated
   (``cohort.run_chunk``).

Rounds are interleaved (A, B, A, B, …) and each ratio is the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from cputime import rounds_of

from isletflow import draws
from isletflow.cohort import run_chunk
from isletflow.distributions import LogNormal, Normal
from isletflow.sampling import PlanSampler
from isletflow.scenario import Scenario
from isletflow.scenario_sections import span_of

POPULATION = Path(__file__).resolve().parents[1] / "examples" / "scenarios" / "population.yaml"
SEED = 2026


def ratio(times: dict[str, list[float]], top: str, bottom: str) -> float:
    return statistics.median(a / b for a, b in zip(times[top], times[bottom], strict=True))


# -- 1. numpy's ufuncs against math's -----------------------------------------------------------


def same_bits(n: int) -> None:
    rng = np.random.default_rng(1)
    checks = [
        ("log, the tails' 1e-12..0.075", np.log, math.log, rng.uniform(1e-12, 0.075, n)),
        ("log, log-uniform 1e-300..1", np.log, math.log, np.exp(rng.uniform(-690, 0, n))),
        ("sqrt of -log(r)", np.sqrt, math.sqrt, -np.log(rng.uniform(1e-12, 0.075, n))),
        ("exp, log-normal draws -30..40", np.exp, math.exp, rng.uniform(-30, 40, n)),
        ("exp, anywhere -745..709", np.exp, math.exp, rng.uniform(-745, 709, n)),
    ]
    print(f"1. numpy against math, {n:,} values each: results whose bits differ")
    for name, numpy_f, math_f, x in checks:
        ours = numpy_f(x).view(np.int64)
        theirs = np.array([math_f(v) for v in x.tolist()]).view(np.int64)
        print(f"   {name:32s} {int((ours != theirs).sum()):>6}")


# -- 2. A chunk at once -------------------------------------------------------------------------


class _Next:
    __slots__ = ("u",)

    def __init__(self, u: float) -> None:
        self.u = u

    def random(self) -> float:
        return self.u


def fields(scenario: Scenario) -> dict[str, tuple[Any, Any, bool]]:
    chosen = [
        (scenario.preparation, "purity_percent", False),
        (scenario.timings, "cold_ischemia", False),
        (scenario.timings, "culture", False),
        (scenario.donor, "age_years", True),
        (scenario.treatment, "track_sealant", False),
        (scenario.recipient, "aspirin", False),
    ]
    return {
        f"{name} ({type(getattr(spec, name)).__name__.split('[')[0].lower()})": (
            getattr(spec, name),
            span_of(type(spec), name),
            integer,
        )
        for spec, name, integer in chosen
    }


def chunk(scenario: Scenario, n: int, rounds: int) -> None:
    u = np.random.default_rng(SEED).random(n)
    print(f"\n2. a chunk of {n:,} uniforms: CPU µs per value (median of {rounds} rounds)")
    heads = f"{'values':>8} {'one by one':>11} {'floor':>7} {'speed-up':>9} {'÷ floor':>8}"
    print(f"   {'field':34s} {heads}")
    for name, (value, span, integer) in fields(scenario).items():
        times = field_rounds(value, span, integer, u, rounds)
        us = {k: statistics.median(t) / n * 1e6 for k, t in times.items()}
        print(
            f"   {name:34s} {us['values']:8.3f} {us['one by one']:11.3f} {us['floor']:7.4f} "
            f"{ratio(times, 'one by one', 'values'):8.0f}× {ratio(times, 'values', 'floor'):7.1f}×"
        )


def field_rounds(
    value: Any, span: Any, integer: bool, u: np.ndarray, rounds: int
) -> dict[str, list[float]]:
    """CPU seconds of the chunk at once, one at a time, and the floor, round by round."""
    draw = draws.sampler(value, span, integer=integer)
    per_case = [_Next(x) for x in u.tolist()]
    return rounds_of(
        {
            "values": lambda: draws.values(value, u, span, integer=integer),
            "one by one": lambda: [draw(g) for g in per_case],
            "floor": lambda: np.random.default_rng(SEED).random(u.size),
        },
        rounds,
    )


# -- 3. The port on floats against CPython's C function -----------------------------------------


def _c_inv_cdf(port: Callable[..., Any]) -> Callable[..., Any]:
    c_function = statistics._normal_dist_inv_cdf  # the C function itself

    def quantile(p: Any, mu: float, sigma: float) -> Any:
        return port(p, mu, sigma) if isinstance(p, np.ndarray) else c_function(p, mu, sigma)

    return quantile


def one_definition(scenario: Scenario, cases: int, rounds: int) -> None:
    port = draws.normal_quantile
    c_version = _c_inv_cdf(port)
    purity = scenario.preparation.purity_percent
    draw = draws.sampler(purity, span_of(type(scenario.preparation), "purity_percent"))
    gens = [_Next(x) for x in np.random.default_rng(1).random(20_000).tolist()]
    sampler = PlanSampler(scenario)
    text = scenario.model_dump_json()
    run_chunk(text, SEED, 0, 2)  # build the worker's samplers before timing
    work = {
        "a normal draw": (lambda: [draw(g) for g in gens], len(gens)),
        "a case sampled": (lambda: [sampler.sample(SEED, i) for i in range(cases)], cases),
        "a recipient simulated": (lambda: run_chunk(text, SEED, 0, cases), cases),
    }
    print("\n3. the per-case engine with the port (shared) and with CPython's C inv_cdf in its")
    print(f"   place: CPU µs (median of {rounds} rounds; {cases} recipients of population.yaml)")
    print(f"   {'per':24s} {'port':>9} {'C inv_cdf':>10} {'port ÷ C':>9} {'extra µs':>9}")
    extra: dict[str, tuple[float, float]] = {}
    for name, (task, count) in work.items():

        def with_c(task: Callable[[], object] = task) -> None:
            draws.normal_quantile = c_version
            try:
                task()
            finally:
                draws.normal_quantile = port

        times = rounds_of({"port": task, "C": with_c}, rounds)
        port_us = statistics.median(times["port"]) / count * 1e6
        c_us = statistics.median(times["C"]) / count * 1e6
        extra[name] = (port_us, port_us - c_us)
        print(
            f"   {name:24s} {port_us:9.2f} {c_us:10.2f} {ratio(times, 'port', 'C'):9.3f} "
            f"{port_us - c_us:9.2f}"
        )
    normal = normal_fields(scenario)
    per_case = normal * extra["a normal draw"][1]
    print(
        f"   population.yaml draws {normal} normal and log-normal values a case: {normal} × the "
        f"extra µs of one = {per_case:.1f} µs,\n   {per_case / extra['a case sampled'][0]:.1%} "
        f"of a case sampled, {per_case / extra['a recipient simulated'][0]:.2%} of a recipient "
        "simulated (counting one donor's draws)"
    )


def normal_fields(scenario: Scenario) -> int:
    """How many of the fields a case samples are normal or log-normal."""
    sections = [scenario.donor, scenario.recipient, scenario.preparation, scenario.timings]
    sections += [scenario.portal_pressure, scenario.treatment, scenario.course.profile]
    sections += [scenario.course]
    return sum(
        isinstance(getattr(spec, name), Normal | LogNormal)
        for spec in sections
        for name in type(spec).model_fields
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="uniforms in the chunk")
    parser.add_argument("--cases", type=int, default=300, help="recipients for part 3")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--checks", type=int, default=2_000_000, help="values per ufunc check")
    args = parser.parse_args()
    scenario = Scenario.load(POPULATION)
    same_bits(args.checks)
    chunk(scenario, args.n, args.rounds)
    one_definition(scenario, args.cases, args.rounds)


if __name__ == "__main__":
    main()
