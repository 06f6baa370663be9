"""On the bundled population, outcomes follow the model's directions by more than chance explains.

The issue's done-when, computed from the per-case simulation directly (``simulate``, case by
case), not from the cohort summary: bleeding per infused percutaneous procedure is well below with
the track sealed than without; thrombosis is more frequent with more tissue. (The digest falling
with cold ischaemia and donor age is held on the same population by
``test_sampling_yield.test_on_the_population_yield_falls_with_cold_ischaemia_and_donor_age``.)
Each difference must be more than ``Z`` standard errors from zero: a difference chance alone
would reach less than once in a thousand runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

import pytest

from isletflow.models import Approach
from isletflow.sampling import PlanSampler
from isletflow.scenario import Scenario
from isletflow.simulation import simulate

POPULATION = Path(__file__).parents[1] / "examples" / "scenarios" / "population.yaml"
CASES = 3000
SEED = 12
Z = 3.3  # one-sided p < 0.0005


@dataclass(frozen=True)
class Procedure:
    """What one simulated case says about the relations under test."""

    infused: bool
    percutaneous: bool
    sealed: bool
    tissue_volume_ml: float | None
    bled: bool
    thrombosed: bool


@pytest.fixture(scope="module")
def procedures() -> list[Procedure]:
    return simulated()


def simulated(cases: int = CASES, seed: int = SEED) -> list[Procedure]:
    """The bundled population's first ``cases`` cases under ``seed``, one ``Procedure`` each."""
    scenario = Scenario.load(POPULATION)
    sampler = PlanSampler(scenario)
    found = []
    for index in range(cases):
        case = simulate(scenario, seed=seed, index=index, sampler=sampler)
        record = case.record
        kinds = {c.kind for c in record.complications}
        found.append(
            Procedure(
                infused=record.infusion_completed_at is not None,
                percutaneous=case.approach is Approach.PERCUTANEOUS,
                sealed=record.track_sealant is not None,
                tissue_volume_ml=None
                if record.preparation is None
                else record.preparation.tissue_volume_ml,
                bled="bleeding" in kinds,
                thrombosed="portal_vein_thrombosis" in kinds,
            )
        )
    return found


def _z_for_rates(low: list[bool], high: list[bool]) -> float:
    """How many standard errors the rate of ``high`` lies above that of ``low``."""
    p_low, p_high = fmean(low), fmean(high)
    se = math.sqrt(p_low * (1 - p_low) / len(low) + p_high * (1 - p_high) / len(high))
    return (p_high - p_low) / se


def test_a_sealed_track_bleeds_well_below_an_open_one(procedures: list[Procedure]) -> None:
    """Per infused percutaneous procedure: sealed tracks bleed in far fewer than open ones."""
    infused = [p for p in procedures if p.infused and p.percutaneous]
    sealed = [p.bled for p in infused if p.sealed]
    open_ = [p.bled for p in infused if not p.sealed]
    assert min(len(sealed), len(open_)) > 300
    assert _z_for_rates(sealed, open_) > Z
    assert fmean(sealed) < fmean(open_) / 2


def test_thrombosis_rises_with_tissue_volume(procedures: list[Procedure]) -> None:
    """Per infused procedure: 5 mL or more of tissue [S15] thromboses more often than less."""
    infused = [(p.tissue_volume_ml or 0.0, p.thrombosed) for p in procedures if p.infused]
    small = [thrombosed for volume, thrombosed in infused if volume < 5]
    large = [thrombosed for volume, thrombosed in infused if volume >= 5]
    assert min(len(small), len(large)) > 300
    assert _z_for_rates(small, large) > Z
