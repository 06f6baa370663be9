"""The coefficient table: a status for each entry, calibrations on target, site overrides."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from isletflow import InvalidInput
from isletflow.model import (
    DEFAULT,
    ModelParameters,
    bleeding_probability,
    digest_ieq,
    median_digest_ieq,
    pressure_rise_mmhg,
)
from isletflow.model.coefficients import CoefficientRow, Status, markdown_table, rows

TAG = r"^S\d+[a-z]?$"


@pytest.mark.parametrize("row", rows(DEFAULT), ids=lambda row: row.name)
def test_every_coefficient_has_a_status_a_unit_and_a_basis(row: CoefficientRow) -> None:
    """Each entry is sourced (with tags), CALIBRATED (tags and a target) or UNCONFIRMED (why)."""
    assert row.status in set(Status)
    assert row.unit
    assert row.basis
    tags = [tag for tag in row.tags.split(", ") if tag]
    assert all(re.match(TAG, tag) for tag in tags), row.tags
    if row.status != Status.UNCONFIRMED:
        assert tags, f"{row.name} is {row.status} but names no source"


def test_the_table_lists_every_field_of_every_section() -> None:
    """rows() covers every coefficient of every section, in the model's order."""
    names = [row.name for row in rows(DEFAULT)]
    expected = [
        f"{section}.{name}"
        for section in ModelParameters.model_fields
        for name in type(getattr(DEFAULT, section)).model_fields
    ]
    assert names == expected


def _mean_digest_at_reference() -> float:
    """The model's mean digest at the reference donor, over a fine grid of draws."""
    p = DEFAULT.isolation
    median = median_digest_ieq(
        p.reference_age_years, p.reference_bmi, p.reference_cold_ischemia_hours, "UW"
    )
    draws = (np.arange(1_000_000) + 0.5) / 1_000_000
    return float(digest_ieq(median, draws).mean())


def test_the_yield_model_reproduces_its_calibration_series() -> None:
    """At S32's mean donor, the mean digest is S32's mean pre-purification yield, 415,000 IEQ."""
    assert _mean_digest_at_reference() == pytest.approx(415_000, rel=1e-3)


def test_the_pressure_model_reproduces_its_calibration_series() -> None:
    """13 mL of tissue raises the pressure 8 mmHg, as in S14's autografts (13 → 21 mmHg)."""
    assert pressure_rise_mmhg(13.0) == pytest.approx(21 - 13)


def test_the_bleeding_model_reproduces_villigers_unsealed_rate() -> None:
    """Over Villiger's mix of 1st, 2nd and 3rd procedures, exposed as his were (heparin over
    45 U/kg, Geneva's mean 4 mmHg rise [S14]), unsealed risk averages 18/106."""
    later = 65 / 132
    weights = {1: 67 / 132, 2: later * 63 / 74, 3: later * 11 / 74}
    mean = sum(
        weight
        * bleeding_probability(
            procedure_number=number,
            platelets_per_ul=250_000,
            pressure_rise_mmhg=4.0,
            heparin_units_per_kg=70.0,
            aspirin=False,
            sealant="none",
        )
        for number, weight in weights.items()
    )
    assert mean == pytest.approx(18 / 106)


def test_a_site_override_changes_the_value_and_shows_in_the_table() -> None:
    """An overridden value is used by the functions and marked as the site's in the table."""
    site = DEFAULT.overridden({"pressure": {"rise_mmhg_per_ml": 1.0}})
    assert pressure_rise_mmhg(6.0, p=site.pressure) == 6.0
    row = next(row for row in rows(site) if row.name == "pressure.rise_mmhg_per_ml")
    assert row.site_set
    assert row.default == DEFAULT.pressure.rise_mmhg_per_ml
    assert "| site (default 0.6154, CALIBRATED) |" in markdown_table(site)


def test_bad_overrides_are_refused_with_every_problem_named() -> None:
    """A probability out of range, a negative odds ratio and an unknown name are all reported."""
    with pytest.raises(InvalidInput) as caught:
        DEFAULT.overridden(
            {"bleeding": {"base_risk": 1.5, "aspirin_or": -1.0}, "thrombosis": {"nope": 1}}
        )
    text = str(caught.value)
    assert "bleeding.base_risk" in text
    assert "bleeding.aspirin_or" in text
    assert "thrombosis.nope" in text


def test_management_shares_must_sum_to_one() -> None:
    """A site that changes one management share must keep the four summing to 1."""
    with pytest.raises(InvalidInput, match="sum to 1"):
        DEFAULT.overridden({"bleed_management": {"surgery_share": 0.5}})


def test_a_site_file_overrides_the_defaults(tmp_path: Path) -> None:
    """ModelParameters.load reads a TOML file of sections of overrides."""
    path = tmp_path / "site.toml"
    path.write_text("[bleeding]\nheparin_threshold_units_per_kg = 40\n", encoding="utf-8")
    site = ModelParameters.load(path)
    assert site.bleeding.heparin_threshold_units_per_kg == 40
    assert site.thrombosis == DEFAULT.thrombosis
