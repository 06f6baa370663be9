"""Guards of immunosuppression and follow-up: troughs recorded and on target, complications
treated, the graft assessed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from .. import rules
from ..model.bleeding import MANAGEMENTS
from ..model.regimen import TARGETED_DRUGS, TROUGH_STATUSES, trough_status, trough_target
from ..record import Complication, Trough
from .base import Facts, GuardResult, guard

_MONTH = timedelta(days=365.25 / 12)  # a calendar month on average, for the sirolimus switch


@guard(holds=lambda f: rules.at_least(len(f.record.troughs), 1))
def trough_recorded(f: Facts) -> Iterator[GuardResult]:
    count = len(f.record.troughs)
    ok = bool(rules.at_least(count, 1))
    text = (
        f"{count} trough level(s) recorded."
        if ok
        else "Record at least one immunosuppressant trough level (record_trough) first."
    )
    yield GuardResult("trough_recorded", "missing_data", ok, text, observed=count, limit=1)


@guard(holds=lambda f: rules.given(f.brought("igls_grade")))
def igls_grade_given(f: Facts) -> Iterator[GuardResult]:
    grade = f.brought("igls_grade")
    ok = rules.given(grade)
    text = (
        f"Graft function: {grade} (Igls)."
        if ok
        else "Give the Igls grade (optimal, good, marginal or failure) to assess the graft."
    )
    yield GuardResult("igls_grade_given", "missing_data", ok, text, observed=grade)


# What each complication needs before follow-up: a bleed is managed (observation at least), a
# thrombosis anticoagulated [S15, S18].
_TREATED_BY = {
    "bleeding": frozenset(MANAGEMENTS),
    "portal_vein_thrombosis": frozenset({"anticoagulation"}),
}


def _untreated(f: Facts) -> list[Complication]:
    treatments = f.record.treatments
    return [
        c
        for c in f.record.complications
        if c.kind in _TREATED_BY
        and not any(t.at >= c.at and t.treatment in _TREATED_BY[c.kind] for t in treatments)
    ]


@guard(holds=lambda f: not _untreated(f))
def complications_treated(f: Facts) -> Iterator[GuardResult]:
    untreated = _untreated(f)
    if not untreated:
        text = "Every complication recorded has been treated."
        yield GuardResult("complications_treated", "complication_untreated", True, text)
    for c in untreated:
        needs = (
            "anticoagulation (treat_complication)"
            if c.kind == "portal_vein_thrombosis"
            else "its management: observation, transfusion, embolisation or surgery "
            "(treat_complication)"
        )
        yield GuardResult(
            "complications_treated",
            "complication_untreated",
            False,
            f"The {c.kind.replace('_', ' ')} recorded at {c.at:%Y-%m-%d %H:%M} needs {needs} "
            "first.",
            observed=c.kind,
        )


def _months_after_infusion(f: Facts, trough: Trough) -> float:
    infused = f.record.infusion_completed_at
    return 0.0 if infused is None else (trough.at - infused) / _MONTH


def _off_target(f: Facts) -> Iterator[tuple[Trough, float, float, int]]:
    """Each trough of a drug with a target [S10], its target and its status (-1, 0, 1)."""
    for trough in f.record.troughs:
        if trough.drug not in TARGETED_DRUGS:
            continue
        low, high = trough_target(trough.drug, _months_after_infusion(f, trough))
        yield trough, float(low), float(high), int(trough_status(trough.ng_per_ml, low, high))


@guard(holds=lambda f: all(status == 0 for *_, status in _off_target(f)))
def troughs_on_target(f: Facts) -> Iterator[GuardResult]:
    judged = list(_off_target(f))
    if not judged:
        text = "No trough of a drug with a known target (tacrolimus, sirolimus) recorded."
        yield GuardResult("troughs_on_target", "trough_off_target", True, text, warning=True)
    for trough, low, high, status in judged:
        where = TROUGH_STATUSES[status + 1]
        text = (
            f"{trough.drug.capitalize()} trough {trough.ng_per_ml:g} ng/mL is within its "
            f"{low:g}–{high:g} ng/mL target."
            if status == 0
            else f"{trough.drug.capitalize()} trough {trough.ng_per_ml:g} ng/mL is {where} its "
            f"{low:g}–{high:g} ng/mL target: adjust the dose and measure again."
        )
        yield GuardResult(
            "troughs_on_target",
            "trough_off_target",
            status == 0,
            text,
            observed=trough.ng_per_ml,
            limit=f"{low:g}-{high:g}",
            unit="ng/mL",
            subcode=f"trough_{where}_target" if status else None,
            warning=True,
        )
