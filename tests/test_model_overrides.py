"""A scenario's ``model:`` section: validated, carried on the plan, read where the model applies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from isletflow.cli.casefile import load_scenario
from isletflow.course import Course
from isletflow.course_run import course_record, simulate_course
from isletflow.errors import InvalidInput
from isletflow.model.parameters import DEFAULT
from isletflow.sampling import PlanSampler
from isletflow.scenario import Scenario
from isletflow.uncertainty import GUARDED

POPULATION = load_scenario("population")
# The heparin warning quotes the published odds ratio [S47] as a citation, not as the model's.
QUOTED = {"bleeding.high_heparin_or"}
SRC = Path(__file__).parents[1] / "src" / "isletflow"


def _with_model(scenario: Scenario, model: dict[str, dict[str, float]]) -> Scenario:
    data = scenario.model_dump(mode="json", exclude_unset=True)
    return Scenario.from_mapping({**data, "model": model})


def test_a_scenario_without_a_model_section_carries_the_default_table():
    """No ``model:`` section: the plan reads the defaults, and the course timeline omits them."""
    plan = PlanSampler(POPULATION).sample(2026, 0)
    assert plan.model is DEFAULT
    enrolled = simulate_course(POPULATION, 1, 0).timeline[0]
    assert "model" not in enrolled.model_dump(mode="json")


def test_a_default_valued_override_draws_exactly_as_before():
    """Writing a default value changes nothing: the same records, recipient by recipient."""
    same = _with_model(POPULATION, {"bleeding": {"aspirin_or": DEFAULT.bleeding.aspirin_or}})
    for index in range(3):
        assert course_record(simulate_course(same, 4, index)) == course_record(
            simulate_course(POPULATION, 4, index)
        )


def test_a_graft_override_changes_the_course_and_replays():
    """A recipient needing far more islets is never insulin-independent; the course replays."""
    hard = _with_model(POPULATION, {"graft": {"median_need_ieq_per_kg": 1_000_000}})
    for index in range(6):
        course = simulate_course(hard, 3, index)
        record = course_record(course)
        assessed = record["one_year_after_last_infusion"]
        assert assessed is None or not assessed["insulin_independent"]
        again = Course.restore(course.snapshot().model_dump_json())
        assert course_record(again) == record
    assert course.enrolled.model.graft.median_need_ieq_per_kg == 1_000_000


def test_a_bleeding_override_reaches_the_procedure():
    """A near-certain base risk of bleeding makes every infused procedure bleed."""
    bleeding = _with_model(POPULATION, {"bleeding": {"base_risk": 0.999999}})
    procedures = [
        p for i in range(4) for p in course_record(simulate_course(bleeding, 2, i))["procedures"]
    ]
    assert procedures
    assert all(p["bleeding"] for p in procedures)


def test_bad_overrides_are_refused_naming_field_value_and_rule():
    """An unknown name, an out-of-range value and a guarded coefficient are each named."""
    data = POPULATION.model_dump(mode="json", exclude_unset=True)
    with pytest.raises(InvalidInput) as raised:
        Scenario.from_mapping({**data, "model": {"bleeding": {"base_risk": 2}, "nope": {}}})
    text = str(raised.value)
    assert "model.bleeding.base_risk: 2 must be less than 1" in text
    assert "model.nope" in text
    assert "not a known field" in text
    with pytest.raises(InvalidInput, match=r"sets regimen.tacrolimus_low to 4 \(default 3\), but"):
        Scenario.from_mapping({**data, "model": {"regimen": {"tacrolimus_low": 4}}})
    with pytest.raises(InvalidInput, match=r"sets bleeding.aspirin_or to '3': a coefficient is a"):
        Scenario.from_mapping({**data, "model": {"bleeding": {"aspirin_or": "3"}}})
    with pytest.raises(InvalidInput, match=r"scenario's portal_pressure.rise_mmhg_per_ml"):
        Scenario.from_mapping({**data, "model": {"pressure": {"rise_mmhg_per_ml": 2}}})


def test_guarded_names_every_coefficient_the_case_reads_from_the_default_table():
    """Outside the model package, only GUARDED coefficients are read from the default table."""
    read = set()
    for path in SRC.rglob("*.py"):
        if "model" in path.relative_to(SRC).parts[:1]:
            continue
        text = path.read_text(encoding="utf-8")
        read |= set(re.findall(r"\b(?:MODEL|DEFAULT)\.(\w+)\.(\w+)", text))
        assert "DEFAULT as MODEL" not in text, path
    assert {f"{section}.{name}" for section, name in read} <= GUARDED | QUOTED
