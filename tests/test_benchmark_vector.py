"""The vector path's benchmark runs on a tiny cohort and counts the uniforms it compares with."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from isletflow.scenario import Scenario
from isletflow.vector.streams import Streams

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def vector() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import vector

        yield vector
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_counting_uniforms_counts_every_output_and_puts_the_draw_back(vector: ModuleType) -> None:
    """Every draw of every row is counted while counting (all rows or some), and
    Streams._draw is untouched after."""
    original = Streams._draw
    with vector.counting_uniforms() as total:
        streams = Streams.open(7, np.arange(5), "graft")
        streams.random(3)
        streams.raw(2)
        streams.take([1, 3], 4)
    assert total == [5 * 3 + 5 * 2 + 2 * 4]
    assert Streams._draw is original


def test_the_floor_draws_what_the_vector_path_draws(vector: ModuleType) -> None:
    """A cohort of population.yaml draws a few dozen uniforms per recipient (each donor's
    streams), and more recipients draw proportionally as many."""
    scenario = Scenario.load(vector.POPULATION)
    small = vector.uniforms_per_recipient(scenario, 200)
    assert 10 < small < 500
    assert vector.uniforms_per_recipient(scenario, 400) == pytest.approx(small, rel=0.2)


def test_the_benchmark_prints_every_figure_and_ratio(
    vector: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    """One tiny run prints the three contenders, both ratios, the speed-up and the peaks."""
    vector.main(["--n", "300", "--per-case", "3", "--rounds", "1", "--cohort-n", "400"])
    out = capsys.readouterr().out
    for line in ("per-case engine", "vector path", "numpy floor", "per-case ÷ vector",
                 "vector ÷ floor", "speed-up", "same summary: True", "peak RSS"):  # fmt: skip
        assert line in out, line
