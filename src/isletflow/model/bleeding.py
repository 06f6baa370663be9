"""Bleeding after an infusion: its risk from what was done, and what a bleed leads to.

The risk is Villiger's [S47] logistic model of a percutaneous infusion: the odds ratios of the
2nd and 3rd procedure, platelets under the threshold, each mmHg of pressure rise, heparin at or
over 45 U/kg and aspirin, applied to a first unsealed procedure's risk. Sealing the track
multiplies the odds by the sealant's odds ratio (gelatin foam [S18], coils with glue [S47]);
surgical access, which leaves no transhepatic track, by the approach's (laparotomy [S14]).
Villiger's odds ratios are univariate: two risk factors that went together in that series are
counted twice here, so the risk of a procedure with several is overstated.

A bleed is managed by observation, transfusion, embolisation or surgery (shares from S18, see
the coefficient table); :func:`management` picks one from a uniform draw and
:func:`management_steps` gives its steps with their times.

Sealants and approaches are names (``"gelfoam"``, ``"open"``) or, in arrays, their indices in
:data:`SEALANTS` and :data:`APPROACHES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from .complication_parameters import BleedingParameters, BleedManagementParameters
from .parameters import DEFAULT
from .risk import Values, odds_term, risk

__all__ = [
    "APPROACHES",
    "MANAGEMENTS",
    "SEALANTS",
    "bleeding_probability",
    "high_heparin",
    "management",
    "management_steps",
]

SEALANTS = ("none", "gelfoam", "coils", "glue", "collagen_paste")
"""How a percutaneous track is sealed [S17, S18, S39b, S47]; ``none`` leaves it open."""

APPROACHES = ("percutaneous", "laparoscopic", "open")
"""The approaches, in the order their indices stand for in arrays."""

MANAGEMENTS = ("observation", "transfusion", "embolisation", "surgery")
"""What a bleed may lead to, in the order :func:`management` numbers them."""


def index_of(value: Values, names: tuple[str, ...]) -> Values:
    return names.index(value) if isinstance(value, str) else value


def _track_log_odds(sealant: Values, approach: Values, p: BleedingParameters) -> Values:
    """The log odds ratio of the access: the sealant's if percutaneous, else the approach's."""
    sealing = np.log([1.0, p.gelfoam_or, p.coils_or, p.glue_or, p.collagen_paste_or])
    access = np.log([1.0, p.laparoscopic_or, p.open_or])
    approach_index = index_of(approach, APPROACHES)
    percutaneous = approach_index == 0
    return access[approach_index] + percutaneous * sealing[index_of(sealant, SEALANTS)]


def high_heparin(heparin_units_per_kg: Values, p: BleedingParameters = DEFAULT.bleeding) -> Values:
    """Whether the heparin in the product is at or over the threshold of Villiger's odds ratio
    of bleeding [S47] (45 U/kg)."""
    return heparin_units_per_kg >= p.heparin_threshold_units_per_kg


def bleeding_probability(
    *,
    procedure_number: Values,
    platelets_per_ul: Values,
    pressure_rise_mmhg: Values,
    heparin_units_per_kg: Values,
    aspirin: Values,
    sealant: Values,
    approach: Values = "percutaneous",
    p: BleedingParameters = DEFAULT.bleeding,
) -> Values:
    """The probability that this infusion bleeds."""
    return risk(
        p.base_risk,
        odds_term(p.second_procedure_or, procedure_number == 2),
        odds_term(p.third_procedure_or, procedure_number >= 3),
        odds_term(p.low_platelets_or, platelets_per_ul < p.platelet_threshold_per_ul),
        odds_term(p.pressure_rise_or, pressure_rise_mmhg),
        odds_term(p.high_heparin_or, high_heparin(heparin_units_per_kg, p)),
        odds_term(p.aspirin_or, aspirin),
        _track_log_odds(sealant, approach, p),
    )


def management(u: Values, p: BleedManagementParameters = DEFAULT.bleed_management) -> Values:
    """The index in :data:`MANAGEMENTS` of how a bleed is managed, for the uniform draw ``u``."""
    shares = [p.observation_share, p.transfusion_share, p.embolisation_share]
    chosen = np.searchsorted(np.cumsum(shares), u, side="right")
    return chosen if isinstance(chosen, np.ndarray) else int(chosen)


@dataclass(frozen=True, slots=True)
class ManagementStep:
    """One step of a bleed's management: what, when after the bleed is found, how long."""

    kind: str
    after: timedelta
    duration: timedelta


def management_steps(
    kind: str, p: BleedManagementParameters = DEFAULT.bleed_management
) -> tuple[ManagementStep, ...]:
    """The steps of one management (a name of :data:`MANAGEMENTS`): the intervention, if any,
    then observation."""
    observe = timedelta(hours=p.observation_hours)
    if kind == "observation":
        return (ManagementStep("observation", timedelta(0), observe),)
    hours = {
        "transfusion": p.transfusion_hours,
        "embolisation": p.embolisation_hours,
        "surgery": p.surgery_hours,
    }[kind]
    done = timedelta(hours=hours)
    return ManagementStep(kind, timedelta(0), done), ManagementStep("observation", done, observe)
