"""Guards: named functions that say whether a step may happen, and why not.

Each guard yields one or more ``GuardResult``\\ s: a stable ``code``, a sentence a trainee can
read, and the values it compared. The workflow table names guards by their function name
(``GUARDS`` maps the name to the function); nothing is ever evaluated from a string.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

from .duration import format_duration, parse_duration, spoken
from .models import Anesthesia, Approach, Donor, Recipient
from .protocol import Protocol
from .record import CaseRecord
from .values import value

__all__ = ["GUARDS", "Facts", "GuardResult", "Observed"]

Observed = float | int | str | bool | timedelta | tuple[str, ...] | None


# In JSON a compared duration is written {"duration": "13h10min"}, so reading it back is never
# a guess between a duration and a text that looks like one.
def _value_in(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"duration"}:
        return parse_duration(value["duration"])
    return tuple(value) if isinstance(value, list) else value


def _value_out(value: Any) -> Any:
    if isinstance(value, timedelta):
        return {"duration": format_duration(value)}
    return list(value) if isinstance(value, tuple) else value


Compared = Annotated[
    Observed, BeforeValidator(_value_in), PlainSerializer(_value_out, when_used="json")
]


@value
@dataclass(frozen=True, slots=True)
class GuardResult:
    """The verdict of one check. ``passed`` False with ``warning`` True records without refusing."""

    guard: str
    code: str
    passed: bool
    message: str
    observed: Compared = None
    limit: Compared = None
    unit: str | None = None
    subcode: str | None = None
    time_left: timedelta | None = None
    warning: bool = False


@dataclass(slots=True)
class Facts:
    """What a guard may look at: the case, the time, and the data the step brings.

    Guards only read it. It is not frozen because one is made for every guarded step of every
    case, and a frozen dataclass costs an ``object.__setattr__`` per field to make.

    ``only_failures`` says the caller keeps failing verdicts only (``Case.act`` does: a refusal
    lists failures, an accepted step its failed warnings). A guard then yields nothing for a
    check that passes, and so builds no sentence nobody reads. Every result it does yield is
    complete, message included; ``check`` and ``allowed`` ask for every verdict.
    """

    donor: Donor
    recipient: Recipient
    approach: Approach
    protocol: Protocol
    record: CaseRecord
    state: str
    now: datetime
    data: Any
    only_failures: bool = False


Guard = Callable[[Facts], Iterator[GuardResult]]
GUARDS: dict[str, Guard] = {}


def guard(function: Guard) -> Guard:
    GUARDS[function.__name__] = function
    return function


def _amount(value: float, limit: float) -> str:
    """A dose to the unit, unless rounding would make it read as the limit it misses."""
    whole = f"{value:,.0f}"
    return whole if whole != f"{limit:,.0f}" or value == limit else f"{value:,.2f}"


def _result(name: str, code: str, passed: bool, message: str, **values: Any) -> GuardResult:
    return GuardResult(name, code, passed, message, **values)


# -- Donor and procurement -----------------------------------------------------------------


@guard
def donor_age(f: Facts) -> Iterator[GuardResult]:
    low, high, age = (
        f.protocol.donor_min_age_years,
        f.protocol.donor_max_age_years,
        f.donor.age_years,
    )
    ok = low <= age <= high
    if ok and f.only_failures:
        return
    where = "within" if ok else "outside"
    yield _result(
        "donor_age", "donor_ineligible", ok,
        f"Donor age {age} y is {where} the accepted {low}–{high} y.",
        observed=age, limit=f"{low}-{high}", unit="y", subcode="donor_age_out_of_range",
    )  # fmt: skip


@guard
def donor_donation_type(f: Facts) -> Iterator[GuardResult]:
    dcd = f.donor.donation == "cardiac_death"
    ok = not dcd or f.protocol.accept_donation_after_cardiac_death
    if ok and f.only_failures:
        return
    text = (
        "Donation after cardiac death is not accepted by this protocol."
        if not ok
        else "Donation type is accepted."
    )
    yield _result(
        "donor_donation_type", "donor_ineligible", ok, text,
        observed=f.donor.donation, subcode="donation_after_cardiac_death",
    )  # fmt: skip


_EXCLUSIONS = {
    "diabetes_history": "a history of diabetes",
    "sepsis": "sepsis",
    "malignancy": "malignancy",
    "transmissible_infection": "a transmissible infection (HIV, hepatitis, syphilis, TB, prion)",
}


@guard
def donor_exclusions(f: Facts) -> Iterator[GuardResult]:
    for name, words in _EXCLUSIONS.items():
        present = bool(getattr(f.donor, name))
        if not present and f.only_failures:
            continue
        text = f"The donor has {words}, which excludes the pancreas." if present else ""
        yield _result(
            "donor_exclusions", "donor_ineligible", not present, text or f"No {name}.",
            observed=present, limit=False, subcode=name,
        )  # fmt: skip


@guard
def preservation_accepted(f: Facts) -> Iterator[GuardResult]:
    accepted = f.protocol.accepted_preservation_solutions
    solution = f.donor.preservation_solution
    ok = solution in accepted
    if ok and f.only_failures:
        return
    verb = "is" if ok else "is not"
    yield _result(
        "preservation_accepted", "preservation_unaccepted", ok,
        f"Preservation solution {solution} {verb} accepted ({', '.join(accepted)}).",
        observed=solution, limit=accepted,
    )  # fmt: skip


def _window(name: str, code: str, what: str, elapsed: timedelta, limit: timedelta) -> GuardResult:
    left = limit - elapsed
    if left >= timedelta(0):
        text = (
            f"{what} is {spoken(elapsed)}, within the {spoken(limit)} limit ({spoken(left)} left)."
        )
    else:
        text = f"{what} is {spoken(elapsed)}, over the {spoken(limit)} limit by {spoken(-left)}."
    return _result(
        name, code, left >= timedelta(0), text, observed=elapsed, limit=limit, time_left=left
    )


@guard
def cold_ischemia_within_limit(f: Facts) -> Iterator[GuardResult]:
    elapsed = f.now - f.donor.cross_clamp_at
    if f.only_failures and elapsed <= f.protocol.max_cold_ischemia:
        return
    yield _window(
        "cold_ischemia_within_limit", "cold_ischemia_exceeded", "Cold ischaemia",
        elapsed, f.protocol.max_cold_ischemia,
    )  # fmt: skip


@guard
def cold_ischemia_within_target(f: Facts) -> Iterator[GuardResult]:
    elapsed = f.now - f.donor.cross_clamp_at
    target = f.protocol.cold_ischemia_warning
    ok = elapsed <= target
    if ok and f.only_failures:
        return
    text = (
        f"Cold ischaemia is {spoken(elapsed)}, above the {spoken(target)} quality target: "
        "expect a lower yield and quality."
        if not ok
        else f"Cold ischaemia is within the {spoken(target)} quality target."
    )
    yield GuardResult(
        "cold_ischemia_within_target", "cold_ischemia_above_target", ok, text,
        observed=elapsed, limit=target, time_left=target - elapsed, warning=True,
    )  # fmt: skip


# -- Isolation and purification -------------------------------------------------------------


def _given(f: Facts, field: str) -> Any:
    """A value the step brings, or failing that, the one already recorded."""
    value = getattr(f.data, field, None)
    return value if value is not None else getattr(f.record, field)


@guard
def digest_recorded(f: Facts) -> Iterator[GuardResult]:
    ieq = _given(f, "digest_ieq")
    ok = ieq is not None
    if ok and f.only_failures:
        return
    text = (
        "Digest recorded." if ok else "Record the digest (digest_ieq) before finishing digestion."
    )
    yield _result("digest_recorded", "missing_data", ok, text, observed=ieq, unit="IEQ")


@guard
def yield_recorded(f: Facts) -> Iterator[GuardResult]:
    ieq = _given(f, "purified_ieq")
    ok = ieq is not None and ieq > 0
    if ok and f.only_failures:
        return
    if ieq is None:
        text = "Record the purified yield (purified_ieq) before culture."
    elif not ok:
        text = "The purified yield is 0 IEQ: there are no islets to culture."
    else:
        text = f"Purified yield {ieq:,.0f} IEQ recorded."
    yield _result("yield_recorded", "no_yield", ok, text, observed=ieq, limit=0, unit="IEQ")


@guard
def culture_within_window(f: Facts) -> Iterator[GuardResult]:
    ended = f.record.isolation_ended_at
    elapsed = f.now - ended if ended is not None else timedelta(0)
    if f.only_failures and elapsed <= f.protocol.max_culture:
        return
    yield _window(
        "culture_within_window", "culture_window_exceeded", "Time since isolation",
        elapsed, f.protocol.max_culture,
    )  # fmt: skip


@guard
def release_criteria(f: Facts) -> Iterator[GuardResult]:
    prep, p = f.record.preparation, f.protocol
    if prep is None:
        yield _result(
            "release_criteria", "missing_data", False,
            "Record the release tests (record_release_tests) before releasing the product.",
        )  # fmt: skip
        return
    dose = prep.dose_ieq_per_kg(f.recipient)
    if f.only_failures and (
        dose >= p.min_dose_ieq_per_kg
        and prep.tissue_volume_ml <= p.max_tissue_volume_ml
        and prep.purity_percent >= p.min_purity_percent
        and prep.viability_percent >= p.min_viability_percent
        and prep.endotoxin_eu_per_kg <= p.max_endotoxin_eu_per_kg
        and not prep.gram_stain_positive
        and prep.stimulation_index > p.min_stimulation_index
        and prep.labelled_recipient_id == f.recipient.id
    ):
        return  # every test passes: the same comparisons as below, without their sentences
    checks: tuple[tuple[str, bool, str, Observed, Observed, str | None], ...] = (
        ("dose_below_minimum", dose >= p.min_dose_ieq_per_kg,
         f"Dose {_amount(dose, p.min_dose_ieq_per_kg)} IEQ/kg against a minimum of "
         f"{p.min_dose_ieq_per_kg:,.0f} IEQ/kg.",
         dose, p.min_dose_ieq_per_kg, "IEQ/kg"),
        ("tissue_volume_above_limit", prep.tissue_volume_ml <= p.max_tissue_volume_ml,
         f"Tissue volume {prep.tissue_volume_ml:g} mL against a limit of "
         f"{p.max_tissue_volume_ml:g} mL.",
         prep.tissue_volume_ml, p.max_tissue_volume_ml, "mL"),
        ("purity_below_minimum", prep.purity_percent >= p.min_purity_percent,
         f"Purity {prep.purity_percent:g} % against a minimum of {p.min_purity_percent:g} %.",
         prep.purity_percent, p.min_purity_percent, "%"),
        ("viability_below_minimum", prep.viability_percent >= p.min_viability_percent,
         f"Viability {prep.viability_percent:g} % against a minimum of "
         f"{p.min_viability_percent:g} %.",
         prep.viability_percent, p.min_viability_percent, "%"),
        ("endotoxin_above_limit", prep.endotoxin_eu_per_kg <= p.max_endotoxin_eu_per_kg,
         f"Endotoxin {prep.endotoxin_eu_per_kg:g} EU/kg against a limit of "
         f"{p.max_endotoxin_eu_per_kg:g} EU/kg.",
         prep.endotoxin_eu_per_kg, p.max_endotoxin_eu_per_kg, "EU/kg"),
        ("gram_stain_positive", not prep.gram_stain_positive,
         "Gram stain shows organisms." if prep.gram_stain_positive else "Gram stain is clear.",
         prep.gram_stain_positive, False, None),
        ("stimulation_index_below_minimum", prep.stimulation_index > p.min_stimulation_index,
         f"Stimulation index {prep.stimulation_index:g} must be above "
         f"{p.min_stimulation_index:g}.",
         prep.stimulation_index, p.min_stimulation_index, None),
        ("identity_mismatch", prep.labelled_recipient_id == f.recipient.id,
         f"The product is labelled for {prep.labelled_recipient_id}; "
         f"the recipient is {f.recipient.id}.",
         prep.labelled_recipient_id, f.recipient.id, None),
    )  # fmt: skip
    for subcode, ok, text, observed, limit, unit in checks:
        if ok and f.only_failures:
            continue
        yield GuardResult(
            "release_criteria", "release_failed", ok, text,
            observed=observed, limit=limit, unit=unit, subcode=subcode,
        )  # fmt: skip


# -- Infusion ------------------------------------------------------------------------------


_ANAESTHESIA = {
    Anesthesia.LOCAL_SEDATION: "local anaesthesia with sedation",
    Anesthesia.GENERAL: "general anaesthesia",
}


@guard
def anesthesia_fits(f: Facts) -> Iterator[GuardResult]:
    needed = f.approach.spec.anesthesia
    given = getattr(f.data, "anesthesia", None)
    ok = given == needed
    if ok and f.only_failures:
        return
    got = "given" if ok else f"got {_ANAESTHESIA[given]}" if given else "none given"
    text = f"{f.approach.value.capitalize()} access needs {_ANAESTHESIA[needed]}; {got}."
    yield _result(
        "anesthesia_fits", "anesthesia_mismatch", ok, text,
        observed=given.value if given else None, limit=needed.value,
    )  # fmt: skip


@guard
def imaging_present(f: Facts) -> Iterator[GuardResult]:
    needed = f.approach.spec.imaging
    given = frozenset(getattr(f.data, "imaging", ()) or ())
    missing = sorted(needed - given)
    ok = not missing
    if ok and f.only_failures:
        return
    text = (
        "Imaging guidance in place."
        if ok
        else f"{f.approach.value.capitalize()} access needs "
        f"{' and '.join(m.value for m in missing)} guidance."
    )
    yield _result(
        "imaging_present", "imaging_missing", ok, text,
        observed=tuple(sorted(g.value for g in given)),
        limit=tuple(sorted(n.value for n in needed)),
    )  # fmt: skip


@guard
def baseline_pressure_low(f: Facts) -> Iterator[GuardResult]:
    reading = f.record.last_pressure()
    limit = f.protocol.max_baseline_portal_pressure_mmhg
    if reading is None:
        yield _result(
            "baseline_pressure_low", "missing_data", False,
            "Measure the baseline portal pressure (record_portal_pressure) before infusing.",
            limit=limit, unit="mmHg",
        )  # fmt: skip
        return
    ok = reading.mmhg < limit
    if ok and f.only_failures:
        return
    text = f"Baseline portal pressure {reading.mmhg:g} mmHg must be below {limit:g} mmHg."
    yield _result(
        "baseline_pressure_low", "portal_pressure_high", ok, text,
        observed=reading.mmhg, limit=limit, unit="mmHg",
    )  # fmt: skip


@guard
def induction_timed(f: Facts) -> Iterator[GuardResult]:
    low, high = f.protocol.induction_min_before_infusion, f.protocol.induction_max_before_infusion
    if f.only_failures and any(low <= f.now - dose.at <= high for dose in f.record.inductions):
        return
    window = f"{spoken(low)} to {spoken(high)}"
    if not f.record.inductions:
        yield _result(
            "induction_timed", "induction_timing", False,
            f"Give induction immunosuppression {window} before the infusion.",
            limit=f"{spoken(low)}-{spoken(high)}",
        )  # fmt: skip
        return
    # The most recent dose that is old enough counts; a later one does not undo it.
    ages = [f.now - dose.at for dose in f.record.inductions]
    fitting = [age for age in ages if low <= age <= high]
    age = fitting[-1] if fitting else ages[-1]
    ok = bool(fitting)
    if ok:
        text = f"Induction given {spoken(age)} ago, within {window} before infusion."
    elif age < low:
        text = f"Induction given only {spoken(age)} ago; wait until {spoken(low)} have passed."
    else:
        text = f"Induction given {spoken(age)} ago, more than {spoken(high)} before infusion."
    left = high - age if ok else (low - age if age < low else high - age)
    yield _result(
        "induction_timed", "induction_timing", ok, text,
        observed=age, limit=f"{spoken(low)}-{spoken(high)}", time_left=left,
    )  # fmt: skip


@guard
def heparin_added(f: Facts) -> Iterator[GuardResult]:
    units = f.record.heparin_units_per_kg
    ok = units is not None
    if ok and f.only_failures:
        return
    text = (
        f"Heparin {units:g} U/kg in the product."
        if units is not None
        else f"Add heparin ({f.protocol.heparin_units_per_kg:g} U/kg) to the product first."
    )
    yield _result(
        "heparin_added", "heparin_missing", ok, text,
        observed=units, limit=f.protocol.heparin_units_per_kg, unit="U/kg",
    )  # fmt: skip


@guard
def pressure_below_stop(f: Facts) -> Iterator[GuardResult]:
    reading = f.record.last_pressure()
    limit = f.protocol.portal_pressure_stop_mmhg
    observed = reading.mmhg if reading else None
    ok = observed is not None and observed < limit
    if ok and f.only_failures:
        return
    text = (
        f"Last portal pressure {observed:g} mmHg must be below the {limit:g} mmHg stop limit."
        if observed is not None
        else "No portal pressure reading."
    )
    yield _result(
        "pressure_below_stop", "portal_pressure_high", ok, text,
        observed=observed, limit=limit, unit="mmHg",
    )  # fmt: skip


@guard
def fraction_known(f: Facts) -> Iterator[GuardResult]:
    given = getattr(f.data, "fraction_delivered", None)
    ok = given is not None or f.state == "infuse.infusing"
    if ok and f.only_failures:
        return
    text = (
        "Dose delivered is known."
        if ok
        else "The infusion was stopped early: say what fraction was delivered (fraction_delivered)."
    )
    yield _result("fraction_known", "missing_data", ok, text, observed=given)


@guard
def track_sealed(f: Facts) -> Iterator[GuardResult]:
    if f.approach is not Approach.PERCUTANEOUS:
        if f.only_failures:
            return
        yield _result("track_sealed", "track_not_sealed", True, "No transhepatic track to seal.")
        return
    sealant = getattr(f.data, "track_sealant", None)
    ok = sealant is not None
    if ok and f.only_failures:
        return
    text = (
        f"Transhepatic track sealed with {sealant}."
        if ok
        else "Seal the transhepatic track (track_sealant: gelfoam, coils, glue or "
        "collagen_paste) to prevent bleeding."
    )
    yield _result("track_sealed", "track_not_sealed", ok, text, observed=sealant)


# -- Immunosuppression and outcome -------------------------------------------------------------


@guard
def trough_recorded(f: Facts) -> Iterator[GuardResult]:
    count = len(f.record.troughs)
    ok = count > 0
    if ok and f.only_failures:
        return
    text = (
        f"{count} trough level(s) recorded."
        if ok
        else "Record at least one immunosuppressant trough level (record_trough) first."
    )
    yield _result("trough_recorded", "missing_data", ok, text, observed=count, limit=1)


@guard
def igls_grade_given(f: Facts) -> Iterator[GuardResult]:
    grade = getattr(f.data, "igls_grade", None)
    ok = grade is not None
    if ok and f.only_failures:
        return
    text = (
        f"Graft function: {grade} (Igls)."
        if ok
        else "Give the Igls grade (optimal, good, marginal or failure) to assess the graft."
    )
    yield _result("igls_grade_given", "missing_data", ok, text, observed=grade)
