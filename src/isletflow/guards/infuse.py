"""Guards of the infusion: access, baseline pressure, induction, heparin, sealing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from .. import rules
from ..duration import spoken
from ..model.parameters import DEFAULT  # only GUARDED coefficients (uncertainty.GUARDED)
from ..model.pressure import must_pause
from ..models import Anesthesia, Approach
from ..protocol import Protocol
from .base import Facts, GuardResult, guard

_ANAESTHESIA = {
    Anesthesia.LOCAL_SEDATION: "local anaesthesia with sedation",
    Anesthesia.GENERAL: "general anaesthesia",
}


@guard(holds=lambda f: f.brought("anesthesia") == f.approach.spec.anesthesia)
def anesthesia_fits(f: Facts) -> Iterator[GuardResult]:
    needed = f.approach.spec.anesthesia
    given = f.brought("anesthesia")
    ok = given == needed
    got = "given" if ok else f"got {_ANAESTHESIA[given]}" if given else "none given"
    yield GuardResult(
        "anesthesia_fits",
        "anesthesia_mismatch",
        ok,
        f"{f.approach.value.capitalize()} access needs {_ANAESTHESIA[needed]}; {got}.",
        observed=given.value if given else None,
        limit=needed.value,
    )


def _imaging(f: Facts) -> frozenset[Any]:
    return frozenset(f.brought("imaging") or ())


@guard(holds=lambda f: f.approach.spec.imaging <= _imaging(f))
def imaging_present(f: Facts) -> Iterator[GuardResult]:
    needed = f.approach.spec.imaging
    given = _imaging(f)
    missing = sorted(needed - given)
    text = (
        f"{f.approach.value.capitalize()} access needs "
        f"{' and '.join(m.value for m in missing)} guidance."
        if missing
        else "Imaging guidance in place."
    )
    yield GuardResult(
        "imaging_present",
        "imaging_missing",
        not missing,
        text,
        observed=tuple(sorted(g.value for g in given)),
        limit=tuple(sorted(n.value for n in needed)),
    )


def _last_mmhg(f: Facts) -> float | None:
    reading = f.record.last_pressure()
    return reading.mmhg if reading is not None else None


@guard(holds=lambda f: rules.below(_last_mmhg(f), f.protocol.max_baseline_portal_pressure_mmhg))
def baseline_pressure_low(f: Facts) -> Iterator[GuardResult]:
    mmhg = _last_mmhg(f)
    limit = f.protocol.max_baseline_portal_pressure_mmhg
    if mmhg is None:
        yield GuardResult(
            "baseline_pressure_low",
            "missing_data",
            False,
            "Measure the baseline portal pressure (record_portal_pressure) before infusing.",
            limit=limit,
            unit="mmHg",
        )
        return
    yield GuardResult(
        "baseline_pressure_low",
        "portal_pressure_high",
        bool(rules.below(mmhg, limit)),
        f"Baseline portal pressure {mmhg:g} mmHg must be below {limit:g} mmHg.",
        observed=mmhg,
        limit=limit,
        unit="mmHg",
    )


def _induction_ages(f: Facts) -> list[timedelta]:
    return [f.now - dose.at for dose in f.record.inductions]


def _fitting(f: Facts) -> list[timedelta]:
    low, high = f.protocol.induction_min_before_infusion, f.protocol.induction_max_before_infusion
    return [age for age in _induction_ages(f) if rules.within(age, low, high)]


@guard(holds=lambda f: bool(_fitting(f)))
def induction_timed(f: Facts) -> Iterator[GuardResult]:
    low, high = f.protocol.induction_min_before_infusion, f.protocol.induction_max_before_infusion
    window = f"{spoken(low)} to {spoken(high)}"
    limit = f"{spoken(low)}-{spoken(high)}"
    ages = _induction_ages(f)
    if not ages:
        text = f"Give induction immunosuppression {window} before the infusion."
        yield GuardResult("induction_timed", "induction_timing", False, text, limit=limit)
        return
    # The most recent dose that is old enough counts; a later one does not undo it.
    fitting = _fitting(f)
    age = fitting[-1] if fitting else ages[-1]
    if fitting:
        text = f"Induction given {spoken(age)} ago, within {window} before infusion."
    elif age < low:
        text = f"Induction given only {spoken(age)} ago; wait until {spoken(low)} have passed."
    else:
        text = f"Induction given {spoken(age)} ago, more than {spoken(high)} before infusion."
    left = low - age if not fitting and age < low else high - age
    yield GuardResult(
        "induction_timed",
        "induction_timing",
        bool(fitting),
        text,
        observed=age,
        limit=limit,
        time_left=left,
    )


@guard(holds=lambda f: rules.given(f.record.heparin_units_per_kg))
def heparin_added(f: Facts) -> Iterator[GuardResult]:
    units = f.record.heparin_units_per_kg
    default = f.protocol.heparin_units_per_kg
    text = (
        f"Heparin {units:g} U/kg in the product."
        if units is not None
        else f"Add heparin ({default:g} U/kg) to the product first."
    )
    yield GuardResult(
        "heparin_added",
        "heparin_missing",
        units is not None,
        text,
        observed=units,
        limit=default,
        unit="U/kg",
    )


def _heparin_under_threshold(f: Facts) -> Any:
    units = f.record.heparin_units_per_kg
    return units is None or rules.below(units, DEFAULT.bleeding.heparin_threshold_units_per_kg)


@guard(holds=_heparin_under_threshold)
def heparin_under_bleeding_threshold(f: Facts) -> Iterator[GuardResult]:
    units = f.record.heparin_units_per_kg
    threshold = DEFAULT.bleeding.heparin_threshold_units_per_kg
    ok = bool(_heparin_under_threshold(f))
    odds = DEFAULT.bleeding.high_heparin_or
    text = (
        f"Heparin in the product is under {threshold:g} U/kg."
        if ok
        else f"Heparin {units:g} U/kg in the product is at or over {threshold:g} U/kg, which "
        f"multiplied the odds of bleeding by {odds:g} in 132 percutaneous procedures [S47]."
    )
    yield GuardResult(
        "heparin_under_bleeding_threshold",
        "heparin_bleeding_risk",
        ok,
        text,
        observed=units,
        limit=threshold,
        unit="U/kg",
        warning=True,
    )


def _over_stop(f: Facts) -> bool:
    """Whether the last reading stops the infusion under the site's rule (no reading: it does)."""
    last = f.record.last_pressure()
    if last is None:
        return True
    baseline = f.record.baseline_pressure()
    p = f.protocol
    return bool(
        must_pause(
            last.mmhg,
            last.mmhg if baseline is None else baseline.mmhg,
            absolute_limit_mmhg=p.portal_pressure_stop_mmhg,
            rise_limit_mmhg=p.portal_pressure_stop_rise_mmhg,
        )
    )


def _stop_rule(p: Protocol) -> str:
    absolute, rise = p.portal_pressure_stop_mmhg, p.portal_pressure_stop_rise_mmhg
    rules_ = ([] if absolute is None else [f"{absolute:g} mmHg"]) + (
        [] if rise is None else [f"a rise of {rise:g} mmHg over the baseline"]
    )
    return " or ".join(rules_)


@guard(holds=lambda f: not _over_stop(f))
def pressure_below_stop(f: Facts) -> Iterator[GuardResult]:
    observed = _last_mmhg(f)
    ok = not _over_stop(f)
    baseline = f.record.baseline_pressure()
    rise = (
        ""
        if baseline is None or observed is None
        else f" ({observed - baseline.mmhg:+.1f} mmHg over the baseline)"
    )
    rule = _stop_rule(f.protocol)
    if observed is None:
        text = "No portal pressure reading."
    elif ok:
        text = f"Last portal pressure {observed:g} mmHg{rise} is below the stop limit ({rule})."
    else:
        text = f"Last portal pressure {observed:g} mmHg{rise} reaches the stop limit ({rule})."
    yield GuardResult(
        "pressure_below_stop",
        "portal_pressure_high",
        ok,
        text,
        observed=observed,
        limit=f.protocol.portal_pressure_stop_mmhg,
        unit="mmHg",
    )


def _fraction_ok(f: Facts) -> bool:
    return rules.given(f.brought("fraction_delivered")) or f.state == "infuse.infusing"


@guard(holds=_fraction_ok)
def fraction_known(f: Facts) -> Iterator[GuardResult]:
    ok = _fraction_ok(f)
    text = (
        "Dose delivered is known."
        if ok
        else "The infusion was stopped early: say what fraction was delivered (fraction_delivered)."
    )
    observed = f.brought("fraction_delivered")
    yield GuardResult("fraction_known", "missing_data", ok, text, observed=observed)


def _sealed_ok(f: Facts) -> Any:
    required = f.approach is Approach.PERCUTANEOUS and f.protocol.require_track_sealing
    return rules.implies(required, rules.given(f.brought("track_sealant")))


@guard(holds=_sealed_ok)
def track_sealed(f: Facts) -> Iterator[GuardResult]:
    sealant = f.brought("track_sealant")
    if f.approach is not Approach.PERCUTANEOUS:
        text = "No transhepatic track to seal."
    elif sealant is not None:
        text = f"Transhepatic track sealed with {sealant}."
    elif not f.protocol.require_track_sealing:
        text = "Transhepatic track left open (the protocol does not require sealing)."
    else:
        text = (
            "Seal the transhepatic track (track_sealant: gelfoam, coils, glue or "
            "collagen_paste) to prevent bleeding."
        )
    observed = sealant if f.approach is Approach.PERCUTANEOUS else None
    yield GuardResult(
        "track_sealed", "track_not_sealed", bool(_sealed_ok(f)), text, observed=observed
    )
