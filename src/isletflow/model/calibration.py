"""How a CALIBRATED coefficient is fitted to its published target: small, pure, deterministic.

The coefficient table calls these with the published numbers beside each coefficient, so the
arithmetic from a source's counts or means to the value used is code, not a number copied in.
The estimators are the usual ones for small counts: a plain odds ratio, with Haldane–Anscombe's
½ added to every cell only when a cell is empty; Jeffreys' ``(events + ½) / (n + 1)`` for a
rate with no events.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

__all__ = [
    "base_risk_for_rate",
    "jeffreys_rate",
    "jeffreys_share",
    "logistic_scale_for_cv",
    "median_for_mean",
    "need_for_cumulative_dose",
    "odds_ratio",
]

_STEPS = 200  # bisection steps: far past float precision for every bracket used here


def odds_ratio(events: int, n: int, reference_events: int, reference_n: int) -> float:
    """The odds ratio of ``events / n`` against ``reference_events / reference_n``; ½ is added
    to all four cells if any is 0 (Haldane–Anscombe), so an empty arm still gives a finite value."""
    cells = (events, n - events, reference_events, reference_n - reference_events)
    half = 0.5 if 0 in cells else 0.0
    a, b, c, d = (cell + half for cell in cells)
    return (a / b) / (c / d)


def jeffreys_share(count: int, total: int, categories: int) -> float:
    """``(count + ½) / (total + categories / 2)``: a category's share of ``total`` events that
    stays above 0 for a category never seen (Jeffreys' prior over ``categories`` outcomes)."""
    return (count + 0.5) / (total + categories / 2)


def jeffreys_rate(events: int, n: int) -> float:
    """``(events + ½) / (n + 1)``: a rate that stays above 0 when no event was seen."""
    return jeffreys_share(events, n, 2)


def _bisect(f: Callable[[float], float], target: float, low: float, high: float) -> float:
    """The x in [low, high] where the increasing function f reaches target."""
    for _ in range(_STEPS):
        middle = (low + high) / 2
        low, high = (middle, high) if f(middle) < target else (low, middle)
    return (low + high) / 2


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def base_risk_for_rate(
    rate: float, weights: Sequence[float], log_odds_shifts: Sequence[float]
) -> float:
    """The reference probability whose mix over groups (each a weight and a log-odds shift from
    the reference) averages to ``rate``: a published overall rate, told apart by its groups."""
    total = sum(weights)

    def mean(log_odds: float) -> float:
        shifted = (
            w * _logistic(log_odds + s) for w, s in zip(weights, log_odds_shifts, strict=True)
        )
        return sum(shifted) / total

    return _logistic(_bisect(mean, rate, -40.0, 40.0))


def _logistic_cv(scale: float) -> float:
    """The coefficient of variation of ``exp(scale · L)``, L standard logistic (scale < ½)."""
    mean = math.pi * scale / math.sin(math.pi * scale)
    square = 2 * math.pi * scale / math.sin(2 * math.pi * scale)
    return math.sqrt(square / mean**2 - 1)


def logistic_scale_for_cv(cv: float) -> float:
    """The scale s of a logistic log-variability whose ``exp`` has coefficient of variation cv."""
    return _bisect(_logistic_cv, cv, 1e-9, 0.5 - 1e-9)


def median_for_mean(mean: float, scale: float) -> float:
    """The median of ``m · exp(scale · L)`` (L standard logistic) whose mean is ``mean``."""
    return mean * math.sin(math.pi * scale) / (math.pi * scale)


def need_for_cumulative_dose(
    cumulative_ieq_per_kg: float,
    infusions: int,
    viability: float,
    scale: float,
    attrition_per_year: float,
) -> float:
    """The median recipient's need (engrafted viable IEQ/kg) from the mean cumulative dose of
    insulin-independent recipients over ``infusions`` equal infusions: they became
    independent with the last, so the need lies between the dose before it and the whole;
    taken half-way, as viable islets, less half a year of attrition (the earlier infusions'
    loss when the last joins them), as the median of a need varying as ``exp(scale · L)``."""
    before_last = cumulative_ieq_per_kg * (infusions - 1) / infusions
    crossed = (before_last + cumulative_ieq_per_kg) / 2
    viable = crossed * viability * math.exp(-attrition_per_year / 2)
    return median_for_mean(viable, scale)
