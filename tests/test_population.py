"""On the bundled population, outcomes follow the model's directions by more than chance explains.

The issue's done-when, computed from the per-case simulation directly (``simulate``, case by
case), not from the cohort summary: bleeding per infused percutaneous procedure is well below with
the track sealed than without; thrombosis is more frequent with more tissue; the digest is smaller
with longer cold ischaemia and with older donors. Each difference must be more than ``Z`` standard
errors from zero: a difference chance alone would reach less than once in a thousand runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from statistics import fmean, median, variance

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

    donor_age: int
    cold_ischemia_hours: float | None
    digest_ieq: float | None
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
        started = record.isolation_started_at
        kinds = {c.kind for c in record.complications}
        found.append(
            Procedure(
                donor_age=case.donor.age_years,
                cold_ischemia_hours=None
                if started is None
                else (started - case.donor.cross_clamp_at) / timedelta(hours=1),
                digest_ieq=record.digest_ieq,
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


def _z_for_means(low: list[float], high: list[float]) -> float:
    """How many standard errors the mean of ``high`` lies above that of ``low`` (Welch)."""
    se = math.sqrt(variance(low) / len(low) + variance(high) / len(high))
    return (fmean(high) - fmean(low)) / se


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


def _log_digests(procedures: list[Procedure], key: str) -> tuple[list[float], list[float]]:
    """Log digests of the cases below and above the median of ``key``."""
    isolated = [
        (float(getattr(p, key)), math.log(p.digest_ieq)) for p in procedures if p.digest_ieq
    ]
    middle = median(x for x, _ in isolated)
    below = [log for x, log in isolated if x < middle]
    above = [log for x, log in isolated if x > middle]
    return below, above


@pytest.mark.parametrize("key", ["cold_ischemia_hours", "donor_age"])
def test_the_digest_falls_with_cold_ischemia_and_donor_age(
    procedures: list[Procedure], key: str
) -> None:
    """Longer cold ischaemia and older donors give smaller digests [S48, S49]."""
    below, above = _log_digests(procedures, key)
    assert min(len(below), len(above)) > 500
    assert _z_for_means(above, below) > Z
