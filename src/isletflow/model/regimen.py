"""Immunosuppression as a regimen: induction agents and timing, maintenance drugs with targets.

Immunosuppression starts before the infusion and continues as long as the graft works
[S1, S3, S27, S40]. The label gives induction 30–360 min before infusion, an anti-IL-2 receptor
antibody 120 min before [S1]. Maintenance is judged by trough levels against their targets:
tacrolimus 3–6 ng/mL; sirolimus 12–15 ng/mL for 3 months, then 7–10 (Edmonton [S10]). A trough
below its target (0 included) or above it is flagged by :func:`trough_status`, elementwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .parameters import DEFAULT, RegimenParameters
from .risk import Values

__all__ = [
    "CIT07",
    "EDMONTON",
    "REGIMENS",
    "TARGETED_DRUGS",
    "TROUGH_STATUSES",
    "Regimen",
    "induction_agents",
    "minutes_before_infusion",
    "trough_status",
    "trough_target",
]

TROUGH_STATUSES = ("below", "within", "above")
"""The names of :func:`trough_status`'s -1, 0 and 1 (index ``status + 1``)."""

TARGETED_DRUGS = frozenset({"tacrolimus", "sirolimus"})
"""The maintenance drugs :func:`trough_target` knows a target for [S10]."""

_ANTI_IL2R = frozenset({"basiliximab", "daclizumab"})


@dataclass(frozen=True, slots=True)
class Regimen:
    """A named immunosuppressive regimen: induction at the first and at later infusions, and the
    maintenance drugs whose troughs are measured."""

    name: str
    first_induction: tuple[str, ...]
    later_induction: tuple[str, ...]
    maintenance: tuple[str, ...]


EDMONTON = Regimen("edmonton", ("daclizumab",), ("daclizumab",), ("sirolimus", "tacrolimus"))
"""Steroid-free: daclizumab induction, sirolimus and tacrolimus [S10]."""

CIT07 = Regimen(
    "cit07", ("rabbit ATG", "etanercept"), ("basiliximab",), ("sirolimus", "tacrolimus")
)
"""Rabbit ATG and etanercept at the first transplant, basiliximab at later ones; sirolimus and
low-dose tacrolimus [S6, S41]. CIT-07's own trough targets and whether etanercept is repeated at
later infusions were not in a readable source: the Edmonton targets are used."""

REGIMENS = {regimen.name: regimen for regimen in (EDMONTON, CIT07)}
"""The regimens by name."""


def induction_agents(regimen: Regimen, infusion_number: int) -> tuple[str, ...]:
    """The induction agents of a regimen for the first (1) or a later infusion."""
    return regimen.first_induction if infusion_number == 1 else regimen.later_induction


def minutes_before_infusion(agent: str, p: RegimenParameters = DEFAULT.regimen) -> float | None:
    """When the label times an agent before infusion (anti-IL-2R antibodies), else None: the
    protocol's window then applies alone [S1]."""
    return p.anti_il2r_minutes_before if agent in _ANTI_IL2R else None


def trough_target(
    drug: str, months_since_first_infusion: Values, p: RegimenParameters = DEFAULT.regimen
) -> tuple[Values, Values]:
    """The (low, high) trough target of a maintenance drug at that time, ng/mL."""
    if drug not in TARGETED_DRUGS:
        raise ValueError(f"no trough target for {drug!r}: tacrolimus or sirolimus")
    if drug == "tacrolimus":
        return p.tacrolimus_low, p.tacrolimus_high
    early = months_since_first_infusion < p.sirolimus_switch_months
    low = np.where(early, p.sirolimus_early_low, p.sirolimus_late_low)[()]
    high = np.where(early, p.sirolimus_early_high, p.sirolimus_late_high)[()]
    return low, high


def trough_status(level_ng_per_ml: Values, low: Values, high: Values) -> Values:
    """-1 below the target, 0 within it (ends included), 1 above it."""
    return (level_ng_per_ml > high) * 1 - (level_ng_per_ml < low) * 1
