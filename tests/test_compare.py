"""Paired comparisons: common random numbers, the paired interval, the width it saves."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from isletflow.cli import main
from isletflow.cli.casefile import load_scenario
from isletflow.cohort import cohort_outcomes, simulate_cohort
from isletflow.compare import compare, paired_differences, random_fields
from isletflow.course_run import course_record, simulate_course
from isletflow.errors import InvalidInput
from isletflow.outcomes import OUTCOMES, rates
from isletflow.scenario import Scenario

POPULATION = load_scenario("population")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "psa"


def test_outcomes_come_back_in_recipient_order_however_the_cohort_is_split():
    """Chunks of 5 on two processes, or on the per-case engine here, give each recipient's
    outcomes in its own row: the same array."""
    one = cohort_outcomes(POPULATION, 23, 7, workers=1)
    assert one.shape == (23, 2, len(OUTCOMES))
    found: list[np.ndarray] = []
    simulate_cohort(POPULATION, 23, 7, workers=2, chunk_size=5, outcomes=found.append)
    assert [len(part) for part in found] == [5, 5, 5, 5, 3]
    assert np.array_equal(np.concatenate(found), one)
    found.clear()
    simulate_cohort(POPULATION, 23, 7, workers=1, engine="case", outcomes=found.append)
    assert np.array_equal(np.concatenate(found), one)


def test_outcomes_from_the_records_are_the_cohort_summary_rates():
    """Each outcome read from the records is the rate the cohort's summary gives."""
    summary = simulate_cohort(POPULATION, 12, 7, workers=1)
    found = dict(zip(OUTCOMES, rates(cohort_outcomes(POPULATION, 12, 7, workers=1)), strict=True))
    course = summary.course
    assert found["insulin_independent_one_year_after_last"] == pytest.approx(
        course.insulin_independent_one_year_after_last.rate, abs=1e-4
    )
    assert found["infusions_per_recipient"] == pytest.approx(
        course.infusions_per_recipient, abs=1e-4
    )
    bleeding = summary.complications.get("bleeding")
    assert found["bleeding_per_procedure"] == pytest.approx(
        bleeding.rate if bleeding else 0.0, abs=1e-6
    )
    year_5 = next(y for y in course.follow_up if y.year == 5)
    assert found["graft_function_year_5"] == pytest.approx(year_5.graft_function.rate, abs=1e-4)


def test_a_scenario_compared_with_itself_differs_by_nothing():
    """Same seed, same scenario: every difference and every paired width is zero."""
    result = compare(POPULATION, POPULATION, 4, workers=1)
    assert result.unpaired_fields == []
    for name, d in result.outcomes.items():
        if d.a is None:
            continue
        assert (d.difference, d.paired_width, d.width_ratio) == (0.0, 0.0, None), name
        assert d.a == d.b


def test_the_paired_interval_of_a_known_shift():
    """B = A + 1 for every recipient: the difference is 1 with no paired spread, while the
    independent-streams interval keeps both arms' variances."""
    rng = np.random.default_rng(3)
    a = np.ones((50, 2, len(OUTCOMES)))
    a[:, 0, :] = rng.random((50, len(OUTCOMES)))
    b = a.copy()
    b[:, 0, :] += 1
    found = paired_differences(a, b)
    first = found["infusions_per_recipient"]
    assert first.difference == pytest.approx(1.0)
    assert first.paired_width == pytest.approx(0.0, abs=1e-9)
    var = float(np.var(a[:, 0, 1], ddof=1))
    assert first.independent_width == pytest.approx(2 * 1.959964 * np.sqrt(2 * var / 50), rel=1e-4)


def test_random_fields_name_what_would_break_the_pairing():
    """A field random in one scenario and fixed in the other is reported; values are not."""
    sealed = Scenario.load(EXAMPLES / "tracks_sealed.yaml")
    opened = Scenario.load(EXAMPLES / "tracks_open.yaml")
    assert random_fields(sealed) == random_fields(opened)
    assert random_fields(POPULATION) ^ random_fields(sealed) == {"treatment.track_sealant"}


def test_a_comparison_needs_two_recipients():
    """One recipient gives no interval: refused, naming n."""
    with pytest.raises(InvalidInput, match="n: 1 must be 2 or more"):
        compare(POPULATION, POPULATION, 1, workers=1)


def test_compare_command_prints_json_and_a_table():
    """compare A B --json exits 0 with every outcome; the table names both scenarios."""
    sealed, opened = str(EXAMPLES / "tracks_sealed.yaml"), str(EXAMPLES / "tracks_open.yaml")
    done = CliRunner().invoke(
        main, ["compare", sealed, opened, "--n", "3", "--workers", "1", "--json"]
    )
    assert done.exit_code == 0, done.output
    found = json.loads(done.stdout)
    assert set(found["outcomes"]) == set(OUTCOMES)
    assert found["unpaired_fields"] == []
    table = CliRunner().invoke(main, ["compare", sealed, opened, "--n", "2", "--workers", "1"])
    assert table.exit_code == 0, table.output
    assert "B (tracks_open) - A (tracks_sealed)" in table.stdout
    assert CliRunner().invoke(main, ["compare", sealed, opened, "--n", "1"]).exit_code == 2
    missing = CliRunner().invoke(main, ["compare", sealed, "no-such.yaml", "--n", "2"])
    assert missing.exit_code == 1
    assert "Traceback" not in missing.output


def test_compare_and_psa_take_a_dask_address_or_workers_not_both():
    """--dask reaches the cohort's Dask executor (a bad address is named); with --workers, a
    usage error."""
    pytest.importorskip("distributed")
    bad = CliRunner().invoke(main, ["compare", "standard", "standard", "--n", "2", "--dask", "x"])
    assert bad.exit_code == 1
    assert "is not a Dask scheduler's address" in bad.output
    both = ["psa", "standard", "--draws", "2", "--n", "2", "--dask", "x", "--workers", "1"]
    assert CliRunner().invoke(main, both).exit_code == 2


def test_recipients_draw_the_same_in_both_scenarios_where_they_agree():
    """Common random numbers by construction: under CIT's and Lantidra's later-dose minimum,
    recipient i's enrolment and first procedure are the same, value for value."""
    cit = Scenario.load(EXAMPLES / "dose_cit.yaml")
    lantidra = Scenario.load(EXAMPLES / "dose_lantidra.yaml")
    for index in range(3):
        a = course_record(simulate_course(cit, 11, index))
        b = course_record(simulate_course(lantidra, 11, index))
        assert a["eligible"] == b["eligible"]
        assert a["procedures"][:1] == b["procedures"][:1]
