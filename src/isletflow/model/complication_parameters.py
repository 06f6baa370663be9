"""The coefficients of the infusion's complications: bleeding, its management, thrombosis.

Sections of the one coefficient table, ``ModelParameters`` (:mod:`isletflow.model.parameters`).
CALIBRATED values are computed here from the published figures their basis names.
"""

from __future__ import annotations

import math

from pydantic import model_validator

from .calibration import base_risk_for_rate, jeffreys_rate, jeffreys_share, odds_ratio
from .coefficients import POSITIVE, PROBABILITY, Section, calibrated, sourced, unconfirmed

__all__ = ["BleedManagementParameters", "BleedingParameters", "ThrombosisParameters"]

# Villiger 2005 [S47] with the later procedures split as in Ryan 2005 [S11]. The series' own
# exposure is in the reference mix, so that a procedure exposed as Villiger's were gets their
# rate back (not a rate with every factor on top of it): heparin at or over the 45 U/kg
# threshold in every procedure (UNCONFIRMED: the series' doses are not given; the protocol's
# default, 70 U/kg, is over it) and Geneva's mean rise of portal pressure, 18 - 14 = 4 mmHg
# (peak 18 ± 6 over basal 14 ± 5 [S14]).
_SECOND_OR, _THIRD_OR = 9.5, 20.9
_HEPARIN_OR, _RISE_OR, _SERIES_RISE_MMHG = 9.8, 1.1, 18 - 14
_FIRST, _LATER = 67 / 132, 65 / 132
_EXPOSED = math.log(_HEPARIN_OR) + _SERIES_RISE_MMHG * math.log(_RISE_OR)
_BLEEDING_BASE = base_risk_for_rate(
    18 / (132 - 26),
    [_FIRST, _LATER * 63 / 74, _LATER * 11 / 74],
    [_EXPOSED, _EXPOSED + math.log(_SECOND_OR), _EXPOSED + math.log(_THIRD_OR)],
)
_GELFOAM_OR = odds_ratio(2, 51, 3, 11)
_COILS_OR = odds_ratio(0, 26, 18, 132 - 26)
_OPEN_OR = odds_ratio(0, 15, 7, 62)
# Kawahara 2011 [S15]: 10 thromboses in 268 procedures, none in the last 101.
_BUNDLE_SHARE_OR = odds_ratio(10, 268 - 101, 0, 101) ** (1 / 3)


class BleedingParameters(Section):
    """Bleeding after an infusion: a reference risk and Villiger's odds ratios [S47]."""

    base_risk: float = calibrated(
        _BLEEDING_BASE,
        "probability",
        "S11, S14, S47",
        "first percutaneous procedure, track not sealed, no other risk factor: 18 bleeds in "
        "the 106 procedures without effective sealing [S47], read as a mix of first, second "
        "and third procedures (67 patients, 132 procedures [S47]; later ones split 63:11 as "
        "in S11) with the odds ratios below, each exposed as the series was: heparin at or "
        "over 45 U/kg (UNCONFIRMED: its doses are not given) and a 4 mmHg rise (Geneva's mean, "
        "peak 18 over basal 14 [S14])",
        **PROBABILITY,
    )
    second_procedure_or: float = sourced(
        _SECOND_OR, "odds ratio", "S47", "2nd procedure", **POSITIVE
    )
    third_procedure_or: float = sourced(
        _THIRD_OR, "odds ratio", "S47", "3rd (and later)", **POSITIVE
    )
    low_platelets_or: float = sourced(4.4, "odds ratio", "S47", "platelets < 150,000", **POSITIVE)
    platelet_threshold_per_ul: float = sourced(
        150_000, "per µL", "S47", "the OR's threshold", **POSITIVE
    )
    pressure_rise_or: float = sourced(
        _RISE_OR, "per mmHg", "S47", "elevated portal pressure", **POSITIVE
    )
    high_heparin_or: float = sourced(
        _HEPARIN_OR, "odds ratio", "S47", "heparin ≥ 45 U/kg", **POSITIVE
    )
    heparin_threshold_units_per_kg: float = sourced(
        45, "U/kg", "S47", "the OR's threshold", **POSITIVE
    )
    aspirin_or: float = sourced(2.6, "odds ratio", "S47", "aspirin 81 mg/day before", **POSITIVE)
    gelfoam_or: float = calibrated(
        _GELFOAM_OR,
        "odds ratio",
        "S18",
        "bleeding 2/51 with gelatin-foam tract embolisation vs 3/11 without",
        **POSITIVE,
    )
    coils_or: float = calibrated(
        _COILS_OR,
        "odds ratio",
        "S47",
        "coils with fibrin glue: 0/26 vs 18/106 before (Haldane–Anscombe ½)",
        **POSITIVE,
    )
    collagen_paste_or: float = unconfirmed(
        _COILS_OR,
        "odds ratio",
        "no unsealed comparison: 0/22 bleeds with collagen paste vs "
        "9/35 with gelatin sponge [S17], complete ablation with it [S15]; set equal to coils'",
        "S15, S17",
        **POSITIVE,
    )
    glue_or: float = unconfirmed(
        _GELFOAM_OR,
        "odds ratio",
        "glue alone is not reported apart from coils [S47]; set equal to gelatin foam's",
        "S47",
        **POSITIVE,
    )
    open_or: float = calibrated(
        _OPEN_OR,
        "odds ratio",
        "S14",
        "bleeding 0/15 by laparotomy vs 7/62 percutaneous (Haldane–Anscombe ½)",
        **POSITIVE,
    )
    laparoscopic_or: float = unconfirmed(
        _OPEN_OR,
        "odds ratio",
        "no series of laparoscopic access read; set equal to open's "
        "(surgical access leaves no transhepatic track [S14])",
        "S14",
        **POSITIVE,
    )


class BleedManagementParameters(Section):
    """What a bleed leads to: shares of each management and how long each step takes."""

    observation_share: float = calibrated(
        jeffreys_share(2, 5, 4),
        "probability",
        "S18",
        "2 of 5 bleeds were grade 1 and needed no intervention (Jeffreys ½ per category)",
        **PROBABILITY,
    )
    transfusion_share: float = calibrated(
        jeffreys_share(3, 5, 4),
        "probability",
        "S18",
        "3 of 5 were grade 3 'managed "
        "conservatively', read here as transfusion (the reading is UNCONFIRMED)",
        **PROBABILITY,
    )
    embolisation_share: float = calibrated(
        jeffreys_share(0, 5, 4),
        "probability",
        "S18",
        "none of 5 needed an intervention",
        **PROBABILITY,
    )
    surgery_share: float = calibrated(
        jeffreys_share(0, 5, 4),
        "probability",
        "S18",
        "none of 5 needed an operation",
        **PROBABILITY,
    )
    observation_hours: float = unconfirmed(24, "h", "observation after any bleed", **POSITIVE)
    transfusion_hours: float = unconfirmed(4, "h", "a transfusion", **POSITIVE)
    embolisation_hours: float = unconfirmed(2, "h", "angiography and embolisation", **POSITIVE)
    surgery_hours: float = unconfirmed(3, "h", "a laparotomy for bleeding", **POSITIVE)

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> BleedManagementParameters:
        shares = (
            self.observation_share,
            self.transfusion_share,
            self.embolisation_share,
            self.surgery_share,
        )
        if not math.isclose(sum(shares), 1.0):
            raise ValueError(f"the management shares must sum to 1, not {sum(shares)}")
        return self


class ThrombosisParameters(Section):
    """Portal-vein thrombosis: Kawahara's preventive measures [S15], its extent, its finding."""

    base_risk: float = calibrated(
        jeffreys_rate(0, 101),
        "probability",
        "S15",
        "no thrombosis in the 101 procedures "
        "with therapeutic heparin, complete tract ablation and PCV < 5 mL (Jeffreys ½)",
        **PROBABILITY,
    )
    no_heparin_or: float = calibrated(
        _BUNDLE_SHARE_OR,
        "odds ratio",
        "S15",
        "10/167 earlier procedures vs 0/101 with the "
        "three measures: OR 13.5 (Haldane–Anscombe), a third of its log for each measure (the "
        "equal split is UNCONFIRMED)",
        **POSITIVE,
    )
    large_volume_or: float = calibrated(
        _BUNDLE_SHARE_OR,
        "odds ratio",
        "S15",
        "as no_heparin_or: PCV at or over the limit",
        **POSITIVE,
    )
    unablated_track_or: float = calibrated(
        _BUNDLE_SHARE_OR,
        "odds ratio",
        "S15",
        "as no_heparin_or: tract not completely ablated",
        **POSITIVE,
    )
    volume_limit_ml: float = sourced(
        5.0, "mL", "S15", "packed cell volume kept below 5 mL", **POSITIVE
    )
    high_rise_or: float = unconfirmed(
        1.0,
        "odds ratio",
        "risk rises above the cut-point in autografts, no odds ratio given "
        "[S16]; PCV's term already carries the pressure it causes: no extra effect until a "
        "site sets one",
        "S16",
        **POSITIVE,
    )
    rise_cut_point_mmhg: float = sourced(
        19.1,
        "mmHg",
        "S16",
        "ROC cut-point of a 26 cmH2O rise (≈ 19.1 mmHg); autografts",
        **POSITIVE,
    )
    main_branch_share: float = calibrated(
        jeffreys_rate(0, 7),
        "probability",
        "S11, S14",
        "every thrombosis read was a branch one: 5/5 [S11], 2/2 [S14] (Jeffreys ½)",
        **PROBABILITY,
    )
    first_doppler_day: float = sourced(1, "day", "S15", "portal Doppler on day 1", ge=0.0)
    second_doppler_day: float = sourced(7, "day", "S15", "and on day 7", ge=0.0)
