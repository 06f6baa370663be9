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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ValidationError

from .assessment import Engrafted, GraftTraits
from .draws import Sampler, sampler
from .errors import InvalidInput
from .model import graft, isolation
from .model.parameters import DEFAULT, ModelParameters
from .models import Approach, Donor, Recipient
from .recipient import RecipientProfile
from .scenario import Scenario
from .scenario_sections import PreparationSpec, span_of

if TYPE_CHECKING:
    from numpy.random import Generator

    from .protocol import Protocol

__all__ = ["CasePlan", "PlanSampler", "Sampler", "Timings", "sampler", "stream"]

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
    ``thrombosis_rate`` are a scenario's fixed chances, or None for the model's risk.
    ``profile`` and ``traits`` are the recipient's (the same for every infusion of a
    course); ``earlier`` what the recipient's earlier infusions engrafted; ``streams`` the
    prefix of this donor's stream names ("" for a course's first donor, so a single case draws
    exactly what it always drew). ``model`` is the scenario's coefficient table (its ``model:``
    overrides over the defaults): the one place the engine reads the model's parameters."""

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
    profile: RecipientProfile
    traits: GraftTraits
    earlier: tuple[Engrafted, ...] = ()
    streams: str = ""
    model: ModelParameters = DEFAULT

    @property
    def tissue_volume_ml(self) -> float:
        return float(self.release_tests["tissue_volume_ml"])

    def stream(self, name: str) -> np.random.Generator:
        """This case's random stream ``name`` (its donor's, in a course)."""
        return stream(self.seed, self.index, self.streams + name)


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

    def sample(self, seed: int, index: int, prefix: str = "") -> dict[str, Any]:
        rng = stream(seed, index, prefix + self.name) if self.random else None
        return {field: draw(rng) for field, draw in self.fields}


class _Validated:
    """A section whose values make one model (``Donor``, ``Recipient``), validated by it."""

    __slots__ = ("fixed", "kind", "other", "section")

    def __init__(self, section: _Section, kind: type[BaseModel], **other: Any) -> None:
        self.section, self.kind, self.other = section, kind, other
        self.fixed = None if section.random else self.build(0, 0)

    def build(self, seed: int, index: int, prefix: str = "") -> Any:
        data = {**self.other, **self.section.sample(seed, index, prefix)}
        try:
            return self.kind.model_validate(data)
        except ValidationError as error:  # the scenario's checks should make this unreachable
            what = f"case {index} of seed {seed}"
            raise InvalidInput.from_pydantic(what, error, prefix=self.section.name) from None

    def sample(self, seed: int, index: int) -> Any:
        return self.fixed if self.fixed is not None else self.build(seed, index)

    def build_with(
        self, seed: int, index: int, prefix: str, cross_clamp_at: datetime | None
    ) -> Any:
        """A model from streams named with ``prefix``, its cross-clamp moved if given."""
        built = self.build(seed, index, prefix) if prefix and self.section.random else None
        value = built if built is not None else self.sample(seed, index)
        if cross_clamp_at is None:
            return value
        return value.model_copy(update={"cross_clamp_at": cross_clamp_at})


_DIGEST_SPAN = span_of(PreparationSpec, "digest_ieq")


def _modelled_digest(
    donor: Donor, cold_ischemia: timedelta, rng: Generator, model: ModelParameters
) -> float:
    """The digest the isolation model gives this donor, with one draw of the isolation stream.

    A missing BMI is the model's reference donor's; a solution the model does not know (one a
    scenario adds on purpose, refused before isolation) has no effect. The value is kept inside
    the scenario field's range, like any sampled digest.
    """
    params = model.isolation
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
        self._model = scenario.model
        integers = ("age_years", "severe_hypoglycaemia_events", "clarke_score")
        self._profile = _Section("recipient.profile", scenario.course.profile, integers)
        self._course = _Section("course", scenario.course, ("max_donors",))
        self._last_profile: tuple[tuple[int, int], tuple[RecipientProfile, GraftTraits]] | None
        self._last_profile = None

    def profile(self, seed: int, index: int) -> tuple[RecipientProfile, GraftTraits]:
        """Recipient ``index``'s eligibility data and graft traits, the same for each donor
        (the last recipient's are kept: a course asks again for each of its donors)."""
        last = self._last_profile
        if last is not None and last[0] == (seed, index):
            return last[1]
        found = self._profile_of(seed, index)
        self._last_profile = ((seed, index), found)  # one assignment: safe across threads
        return found

    def _profile_of(self, seed: int, index: int) -> tuple[RecipientProfile, GraftTraits]:
        weight = self._recipient.sample(seed, index).weight_kg
        profile = RecipientProfile(weight_kg=weight, **self._profile.sample(seed, index))
        draws = stream(seed, index, "graft")
        p = self._model.graft
        need = float(graft.need_ieq_per_kg(draws.random(), p))
        attrition = float(graft.attrition_per_year(draws.random(), p))
        return profile, GraftTraits(need_ieq_per_kg=need, attrition_per_year=attrition)

    def course(self, seed: int, index: int, donor: int = 1) -> dict[str, Any]:
        """The course settings before the recipient's ``donor``-th donor: the wait for it
        (``donor_wait``), ``max_donors``, ``later_induction_agent``."""
        return self._course.sample(seed, index, "" if donor == 1 else f"donor{donor}.")

    def sample(
        self,
        seed: int,
        index: int,
        *,
        infusion: int = 1,
        donor_number: int = 1,
        cross_clamp_at: datetime | None = None,
    ) -> CasePlan:
        """Case ``index``: the recipient's ``infusion``-th infusion from its ``donor_number``-th
        donor (cross-clamped at ``cross_clamp_at``); a later donor draws from its own streams,
        the recipient's values are the same for every donor."""
        prefix = "" if donor_number == 1 else f"donor{donor_number}."
        donor: Donor = self._donor.build_with(seed, index, prefix, cross_clamp_at)
        recipient: Recipient = self._recipient.sample(seed, index)
        if infusion != 1:
            recipient = recipient.model_copy(update={"infusion_number": infusion})
        prep = self._preparation.sample(seed, index, prefix)
        timing = self._timings.sample(seed, index, prefix)
        pressure = self._pressure.sample(seed, index, prefix)
        chance = self._complications.sample(seed, index, prefix)
        care = self._treatment.sample(seed, index, prefix)
        care.pop("igls_grade", None)
        if infusion > 1:
            care["induction_agent"] = self._course.sample(seed, index)["later_induction_agent"]
        rng = stream(seed, index, prefix + "approach") if self._approach_random else None
        approach = Approach(self._approach(rng))
        profile, traits = self.profile(seed, index)

        timings = Timings(**timing)
        digest = prep["digest_ieq"]
        if digest is None:
            isolating = stream(seed, index, prefix + "isolation")
            digest = _modelled_digest(donor, timings.cold_ischemia, isolating, self._model)
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
            profile=profile,
            traits=traits,
            streams=prefix,
            model=self._model,
            **care,
        )
