"""The vector path's two interfaces agree with the per-case sampler they stand for."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from isletflow.distributions import Normal, Range, Uniform
from isletflow.draws import sampler, values
from isletflow.sampling import stream
from isletflow.vector.streams import uniforms


def test_a_chunks_rows_are_each_cases_own_stream() -> None:
    index = np.array([0, 7, 3, 12345])
    rows = uniforms(2026, index, "donor2.timings", 3)
    assert rows.shape == (4, 3)
    for row, i in zip(rows, index.tolist(), strict=True):
        assert np.array_equal(row, stream(2026, i, "donor2.timings").random(3))


class _Next:
    def __init__(self, u: float) -> None:
        self.u = u

    def random(self) -> float:
        return self.u


def test_values_are_what_the_sampler_draws_for_each_uniform() -> None:
    u = np.array([0.0, 0.25, 0.5, 0.999])
    span = Range(0, 100, decimals=1)
    for value in (Normal(mean=60, sd=14), Uniform(low=2, high=4)):
        expected = [sampler(value, span)(_Next(x)) for x in u.tolist()]
        assert values(value, u, span).tolist() == expected
    times = values(Uniform(low=timedelta(hours=2), high=timedelta(hours=4)), u)
    assert times.dtype == np.dtype("timedelta64[us]")
    assert times[0] == np.timedelta64(2 * 3600 * 10**6, "us")
