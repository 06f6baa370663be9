"""A chunk's plans as arrays: every field of ``sampling.PlanSampler``'s ``CasePlan``, drawn for
many recipients at once from the same named streams.

``Sections`` reads a scenario once; ``plans(seed, index, donor=k)`` then gives the plans of the
recipients ``index`` for their ``k``-th donor. Each section draws its random fields, in field
order, from the first uniforms of its stream (``vector.streams.uniforms``), each through
``draws.values``: what ``PlanSampler`` draws, value for value. Times are int64 microseconds.
The isolation model's digest and the recipient's graft traits come from the same model
functions, called with arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from pydantic import BaseModel

from .. import draws
from ..distributions import Choice
from ..model import graft, isolation
from ..model.bleeding import APPROACHES, SEALANTS
from ..model.parameters import ModelParameters
from ..scenario import Scenario
from ..scenario_sections import PreparationSpec, span_of
from .streams import uniforms

__all__ = ["Plans", "Sections"]

_HOUR_US = 3_600_000_000
_DIGEST_SPAN = span_of(PreparationSpec, "digest_ieq")
_PROFILE_INTEGERS = ("age_years", "severe_hypoglycaemia_events", "clarke_score")


def model_parameters(scenario: Scenario) -> ModelParameters:
    """The model parameters the scenario's recipients run under: its ``model:`` overrides over
    the defaults, as the per-case engine reads them from ``CasePlan.model``."""
    return scenario.model


def microseconds(value: Any) -> Any:
    """A time (timedelta, or timedelta64 array) as int64 microseconds."""
    if isinstance(value, timedelta):
        return np.int64(value // timedelta(microseconds=1))
    return np.asarray(value).astype("timedelta64[us]").astype(np.int64)


def positions(names: Any, table: tuple[str, ...], missing: int) -> np.ndarray:
    """Each name's position in ``table`` (``missing`` for a name it lacks): a comparison of the
    whole array per table entry (a few), never a Python call or a sort per case."""
    values = np.asarray(names)
    if values.dtype.kind not in "OU":
        values = values.astype(object)
    where = np.full(values.shape, missing, dtype=np.int64)
    for position, name in reversed(tuple(enumerate(table))):
        where[values == name] = position
    return where


Coded = tuple[np.ndarray, Choice[Any]]
"""A drawn choice: each recipient's option position, and the choice."""


class _Section:
    """One scenario section's fields: which are random (and their column), which fixed."""

    def __init__(self, name: str, spec: BaseModel, integer: tuple[str, ...] = ()) -> None:
        kind = type(spec)
        self.name = name
        self.fields: list[tuple[str, Any, Any, bool, int | None]] = []
        column = 0
        for field in kind.model_fields:
            if field in ("cross_clamp_at", "id"):
                continue
            value = getattr(spec, field)
            random = hasattr(value, "dist")
            self.fields.append(
                (field, value, span_of(kind, field), field in integer, column if random else None)
            )
            column += random
        self.count = column

    def sample(self, seed: int, index: np.ndarray, prefix: str = "") -> dict[str, Any]:
        """Each field's values for the recipients ``index`` (fixed ones as they are)."""
        return self.drawn(seed, index, prefix)[0]

    def drawn(
        self, seed: int, index: np.ndarray, prefix: str = ""
    ) -> tuple[dict[str, Any], dict[str, Coded]]:
        """``sample``, and each drawn choice's codes (positions in its options) with the
        choice."""
        u = uniforms(seed, index, prefix + self.name, self.count) if self.count else None
        out: dict[str, Any] = {}
        codes: dict[str, Coded] = {}
        for field, value, span, integer, column in self.fields:
            if column is None or u is None:
                out[field] = round(value) if integer and value is not None else value
            elif isinstance(value, Choice):
                coded = draws.option_codes(value, u[:, column])
                codes[field] = (coded, value)
                out[field] = draws.option_table(value)[coded]
            else:
                out[field] = draws.values(value, u[:, column], span, integer=integer)
        return out, codes

    @staticmethod
    def table_positions(
        values: dict[str, Any], codes: dict[str, Coded], field: str, table: Any
    ) -> np.ndarray:
        """Field ``field``'s values (of ``drawn``) as positions in ``table`` (0 for a name it
        lacks): a drawn choice's options looked up once, then indexed by code."""
        if field not in codes:
            return positions(values[field], table, 0)
        coded, choice = codes[field]
        found: np.ndarray = positions(draws.option_table(choice), table, 0)
        return found[coded]


@dataclass(slots=True)
class Plans:
    """The plans of a chunk's recipients for one of their donors (a field per ``CasePlan``
    value the standard policy reads). Times are int64 microseconds; names object arrays."""

    index: np.ndarray
    donor: dict[str, Any]
    weight_kg: np.ndarray
    platelets_per_ul: np.ndarray
    aspirin: np.ndarray
    infusion_number: np.ndarray
    approach: np.ndarray  # index in model.bleeding.APPROACHES
    digest_ieq: np.ndarray
    purified_ieq: np.ndarray
    product_ieq: np.ndarray
    prep: dict[str, Any]
    timings: dict[str, np.ndarray]
    pressure: dict[str, np.ndarray]
    bleeding_rate: np.ndarray | None
    thrombosis_rate: np.ndarray | None
    induction_agent: np.ndarray
    track_sealant: np.ndarray
    sealant: np.ndarray  # each track sealant's index in model.bleeding.SEALANTS (0: unknown)


def _full(value: Any, n: int, dtype: Any = None) -> np.ndarray:
    """``value`` for each of ``n`` recipients: an array as it is (cast to ``dtype``), a single
    value broadcast without copying (a read-only view: a plan's values are never written)."""
    kind = object if isinstance(value, str) or value is None else None
    array = np.asarray(value, dtype=dtype if dtype is not None else kind)
    if array.ndim == 0:
        return np.broadcast_to(array, (n,))
    return array


class Sections:
    """A scenario's sections, read once; ``plans`` samples a chunk's recipients."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.params = model_parameters(scenario)
        self.donor = _Section("donor", scenario.donor, ("age_years",))
        self.recipient = _Section("recipient", scenario.recipient)
        self.preparation = _Section("preparation", scenario.preparation)
        self.timings = _Section("timings", scenario.timings)
        self.pressure = _Section("portal_pressure", scenario.portal_pressure)
        self.complications = _Section("complications", scenario.complications)
        self.treatment = _Section("treatment", scenario.treatment)
        self.profile = _Section("recipient.profile", scenario.course.profile, _PROFILE_INTEGERS)
        self.course = _Section("course", scenario.course, ("max_donors",))

    def approach(self, seed: int, index: np.ndarray, prefix: str) -> np.ndarray:
        value = self.scenario.approach
        if isinstance(value, Choice):
            u = uniforms(seed, index, prefix + "approach", 1)[:, 0]
            table = positions(draws.option_table(value), APPROACHES, -1)
            chosen: np.ndarray = table[draws.option_codes(value, u)]
            return chosen
        # one name for every case: its position found once
        fixed = positions(str(getattr(value, "value", value)), APPROACHES, -1)
        return np.full(index.size, fixed, dtype=np.int64)

    def traits(self, seed: int, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The recipients' graft traits: the mass they need, the rate they lose it."""
        u = uniforms(seed, index, "graft", 2)
        p = self.params.graft
        return (
            np.asarray(graft.need_ieq_per_kg(u[:, 0], p), dtype=np.float64),
            np.asarray(graft.attrition_per_year(u[:, 1], p), dtype=np.float64),
        )

    def recipients(
        self, seed: int, index: np.ndarray, course: dict[str, Any] | None = None
    ) -> dict[str, np.ndarray]:
        """What the recipients bring to every donor's plan: the recipient section's values and
        the later infusions' induction agent (both from streams without a donor's prefix;
        ``course``: their ``course_values`` before the first donor, when already drawn, so the
        stream is not opened twice)."""
        n = index.size
        values = self.recipient.sample(seed, index)
        threshold = self.params.bleeding.platelet_threshold_per_ul
        platelets = values["platelets_per_ul"]
        course = self.course.sample(seed, index) if course is None else course
        later = course["later_induction_agent"]
        return {
            "weight_kg": _full(values["weight_kg"], n, np.float64),
            "platelets_per_ul": _full(threshold if platelets is None else platelets, n, float),
            "aspirin": _full(values["aspirin"], n, bool),
            "later_induction_agent": _full(later, n, object),
        }

    def plans(
        self,
        seed: int,
        index: np.ndarray,
        donor: int = 1,
        infusion: np.ndarray | None = None,
        who: dict[str, np.ndarray] | None = None,
    ) -> Plans:
        """The plans of recipients ``index`` for their ``donor``-th donor, as their
        ``infusion``-th infusion (1 for all when not given); ``who``: their ``recipients``."""
        n = index.size
        prefix = "" if donor == 1 else f"donor{donor}."
        donor_prefix = prefix if self.donor.count else ""
        donor_values, donor_codes = self.donor.drawn(seed, index, donor_prefix)
        who = self.recipients(seed, index) if who is None else who
        prep = self.preparation.sample(seed, index, prefix)
        timing = self.timings.sample(seed, index, prefix)
        pressure = self.pressure.sample(seed, index, prefix)
        chance = self.complications.sample(seed, index, prefix)
        care, care_codes = self.treatment.drawn(seed, index, prefix)
        number = np.ones(n, dtype=np.int64) if infusion is None else infusion
        agent = _full(care["induction_agent"], n, object)
        agent = np.where(number > 1, who["later_induction_agent"], agent)
        timings = {name: _full(microseconds(v), n, np.int64) for name, v in timing.items()}
        weight = who["weight_kg"]
        approach = self.approach(seed, index, prefix)

        digest = prep["digest_ieq"]
        if digest is None:
            solution = self.donor.table_positions(
                donor_values, donor_codes, "preservation_solution", isolation.SOLUTIONS
            )  # unknown: position 0, no effect
            digest = self._modelled_digest(seed, index, prefix, donor_values, solution, timings)
        digest = _full(digest, n, np.float64)
        loss = _full(prep["purification_loss_percent"], n, np.float64)
        purified = np.rint(digest * (1 - loss / 100))
        cultured = timings["culture"] > 0
        kept = np.where(cultured, 1 - _full(prep["culture_loss_percent"], n, np.float64) / 100, 1.0)
        product = np.rint(purified * kept)
        rates = chance["bleeding"], chance["portal_vein_thrombosis"]
        return Plans(
            index=index,
            donor={k: _full(v, n) if v is not None else None for k, v in donor_values.items()},
            weight_kg=weight,
            platelets_per_ul=who["platelets_per_ul"],
            aspirin=who["aspirin"],
            infusion_number=number,
            approach=approach,
            digest_ieq=digest,
            purified_ieq=purified,
            product_ieq=product,
            prep={k: _full(v, n) for k, v in prep.items() if k != "digest_ieq"},
            timings=timings,
            pressure={
                k: _full(microseconds(v) if k in _TIMES else v, n, None if k in _TIMES else float)
                for k, v in pressure.items()
            },
            bleeding_rate=None if rates[0] is None else _full(rates[0], n, np.float64),
            thrombosis_rate=None if rates[1] is None else _full(rates[1], n, np.float64),
            induction_agent=agent,
            track_sealant=_full(care["track_sealant"], n, object),
            sealant=_full(
                self.treatment.table_positions(care, care_codes, "track_sealant", SEALANTS),
                n,
                np.int64,
            ),
        )

    def _modelled_digest(
        self,
        seed: int,
        index: np.ndarray,
        prefix: str,
        donor: dict[str, Any],
        solution: np.ndarray,
        timings: dict[str, np.ndarray],
    ) -> np.ndarray:
        """``sampling._modelled_digest`` for arrays: the isolation model's digest
        (``solution``: each donor's preservation solution's position in ``SOLUTIONS``)."""
        n = index.size
        p = self.params.isolation
        bmi = donor["bmi_kg_per_m2"]
        bmi = _full(p.reference_bmi if bmi is None else bmi, n, np.float64)
        solution = _full(solution, n, np.int64)
        age = _full(donor["age_years"], n, np.int64)
        hours = timings["cold_ischemia"].astype(np.float64) / _HOUR_US
        median = isolation.median_digest_ieq(age, bmi, hours, solution, p)
        u = uniforms(seed, index, prefix + "isolation", 1)[:, 0]
        value = np.asarray(isolation.digest_ieq(median, u, p), dtype=np.float64)
        high = _DIGEST_SPAN.high
        return np.rint(np.minimum(value, high) if high else value)

    def course_values(self, seed: int, index: np.ndarray, donor: int = 1) -> dict[str, Any]:
        """The course section before the ``donor``-th donor (``PlanSampler.course``)."""
        values = self.course.sample(seed, index, "" if donor == 1 else f"donor{donor}.")
        values["donor_wait"] = _full(microseconds(values["donor_wait"]), index.size, np.int64)
        values["max_donors"] = _full(values["max_donors"], index.size, np.int64)
        return values

    def profiles(self, seed: int, index: np.ndarray) -> dict[str, np.ndarray]:
        """The recipients' eligibility data (``RecipientProfile``, less the weight, which is
        the recipient section's)."""
        n = index.size
        return {k: _full(v, n) for k, v in self.profile.sample(seed, index).items()}


_TIMES = ("fall_half_life", "check_every", "max_pause")
