"""Paired comparisons of two scenarios on common random numbers.

``compare(a, b, n)`` runs recipients 0 … n-1 of both scenarios under the same seed. Every
random value of recipient i comes from a stream named by (seed, i, name), so recipient i meets
the same donor, body and chance in both wherever the scenarios agree: the difference in an
outcome is the difference the change made, with the patients' variability largely cancelled.

The pairing is exact for streams both scenarios draw in the same way. A section's random fields
share one stream, drawn in field order, and a fixed field draws nothing; so a field that is a
distribution in one scenario and fixed in the other shifts the later draws of its section (the
comparison stays valid, only less tight). ``unpaired_fields`` lists such fields. Values, ranges
and distribution shapes may differ freely: the same uniform then gives each scenario's own
quantile.

Each outcome (``isletflow.outcomes``) is a ratio over the cohort; its difference B − A has a
95 % interval from the paired per-recipient linearised values (the delta method; for a mean
over all recipients it is the usual paired interval). ``independent_width`` is the width the
interval would have with independent streams, from the two arms' own variances (what running
B on another seed would give, without running it), and ``width_ratio`` how many times wider
that is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor

import numpy as np
from pydantic import BaseModel, ConfigDict

from .cohort import cohort_outcomes, runner
from .errors import InvalidInput
from .outcomes import OUTCOMES, rates
from .scenario import Scenario

__all__ = ["Comparison", "Difference", "compare", "paired_differences", "random_fields"]

_Z = 1.959963984540054  # the 97.5th percentile of the standard normal
_UNDEFINED = ("difference", "low", "high", "paired_width", "independent_width", "width_ratio")


class Difference(BaseModel):
    """One outcome in A and B, the paired difference B − A with its 95 % interval, and the
    interval widths paired and with independent streams (None where nobody was counted)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    a: float | None
    b: float | None
    difference: float | None
    low: float | None
    high: float | None
    paired_width: float | None
    independent_width: float | None
    width_ratio: float | None


class Comparison(BaseModel):
    """What a paired comparison found, by outcome."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    a: str
    b: str
    seed: int
    n: int
    unpaired_fields: list[str]
    outcomes: dict[str, Difference]

    def table(self) -> str:
        """The comparison as text, one line per outcome."""
        lines = [
            f"B ({self.b or 'B'}) - A ({self.a or 'A'}): {self.n} recipients, seed {self.seed}, "
            "common random numbers",
        ]
        if self.unpaired_fields:
            lines.append("random in one scenario only: " + ", ".join(self.unpaired_fields))
        lines += [
            "",
            f"{'outcome':<42} {'A':>9} {'B':>9} {'B - A':>9} {'95% interval':>21} "
            f"{'x narrower':>10}",
        ]
        for name, d in self.outcomes.items():
            if d.difference is None or d.low is None or d.high is None:
                lines.append(f"{name:<42} (nobody counted in A or B)")
                continue
            ratio = "exact" if d.width_ratio is None else f"{d.width_ratio:.1f}"
            lines.append(
                f"{name:<42} {d.a:>9.4g} {d.b:>9.4g} {d.difference:>+9.4g} "
                f"{f'[{d.low:+.4g}, {d.high:+.4g}]':>21} {ratio:>10}"
            )
        return "\n".join(lines)


def random_fields(scenario: Scenario) -> set[str]:
    """The paths of the scenario's values that are distributions (``donor.age_years`` …)."""
    found: set[str] = set()

    def walk(value: object, path: str) -> None:
        if hasattr(value, "dist"):
            found.add(path)
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name), f"{path}.{name}" if path else name)

    for name in type(scenario).model_fields:
        if name not in ("model", "protocol", "uncertain"):  # fixed tables: they draw nothing
            walk(getattr(scenario, name), name)
    return found


def _linearised(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each outcome's ratio, and each recipient's linearised contribution to it."""
    ratio = rates(values)
    top, bottom = values[:, 0, :], values[:, 1, :]
    mean_bottom = bottom.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return ratio, (top - np.nan_to_num(ratio) * bottom) / mean_bottom


def _kept(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 6)


def paired_differences(a: np.ndarray, b: np.ndarray) -> dict[str, Difference]:
    """Each outcome's paired difference B − A from the same recipients' outcomes in A and B
    (recipients × 2 × outcomes, as ``outcomes.cohort_outcomes`` gives them)."""
    n = a.shape[0]
    (ra, za), (rb, zb) = _linearised(a), _linearised(b)
    out = {}
    for i, name in enumerate(OUTCOMES):
        if n < 2 or math.isnan(ra[i]) or math.isnan(rb[i]):
            out[name] = Difference.model_validate(
                {"a": _kept(ra[i]), "b": _kept(rb[i])} | dict.fromkeys(_UNDEFINED)
            )
            continue
        paired = 2 * _Z * float(np.std(zb[:, i] - za[:, i], ddof=1)) / math.sqrt(n)
        apart = float(np.var(za[:, i], ddof=1) + np.var(zb[:, i], ddof=1))
        independent = 2 * _Z * math.sqrt(apart / n)
        difference = float(rb[i] - ra[i])
        out[name] = Difference(
            a=_kept(ra[i]),
            b=_kept(rb[i]),
            difference=round(difference, 6),
            low=round(difference - paired / 2, 6),
            high=round(difference + paired / 2, 6),
            paired_width=round(paired, 6),
            independent_width=round(independent, 6),
            width_ratio=round(independent / paired, 3) if paired > 0 else None,
        )
    return out


def compare(
    a: Scenario,
    b: Scenario,
    n: int,
    seed: int | None = None,
    executor: Executor | None = None,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Comparison:
    """Run recipients 0 … n-1 of ``a`` and of ``b`` under one seed (``seed``, else A's own)
    and compare them, outcome by outcome, recipient by recipient."""
    if n < 2:
        raise InvalidInput.single("comparison", "n", n, "must be 2 or more (an interval needs 2)")
    chosen = a.seed_for(seed)
    with runner(executor, workers) as (running, count):
        found_a = cohort_outcomes(a, n, chosen, running, workers=count, progress=progress)
        found_b = cohort_outcomes(b, n, chosen, running, workers=count, progress=progress)
    return Comparison(
        a=a.name,
        b=b.name,
        seed=chosen,
        n=n,
        unpaired_fields=sorted(random_fields(a) ^ random_fields(b)),
        outcomes=paired_differences(found_a, found_b),
    )
