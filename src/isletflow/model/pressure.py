"""Portal pressure during infusion: the rise the tissue causes, and when to pause.

The rise tracks the settled tissue (packed cell) volume infused (r = 0.66 [S13], r = 0.463 [S15],
the strongest predictor [S45]) and falls with a larger liver (standard liver volume r = −0.257
[S15]; [S45])::

    rise = rise_mmhg_per_ml · PCV · liver_volume_ratio ** (−liver_exponent)

where ``liver_volume_ratio`` is the recipient's liver volume over the reference recipient's
(1 when unknown). The stop rule is a site setting of the protocol: an absolute limit
(``portal_pressure_stop_mmhg``, UNCONFIRMED), a rise above the baseline
(``portal_pressure_stop_rise_mmhg``; 25 cmH2O in autografts [S16]), or both, whichever is
reached first; the guard ``pressure_below_stop`` asks :func:`must_pause`.
"""

from __future__ import annotations

from .parameters import DEFAULT, PressureParameters
from .risk import Values

__all__ = ["must_pause", "pressure_rise_mmhg"]


def pressure_rise_mmhg(
    packed_cell_volume_ml: Values,
    liver_volume_ratio: Values = 1.0,
    p: PressureParameters = DEFAULT.pressure,
) -> Values:
    """The rise of portal pressure once ``packed_cell_volume_ml`` of tissue is infused, mmHg."""
    return p.rise_mmhg_per_ml * packed_cell_volume_ml * liver_volume_ratio ** (-p.liver_exponent)


def must_pause(
    reading_mmhg: Values,
    baseline_mmhg: Values,
    *,
    absolute_limit_mmhg: float | None = None,
    rise_limit_mmhg: float | None = None,
) -> Values:
    """Whether a reading stops the infusion under the site's rule: at or over the absolute
    limit, or a rise over the baseline at or over the rise limit (either, when both are set)."""
    if absolute_limit_mmhg is None and rise_limit_mmhg is None:
        raise ValueError("a stop rule needs an absolute limit, a rise limit, or both")
    over_absolute = False if absolute_limit_mmhg is None else reading_mmhg >= absolute_limit_mmhg
    risen = False if rise_limit_mmhg is None else reading_mmhg - baseline_mmhg >= rise_limit_mmhg
    return over_absolute | risen
