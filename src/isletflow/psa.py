"""Probabilistic sensitivity analysis: parameter uncertainty × patient variability.

``psa(scenario, draws=D, n=N)`` runs D outer draws. In each, every parameter of the scenario's
``uncertain:`` section is drawn once (``isletflow.uncertainty``), from its own stream
``psa.<path>`` under (seed, draw), so adding a parameter never changes what another draws; then
N recipients run through the cohort (``simulate_cohort``) under the drawn values. Every draw
runs the same recipients, 0 … N-1 of the same seed (common random numbers), so what differs
between draws is the parameters, not the patients. The result gives each outcome
(``isletflow.outcomes``) across the draws (mean, 2.5th and 97.5th percentiles) and ranks the
parameters by their partial rank correlation coefficient (PRCC) with it: the correlation of the
parameter's ranks with the outcome's ranks, once what the other parameters explain of both is
regressed out. PRCC measures a monotone effect; it needs more draws than parameters (D > k + 1)
to say anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from datetime import timedelta
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from .cohort import cohort_outcomes, runner
from .duration import iso_duration
from .errors import InvalidInput
from .outcomes import OUTCOMES, rates
from .protocol import Protocol
from .sampling import stream
from .scenario import Scenario
from .uncertainty import samplers

__all__ = ["OutcomeRange", "PsaDraw", "PsaResult", "Sensitivity", "prcc", "prcc_noise", "psa"]

_Z = 1.959963984540054  # the 97.5th percentile of the standard normal


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class OutcomeRange(_Model):
    """An outcome across the outer draws that gave it (a draw with nobody counted gives none)."""

    draws: int
    mean: float
    low: float
    high: float


class Sensitivity(_Model):
    """One parameter's PRCC with an outcome (None: not defined, e.g. the outcome never varied)."""

    parameter: str
    prcc: float | None


class PsaDraw(_Model):
    """One outer draw: the parameters' values (durations written ``10h``) and the outcomes."""

    draw: int
    parameters: dict[str, float | str]
    outcomes: dict[str, float | None]


class PsaResult(_Model):
    """What a sensitivity analysis found; ``sensitivity`` lists the parameters by outcome, the
    largest PRCC in magnitude first. ``prcc_noise``: the magnitude a PRCC of a parameter with no
    effect stays under in 95 % of analyses of this size (Fisher's z, se 1/√(D − k − 2)); None
    with too few draws."""

    scenario: str
    seed: int
    draws: int
    n: int
    parameters: list[str]
    prcc_noise: float | None
    outcomes: dict[str, OutcomeRange | None]
    sensitivity: dict[str, list[Sensitivity]]
    samples: list[PsaDraw]

    def table(self) -> str:
        """The result as text: each outcome's range, then its three most influential parameters."""
        lines = [
            f"{self.scenario or 'scenario'}: {self.draws} outer draws x {self.n} recipients, "
            f"seed {self.seed}",
            "",
            f"{'outcome':<42} {'mean':>10} {'2.5%':>10} {'97.5%':>10}",
        ]
        for name, found in self.outcomes.items():
            if found is None:
                lines.append(f"{name:<42} {'(none counted)':>10}")
                continue
            lines.append(f"{name:<42} {found.mean:>10.4g} {found.low:>10.4g} {found.high:>10.4g}")
        noise = "" if self.prcc_noise is None else f"; |PRCC| under {self.prcc_noise:.2f} is noise"
        lines += ["", f"sensitivity (PRCC, largest first{noise}):"]
        for name, ranked in self.sensitivity.items():
            shown = [f"{s.parameter} {s.prcc:+.2f}" for s in ranked[:3] if s.prcc is not None]
            lines.append(f"  {name}: {', '.join(shown) or '(not defined)'}")
        return "\n".join(lines)


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 0, ties sharing their average rank."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + ends - 1) / 2)[inverse.ravel()]


def prcc(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The partial rank correlation of each column of ``x`` (draws × parameters) with ``y``
    (draws): rank-transform, regress out the other columns' ranks, correlate the residuals.
    NaN where it is not defined (fewer draws than parameters + 2, or nothing left to vary)."""
    draws, k = x.shape
    out = np.full(k, np.nan)
    if draws < k + 2:
        return out
    ranked = np.column_stack([_ranks(x[:, j]) for j in range(k)])
    target = _ranks(y)
    for j in range(k):
        others = np.column_stack([np.ones(draws), np.delete(ranked, j, axis=1)])
        fit = np.linalg.lstsq(others, np.column_stack([ranked[:, j], target]), rcond=None)[0]
        left = np.column_stack([ranked[:, j], target]) - others @ fit
        scale = np.sqrt((left**2).sum(axis=0))
        if np.all(scale > 1e-9 * draws):
            out[j] = float(left[:, 0] @ left[:, 1] / (scale[0] * scale[1]))
    return out


def prcc_noise(draws: int, parameters: int) -> float | None:
    """The 97.5th percentile of |PRCC| for a parameter without effect, with ``draws`` draws of
    ``parameters`` parameters (Fisher's z of a partial correlation; None if undefined)."""
    left = draws - parameters - 2
    return round(math.tanh(_Z / math.sqrt(left)), 3) if left > 0 else None


def _number(value: Any) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _shown(value: Any) -> float | str:
    return iso_duration(value) if isinstance(value, timedelta) else float(value)


def _finite(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 6)


def psa(
    scenario: Scenario,
    draws: int,
    n: int,
    seed: int | None = None,
    executor: Executor | None = None,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> PsaResult:
    """Run ``draws`` outer draws of ``scenario``'s uncertain parameters, ``n`` recipients each
    (the same recipients in every draw), on ``executor`` or ``workers`` processes (default:
    every core; 1 runs here). ``progress`` is called with the recipients each chunk held."""
    if not scenario.uncertain:
        rule = "must name at least one parameter to draw (docs/psa.md)"
        raise InvalidInput.single("sensitivity analysis", "uncertain", {}, rule)
    if draws < 2:
        raise InvalidInput.single("sensitivity analysis", "draws", draws, "must be 2 or more")
    if n < 1:
        raise InvalidInput.single("sensitivity analysis", "n", n, "must be 1 or more")
    chosen = scenario.seed_for(seed)
    names = list(scenario.uncertain)
    drawing = samplers(scenario.uncertain)
    values = [
        {path: draw(stream(chosen, d, f"psa.{path}")) for path, draw in drawing.items()}
        for d in range(draws)
    ]
    runs = [_drawn(scenario, v, draw=d) for d, v in enumerate(values)]  # all checked first
    found = np.empty((draws, len(OUTCOMES)))
    with runner(executor, workers) as (running, count):
        for d, run in enumerate(runs):
            outcomes = cohort_outcomes(run, n, chosen, running, workers=count, progress=progress)
            found[d] = rates(outcomes)
    x = np.array([[_number(v[name]) for name in names] for v in values])
    return PsaResult(
        scenario=scenario.name,
        seed=chosen,
        draws=draws,
        n=n,
        parameters=names,
        prcc_noise=prcc_noise(draws, len(names)),
        outcomes={name: _range(found[:, i]) for i, name in enumerate(OUTCOMES)},
        sensitivity={name: _ranked(x, found[:, i], names) for i, name in enumerate(OUTCOMES)},
        samples=[
            PsaDraw(
                draw=d,
                parameters={name: _shown(v[name]) for name in names},
                outcomes={name: _finite(found[d, i]) for i, name in enumerate(OUTCOMES)},
            )
            for d, v in enumerate(values)
        ],
    )


def _range(column: np.ndarray) -> OutcomeRange | None:
    kept = column[~np.isnan(column)]
    if not kept.size:
        return None
    low, high = np.percentile(kept, [2.5, 97.5])
    return OutcomeRange(
        draws=int(kept.size),
        mean=round(float(kept.mean()), 6),
        low=round(float(low), 6),
        high=round(float(high), 6),
    )


def _ranked(x: np.ndarray, y: np.ndarray, names: list[str]) -> list[Sensitivity]:
    kept = ~np.isnan(y)
    coefficients = prcc(x[kept], y[kept])
    found = [
        Sensitivity(parameter=p, prcc=_finite(c)) for p, c in zip(names, coefficients, strict=True)
    ]
    return sorted(found, key=lambda s: -abs(s.prcc) if s.prcc is not None else 1.0)


def _drawn(scenario: Scenario, values: Mapping[str, Any], *, draw: int) -> Scenario:
    """``scenario`` with the parameters of outer draw ``draw`` set to ``values`` (by path);
    a combination the model or the protocol refuses is an InvalidInput naming the draw."""
    model: dict[str, dict[str, Any]] = {}
    protocol: dict[str, Any] = {}
    for path, value in values.items():
        parts = path.split(".")
        if parts[0] == "model":
            model.setdefault(parts[1], {})[parts[2]] = value
        else:
            protocol[parts[1]] = value
    what = f"outer draw {draw} of {scenario.name or 'the scenario'}"
    try:
        table = scenario.model.overridden(model) if model else scenario.model
        rules = (
            Protocol.model_validate({**scenario.protocol.model_dump(), **protocol})
            if protocol
            else scenario.protocol
        )
    except ValidationError as error:
        raise InvalidInput.from_pydantic(what, error, prefix="protocol") from None
    except InvalidInput as error:
        raise InvalidInput(what, error.problems) from None
    return scenario.model_copy(update={"model": table, "protocol": rules})
