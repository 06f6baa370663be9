"""The recipient during the infusion: portal pressure, and how much of the product is in.

``Patient`` is the one model of the recipient's portal pressure. The simulator moves it along
with every move of its policy; the training lab replays a trainee's timeline into it, so a trainee
reads the values the simulator would. The rule for stopping a paused infusion part-way
(``fraction_if_stopped``) lives here too, for the same reason: both drivers ask it.

What happens to the patient is drawn here too, where it applies, from what the case recorded.
Each risk comes from ``isletflow.model`` with the case's own values and is realised with a draw
from the case's own named stream (``complications.bleeding``, ``complications.thrombosis``): the
draw never depends on the risk, so a choice that lowers the odds (sealing the track, less tissue)
changes whether the event happens, never which numbers the rest of the case sees. A scenario's
fixed chance (``ComplicationsSpec``), when given, replaces the model's risk.

The recipient's platelets and aspirin come from the ``Recipient`` (platelets not given: not under
the threshold); the procedure is a first one. A bleed's management is the next draw of its stream
(``bleed_management``); a thrombosis's extent the next draw of its own. No step records
therapeutic (systemic) heparinisation before a thrombosis, Kawahara's first preventive measure
[S15]: the heparin in the product is not it, and ``treat_complication`` anticoagulation treats a
thrombosis already found, so the measure counts as missing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from .elementwise import normal_quantile
from .model import management_steps, occurs
from .model.bleeding import MANAGEMENTS, ManagementStep, bleeding_probability, management
from .model.parameters import DEFAULT
from .model.pressure import pressure_rise_mmhg
from .model.thrombosis import main_branch, thrombosis_probability, track_ablated
from .models import Approach
from .record import CaseRecord
from .sampling import CasePlan

__all__ = [
    "DOPPLER",
    "Patient",
    "bleed_management",
    "bleeding_risk",
    "bleeds",
    "bleeds_after",
    "planned_sealant",
    "pressure_rise",
    "thrombosis",
    "thrombosis_after",
    "thrombosis_risk",
]

_ZERO = timedelta(0)


class Patient:
    """The recipient's portal pressure: a baseline plus a transient rise (see the scenario).

    Infusing adds ``rise_mmhg_per_ml`` per mL of tissue, in step with the share infused; while
    not infusing, the rise falls with the plan's half-life [S45]. Each reading adds noise drawn
    from the case's own ``portal_pressure.readings`` stream.
    """

    __slots__ = ("_at", "_plan", "_rise_per_second", "_rng", "excess_mmhg", "infused")

    def __init__(self, plan: CasePlan) -> None:
        self._plan = plan
        self._at: datetime | None = None
        self._rng: Any = None
        infusion = plan.timings.infusion.total_seconds()
        slope = plan.model.pressure.model_copy(update={"rise_mmhg_per_ml": plan.rise_mmhg_per_ml})
        rise = pressure_rise_mmhg(plan.tissue_volume_ml, plan.liver_volume_ratio, slope)
        self._rise_per_second = float(rise) / infusion
        self.excess_mmhg = 0.0
        self.infused = _ZERO

    @property
    def fraction_infused(self) -> float:
        return min(1.0, self.infused / self._plan.timings.infusion)

    def fraction_if_stopped(self) -> float:
        """The share delivered if the infusion is stopped now (completed while paused).

        The share infused, floored to the thousandth and at least 0.001 (a started infusion
        delivered something); 1.0 once all of the product is in.
        """
        fraction = self.fraction_infused
        if fraction >= 1:
            return 1.0
        return max(0.001, math.floor(fraction * 1000) / 1000)

    @property
    def synced_at(self) -> datetime | None:
        """When the patient was last brought up to date (None: never)."""
        return self._at

    def readings_state(self) -> dict[str, Any] | None:
        """Where the readings stream stands, to go on from (None: no reading drawn yet)."""
        return None if self._rng is None else dict(self._rng.bit_generator.state)

    def resume(
        self,
        at: datetime | None,
        excess_mmhg: float,
        infused: timedelta,
        readings: dict[str, Any] | None,
    ) -> None:
        """Stand where ``synced_at``, ``excess_mmhg``, ``infused`` and ``readings_state`` said."""
        self._at, self.excess_mmhg, self.infused = at, excess_mmhg, infused
        if readings is not None:
            self._rng = self._plan.stream("portal_pressure.readings")
            self._rng.bit_generator.state = readings

    def sync(self, now: datetime, infusing: bool) -> None:
        """Bring the patient to ``now``, having been infused (or not) since the last sync."""
        if self._at is not None and now > self._at:
            self.excess_mmhg, self.infused = self._after(now - self._at, infusing)
        self._at = now

    def _after(self, span: timedelta, infusing: bool) -> tuple[float, timedelta]:
        if infusing:
            step = min(span, self._plan.timings.infusion - self.infused)
            added = self._rise_per_second * step.total_seconds()
            return self.excess_mmhg + added, self.infused + step
        half_life = self._plan.fall_half_life.total_seconds()
        return self.excess_mmhg * 0.5 ** (span.total_seconds() / half_life), self.infused

    def reading(self, after: timedelta, infusing: bool) -> float:
        """The pressure a reading ``after`` from the last sync would show, in mmHg."""
        excess, _ = self._after(after, infusing)
        value = self._plan.baseline_mmhg + excess
        sd = self._plan.noise_sd_mmhg
        if sd > 0:
            if self._rng is None:
                plan = self._plan
                self._rng = plan.stream("portal_pressure.readings")
            u = min(max(self._rng.random(), 1e-12), 1 - 1e-12)
            value += sd * normal_quantile(u, 0.0, 1.0)  # the one inverse CDF (draws)
        return round(min(max(value, 0.0), 100.0), 1)


# -- Complications, drawn where they apply ----------------------------------------------------

_DURING = frozenset({"infuse.infusing", "infuse.paused"})

DOPPLER = timedelta(days=DEFAULT.thrombosis.first_doppler_day)
"""When after the access is closed the portal Doppler looks for a thrombosis [S15] (a timing of
care the case's steps follow, so a scenario cannot change it: ``uncertainty.GUARDED``)."""


def pressure_rise(readings: Iterable[tuple[float, str]]) -> float:
    """The highest reading during the infusion over the last one before it, in mmHg (≥ 0), from
    ``(mmHg, state)`` pairs in the order they were read."""
    before, peak = None, None
    for mmhg, state in readings:
        if state == "infuse.access":
            before = mmhg
        elif state in _DURING:
            peak = mmhg if peak is None else max(peak, mmhg)
    if before is None or peak is None:
        return 0.0
    return max(0.0, peak - before)


def _percutaneous(plan: CasePlan) -> bool:
    return plan.approach is Approach.PERCUTANEOUS


def bleeding_risk(
    plan: CasePlan, *, rise_mmhg: float, heparin_units_per_kg: float, sealant: str | None
) -> float:
    """The chance this procedure bleeds, its track sealed with ``sealant`` (None: left open)."""
    if plan.bleeding_rate is not None:
        return plan.bleeding_rate
    p, recipient = plan.model.bleeding, plan.recipient
    platelets = recipient.platelets_per_ul
    return float(
        bleeding_probability(
            procedure_number=recipient.infusion_number,
            platelets_per_ul=p.platelet_threshold_per_ul if platelets is None else platelets,
            pressure_rise_mmhg=rise_mmhg,
            heparin_units_per_kg=heparin_units_per_kg,
            aspirin=recipient.aspirin,
            sealant=sealant or "none",
            approach=plan.approach.value,
            p=p,
        )
    )


def planned_sealant(plan: CasePlan) -> str | None:
    """The sealant the plan closes the access with: None for surgical access or ``none``."""
    sealant = plan.track_sealant
    return sealant if _percutaneous(plan) and sealant != "none" else None


def _bleeding_draws(plan: CasePlan) -> Any:
    return plan.stream("complications.bleeding")


def bleeds(
    plan: CasePlan, *, rise_mmhg: float, heparin_units_per_kg: float, sealant: str | None
) -> bool:
    """Whether this procedure bleeds once its access is closed with ``sealant`` (the first
    draw of the case's ``complications.bleeding`` stream)."""
    chance = bleeding_risk(
        plan, rise_mmhg=rise_mmhg, heparin_units_per_kg=heparin_units_per_kg, sealant=sealant
    )
    return bool(occurs(chance, _bleeding_draws(plan).random()))


def bleed_management(plan: CasePlan) -> tuple[ManagementStep, ...]:
    """How this case's bleed is managed, as steps with their times after it is found (the
    second draw of the ``complications.bleeding`` stream picks the management)."""
    draws, p = _bleeding_draws(plan), plan.model.bleed_management
    draws.random()  # the first draw said whether it bleeds
    return management_steps(MANAGEMENTS[management(draws.random(), p)], p)


def bleeds_after(plan: CasePlan, record: CaseRecord, sealant: str | None) -> bool:
    """Whether the procedure ``record`` tells of bleeds once closed with ``sealant``: with the
    heparin it recorded and the rise its readings show."""
    return bleeds(
        plan,
        rise_mmhg=_recorded_rise(record),
        heparin_units_per_kg=record.heparin_units_per_kg or 0.0,
        sealant=sealant,
    )


def _recorded_rise(record: CaseRecord) -> float:
    """The pressure rise a case's readings show (:func:`pressure_rise`)."""
    return pressure_rise((r.mmhg, r.state) for r in record.portal_pressures)


def thrombosis_risk(
    plan: CasePlan, *, rise_mmhg: float, fraction_delivered: float, sealant: str | None
) -> float:
    """The chance of a portal-vein thrombosis after this procedure, its track sealed with
    ``sealant`` (None: left open; surgical access leaves no track)."""
    if plan.thrombosis_rate is not None:
        return plan.thrombosis_rate
    return float(
        thrombosis_probability(
            packed_cell_volume_ml=plan.tissue_volume_ml * fraction_delivered,
            heparinised=False,
            track_ablated=track_ablated(sealant or "none", plan.approach.value),
            pressure_rise_mmhg=rise_mmhg,
            p=plan.model.thrombosis,
        )
    )


def thrombosis(
    plan: CasePlan, *, rise_mmhg: float, fraction_delivered: float, sealant: str | None
) -> str | None:
    """The extent of the thrombosis the day-1 Doppler finds (``main_branch`` or
    ``peripheral``, see ``record.EXTENTS``), or None if there is none."""
    chance = thrombosis_risk(
        plan, rise_mmhg=rise_mmhg, fraction_delivered=fraction_delivered, sealant=sealant
    )
    draws = plan.stream("complications.thrombosis")
    if not occurs(chance, draws.random()):
        return None
    return "main_branch" if main_branch(draws.random(), plan.model.thrombosis) else "peripheral"


def thrombosis_after(plan: CasePlan, record: CaseRecord) -> str | None:
    """The thrombosis (its extent) the day-1 Doppler finds after the procedure ``record`` tells
    of: the tissue it delivered, the track as it was closed, the rise its readings show."""
    delivered = record.fraction_delivered
    return thrombosis(
        plan,
        rise_mmhg=_recorded_rise(record),
        fraction_delivered=1.0 if delivered is None else delivered,
        sealant=record.track_sealant,
    )
