"""Portal-vein thrombosis: its risk from what was done, its extent, and what it changes.

Kawahara [S15] prevented every thrombosis in 101 procedures with three measures together:
therapeutic heparinisation, complete ablation of the tract, and packed cell volume under 5 mL.
The model starts from that bundle's risk and multiplies the odds for each measure missing; a
rise of pressure above Wilhelm's cut-point [S16] may add its own odds ratio (none by default).
A thrombosis is found on the portal Doppler of day 1 or 7 [S15]; it is anticoagulated [S15];
when it reaches the main portal vein or its first-order branches it bars a further infusion,
which the label allows only after thrombosis limited to 2nd/3rd-order branches [S2].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .bleeding import APPROACHES, SEALANTS, index_of
from .complication_parameters import ThrombosisParameters
from .parameters import DEFAULT
from .risk import Values, occurs, odds_term, risk

__all__ = [
    "ABLATING_SEALANTS",
    "consequence",
    "main_branch",
    "repeat_infusion_allowed",
    "thrombosis_probability",
]


ABLATING_SEALANTS = ("coils", "collagen_paste")
"""The sealants that ablate the tract completely, Kawahara's second measure [S15]: collagen
paste (Avitene, "complete ablation" [S15]) and coils with glue [S47]. Gelatin foam and glue
alone plug the track against bleeding [S18] but no source reads them as complete ablation."""

_ABLATES = np.array([name in ABLATING_SEALANTS for name in SEALANTS])


def track_ablated(sealant: Values, approach: Values = "percutaneous") -> Values:
    """Whether the transhepatic tract is completely ablated: by an ablating sealant, or because
    surgical access leaves none. Names or, in arrays, indices in ``SEALANTS``/``APPROACHES``."""
    surgical = index_of(approach, APPROACHES) != 0
    return np.logical_or(surgical, _ABLATES[index_of(sealant, SEALANTS)])[()]


def thrombosis_probability(
    *,
    packed_cell_volume_ml: Values,
    heparinised: Values,
    track_ablated: Values,
    pressure_rise_mmhg: Values,
    p: ThrombosisParameters = DEFAULT.thrombosis,
) -> Values:
    """The probability of a portal-vein thrombosis after this infusion. ``heparinised``:
    therapeutic anticoagulation maintained; ``track_ablated``: the tract completely ablated (or
    no transhepatic tract: surgical access)."""
    return risk(
        p.base_risk,
        odds_term(p.no_heparin_or, np.logical_not(heparinised)),
        odds_term(p.large_volume_or, packed_cell_volume_ml >= p.volume_limit_ml),
        odds_term(p.unablated_track_or, np.logical_not(track_ablated)),
        odds_term(p.high_rise_or, pressure_rise_mmhg >= p.rise_cut_point_mmhg),
    )


def main_branch(u: Values, p: ThrombosisParameters = DEFAULT.thrombosis) -> Values:
    """Whether a thrombosis reaches the main portal vein or its first-order branches, for the
    uniform draw ``u`` (otherwise it is limited to 2nd/3rd-order branches)."""
    return occurs(p.main_branch_share, u)


def repeat_infusion_allowed(main_branch_thrombosis: Values) -> Values:
    """Whether a further infusion may follow: not after a main-branch thrombosis [S2]."""
    return np.logical_not(main_branch_thrombosis)


@dataclass(frozen=True, slots=True)
class ThrombosisConsequence:
    """What a thrombosis changes for the rest of the recipient's course."""

    main_branch: bool
    anticoagulate: bool
    repeat_infusion_allowed: bool


def consequence(main_branch_thrombosis: bool) -> ThrombosisConsequence:
    """The consequence of one thrombosis: always anticoagulated [S15]; a main-branch one bars
    a further infusion [S2]."""
    return ThrombosisConsequence(
        main_branch=main_branch_thrombosis,
        anticoagulate=True,
        repeat_infusion_allowed=not main_branch_thrombosis,
    )
