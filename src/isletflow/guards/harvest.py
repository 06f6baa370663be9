"""Guards of the harvest: the donor is eligible, the pancreas fit to isolate."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from .. import rules
from ..duration import spoken
from .base import Facts, GuardResult, guard


def _donor_age_ok(f: Facts) -> Any:
    p = f.protocol
    return rules.within(f.donor.age_years, p.donor_min_age_years, p.donor_max_age_years)


@guard(holds=_donor_age_ok)
def donor_age(f: Facts) -> Iterator[GuardResult]:
    low, high, age = (
        f.protocol.donor_min_age_years,
        f.protocol.donor_max_age_years,
        f.donor.age_years,
    )
    ok = bool(_donor_age_ok(f))
    where = "within" if ok else "outside"
    yield GuardResult(
        "donor_age",
        "donor_ineligible",
        ok,
        f"Donor age {age} y is {where} the accepted {low}–{high} y.",
        observed=age,
        limit=f"{low}-{high}",
        unit="y",
        subcode="donor_age_out_of_range",
    )


def _donation_ok(f: Facts) -> Any:
    dcd = f.donor.donation == "cardiac_death"
    return rules.implies(dcd, f.protocol.accept_donation_after_cardiac_death)


@guard(holds=_donation_ok)
def donor_donation_type(f: Facts) -> Iterator[GuardResult]:
    ok = bool(_donation_ok(f))
    text = (
        "Donation type is accepted."
        if ok
        else "Donation after cardiac death is not accepted by this protocol."
    )
    yield GuardResult(
        "donor_donation_type",
        "donor_ineligible",
        ok,
        text,
        observed=f.donor.donation,
        subcode="donation_after_cardiac_death",
    )


_EXCLUSIONS = {
    "diabetes_history": "a history of diabetes",
    "sepsis": "sepsis",
    "malignancy": "malignancy",
    "transmissible_infection": "a transmissible infection (HIV, hepatitis, syphilis, TB, prion)",
}


@guard(holds=lambda f: rules.none_of(*(getattr(f.donor, name) for name in _EXCLUSIONS)))
def donor_exclusions(f: Facts) -> Iterator[GuardResult]:
    for name, words in _EXCLUSIONS.items():
        present = bool(getattr(f.donor, name))
        text = f"The donor has {words}, which excludes the pancreas." if present else f"No {name}."
        yield GuardResult(
            "donor_exclusions",
            "donor_ineligible",
            not present,
            text,
            observed=present,
            limit=False,
            subcode=name,
        )


def _solution_ok(f: Facts) -> Any:
    return rules.one_of(f.donor.preservation_solution, f.protocol.accepted_preservation_solutions)


@guard(holds=_solution_ok)
def preservation_accepted(f: Facts) -> Iterator[GuardResult]:
    accepted = f.protocol.accepted_preservation_solutions
    solution = f.donor.preservation_solution
    ok = bool(_solution_ok(f))
    verb = "is" if ok else "is not"
    yield GuardResult(
        "preservation_accepted",
        "preservation_unaccepted",
        ok,
        f"Preservation solution {solution} {verb} accepted ({', '.join(accepted)}).",
        observed=solution,
        limit=accepted,
    )


def window(name: str, code: str, what: str, elapsed: timedelta, limit: timedelta) -> GuardResult:
    left = limit - elapsed
    ok = bool(rules.at_most(elapsed, limit))
    if ok:
        text = (
            f"{what} is {spoken(elapsed)}, within the {spoken(limit)} limit ({spoken(left)} left)."
        )
    else:
        text = f"{what} is {spoken(elapsed)}, over the {spoken(limit)} limit by {spoken(-left)}."
    return GuardResult(name, code, ok, text, observed=elapsed, limit=limit, time_left=left)


def _cold_ischemia(f: Facts) -> timedelta:
    return f.now - f.donor.cross_clamp_at


@guard(holds=lambda f: rules.at_most(_cold_ischemia(f), f.protocol.max_cold_ischemia))
def cold_ischemia_within_limit(f: Facts) -> Iterator[GuardResult]:
    yield window(
        "cold_ischemia_within_limit",
        "cold_ischemia_exceeded",
        "Cold ischaemia",
        _cold_ischemia(f),
        f.protocol.max_cold_ischemia,
    )


@guard(holds=lambda f: rules.at_most(_cold_ischemia(f), f.protocol.cold_ischemia_warning))
def cold_ischemia_within_target(f: Facts) -> Iterator[GuardResult]:
    elapsed = _cold_ischemia(f)
    target = f.protocol.cold_ischemia_warning
    ok = bool(rules.at_most(elapsed, target))
    text = (
        f"Cold ischaemia is within the {spoken(target)} quality target."
        if ok
        else f"Cold ischaemia is {spoken(elapsed)}, above the {spoken(target)} quality target: "
        "expect a lower yield and quality."
    )
    yield GuardResult(
        "cold_ischemia_within_target",
        "cold_ischemia_above_target",
        ok,
        text,
        observed=elapsed,
        limit=target,
        time_left=target - elapsed,
        warning=True,
    )
