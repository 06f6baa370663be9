"""From a scenario to the values of one case: seeded streams and pre-built samplers.

Every random draw of a case comes from a stream derived from (seed, case index, stream name)
through numpy's ``SeedSequence``; the name enters as a stable hash (BLAKE2b), never Python's
``hash()``, which changes between processes. So case 17 of seed 5 draws the same values on any
machine, in any worker, whatever else ran before it. Each scenario section has its own stream,
so making one section random does not change the values drawn in another.

``PlanSampler`` is built once per scenario (and once per worker); ``sample`` then costs a few
closure calls per random field and nothing per fixed one. The samplers can only produce values
inside each field's valid range, and the scenario refused every non-finite parameter; the
``Donor`` and ``Recipient`` of a case are still validated by their own models, so no value
reaches a case unchecked: once when the section is fixed, else per case (``model_validate``
costs no more than the ``model_construct`` it replaced, about 7 µs of a 1.7 ms case).
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ValidationError

from .distributions import (
    Bernoulli,
    Choice,
    LogNormal,
    Normal,
    Range,
    Triangular,
    Uniform,
    magnitude,
)
from .errors import InvalidInput
from .model import isolation
from .model.parameters import DEFAULT as MODEL
from .models import Approach, Donor, Recipient
from .scenario import Scenario
from .scenario_sections import PreparationSpec, span_of

if TYPE_CHECKING:
    from numpy.random import Generator

    from .protocol import Protocol

__all__ = ["CasePlan", "PlanSampler", "Sampler", "Timings", "sampler", "stream"]

_Z95 = NormalDist().inv_cdf(0.95)
_LONGEST = timedelta.max // timedelta(seconds=1)  # seconds: a longer draw would overflow


# -- One value ---------------------------------------------------------------------------------

Sampler = Callable[[Any], Any]
"""Draws one value from a numpy ``Generator``; fixed values ignore it (and may be given None).

Every sampler draws exactly one uniform double per sample (inverse CDF), so the draws a case
consumes never depend on the values drawn."""


def sampler(value: Any, span: Range | None = None, *, integer: bool = False) -> Sampler:
    """A function that draws one value from ``value`` (fixed values draw nothing)."""
    span = span or Range()
    as_time = isinstance(_first_param(value), timedelta)
    digits = 0 if as_time or integer else span.decimals
    draw = _draw(value, span)
    if draw is None:
        fixed = round(value) if integer else value
        return lambda rng: fixed
    if isinstance(value, Bernoulli | Choice):
        return draw
    if as_time:  # a log-normal tail can pass timedelta's largest value: cap it there
        return lambda rng: timedelta(seconds=round(min(draw(rng), _LONGEST)))
    if integer:
        return lambda rng: round(draw(rng))
    return lambda rng: round(draw(rng), digits)


def _first_param(value: Any) -> Any:
    for name in ("low", "mean", "median"):
        if hasattr(value, name):
            return getattr(value, name)
    return value


def _draw(value: Any, span: Range) -> Callable[[Generator], Any] | None:
    lo = -math.inf if span.low is None else span.low
    hi = math.inf if span.high is None else span.high
    if isinstance(value, Uniform):
        a, b = magnitude(value.low), magnitude(value.high)
        return lambda rng: a + (b - a) * rng.random()
    if isinstance(value, Triangular):
        a, c, b = magnitude(value.low), magnitude(value.mode), magnitude(value.high)
        return lambda rng: _triangular(rng.random(), a, c, b)
    if isinstance(value, Normal):
        dist = NormalDist(magnitude(value.mean), magnitude(value.sd))
        return _truncated(dist, lo, hi, exp=False)
    if isinstance(value, LogNormal):
        mu = math.log(magnitude(value.median))
        sigma = (math.log(magnitude(value.p95)) - mu) / _Z95
        lo_log = math.log(lo) if lo > 0 else -math.inf
        hi_log = math.log(hi) if hi < math.inf else math.inf
        return _truncated(NormalDist(mu, sigma), lo_log, hi_log, exp=True)
    if isinstance(value, Bernoulli):
        p = value.p
        return lambda rng: rng.random() < p
    if isinstance(value, Choice):
        return _choice(value)
    return None


def _triangular(u: float, a: float, c: float, b: float) -> float:
    if b == a:
        return a
    split = (c - a) / (b - a)
    if u < split:
        return a + math.sqrt(u * (b - a) * (c - a))
    return b - math.sqrt((1 - u) * (b - a) * (b - c))


def _truncated(dist: NormalDist, lo: float, hi: float, *, exp: bool) -> Callable[[Generator], Any]:
    c_lo = dist.cdf(lo) if lo > -math.inf else 0.0
    c_hi = dist.cdf(hi) if hi < math.inf else 1.0
    width = c_hi - c_lo
    low_clip, high_clip = (math.exp(lo) if exp else lo), (math.exp(hi) if exp else hi)

    def draw(rng: Generator) -> float:
        u = c_lo + width * rng.random()
        u = min(max(u, 1e-12), 1 - 1e-12)
        x = dist.inv_cdf(u)
        x = math.exp(x) if exp else x
        return min(max(x, low_clip), high_clip)

    return draw


def _choice(value: Choice[Any]) -> Callable[[Generator], Any]:
    names = list(value.options)
    weights = value.weights if value.weights is not None else [1.0] * len(names)
    total = sum(weights)
    cumulative, running = [], 0.0
    for w in weights:
        running += w / total
        cumulative.append(running)
    last = len(names) - 1

    def draw(rng: Generator) -> Any:
        u = rng.random()
        for i, edge in enumerate(cumulative):
            if u < edge:
                return names[i]
        return names[last]

    return draw


# -- One case --------------------------------------------------------------------------------


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
    """Everything sampled for one case before it starts: who, what, how long.

    What goes wrong is drawn later, where it applies (``simulation``); ``bleeding_rate`` and
    ``thrombosis_rate`` are a scenario's fixed chances, or None for the model's risk."""

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
    liver_volume_ratio: float
    noise_sd_mmhg: float
    fall_half_life: timedelta
    check_every: timedelta
    max_pause: timedelta
    bleeding_rate: float | None
    thrombosis_rate: float | None
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


class _Validated:
    """A section whose values make one model (``Donor``, ``Recipient``), validated by it."""

    __slots__ = ("fixed", "kind", "other", "section")

    def __init__(self, section: _Section, kind: type[BaseModel], **other: Any) -> None:
        self.section, self.kind, self.other = section, kind, other
        self.fixed = None if section.random else self.build(0, 0)

    def build(self, seed: int, index: int) -> Any:
        data = {**self.other, **self.section.sample(seed, index)}
        try:
            return self.kind.model_validate(data)
        except ValidationError as error:  # the scenario's checks should make this unreachable
            what = f"case {index} of seed {seed}"
            raise InvalidInput.from_pydantic(what, error, prefix=self.section.name) from None

    def sample(self, seed: int, index: int) -> Any:
        return self.fixed if self.fixed is not None else self.build(seed, index)


_DIGEST_SPAN = span_of(PreparationSpec, "digest_ieq")


def _modelled_digest(donor: Donor, cold_ischemia: timedelta, rng: Generator) -> float:
    """The digest the isolation model gives this donor, with one draw of the isolation stream.

    A missing BMI is the model's reference donor's; a solution the model does not know (one a
    scenario adds on purpose, refused before isolation) has no effect. The value is kept inside
    the scenario field's range, like any sampled digest.
    """
    params = MODEL.isolation
    bmi = params.reference_bmi if donor.bmi_kg_per_m2 is None else donor.bmi_kg_per_m2
    solution = donor.preservation_solution
    known = solution if solution in isolation.SOLUTIONS else isolation.SOLUTIONS[0]
    median = isolation.median_digest_ieq(
        donor.age_years, bmi, cold_ischemia / timedelta(hours=1), known, params
    )
    value = float(isolation.digest_ieq(median, rng.random(), params))
    return float(round(min(value, _DIGEST_SPAN.high or value)))


def _is_random(value: Any) -> bool:
    return hasattr(value, "dist")


class PlanSampler:
    """Draws ``CasePlan``\\ s from a scenario; build once, sample many."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._donor = _Validated(
            _Section("donor", scenario.donor, integer=("age_years",)),
            Donor,
            cross_clamp_at=scenario.donor.cross_clamp_at,
        )
        self._recipient = _Validated(
            _Section("recipient", scenario.recipient), Recipient, id=scenario.recipient.id
        )
        self._preparation = _Section("preparation", scenario.preparation)
        self._timings = _Section("timings", scenario.timings)
        self._pressure = _Section("portal_pressure", scenario.portal_pressure)
        self._complications = _Section("complications", scenario.complications)
        self._treatment = _Section("treatment", scenario.treatment)
        self._approach = sampler(scenario.approach)
        self._approach_random = _is_random(scenario.approach)
        self._recipient_id = scenario.recipient.id
        self._protocol = scenario.protocol

    def sample(self, seed: int, index: int) -> CasePlan:
        donor: Donor = self._donor.sample(seed, index)
        recipient: Recipient = self._recipient.sample(seed, index)
        prep = self._preparation.sample(seed, index)
        timing = self._timings.sample(seed, index)
        pressure = self._pressure.sample(seed, index)
        chance = self._complications.sample(seed, index)
        care = self._treatment.sample(seed, index)
        rng = stream(seed, index, "approach") if self._approach_random else None
        approach = Approach(self._approach(rng))

        timings = Timings(**timing)
        digest = prep["digest_ieq"]
        if digest is None:
            isolating = stream(seed, index, "isolation")
            digest = _modelled_digest(donor, timings.cold_ischemia, isolating)
        purified = round(digest * (1 - prep["purification_loss_percent"] / 100))
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
            donor=donor,
            recipient=recipient,
            approach=approach,
            protocol=self._protocol,
            digest_ieq=digest,
            purified_ieq=purified,
            release_tests=release_tests,
            timings=timings,
            baseline_mmhg=pressure["baseline_mmhg"],
            rise_mmhg_per_ml=pressure["rise_mmhg_per_ml"],
            liver_volume_ratio=pressure["liver_volume_ratio"],
            noise_sd_mmhg=pressure["noise_sd_mmhg"],
            fall_half_life=pressure["fall_half_life"],
            check_every=pressure["check_every"],
            max_pause=pressure["max_pause"],
            bleeding_rate=chance["bleeding"],
            thrombosis_rate=chance["portal_vein_thrombosis"],
            **care,
        )
