"""The cohort counts per procedure: complications over infusions, pauses, rates by group."""

from __future__ import annotations

import pytest

from isletflow.cohort import CohortSummary, Tally, simulate_cohort
from isletflow.report import summary_table
from isletflow.scenario import Scenario
from isletflow.simulation import simulate
from strategies_sim import EXAMPLES, standard


@pytest.fixture(scope="module")
def population() -> CohortSummary:
    scenario = Scenario.load(EXAMPLES / "population.yaml")
    return simulate_cohort(scenario, n=250, seed=1, workers=1)


def test_complication_rates_are_over_the_infused_procedures(population: CohortSummary):
    """Each complication's rate is its count over the procedures, not over all cases."""
    procedures = population.infused.count
    assert 0 < procedures < population.cases
    for count in population.complications.values():
        assert count.rate == round(count.count / procedures, 6)
    paused = population.infusion_paused
    assert paused.rate == round(paused.count / procedures, 6)


def test_the_groups_add_up_to_the_whole(population: CohortSummary):
    """By approach and by sealant, the procedures and each complication sum to the totals."""
    assert set(population.groups) == {"approach", "sealant"}
    for values in population.groups.values():
        infused = sum(v["infused"].count for v in values.values())
        assert infused == population.infused.count
        for kind, total in population.complications.items():
            assert sum(v[kind].count for v in values.values() if kind in v) == total.count
        for counts in values.values():
            first, *rest = counts  # the procedures come first
            assert first == "infused"
            for kind in rest:
                assert counts[kind].rate == round(counts[kind].count / counts["infused"].count, 6)


def test_surgical_access_is_grouped_as_no_track(population: CohortSummary):
    """Open and laparoscopic procedures have no track to seal: grouped as 'no track'."""
    surgical = sum(
        population.groups["approach"][a]["infused"].count
        for a in ("open", "laparoscopic")
        if a in population.groups["approach"]
    )
    assert population.groups["sealant"]["no track"]["infused"].count == surgical


def test_a_pause_counts_however_the_infusion_then_ends():
    """A pause at the last reading, with all of the product in, still counts as a pause."""
    data = standard()
    data["portal_pressure"]["rise_mmhg_per_ml"] = 1.667  # reaches the stop limit at the end
    case = simulate(Scenario.from_mapping(data))
    assert not any(r.state == "infuse.paused" for r in case.record.portal_pressures)
    assert case.record.fraction_delivered == 1.0
    tally = Tally()
    tally.add(case)
    assert tally.paused == 1


def test_the_summary_table_prints_the_groups(population: CohortSummary):
    """`isletflow cohort`'s table shows complications per procedure by approach and sealant."""
    text = summary_table(population)
    assert "by approach" in text
    assert "by sealant" in text
    assert "  percutaneous: infused" in text
