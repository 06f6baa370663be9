"""A chunk's vectorised streams equal the per-case ``sampling.stream``, bit for bit."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from isletflow.errors import InvalidInput
from isletflow.sampling import stream
from isletflow.vector.infusion import _READINGS, Readings
from isletflow.vector.pcg import seed_rows
from isletflow.vector.streams import Streams, _word_array, uniforms

SEEDS = [0, 1, 2026, 2**32 - 1, 2**32, 2**63, 2**64 - 1, 2**64, 2**96 + 5, 10**40]
NAMES = ["donor", "donor2.timings", "donor3.release", "portal_pressure.readings", ""]
# One entropy word below 2**32, two from 2**32: both groups, and their edges.
INDICES = [0, 1, 2, 17, 999, 2**31, 2**32 - 1, 2**32, 2**32 + 1, 2**40 + 3, 2**63 - 1]


def _reference(seed: int, index: list[int], name: str, count: int, start: int = 0) -> np.ndarray:
    """Row r: doubles ``start`` to ``start + count - 1`` of the per-case stream."""
    rows = [stream(seed, i, name).random(start + count)[start:] for i in index]
    return np.array(rows, dtype=np.float64).reshape(len(index), count)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_row_is_the_per_case_stream(seed: int) -> None:
    """Row r of ``uniforms`` is the first draws of ``stream(seed, index[r], name)``, exactly."""
    for name in NAMES:
        got = uniforms(seed, np.array(INDICES, dtype=np.int64), name, 5)
        assert got.dtype == np.float64
        assert np.array_equal(got, _reference(seed, INDICES, name, 5))


@pytest.mark.parametrize("seed", [0, 2**32 - 1, 2**32, 2**63, 10**40])
def test_raw_outputs_and_states_are_numpys(seed: int) -> None:
    """The seeded states, and the 64-bit outputs, are PCG64's own for every row."""
    streams = Streams.open(seed, INDICES, "donor2.timings")
    generators = [stream(seed, i, "donor2.timings").bit_generator for i in INDICES]
    for row, generator in enumerate(generators):
        assert streams.state(row) == generator.state["state"]
    raw = streams.raw(7)
    assert raw.dtype == np.uint64
    expected = np.array([generator.random_raw(7) for generator in generators], dtype=np.uint64)
    assert np.array_equal(raw, expected)


@pytest.mark.parametrize("key", [0, 1, 2**32 - 1, 2**32, 2**64 - 1])
@pytest.mark.parametrize("seed", [0, 2**32, 2**96 + 5])
def test_name_keys_of_one_or_two_words_seed_as_numpy_does(seed: int, key: int) -> None:
    """A name's key may be one entropy word or two (no real name found below 2**32)."""
    index = np.array([0, 5, 2**32 - 1, 2**32, 2**64 - 1], dtype=np.uint64)
    states = np.empty((index.size, 4), dtype=np.uint64)
    seed_rows(_word_array(seed), index, _word_array(key), states)
    high, low, inc_high, inc_low = states.T
    for row, i in enumerate(index.tolist()):
        state = np.random.PCG64(np.random.SeedSequence([seed, i, key])).state["state"]
        assert state["state"] == int(high[row]) << 64 | int(low[row])
        assert state["inc"] == int(inc_high[row]) << 64 | int(inc_low[row])


@pytest.mark.parametrize("size", [0, 1, 7])
@pytest.mark.parametrize("count", [0, 1, 3])
def test_shapes_for_empty_single_and_odd_chunks(size: int, count: int) -> None:
    """``(len(index), count)`` for chunks of 0, 1 and an odd number of cases, and 0 draws."""
    index = list(range(100, 100 + size))
    got = uniforms(2026, index, "donor", count)
    assert got.shape == (size, count)
    assert got[:, :1].flags.c_contiguous  # one draw of every case, as a model reads it
    assert np.array_equal(got, _reference(2026, index, "donor", count))


def test_index_dtypes_give_the_same_rows() -> None:
    """A list, int32, int64 or uint64 array of the same indices draws the same values."""
    index = [0, 3, 65_537, 2**31 - 1]
    expected = _reference(7, index, "recipient", 2)
    for given_index in (index, *(np.array(index, dtype=d) for d in ("i4", "i8", "u4", "u8"))):
        assert np.array_equal(uniforms(7, given_index, "recipient", 2), expected)


def test_indices_past_uint64_go_through_the_per_case_seeding() -> None:
    """Indices from 2**64 (an object array) are seeded by ``stream`` itself, among others."""
    index = [4, 2**64 - 1, 2**64, 2**70 + 9, 12]
    got = uniforms(11, np.array(index, dtype=object), "donor", 4, start=2)
    assert np.array_equal(got, _reference(11, index, "donor", 4, start=2))


def test_draws_go_on_where_they_stopped() -> None:
    """``random(3)`` then ``random(2)`` is ``random(5)``; ``start`` and ``advance`` skip draws."""
    index = np.arange(0, 40, 3)
    streams = Streams.open(2026, index, "portal_pressure.readings")
    together = np.hstack([streams.random(3), streams.random(2)])
    assert np.array_equal(together, uniforms(2026, index, "portal_pressure.readings", 5))
    for start in (1, 2, 13, 1000):
        expected = _reference(2026, index.tolist(), "portal_pressure.readings", 2, start=start)
        assert np.array_equal(
            uniforms(2026, index, "portal_pressure.readings", 2, start=start), expected
        )
    streams = Streams.open(5, index, "x")
    streams.advance(2**70 + 3)
    generator = stream(5, int(index[3]), "x").bit_generator
    generator.advance(2**70 + 3)
    assert streams.state(3) == generator.state["state"]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: uniforms(-1, [0], "donor", 1), "seed"),
        (lambda: uniforms(True, [0], "donor", 1), "seed"),
        (lambda: uniforms(1.5, [0], "donor", 1), "seed"),
        (lambda: uniforms(0, [0, -3], "donor", 1), "index"),
        (lambda: uniforms(0, [0.5], "donor", 1), "index"),
        (lambda: uniforms(0, [[1, 2]], "donor", 1), "index"),
        (lambda: uniforms(0, np.array([1, -(2**80)], dtype=object), "donor", 1), "index"),
        (lambda: uniforms(0, [1], "donor", -1), "count"),
        (lambda: uniforms(0, [1], "donor", 1, start=-2), "steps"),
    ],
)
def test_bad_input_names_the_field(call: Callable[[], object], field: str) -> None:
    """A negative or non-whole seed, index, count or start is refused, naming the field."""
    with pytest.raises(InvalidInput) as caught:
        call()
    assert caught.value.problems[0].location == field


@given(
    seed=st.integers(0, 2**130),
    index=st.lists(st.integers(0, 2**63 - 1), max_size=12),
    name=st.text(max_size=12),
    count=st.integers(0, 4),
    cut=st.integers(0, 12),
)
def test_chunking_never_changes_a_row(
    seed: int, index: list[int], name: str, count: int, cut: int
) -> None:
    """Any seed, indices and name: two chunks give the rows one chunk gives, and numpy's."""
    whole = uniforms(seed, np.array(index, dtype=np.int64), name, count)
    parts = [uniforms(seed, index[:cut], name, count), uniforms(seed, index[cut:], name, count)]
    assert np.array_equal(np.vstack(parts), whole)
    assert np.array_equal(whole, _reference(seed, index, name, count))


@given(steps=st.integers(0, 2**128 - 1), index=st.integers(0, 2**63 - 1))
def test_advance_is_pcg64s(steps: int, index: int) -> None:
    """Skipping any number of draws lands where ``PCG64.advance`` lands."""
    streams = Streams.open(2026, [index], "donor")
    streams.advance(steps)
    generator = stream(2026, index, "donor").bit_generator
    generator.advance(steps)
    assert streams.state(0) == generator.state["state"]
    assert np.array_equal(streams.raw(2)[0], generator.random_raw(2))


def test_take_moves_on_the_rows_taken_only() -> None:
    """take(rows, k) gives those rows' next k draws; the others stay at their draw."""
    streams = Streams.open(5, np.arange(4), "portal_pressure.readings")
    first = streams.take([1, 3], 3)
    second = streams.take([0, 1], 2)
    reference = _reference(5, [0, 1, 2, 3], "portal_pressure.readings", 5)
    assert np.array_equal(first, reference[[1, 3], :3])
    assert np.array_equal(second[0], reference[0, :2])
    assert np.array_equal(second[1], reference[1, 3:5])


def test_readings_are_each_cases_stream_in_order_whoever_reads_first() -> None:
    """The infusion's readings: a case read first late (its stream opened then) and cases read
    past a block of draws get their own stream's values, one after another."""
    index = np.array([7, 3, 11])
    readings = Readings(9, index, "portal_pressure.readings")
    seen: list[list[float]] = [[], [], []]
    for step in range(2 * _READINGS + 3):
        rows = np.array([0, 1] if step < 5 else [0, 1, 2])  # case 11 read from step 5 on
        for row, value in zip(rows.tolist(), readings.next(rows).tolist(), strict=True):
            seen[row].append(value)
    for row, case in enumerate(index.tolist()):
        expected = _reference(9, [case], "portal_pressure.readings", len(seen[row]))[0]
        assert seen[row] == expected.tolist()
