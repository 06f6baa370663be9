"""The sampled digest: the isolation model's when a scenario leaves it out, else the given one."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import numpy as np

from isletflow.model import isolation
from isletflow.model.parameters import DEFAULT
from isletflow.sampling import PlanSampler, stream
from isletflow.scenario import Scenario
from strategies_sim import EXAMPLES, standard


def _modelled(**changes: Any) -> Scenario:
    data = standard()
    del data["preparation"]["digest_ieq"]
    for section, values in changes.items():
        data.setdefault(section, {}).update(values)
    return Scenario.from_mapping(data)


def _digests(scenario: Scenario, n: int = 60, seed: int = 3) -> np.ndarray:
    plans = PlanSampler(scenario)
    return np.array([plans.sample(seed, i).digest_ieq for i in range(n)])


def test_a_stated_digest_is_kept():
    """A scenario that states its digest gets exactly that value, whatever the donor."""
    data = standard()
    data["timings"]["cold_ischemia"] = "11h"
    plan = PlanSampler(Scenario.from_mapping(data)).sample(5, 0)
    assert plan.digest_ieq == data["preparation"]["digest_ieq"]


def test_a_left_out_digest_is_the_model_at_the_isolation_streams_draw():
    """Left out, the digest is the model's median for this donor at the isolation stream's draw."""
    scenario = _modelled()
    plan = PlanSampler(scenario).sample(9, 4)
    p = DEFAULT.isolation
    median = isolation.median_digest_ieq(
        scenario.donor.age_years, p.reference_bmi, 6.0, "UW", p
    )  # standard.yaml: 6 h of cold ischaemia in UW, no BMI given
    expected = isolation.digest_ieq(median, stream(9, 4, "isolation").random(), p)
    assert plan.digest_ieq == round(float(expected))


def test_the_modelled_digest_is_reproduced_by_the_seed():
    """Two samplers of one scenario draw the same digests; another seed draws others."""
    scenario = _modelled()
    assert (_digests(scenario) == _digests(scenario)).all()
    assert (_digests(scenario) != _digests(scenario, seed=4)).any()


def test_more_cold_ischaemia_gives_every_case_a_smaller_digest():
    """Each case (same draw) yields less after 10 h of cold ischaemia than after 4 h."""
    short = _digests(_modelled(timings={"cold_ischemia": "4h"}))
    long = _digests(_modelled(timings={"cold_ischemia": "10h"}))
    assert (long < short).all()


def test_an_older_donor_gives_every_case_a_smaller_digest():
    """Each case (same draw) yields less from a 60-year-old donor than from a 25-year-old."""
    young = _digests(_modelled(donor={"age_years": 25}))
    old = _digests(_modelled(donor={"age_years": 60}))
    assert (old < young).all()


def test_a_heavier_donor_gives_every_case_a_larger_digest():
    """Each case yields more at BMI 34 than at 22; no BMI is the model's reference donor's."""
    light = _digests(_modelled(donor={"bmi_kg_per_m2": 22}))
    heavy = _digests(_modelled(donor={"bmi_kg_per_m2": 34}))
    assert (heavy > light).all()
    reference = _digests(_modelled(donor={"bmi_kg_per_m2": DEFAULT.isolation.reference_bmi}))
    assert (reference == _digests(_modelled())).all()


def test_modelling_the_digest_changes_no_other_draw():
    """Leaving the digest out changes the digest and what follows from it, nothing else."""
    stated = PlanSampler(Scenario.from_mapping(standard())).sample(2, 1)
    modelled = PlanSampler(_modelled()).sample(2, 1)
    assert modelled.timings == stated.timings
    assert modelled.donor == stated.donor
    same = {k: v for k, v in modelled.release_tests.items() if k != "ieq"}
    assert same == {k: v for k, v in stated.release_tests.items() if k != "ieq"}


def test_an_unknown_solution_has_no_effect_on_the_modelled_digest():
    """A solution added on purpose (refused before isolation) gives the reference digest."""
    saline = _modelled(
        donor={"preservation_solution": "saline"},
        extra_terms={"preservation_solution": ["saline"]},
    )
    assert (_digests(saline) == _digests(_modelled())).all()


def test_on_the_population_yield_falls_with_cold_ischaemia_and_donor_age():
    """population.yaml: the longer-ischaemia and older-donor halves yield less, by many SEs."""
    population = Scenario.load(EXAMPLES / "population.yaml")
    assert population.preparation.digest_ieq is None  # the population's digest is the model's
    plans = [PlanSampler(population).sample(2026, i) for i in range(4000)]
    log_digest = np.log([p.digest_ieq for p in plans])
    hours = np.array([p.timings.cold_ischemia / timedelta(hours=1) for p in plans])
    ages = np.array([p.donor.age_years for p in plans])
    for exposure in (hours, ages):
        high = exposure > np.median(exposure)
        a, b = log_digest[~high], log_digest[high]
        se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        assert a.mean() - b.mean() > 4 * se
