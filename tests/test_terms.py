"""Closed clinical terms: a scenario's preservation solution, induction agent and trough drug.

``preservation_solution: UWW`` used to validate, then be refused at isolation as if the donor
had come in an unaccepted solution. Each of these fields now takes a term the sources name
(``models.TERMS``), a solution the protocol accepts, or one the file adds in ``extra_terms``;
anything else is refused with the nearest term.
"""

from __future__ import annotations

from typing import Any

import pytest

from isletflow.cohort import simulate_cohort
from isletflow.errors import InvalidInput
from isletflow.models import TERMS
from isletflow.scenario import Scenario
from isletflow.scenario_sections import DonorSpec
from strategies_sim import EXAMPLES, standard


def _scenario(**changes: Any) -> dict[str, Any]:
    data = standard()
    for path, value in changes.items():
        section, _, field = path.partition("__")
        if field:
            data.setdefault(section, {})[field] = value
        else:
            data[section] = value
    return data


def _rules(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        Scenario.from_mapping(data)
    return {p.location: p.rule for p in caught.value.problems}


@pytest.mark.parametrize(
    ("path", "value", "hint"),
    [
        ("donor__preservation_solution", "UWW", "(did you mean 'UW'?)"),
        ("donor__preservation_solution", "htk", "(did you mean 'HTK'?)"),
        ("donor__preservation_solution", "Celsior", "or add it to extra_terms"),
        ("donor__preservation_solution", {"choice": ["UW", "HKT"]}, "(did you mean 'HTK'?)"),
        ("treatment__induction_agent", "rabit ATG", "(did you mean 'rabbit ATG'?)"),
        ("treatment__trough_drug", "Tacrolimus", "(did you mean 'tacrolimus'?)"),
    ],
)
def test_an_unlisted_term_is_refused_with_the_nearest_one(path: str, value: Any, hint: str) -> None:
    """A term no source lists is refused at its field, naming the nearest term or extra_terms."""
    where = path.replace("__", ".")
    rule = _rules(_scenario(**{path: value}))[where]
    assert "is not a term the sources name; must be one of" in rule
    assert hint in rule


def test_extra_terms_add_a_term_on_purpose() -> None:
    """A scenario may name a term no source lists by adding it to extra_terms."""
    data = _scenario(donor__preservation_solution="saline")
    data["extra_terms"] = {"preservation_solution": ["saline"]}
    assert Scenario.from_mapping(data).donor.preservation_solution == "saline"


def test_a_solution_the_protocol_accepts_is_a_known_term() -> None:
    """A site protocol that accepts another solution makes it a term its scenarios may use."""
    data = _scenario(donor__preservation_solution="Celsior")
    data["protocol"] = {"accepted_preservation_solutions": ["UW", "Celsior"]}
    assert Scenario.from_mapping(data).donor.preservation_solution == "Celsior"


def test_terms_added_by_one_scenario_do_not_leak_into_the_next() -> None:
    """extra_terms hold for their own scenario only: the next one without them is refused."""
    data = _scenario(donor__preservation_solution="saline")
    data["extra_terms"] = {"preservation_solution": ["saline"]}
    Scenario.from_mapping(data)
    del data["extra_terms"]
    assert "donor.preservation_solution" in _rules(data)
    with pytest.raises(ValueError, match="is not a term the sources name"):
        DonorSpec.model_validate({"age_years": 40, "preservation_solution": "saline"})


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ({"donation": ["asleep"]}, "extra_terms.donation.[key]"),
        ({"preservation_solution": [""]}, "extra_terms.preservation_solution.0"),
        ({"preservation_solution": ["x" * 41]}, "extra_terms.preservation_solution.0"),
        ({"preservation_solution": "saline"}, "extra_terms.preservation_solution"),
    ],
)
def test_extra_terms_are_checked_themselves(extra: dict[str, Any], where: str) -> None:
    """extra_terms only extend the closed fields, with names of 1 to 40 characters."""
    data = standard()
    data["extra_terms"] = extra
    assert where in _rules(data)


def test_the_sourced_terms_are_the_reference_ones() -> None:
    """TERMS holds what the clinical reference names, and nothing else."""
    assert TERMS == {
        "preservation_solution": ("UW", "HTK", "UW+PFC", "HTK+PFC"),
        "induction_agent": ("rabbit ATG", "basiliximab", "daclizumab"),
        "trough_drug": ("tacrolimus", "sirolimus"),
    }


def test_a_cohort_keeps_the_scenarios_extra_terms() -> None:
    """Workers rebuild the scenario from its JSON; its extra_terms travel with it."""
    scenario = Scenario.load(EXAMPLES / "preservation_unaccepted.yaml")
    summary = simulate_cohort(scenario, n=3, seed=1, workers=1)
    assert summary.course.recipients == 3
    # Every donor offered to the three recipients is refused for the same reason.
    assert summary.outcomes["aborted"].codes["preservation_unaccepted"].count == summary.cases
