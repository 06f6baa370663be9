"""Each model function gives on a numpy array, element by element, what it gives on scalars."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import given

import strategies_model as sm
from isletflow.model import (
    bleeding_probability,
    digest_ieq,
    main_branch,
    management,
    median_digest_ieq,
    must_pause,
    occurs,
    pressure_rise_mmhg,
    thrombosis_probability,
    trough_status,
    trough_target,
)
from isletflow.model.thrombosis import repeat_infusion_allowed


def _agrees(function: Callable[..., Any], rows: list[tuple[Any, ...]], names: list[str]) -> None:
    """``function`` over the columns of ``rows`` as arrays equals it row by row on scalars."""
    columns = {
        name: np.array(column) for name, column in zip(names, zip(*rows, strict=True), strict=True)
    }
    together = np.asarray(function(**columns))
    one_by_one = [function(**dict(zip(names, row, strict=True))) for row in rows]
    assert together.shape == (len(rows),)
    assert all(np.ndim(value) == 0 for value in one_by_one)
    np.testing.assert_allclose(together, np.array(one_by_one, dtype=together.dtype), rtol=1e-12)


@given(sm.rows(sm.ages, sm.bmis, sm.cold_ischemia_hours, sm.solutions))
def test_median_digest_is_elementwise(rows: list[tuple[Any, ...]]) -> None:
    """The median digest of a cohort of donors is each donor's median digest."""
    names = ["donor_age_years", "donor_bmi", "cold_ischemia_hours", "solution"]
    _agrees(median_digest_ieq, rows, names)


@given(sm.rows(sm.volumes_ml.map(lambda v: 1e5 + 1e5 * v), sm.uniforms))
def test_digest_is_elementwise(rows: list[tuple[Any, ...]]) -> None:
    """A cohort's digests are each digest drawn with its own uniform."""
    _agrees(digest_ieq, rows, ["median_ieq", "u"])


@given(sm.rows(sm.volumes_ml, sm.liver_ratios))
def test_pressure_rise_is_elementwise(rows: list[tuple[Any, ...]]) -> None:
    """The rise for a cohort of products is each product's rise."""
    _agrees(pressure_rise_mmhg, rows, ["packed_cell_volume_ml", "liver_volume_ratio"])


@given(sm.rows(sm.pressures_mmhg, sm.pressures_mmhg))
def test_stop_rule_is_elementwise(rows: list[tuple[Any, ...]]) -> None:
    """The stop rule over many readings is the rule on each reading, both limits set."""

    def rule(reading_mmhg: Any, baseline_mmhg: Any) -> Any:
        return must_pause(
            reading_mmhg, baseline_mmhg, absolute_limit_mmhg=22.0, rise_limit_mmhg=18.4
        )

    _agrees(rule, rows, ["reading_mmhg", "baseline_mmhg"])


@given(
    sm.rows(
        sm.procedure_numbers,
        sm.platelets_per_ul,
        sm.pressures_mmhg,
        sm.heparin_units_per_kg,
        sm.flags,
        sm.sealants,
        sm.approaches,
    )
)
def test_bleeding_probability_is_elementwise(rows: list[tuple[Any, ...]]) -> None:
    """A cohort's bleeding probabilities are each procedure's."""
    names = [
        "procedure_number",
        "platelets_per_ul",
        "pressure_rise_mmhg",
        "heparin_units_per_kg",
        "aspirin",
        "sealant",
        "approach",
    ]
    _agrees(bleeding_probability, rows, names)


@given(sm.rows(sm.volumes_ml, sm.flags, sm.flags, sm.pressures_mmhg))
def test_thrombosis_probability_is_elementwise(rows: list[tuple[Any, ...]]) -> None:
    """A cohort's thrombosis probabilities are each procedure's."""
    names = ["packed_cell_volume_ml", "heparinised", "track_ablated", "pressure_rise_mmhg"]
    _agrees(thrombosis_probability, rows, names)


@given(sm.rows(sm.uniforms, sm.uniforms))
def test_draws_are_elementwise(rows: list[tuple[Any, ...]]) -> None:
    """Realising risks, choosing a bleed's management and a thrombosis's extent work
    elementwise."""
    _agrees(occurs, rows, ["probability", "u"])
    _agrees(management, [row[:1] for row in rows], ["u"])
    _agrees(main_branch, [row[:1] for row in rows], ["u"])


@given(sm.rows(sm.flags))
def test_repeat_infusion_rule_is_elementwise(rows: list[tuple[Any, ...]]) -> None:
    """Whether a repeat infusion is allowed, over a cohort, is each recipient's answer."""
    _agrees(repeat_infusion_allowed, rows, ["main_branch_thrombosis"])


@given(sm.rows(sm.troughs_ng_per_ml, sm.months))
def test_trough_status_is_elementwise(rows: list[tuple[Any, ...]]) -> None:
    """Sirolimus troughs over time are judged each against its own target."""

    def status(level: Any, months: Any) -> Any:
        return trough_status(level, *trough_target("sirolimus", months))

    _agrees(status, rows, ["level", "months"])
