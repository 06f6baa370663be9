"""Graft function over time: from the islets delivered to C-peptide, insulin, HbA1c and Igls.

Each infusion engrafts its viable islets (``delivered × viability × engraftment``, less a share
when a thrombosis follows it); engrafted mass is lost at a steady rate over the years. What the
recipient's graft does depends on its ratio to the mass this recipient needs to be
insulin-independent (a need drawn once per recipient, from its own stream, around a median
CALIBRATED to the Edmonton cumulative dose [S11]):

- stimulated C-peptide rises in proportion to the ratio; below 0.3 ng/mL the graft has failed
  [S8, S21];
- insulin need falls in proportion, to none at a ratio of 1 (insulin independence);
- HbA1c falls from the recipient's baseline to the value a working graft keeps, reached at a
  share of the need (with insulin);
- severe hypoglycaemia falls from the baseline count to none at a smaller share;
- the Igls grade is COMPUTED from those by the Igls 2018 criteria (Rickels 2018; Landstra 2021
  for the C-peptide thresholds) [S21], never drawn.

Every function takes floats or numpy arrays, elementwise, like the rest of ``isletflow.model``.
"""

from __future__ import annotations

import numpy as np

from .graft_parameters import GraftParameters
from .parameters import DEFAULT
from .risk import Values, uniform_logit

__all__ = [
    "GRADES",
    "attrition_per_year",
    "c_peptide_ng_per_ml",
    "engrafted_ieq_per_kg",
    "hba1c_percent",
    "igls_grade",
    "insulin_independent",
    "insulin_units_per_kg",
    "need_ieq_per_kg",
    "severe_hypoglycaemia_events",
    "surviving_ieq_per_kg",
]

GRADES = ("optimal", "good", "marginal", "failure")
"""The Igls grades, best first [S21]."""
_GRADE_TABLE = np.array(GRADES, dtype=object)


def engrafted_ieq_per_kg(
    delivered_ieq_per_kg: Values,
    viability_percent: Values,
    thrombosis: Values,
    p: GraftParameters = DEFAULT.graft,
) -> Values:
    """The viable islets one infusion engrafts, per kg; a thrombosis after it costs a share."""
    kept = np.where(thrombosis, 1.0 - p.thrombosis_loss, 1.0)
    return delivered_ieq_per_kg * (viability_percent / 100.0) * p.engraftment_fraction * kept


def surviving_ieq_per_kg(
    engrafted: Values, years_since: Values, attrition_per_year: Values
) -> Values:
    """What is left of an engrafted mass ``years_since`` its infusion (none before it), lost at
    this recipient's rate."""
    years = np.asarray(years_since)
    left = engrafted * np.exp(-attrition_per_year * np.maximum(years, 0.0))
    return np.where(years >= 0.0, left, 0.0)


def attrition_per_year(u: Values, p: GraftParameters = DEFAULT.graft) -> Values:
    """This recipient's rate of graft loss, from its uniform draw ``u`` (logistic on the log
    scale around the median: a few recipients lose their graft within a year or two)."""
    return p.attrition_per_year * np.exp(p.attrition_scale * uniform_logit(u))


def need_ieq_per_kg(u: Values, p: GraftParameters = DEFAULT.graft) -> Values:
    """The engrafted mass this recipient needs to be insulin-independent, from its uniform
    draw ``u`` (logistic on the log scale around the calibrated median)."""
    return p.median_need_ieq_per_kg * np.exp(p.need_scale * uniform_logit(u))


def insulin_independent(ratio: Values) -> Values:
    """Whether a graft at ``ratio`` of its need keeps the recipient off insulin."""
    return ratio >= 1.0


def c_peptide_ng_per_ml(ratio: Values, p: GraftParameters = DEFAULT.graft) -> Values:
    """Stimulated C-peptide of a graft at ``ratio`` of its need."""
    return p.c_peptide_at_need_ng_per_ml * np.maximum(ratio, 0.0)


def insulin_units_per_kg(
    ratio: Values, baseline_units_per_kg: Values, p: GraftParameters = DEFAULT.graft
) -> Values:
    """Daily insulin: the baseline, less the share the graft covers (none at ratio 1)."""
    return baseline_units_per_kg * np.clip(1.0 - ratio, 0.0, 1.0)


def hba1c_percent(
    ratio: Values, baseline_percent: Values, p: GraftParameters = DEFAULT.graft
) -> Values:
    """HbA1c: from the baseline to the working graft's value, reached at the control ratio."""
    reached = np.minimum(baseline_percent, p.hba1c_with_graft_percent)
    share = np.clip(ratio / p.glycaemic_control_ratio, 0.0, 1.0)
    return baseline_percent - (baseline_percent - reached) * share


def severe_hypoglycaemia_events(
    ratio: Values, baseline_events: Values, p: GraftParameters = DEFAULT.graft
) -> Values:
    """Severe hypoglycaemic events a year: the baseline count, in proportion to the share of
    the protective ratio not reached (rounded down; none at or above it)."""
    left = np.clip(1.0 - ratio / p.protective_ratio, 0.0, 1.0)
    return np.floor(baseline_events * left)


def igls_grade(
    *,
    hba1c_percent: Values,
    severe_events: Values,
    insulin_units_per_kg: Values,
    baseline_insulin_units_per_kg: Values,
    c_peptide_ng_per_ml: Values,
    failure_c_peptide_ng_per_ml: Values,
    p: GraftParameters = DEFAULT.graft,
) -> Values:
    """The Igls grade [S21] of these values: optimal (HbA1c ≤ 6.5 %, no severe events, no
    insulin), good (HbA1c < 7 %, no severe events, insulin under half the baseline and under
    0.5 U/kg/day), both with C-peptide above 0.5 ng/mL; failure when stimulated C-peptide is
    below the failure limit (0.3 ng/mL [S8]); marginal otherwise (a graft that works, and whose
    benefit is less). A string for scalars, an object array of ``GRADES``' strings for arrays."""
    working = c_peptide_ng_per_ml >= p.good_c_peptide_ng_per_ml
    no_events = severe_events == 0
    optimal = working & no_events & (hba1c_percent <= p.optimal_hba1c_percent)
    optimal = optimal & (insulin_units_per_kg == 0)
    less_insulin = insulin_units_per_kg < np.minimum(
        p.good_insulin_share * baseline_insulin_units_per_kg, p.good_insulin_units_per_kg
    )
    good = working & no_events & (hba1c_percent < p.good_hba1c_percent) & less_insulin
    works = np.asarray(c_peptide_ng_per_ml >= failure_c_peptide_ng_per_ml)
    conditions = [np.asarray(optimal), np.asarray(good), works]
    code = np.select(conditions, [0, 1, 2], 3)
    # An array's elements are the table's own strings (no new string per recipient)
    return GRADES[int(code)] if code.ndim == 0 else _GRADE_TABLE[code]
