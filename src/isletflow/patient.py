"""The recipient during the infusion: portal pressure, and how much of the product is in.

``Patient`` is the one model of the recipient's portal pressure. The simulator moves it along
with every move of its policy; the training lab replays a trainee's timeline into it, so a trainee
reads the values the simulator would. The rule for stopping a paused infusion part-way
(``fraction_if_stopped``) lives here too, for the same reason: both drivers ask it.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from statistics import NormalDist
from typing import Any

from .sampling import CasePlan, stream

__all__ = ["Patient"]

_ZERO = timedelta(0)
_STANDARD = NormalDist()


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
        self._rise_per_second = plan.rise_mmhg_per_ml * plan.tissue_volume_ml / infusion
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
                self._rng = stream(plan.seed, plan.index, "portal_pressure.readings")
            u = min(max(self._rng.random(), 1e-12), 1 - 1e-12)
            value += sd * _STANDARD.inv_cdf(u)
        return round(min(max(value, 0.0), 100.0), 1)
