"""Strict values: a scenario takes no NaN, no infinity, no number as text or flag, no lax coercion.

The reliability review (D1, D10) found NaN weights that simulated to a NaN dose, ``age_years:
true`` read as 1, ``"70"`` read as 70 and ``culture: 24`` run as 24 seconds. Each is refused
here where it is written: in plain data (the library) and in a YAML or JSON file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from isletflow.errors import InvalidInput, IsletflowError
from isletflow.models import Donor, Recipient
from isletflow.protocol import Protocol
from isletflow.sampling import PlanSampler
from isletflow.scenario import Scenario
from isletflow.simulation import simulate
from isletflow.training.rubric import Rubric
from strategies_input import hostile_values
from strategies_sim import standard

NAN, INF = float("nan"), float("inf")
FIELDS = [
    "recipient.weight_kg",
    "donor.age_years",
    "donor.sepsis",
    "donor.cross_clamp_at",
    "seed",
    "preparation.digest_ieq",
    "preparation.gram_stain_positive",
    "timings.culture",
    "timings.trough",
    "portal_pressure.noise_sd_mmhg",
    "complications.bleeding",
    "treatment.track_sealant",
    "approach",
    "protocol.max_culture",
    "protocol.max_infusions",
]


def _refusal(data: dict[str, Any], where: str) -> str:
    """The rules of the problems at ``where`` or inside it; fails if ``data`` loads."""
    with pytest.raises(InvalidInput) as caught:
        Scenario.from_mapping(data)
    rules = [p.rule for p in caught.value.problems if f"{p.location}.".startswith(f"{where}.")]
    assert rules, caught.value.problems
    return "; ".join(rules)


def _with(path: str, value: Any) -> dict[str, Any]:
    data = standard()
    *sections, field = path.split(".")
    target = data
    for section in sections:
        target = target.setdefault(section, {})
    target[field] = value
    return data


NOT_FINITE = [
    ("recipient.weight_kg", NAN),
    ("recipient.weight_kg", INF),
    ("donor.age_years", NAN),
    ("preparation.digest_ieq", -INF),
    ("preparation.tissue_volume_ml", NAN),
    ("portal_pressure.baseline_mmhg", NAN),
    ("complications.bleeding", NAN),
    ("recipient.weight_kg", {"uniform": [NAN, 80]}),
    ("recipient.weight_kg", {"normal": [70, INF]}),
    ("recipient.weight_kg", {"normal": [NAN, 1]}),
    ("recipient.weight_kg", {"triangular": [60, NAN, 80]}),
    ("recipient.weight_kg", {"lognormal": [70, INF]}),
    ("recipient.weight_kg", {"choice": {60: 1, 70: INF}}),
    ("recipient.weight_kg", {"choice": {60: NAN, 70: 1}}),
    ("donor.sepsis", {"bernoulli": NAN}),
]


@pytest.mark.parametrize(("path", "value"), NOT_FINITE)
def test_no_value_or_parameter_may_be_nan_or_infinite(path: str, value: Any) -> None:
    """NaN and infinities are refused in fixed values, parameters, weights and p (review D1)."""
    rule = _refusal(_with(path, value), path)
    assert "finite" in rule or "weight must be" in rule or "must be between 0 and 1" in rule


def test_weights_that_add_up_past_the_largest_number_are_refused() -> None:
    """Finite weights whose sum overflows would pick the last option always: refused."""
    rule = _refusal(
        _with("recipient.weight_kg", {"choice": {60: 1e308, 70: 1e308}}), "recipient.weight_kg"
    )
    assert "add up past the largest number" in rule


LAX = [
    ("recipient.weight_kg", "70", "is text, not a number"),
    ("donor.age_years", True, "is a flag (true or false), not a number"),
    ("recipient.weight_kg", {"uniform": ["60", "80"]}, "is text, not a number"),
    ("complications.bleeding", "0.1", "is text, not a number"),
    ("donor.sepsis", 1, "must be true or false"),
    ("donor.sepsis", "yes", "must be true or false"),
    ("donor.sepsis", {"bernoulli": "0.1"}, "is text, not a number"),
    ("donor.sepsis", {"bernoulli": True}, "is a flag (true or false), not a number"),
    ("seed", True, "is a flag (true or false), not a number"),
    ("seed", 1.0, "must be a whole number"),
    ("seed", "1", "is text, not a number"),
    ("schema_version", True, "must be the whole number 1"),
    ("schema_version", 1.0, "must be the whole number 1"),
    ("donor.cross_clamp_at", 1_767_600_000, "is a number, not a date and time"),
    ("timings.culture", 24, "write it with one (d, h, min, s), e.g. 24h"),
    ("timings.culture", {"uniform": [0, 86_400]}, "e.g. 24h"),
    ("timings.culture", "１h", "is not a duration"),
    ("protocol.max_culture", True, "is true or false, not a duration"),
    ("donor.age_years", {"choice": {"40": 1, "abc": 1}}, "is text, not a number"),
]


@pytest.mark.parametrize(("path", "value", "rule"), LAX)
def test_no_value_is_coerced_from_another_type(path: str, value: Any, rule: str) -> None:
    """Text, flags and bare numbers are refused where lax coercion used to accept them (D10)."""
    assert rule in _refusal(_with(path, value), path)


def test_a_json_short_form_choice_of_numbers_keeps_its_numbers() -> None:
    """{"choice": {"40": 1}}: JSON keys are text, so a number field reads them as numbers."""
    scenario = Scenario.from_mapping(_with("donor.age_years", {"choice": {"40": 1, "50": 3}}))
    assert scenario.donor.age_years.options == [40.0, 50.0]


@pytest.mark.parametrize(
    ("line", "where", "rule"),
    [
        ("age_years: true", "donor.age_years", "is a flag (true or false), not a number"),
        ("age_years: 1:30", "donor.age_years", "is text, not a number"),
        ("age_years: '42'", "donor.age_years", "is text, not a number"),
        ("age_years: ４２", "donor.age_years", "is text, not a number"),
        ("age_years: 42\n  sepsis: yes", "donor.sepsis", "must be true or false"),
    ],
)
def test_yaml_quirks_do_not_become_values(tmp_path: Path, line: str, where: str, rule: str) -> None:
    """YAML 1.1's true-as-1, base-60 1:30 and yes-as-true, and quoted numbers, are refused."""
    text = (Path(__file__).parents[1] / "examples" / "scenarios" / "standard.yaml").read_text()
    path = tmp_path / "quirk.yaml"
    path.write_text(text.replace("age_years: 42", line), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        Scenario.load(path)
    rules = {p.location: p.rule for p in caught.value.problems}
    assert rule in rules[where]


def test_a_json_scenario_with_a_unitless_duration_is_refused(tmp_path: Path) -> None:
    """culture: 24 in a JSON scenario is refused (it ran as 24 seconds), naming the field."""
    data = standard()
    data["donor"]["cross_clamp_at"] = "2026-01-05T08:00:00Z"
    data["timings"]["culture"] = 24
    path = tmp_path / "unitless.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"timings\.culture: 24 is a number without a unit"):
        Scenario.load(path)


@pytest.mark.parametrize(
    ("model", "data", "rule"),
    [
        (Recipient, {"id": "R-1", "weight_kg": NAN}, "finite number"),
        (Recipient, {"id": "R-1", "weight_kg": "70"}, "valid number"),
        (Donor, {"age_years": True}, "valid integer"),
        (Donor, {"age_years": 42.0}, "valid integer"),
        (Donor, {"age_years": 42, "sepsis": "yes"}, "valid boolean"),
        (Donor, {"age_years": 42, "bmi_kg_per_m2": INF}, "finite number"),
    ],
)
def test_donor_and_recipient_are_strict_too(model: Any, data: dict[str, Any], rule: str) -> None:
    """The case's own Donor and Recipient refuse NaN, text, flags and 42.0 for an age."""
    clamp = {"cross_clamp_at": datetime(2026, 1, 5, tzinfo=UTC)} if model is Donor else {}
    with pytest.raises(ValueError, match=rule):
        model(**data, **clamp)


PROTOCOL = [
    ("max_infusions", True, "is a flag (true or false), not a number"),
    ("max_infusions", 2.0, "must be a whole number"),
    ("min_dose_ieq_per_kg", "5000", "is text, not a number"),
    ("min_dose_ieq_per_kg", NAN, "must be a finite number"),
    ("max_endotoxin_eu_per_kg", INF, "must be a finite number"),
    ("accept_donation_after_cardiac_death", 1, "must be true or false"),
    ("max_culture", True, "is true or false, not a duration"),
    ("max_culture", 259_200, "is a number without a unit"),
]


@pytest.mark.parametrize(("field", "value", "rule"), PROTOCOL)
def test_a_protocol_is_strict(field: str, value: Any, rule: str) -> None:
    """A protocol refuses flags, text, NaN and unit-less durations (max_culture: true was 1 s)."""
    with pytest.raises(InvalidInput) as caught:
        Protocol.from_mapping({field: value})
    (problem,) = caught.value.problems
    assert problem.location == field
    assert rule in problem.rule


RUBRIC = [
    ({"late_infusion_max": False}, "late_infusion_max", "is a flag (true or false)"),
    ({"full_marks": NAN}, "full_marks", "must be a finite number"),
    ({"weights": {"refused": INF}}, "weights.refused", "must be a finite number"),
    ({"code_weights": {"not_allowed": "2"}}, "code_weights.not_allowed", "is text, not a number"),
    ({"late_infusion_grace": 7200}, "late_infusion_grace", "is a number without a unit"),
]


@pytest.mark.parametrize(("overrides", "where", "rule"), RUBRIC)
def test_a_rubric_is_strict(overrides: dict[str, Any], where: str, rule: str) -> None:
    """A rubric refuses flags, text, NaN and infinite weights (late_infusion_max: false was 0)."""
    with pytest.raises(InvalidInput) as caught:
        Rubric().overridden(overrides)
    (problem,) = caught.value.problems
    assert problem.location == where
    assert rule in problem.rule


def test_a_protocol_file_with_yaml_quirks_is_refused(tmp_path: Path) -> None:
    """A YAML protocol with max_culture: true and max_infusions: 1:30 lists both problems."""
    path = tmp_path / "site.yaml"
    path.write_text("max_culture: true\nmax_infusions: 1:30\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        Protocol.load(path)
    assert {p.location for p in caught.value.problems} == {"max_culture", "max_infusions"}


def test_sampling_validates_what_it_builds_even_from_an_unchecked_scenario() -> None:
    """A scenario made without validation (model_construct) cannot smuggle NaN into a case."""
    good = Scenario.from_mapping(standard())
    recipient = good.recipient.model_construct(id="R-001", weight_kg=NAN)
    smuggled = good.model_copy(update={"recipient": recipient})
    with pytest.raises(InvalidInput) as caught:
        PlanSampler(smuggled).sample(1, 0)
    (problem,) = caught.value.problems
    assert problem.location == "recipient.weight_kg"
    assert "finite" in problem.rule


def test_a_log_normal_duration_past_timedelta_is_capped_not_an_overflow() -> None:
    """A duration drawn past timedelta's largest value is capped there, not an OverflowError."""
    data = _with("timings.assessment", {"lognormal": ["1d", "999999999d"]})
    sampler = PlanSampler(Scenario.from_mapping(data))
    longest = max(sampler.sample(seed, 0).timings.assessment for seed in range(200))
    assert longest <= timedelta.max


@given(path=st.sampled_from(FIELDS), value=hostile_values)
def test_a_hostile_value_is_refused_or_simulates_cleanly(path: str, value: Any) -> None:
    """Any hostile value in any field is an InvalidInput, or every number of the case is finite."""
    try:
        scenario = Scenario.from_mapping(_with(path, value))
    except InvalidInput:
        return
    plan = PlanSampler(scenario).sample(7, 3)
    for model in (plan.donor, plan.recipient):
        assert type(model).model_validate(model.model_dump()) == model
    values = [getattr(plan, field.name) for field in dataclasses.fields(plan)]
    numbers = [v for v in values if isinstance(v, float)]
    numbers += [v for v in plan.release_tests.values() if isinstance(v, float)]
    assert all(math.isfinite(v) for v in numbers)
    with contextlib.suppress(IsletflowError):  # a clean refusal: a wait past the year 9999
        simulate(scenario, seed=7, index=3)
