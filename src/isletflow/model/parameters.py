"""The coefficient table: every number the model uses, with its unit and status, in one place.

``ModelParameters()`` holds the defaults. A site overrides values with a TOML, JSON or YAML file
(``ModelParameters.load``) or in code (``overridden``); a sensitivity analysis can draw any of
them. Tags (``S47`` …) resolve in ``docs/references.md``; ``docs/model.md`` shows this table.
CALIBRATED values are computed here from the published figures their basis names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..files import read_mapping
from ..models import validated
from .calibration import logistic_scale_for_cv, median_for_mean
from .coefficients import POSITIVE, Section, calibrated, sourced, unconfirmed
from .complication_parameters import (
    BleedingParameters,
    BleedManagementParameters,
    ThrombosisParameters,
)
from .graft_parameters import GraftParameters

__all__ = [
    "DEFAULT",
    "IsolationParameters",
    "ModelParameters",
    "PressureParameters",
    "RegimenParameters",
]

# Scharp-Lacy [S32]: pre-purification yield 415 ± 41 (SEM) × 10³ IEQ in 16 pancreata.
_DIGEST_SCALE = logistic_scale_for_cv(41_000 * math.sqrt(16) / 415_000)


class IsolationParameters(Section):
    """Isolation yield: a reference donor's median digest, donor odds ratios, the digest spread."""

    digest_scale: float = calibrated(
        _DIGEST_SCALE,
        "log IEQ (logistic scale)",
        "S32",
        "spread of pre-purification yield in 16 pancreata: SD = SEM 41,000 × √16 around "
        "415,000 IEQ (CV 0.40), taken as the digest step's own variability (it also holds the "
        "donors' differences, so it is an upper value)",
        **POSITIVE,
    )
    reference_median_digest_ieq: float = calibrated(
        median_for_mean(415_000, _DIGEST_SCALE),
        "IEQ",
        "S32",
        "mean pre-purification yield 415,000 IEQ of the S32 series, as the median of the "
        "reference donor through the digest spread",
        **POSITIVE,
    )
    reference_age_years: float = sourced(50.8, "y", "S32", "mean donor age of that series")
    reference_bmi: float = sourced(28.6, "kg/m²", "S32", "mean donor BMI of that series")
    reference_cold_ischemia_hours: float = sourced(
        13.2, "h", "S32", "mean cold ischaemia of that series (no perfluorocarbon)"
    )
    age_odds_ratio: float = unconfirmed(
        0.97,
        "per year",
        "younger donors do better in a multicentre multivariable analysis "
        "[S49]; Lakey 1996 found the opposite (OR 1.1, with child donors) [S48] and Wang 2013 "
        "no correlation [S50]; the size is a placeholder showing S49's direction",
        "S48, S49, S50",
        **POSITIVE,
    )
    bmi_odds_ratio: float = unconfirmed(
        1.1,
        "per kg/m²",
        "higher BMI does better in every source [S35, S48, S49, S50]; Lakey "
        "1996 gives OR 1.4 for 'high BMI' with no cut-off or unit [S48]; the size is a "
        "placeholder",
        "S35, S48, S49, S50",
        **POSITIVE,
    )
    cold_ischemia_odds_ratio: float = unconfirmed(
        0.83,
        "per h",
        "Lakey 1996: OR 0.83 for 'increased duration of cold storage' [S48], "
        "unit not given (read here per hour); shorter is better in S49, S50 and the 8 h "
        "target [S32]",
        "S32, S48, S49, S50",
        **POSITIVE,
    )
    htk_odds_ratio: float = unconfirmed(
        1.0,
        "HTK vs UW",
        "UW does better in S49 (size not readable), no difference by "
        "solution in S50: no effect until a site sets one",
        "S49, S50",
        **POSITIVE,
    )
    perfluorocarbon_odds_ratio: float = unconfirmed(
        1.0,
        "with vs without",
        "no readable source gives the effect of a perfluorocarbon layer on yield",
        **POSITIVE,
    )


class PressureParameters(Section):
    """Portal-pressure rise from settled tissue volume and liver size (the stop rule is the
    protocol's: ``portal_pressure_stop_mmhg``, ``portal_pressure_stop_rise_mmhg``)."""

    rise_mmhg_per_ml: float = calibrated(
        (21 - 13) / 13,
        "mmHg per mL",
        "S14",
        "autografts: 13 mL of tissue took the pressure from 13 to 21 mmHg (means); allografts "
        "there rose 14 → 18 mmHg. Unpurified tissue, and purity lowers the rise [S45]: likely "
        "an upper value for allografts",
        **POSITIVE,
    )
    liver_exponent: float = unconfirmed(
        1.0,
        "power",
        "a larger liver lowers the rise (standard liver volume r = −0.257 [S15]; "
        "[S45]); taken inversely proportional to the liver volume relative to the reference",
        "S15, S45",
        ge=0.0,
    )


class RegimenParameters(Section):
    """Maintenance trough targets (Edmonton [S10]) and the label's anti-IL-2R timing [S1]."""

    tacrolimus_low: float = sourced(3, "ng/mL", "S10", "tacrolimus trough 3–6", ge=0.0)
    tacrolimus_high: float = sourced(6, "ng/mL", "S10", "tacrolimus trough 3–6", ge=0.0)
    sirolimus_early_low: float = sourced(12, "ng/mL", "S10", "12–15 for 3 months", ge=0.0)
    sirolimus_early_high: float = sourced(15, "ng/mL", "S10", "12–15 for 3 months", ge=0.0)
    sirolimus_late_low: float = sourced(7, "ng/mL", "S10", "then 7–10", ge=0.0)
    sirolimus_late_high: float = sourced(10, "ng/mL", "S10", "then 7–10", ge=0.0)
    sirolimus_switch_months: float = sourced(3, "months", "S10", "end of the 12–15 period")
    anti_il2r_minutes_before: float = sourced(
        120, "min", "S1", "anti-IL-2 receptor antibody 120 min before infusion", ge=0.0
    )


class ModelParameters(BaseModel):
    """Every coefficient of the model, by relation; the defaults are the sourced values."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    isolation: IsolationParameters = IsolationParameters()
    pressure: PressureParameters = PressureParameters()
    bleeding: BleedingParameters = BleedingParameters()
    bleed_management: BleedManagementParameters = BleedManagementParameters()
    thrombosis: ThrombosisParameters = ThrombosisParameters()
    regimen: RegimenParameters = RegimenParameters()
    graft: GraftParameters = GraftParameters()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, what: str = "model") -> ModelParameters:
        """Parameters from plain data (sections of overrides), listing every problem at once."""
        return validated(cls, data, what)

    @classmethod
    def load(cls, path: str | Path) -> ModelParameters:
        """A site's parameters from a TOML, JSON or YAML file of sections of overrides."""
        path = Path(path)
        return cls.from_mapping(read_mapping(path), what=f"model parameters {path}")

    def overridden(self, overrides: Mapping[str, Mapping[str, Any]]) -> ModelParameters:
        """A copy with some values changed (``{"bleeding": {"aspirin_or": 3.0}}``)."""
        data = self.model_dump()
        for section, values in overrides.items():
            data[section] = {**data.get(section, {}), **values}
        return type(self).from_mapping(data)


DEFAULT = ModelParameters()
"""The model's defaults."""
