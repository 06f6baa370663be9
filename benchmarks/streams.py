"""What a case's named stream costs: one case at a time against a whole chunk at once, in one run.

    .venv/bin/python benchmarks/streams.py
    .venv/bin/python benchmarks/streams.py --sizes 1000,10000,100000,1000000 --draws 5 --rounds 3

For each chunk size n, interleaved over ``--rounds`` rounds, CPU time (``process_time``) of:

- ``per case``: ``sampling.stream(seed, i, name).random(draws)`` for each case, as the
  per-case engine makes its streams (timed on at most ``--loop-cases`` cases, as its cost per
  case does not depend on n);
- ``vector``: ``vector.streams.uniforms(seed, range(n), name, draws)``, the same values for the
  whole chunk at once (``seeding`` is ``Streams.open`` alone, the rest is drawing);
- ``floor``: numpy drawing the same number of doubles from one generator
  (``Generator.random((n, draws))``), what any uniforms cost at least.

It prints the median µs per stream per case of each and the ratios, and checks that the two
paths drew the same values on the cases both ran. Not a test: nothing here fails on a time.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
from cputime import cpu_seconds

from isletflow.sampling import stream
from isletflow.vector.streams import Streams, uniforms

SEED = 2026
NAME = "donor2.timings"


def _per_case(cases: int, draws: int) -> np.ndarray:
    return np.array([stream(SEED, i, NAME).random(draws) for i in range(cases)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="chunk sizes, commas")
    parser.add_argument("--draws", type=int, default=5, help="doubles drawn per stream")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--loop-cases", type=int, default=5000, help="cases timed per case")
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    draws = options.draws

    # The two paths must agree before their times mean anything.
    checked = min(max(sizes), options.loop_cases)
    same = np.array_equal(
        uniforms(SEED, np.arange(checked), NAME, draws), _per_case(checked, draws)
    )

    times: dict[tuple[int, str], list[float]] = {}
    for _ in range(options.rounds):
        for n in sizes:
            index = np.arange(n)
            loop = min(n, options.loop_cases)
            measured = {
                "per case": cpu_seconds(lambda loop=loop: _per_case(loop, draws)) / loop,
                "vector": cpu_seconds(lambda index=index: uniforms(SEED, index, NAME, draws)) / n,
                "seeding": cpu_seconds(lambda index=index: Streams.open(SEED, index, NAME)) / n,
                "floor": cpu_seconds(lambda n=n: np.random.default_rng(SEED).random((n, draws)))
                / n,
            }
            for what, seconds in measured.items():
                times.setdefault((n, what), []).append(seconds * 1e6)

    print(f"stream {NAME!r}, seed {SEED}, {draws} doubles per stream, median of {options.rounds}")
    print(f"same values per case and vectorised ({checked} cases): {'yes' if same else 'NO'}")
    header = ("cases", "per case", "vector", "of which seeding", "floor", "per case ÷ vector")
    print("{:>9} {:>12} {:>10} {:>17} {:>9} {:>18} {:>15}".format(*header, "vector ÷ floor"))
    for n in sizes:
        m = {
            what: statistics.median(times[(n, what)])
            for what in ("per case", "vector", "seeding", "floor")
        }
        print(
            f"{n:>9} {m['per case']:>9.2f} µs {m['vector']:>7.3f} µs {m['seeding']:>14.3f} µs"
            f" {m['floor']:>6.3f} µs {m['per case'] / m['vector']:>17.1f}×"
            f" {m['vector'] / m['floor']:>14.1f}×"
        )
    print("µs are CPU time per stream per case (its seeding and its draws).")


if __name__ == "__main__":
    main()
