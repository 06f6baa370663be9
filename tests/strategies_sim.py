"""Hypothesis strategies for scenarios (kept apart from tests/strategies.py, the engine's)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "scenarios"
STANDARD: dict[str, Any] = yaml.safe_load((EXAMPLES / "standard.yaml").read_text())


def standard() -> dict[str, Any]:
    """A fresh copy of the standard scenario as plain data."""
    return copy.deepcopy(STANDARD)


def _minutes(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda m: f"{m}min")


def duration(low: int, high: int) -> st.SearchStrategy[Any]:
    """A duration in minutes between low and high, fixed or as a distribution."""
    fixed = _minutes(low, high)
    pair = st.tuples(st.integers(low, high), st.integers(low, high)).map(sorted)
    return st.one_of(
        fixed,
        pair.map(lambda p: {"uniform": [f"{p[0]}min", f"{p[1]}min"]}),
        pair.map(lambda p: {"triangular": [f"{p[0]}min", f"{p[0]}min", f"{p[1]}min"]}),
        st.integers(max(low, 1), max(high, 2)).map(
            lambda m: {"lognormal": [f"{m}min", f"{m * 2}min"]}
        ),
        st.integers(low, high).map(lambda m: {"dist": "normal", "mean": f"{m}min", "sd": "30min"}),
        st.lists(fixed, min_size=1, max_size=3).map(lambda xs: {"choice": xs}),
    )


def number(low: float, high: float) -> st.SearchStrategy[Any]:
    """A number in [low, high], fixed or as a distribution."""
    value = st.floats(low, high, allow_nan=False)
    pair = st.tuples(value, value).map(sorted)
    return st.one_of(
        value,
        pair.map(lambda p: {"uniform": list(p)}),
        pair.map(lambda p: {"triangular": [p[0], (p[0] + p[1]) / 2, p[1]]}),
        value.map(lambda m: {"normal": [m, (high - low) / 10 or 1]}),
    )


def flag() -> st.SearchStrategy[Any]:
    return st.one_of(st.booleans(), st.floats(0, 1).map(lambda p: {"bernoulli": p}))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Scenario data over the whole valid range: any outcome may follow."""
    data = standard()
    data["seed"] = draw(st.integers(0, 2**32))
    data["approach"] = draw(st.sampled_from(["percutaneous", "laparoscopic", "open"]))
    data["donor"]["age_years"] = draw(number(0, 90))
    data["donor"]["preservation_solution"] = draw(st.sampled_from(["UW", "HTK", "saline"]))
    data["extra_terms"] = {"preservation_solution": ["saline"]}  # no source lists it
    data["donor"]["sepsis"] = draw(flag())
    data["recipient"]["weight_kg"] = draw(number(30, 120))
    prep = data["preparation"]
    prep["digest_ieq"] = draw(number(0, 1_500_000))
    prep["tissue_volume_ml"] = draw(number(0, 15))
    prep["purity_percent"] = draw(number(0, 100))
    prep["viability_percent"] = draw(number(0, 100))
    prep["endotoxin_eu_per_kg"] = draw(number(0, 10))
    prep["stimulation_index"] = draw(number(0, 4))
    prep["gram_stain_positive"] = draw(flag())
    prep["label_matches_recipient"] = draw(flag())
    t = data["timings"]
    t["cold_ischemia"] = draw(duration(0, 15 * 60))
    t["culture"] = draw(duration(0, 90 * 60))
    t["release_to_infusion"] = draw(duration(0, 8 * 60))
    t["induction_before_infusion"] = draw(duration(0, 8 * 60))
    t["access_to_infusion"] = draw(duration(0, 120))
    t["infusion"] = draw(duration(1, 60))
    p = data["portal_pressure"]
    p["baseline_mmhg"] = draw(number(5, 25))
    p["rise_mmhg_per_ml"] = draw(number(0, 3))
    p["noise_sd_mmhg"] = draw(number(0, 3))
    p["fall_half_life"] = draw(duration(1, 120))
    p["check_every"] = draw(duration(1, 15))
    p["max_pause"] = draw(duration(0, 60))
    data["complications"] = {"bleeding": draw(number(0, 1)), "portal_vein_thrombosis": 0.5}
    return data


# Each stopping guard: how to make it fail in the standard scenario, and the outcome it gives.
FAILURES: dict[str, tuple[str, str, Any]] = {
    "cold_ischemia": ("aborted", "cold_ischemia_exceeded", st.integers(12 * 60 + 1, 30 * 60)),
    "culture": ("aborted", "islets_expired", st.integers(72 * 60 + 1, 200 * 60)),
    "release_to_infusion": ("aborted", "islets_expired", st.integers(6 * 60 + 1, 20 * 60)),
    "baseline_mmhg": ("aborted", "portal_pressure_high", st.floats(20, 60)),
    "age_years": ("aborted", "donor_ineligible", st.integers(66, 120)),
    "purity_percent": ("discarded", "purity_below_minimum", st.floats(0, 29.9)),
    "viability_percent": ("discarded", "viability_below_minimum", st.floats(0, 69.9)),
    "endotoxin_eu_per_kg": ("discarded", "endotoxin_above_limit", st.floats(5.01, 1000)),
    "stimulation_index": ("discarded", "stimulation_index_below_minimum", st.floats(0, 1)),
    "tissue_volume_ml": ("discarded", "tissue_volume_above_limit", st.floats(10.1, 1000)),
    "digest_ieq": ("discarded", "dose_below_minimum", st.floats(2, 450_000)),
}
_WHERE = {
    "cold_ischemia": "timings", "culture": "timings", "release_to_infusion": "timings",
    "baseline_mmhg": "portal_pressure", "age_years": "donor",
}  # fmt: skip


@st.composite
def failing_scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], str, str]:
    """The standard scenario with one guard made to fail; and the outcome it must end in."""
    name = draw(st.sampled_from(sorted(FAILURES)))
    status, code, values = FAILURES[name]
    value = draw(values)
    data = standard()
    section = _WHERE.get(name, "preparation")
    data[section][name] = f"{value}min" if section == "timings" else value
    return data, status, code
