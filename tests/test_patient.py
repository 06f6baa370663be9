"""The recipient's model: portal pressure over the infusion, and the share of a stopped infusion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from isletflow import library
from isletflow.patient import Patient
from isletflow.sampling import CasePlan, PlanSampler
from isletflow.simulation import simulate

START = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def _plan(name: str = "partial_dose") -> CasePlan:
    return PlanSampler(library.load(name)).sample(1, 0)


def _infused_for(plan: CasePlan, share: float) -> Patient:
    patient = Patient(plan)
    patient.sync(START, False)
    patient.sync(START + plan.timings.infusion * share, True)
    return patient


@pytest.mark.parametrize(
    ("share", "stopped"),
    [(0.0, 0.001), (0.0004, 0.001), (0.6667, 0.666), (0.8, 0.8), (0.9999, 0.999), (1.0, 1.0)],
)
def test_a_stopped_infusion_delivers_the_share_in_floored_to_the_thousandth(
    share: float, stopped: float
) -> None:
    """The share infused, floored to the thousandth, at least 0.001, and 1.0 once all is in."""
    assert _infused_for(_plan(), share).fraction_if_stopped() == stopped


def test_pausing_keeps_the_share_infused() -> None:
    """Time without infusing lowers the pressure but not the share a stop would deliver."""
    patient = _infused_for(_plan(), 0.5)
    before = (patient.fraction_if_stopped(), patient.excess_mmhg)
    patient.sync(START + timedelta(days=1), False)
    assert patient.fraction_if_stopped() == before[0]
    assert patient.excess_mmhg < before[1]


def test_the_simulator_stops_a_paused_infusion_by_the_patients_rule() -> None:
    """partial_dose's simulated case records exactly the share the Patient rule gives."""
    case = simulate(library.load("partial_dose"))
    plan = _plan()
    started = case.record.infusion_started_at
    assert started is not None
    paused_at = next(e.at for e in case.timeline if e.kind == "automatic")
    share = (paused_at - started) / plan.timings.infusion
    assert case.record.fraction_delivered == _infused_for(plan, share).fraction_if_stopped()
    assert case.record.fraction_delivered == 0.8
