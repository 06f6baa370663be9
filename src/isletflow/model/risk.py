"""Risk arithmetic shared by every relation: log-odds in, probability out, and the draw.

A risk is a logistic model: ``p = 1 / (1 + exp(-(logit(base) + Σ log(OR_i) · x_i)))``, where
``base`` is the probability of the reference case (every exposure ``x_i`` at 0) and each
``OR_i`` is an odds ratio as the sources publish it. The functions use numpy ufuncs, which take
floats as well as arrays: a scalar in gives a scalar out, an array in gives an array out, and
the per-case engine and the vectorised cohort call the same code.

A risk is *realised* by :func:`occurs` with a uniform draw ``u`` that the caller takes from the
case's own random stream at the moment the risk applies. The draw does not depend on the
probability, so a choice that lowers the odds (sealing a track, less tissue) changes whether the
event happens but never which random numbers the rest of the case sees.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Values", "logistic", "logit", "occurs", "odds_term", "risk", "uniform_logit"]

Values = Any
"""A number, or a numpy array of numbers: every function here works elementwise on either."""

# The open interval a uniform draw is clamped to before a logit, so that a draw of exactly 0
# (numpy's ``random()`` can return it) gives a finite value. Numerical, not clinical.
_EDGE = float(np.finfo(np.float64).eps)


def logit(p: Values) -> Values:
    """``log(p / (1 - p))`` for probabilities strictly between 0 and 1."""
    return np.log(p) - np.log1p(-p)


def logistic(log_odds: Values) -> Values:
    """``1 / (1 + exp(-log_odds))``, without overflow for large negative log-odds."""
    return np.exp(-np.logaddexp(0.0, -log_odds))


def odds_term(odds_ratio: Values, exposure: Values) -> Values:
    """``log(odds_ratio) · exposure``: one exposure's shift of the log-odds."""
    return np.log(odds_ratio) * exposure


def risk(base: Values, *log_odds_shifts: Values) -> Values:
    """The probability of an event whose reference probability is ``base``, shifted by each
    :func:`odds_term` (or any other log-odds shift) given."""
    return logistic(logit(base) + sum(log_odds_shifts))


def occurs(probability: Values, u: Values) -> Values:
    """Whether an event of ``probability`` happens for the uniform draw ``u`` in [0, 1)."""
    return u < probability


def uniform_logit(u: Values) -> Values:
    """A standard logistic deviate from a uniform draw ``u`` (inverse CDF, clamped off 0 and 1)."""
    return logit(np.clip(u, _EDGE, 1.0 - _EDGE))
