"""From a scenario to the values of one case: seeded streams and pre-built samplers.

Every random draw of a case comes from a stream derived from (seed, case index, stream name)
through numpy's ``SeedSequence``; the name enters as a stable hash (BLAKE2b), never Python's
``hash()``, which changes between processes. So case 17 of seed 5 draws the same values on any
machine, in any worker, whatever else ran before it. Each scenario section has its own stream,
so making one section random does not change the values drawn in another.

``PlanSampler`` is built once per scenario (and once per worker); ``sample`` then costs a few
closure calls per random field and nothing per fixed one, with no pydantic validation: the
samplers can only produce values inside each field's valid range.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from .distributions import Sampler, sampler
from .models import Approach, Donor, Recipient
from .scenario import Scenario, span_of

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .protocol import Protocol

__all__ = ["CasePlan", "PlanSampler", "Timings", "stream"]


@functools.cache
def _name_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def stream(seed: int, index: int, name: str) -> np.random.Generator:
    """The random stream ``name`` of case ``index`` under ``seed``."""
    sequence = np.random.SeedSequence([seed, index, _name_key(name)])
    return np.random.Generator(np.random.PCG64(sequence))


@dataclass(frozen=True, slots=True)
class Timings:
    """A case's sampled logistics; each step counted from the one before."""

    cold_ischemia: timedelta
    digestion: timedelta
    purification: timedelta
    culture: timedelta
    release_testing: timedelta
    release_to_infusion: timedelta
    induction_before_infusion: timedelta
    access_to_infusion: timedelta
    infusion: timedelta
    hemostasis: timedelta
    trough: timedelta
    follow_up: timedelta
    assessment: timedelta


@dataclass(frozen=True, slots=True)
class CasePlan:
    """Everything sampled for one case before it starts: who, what, how long, what goes wrong."""

    seed: int
    index: int
    donor: Donor
    recipient: Recipient
    approach: Approach
    protocol: Protocol
    digest_ieq: float
    purified_ieq: float
    release_tests: dict[str, Any]
    timings: Timings
    baseline_mmhg: float
    rise_mmhg_per_ml: float
    noise_sd_mmhg: float
    fall_half_life: timedelta
    check_every: timedelta
    max_pause: timedelta
    bleeding: bool
    portal_vein_thrombosis: bool
    induction_agent: str
    trough_drug: str
    trough_ng_per_ml: float
    track_sealant: str
    igls_grade: str

    @property
    def tissue_volume_ml(self) -> float:
        return float(self.release_tests["tissue_volume_ml"])


class _Section:
    """The samplers of one scenario section, drawing from that section's stream."""

    __slots__ = ("fields", "name", "random")

    def __init__(self, name: str, spec: BaseModel, integer: tuple[str, ...] = ()) -> None:
        self.name = name
        kind = type(spec)
        self.fields: list[tuple[str, Sampler]] = []
        self.random = False
        for field in kind.model_fields:
            if field in ("cross_clamp_at", "id"):
                continue
            value = getattr(spec, field)
            draw = sampler(value, span_of(kind, field), integer=field in integer)
            self.random = self.random or _is_random(value)
            self.fields.append((field, draw))

    def sample(self, seed: int, index: int) -> dict[str, Any]:
        rng = stream(seed, index, self.name) if self.random else None
        return {field: draw(rng) for field, draw in self.fields}


def _is_random(value: Any) -> bool:
    return hasattr(value, "dist")


class PlanSampler:
    """Draws ``CasePlan``\\ s from a scenario; build once, sample many."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._donor = _Section("donor", scenario.donor, integer=("age_years",))
        self._recipient = _Section("recipient", scenario.recipient)
        self._preparation = _Section("preparation", scenario.preparation)
        self._timings = _Section("timings", scenario.timings)
        self._pressure = _Section("portal_pressure", scenario.portal_pressure)
        self._complications = _Section("complications", scenario.complications)
        self._treatment = _Section("treatment", scenario.treatment)
        self._approach = sampler(scenario.approach)
        self._approach_random = _is_random(scenario.approach)
        self._clamp = scenario.donor.cross_clamp_at
        self._recipient_id = scenario.recipient.id
        self._protocol = scenario.protocol

    def sample(self, seed: int, index: int) -> CasePlan:
        donor = self._donor.sample(seed, index)
        recipient = self._recipient.sample(seed, index)
        prep = self._preparation.sample(seed, index)
        timing = self._timings.sample(seed, index)
        pressure = self._pressure.sample(seed, index)
        chance = self._complications.sample(seed, index)
        care = self._treatment.sample(seed, index)
        rng = stream(seed, index, "approach") if self._approach_random else None
        approach = Approach(self._approach(rng))
        events = stream(seed, index, "complications.events") if any(chance.values()) else None
        # One draw each, always, so the two never shift each other's stream.
        bleeding = events is not None and events.random() < chance["bleeding"]
        thrombosis = events is not None and events.random() < chance["portal_vein_thrombosis"]

        timings = Timings(**timing)
        purified = round(prep["digest_ieq"] * (1 - prep["purification_loss_percent"] / 100))
        cultured = timings.culture > timedelta(0)
        kept = 1 - prep["culture_loss_percent"] / 100 if cultured else 1.0
        product = round(purified * kept)
        label = self._recipient_id if prep["label_matches_recipient"] else f"{self._recipient_id}-X"
        release_tests = {
            "ieq": product,
            "tissue_volume_ml": prep["tissue_volume_ml"],
            "purity_percent": prep["purity_percent"],
            "viability_percent": prep["viability_percent"],
            "endotoxin_eu_per_kg": prep["endotoxin_eu_per_kg"],
            "gram_stain_positive": prep["gram_stain_positive"],
            "stimulation_index": prep["stimulation_index"],
            "labelled_recipient_id": label,
        }
        return CasePlan(
            seed=seed,
            index=index,
            donor=Donor.model_construct(cross_clamp_at=self._clamp, bmi_kg_per_m2=None, **donor),
            recipient=Recipient.model_construct(id=self._recipient_id, **recipient),
            approach=approach,
            protocol=self._protocol,
            digest_ieq=prep["digest_ieq"],
            purified_ieq=purified,
            release_tests=release_tests,
            timings=timings,
            baseline_mmhg=pressure["baseline_mmhg"],
            rise_mmhg_per_ml=pressure["rise_mmhg_per_ml"],
            noise_sd_mmhg=pressure["noise_sd_mmhg"],
            fall_half_life=pressure["fall_half_life"],
            check_every=pressure["check_every"],
            max_pause=pressure["max_pause"],
            bleeding=bleeding,
            portal_vein_thrombosis=thrombosis,
            **care,
        )
