"""Isolation yield: the islets a digest gives, from the donor, the cold ischaemia and the solution.

The sources report donor effects as odds ratios of a *successful* isolation (a yield over a
threshold). Read as a latent logistic model, that is exactly a model of log-yield: if

    log(yield) = log(median) + s · L,   L standard logistic,

then the odds that the yield exceeds any threshold shift by ``exp(Δlog(median) / s)``. So an
odds ratio ``OR`` per unit of a donor variable moves the median digest by ``OR ** s`` per unit,
where ``s`` is the digest step's own variability. The median is anchored at a reference donor
(the calibration series' means), and the draw ``u`` from the case's isolation stream gives the
digest's own luck: more cold ischaemia gives a lower median, so the cold-ischaemia warning's
"expect a lower yield" is true in the model.

Everything works on floats and on numpy arrays alike. Preservation solutions are given as a
name (``"UW"``) or, in arrays, as their index in :data:`SOLUTIONS`.
"""

from __future__ import annotations

import numpy as np

from ..protocol import PRESERVATION_SOLUTIONS
from .parameters import DEFAULT, IsolationParameters
from .risk import Values, odds_term, uniform_logit

__all__ = ["SOLUTIONS", "digest_ieq", "median_digest_ieq", "solution_index"]

SOLUTIONS = PRESERVATION_SOLUTIONS
"""The accepted solutions, in the order their indices stand for in arrays [S5a]."""


def solution_index(solution: Values) -> Values:
    """The index of a solution's name in :data:`SOLUTIONS`; indices (arrays) pass through."""
    return SOLUTIONS.index(solution) if isinstance(solution, str) else solution


def _solution_log_odds(solution: Values, p: IsolationParameters) -> Values:
    htk, pfc = np.log(p.htk_odds_ratio), np.log(p.perfluorocarbon_odds_ratio)
    by_solution = np.array([htk * ("HTK" in name) + pfc * ("PFC" in name) for name in SOLUTIONS])
    return by_solution[solution_index(solution)]


def median_digest_ieq(
    donor_age_years: Values,
    donor_bmi: Values,
    cold_ischemia_hours: Values,
    solution: Values = "UW",
    p: IsolationParameters = DEFAULT.isolation,
) -> Values:
    """The median islet equivalents of a digest from this donor and pancreas."""
    log_odds = (
        odds_term(p.age_odds_ratio, donor_age_years - p.reference_age_years)
        + odds_term(p.bmi_odds_ratio, donor_bmi - p.reference_bmi)
        + odds_term(
            p.cold_ischemia_odds_ratio, cold_ischemia_hours - p.reference_cold_ischemia_hours
        )
        + _solution_log_odds(solution, p)
    )
    return p.reference_median_digest_ieq * np.exp(p.digest_scale * log_odds)


def digest_ieq(median_ieq: Values, u: Values, p: IsolationParameters = DEFAULT.isolation) -> Values:
    """The digest's islet equivalents for the uniform draw ``u`` of the isolation stream."""
    return median_ieq * np.exp(p.digest_scale * uniform_logit(u))
