"""Recipient eligibility: every published criterion checked, every failure reported at once."""

from __future__ import annotations

import pytest

from isletflow.errors import InvalidInput
from isletflow.recipient import CRITERIA, Eligibility, RecipientProfile

ELIGIBLE = {
    "age_years": 45,
    "weight_kg": 70.0,
    "bmi_kg_per_m2": 24.0,
    "abo_group": "O",
    "hba1c_percent": 7.5,
    "insulin_units_per_kg_per_day": 0.6,
    "c_peptide_stimulated_ng_per_ml": 0.1,
    "severe_hypoglycaemia_events": 2,
    "clarke_score": 5,
}


def test_a_typical_candidate_meets_every_criterion():
    """The scenario default's candidate is eligible: no criterion fails."""
    result = Eligibility.of(ELIGIBLE)
    assert result.eligible
    assert len(result.results) == len(CRITERIA)
    assert not result.failures


def test_every_failing_criterion_is_reported_at_once():
    """A candidate failing five criteria gets five failures, each naming value and limit."""
    profile = {
        **ELIGIBLE,
        "age_years": 17,
        "bmi_kg_per_m2": 31.0,
        "insulin_units_per_kg_per_day": 1.2,
        "c_peptide_stimulated_ng_per_ml": 0.3,
        "severe_hypoglycaemia_events": 0,
    }
    result = Eligibility.of(profile)
    assert not result.eligible
    codes = {f.code: f for f in result.failures}
    assert set(codes) == {
        "too_young",
        "bmi_above_limit",
        "insulin_above_limit",
        "c_peptide_present",
        "no_severe_hypoglycaemia",
    }
    assert codes["bmi_above_limit"].observed == 31.0
    assert codes["bmi_above_limit"].limit == 30
    assert "fails" in codes["too_young"].sentence


@pytest.mark.parametrize(("field", "value"), [("age_years", 66), ("clarke_score", 3)])
def test_each_limit_is_where_the_source_puts_it(field, value):
    """Age 66 and a Clarke score of 3 fail (age 18-65, Clarke ≥ 4 [S53, S55])."""
    at_limit = {"age_years": 65, "clarke_score": 4}[field]
    assert Eligibility.of({**ELIGIBLE, field: at_limit}).eligible
    assert not Eligibility.of({**ELIGIBLE, field: value}).eligible


def test_malformed_data_is_bad_input_naming_each_field():
    """A negative age and an unknown blood group are one InvalidInput naming both."""
    with pytest.raises(InvalidInput) as caught:
        RecipientProfile.from_mapping({**ELIGIBLE, "age_years": -1, "abo_group": "C"})
    locations = {p.location for p in caught.value.problems}
    assert {"age_years", "abo_group"} <= locations
