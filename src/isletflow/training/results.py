"""Results as a clinician reads them: each measured value with its unit, limit and verdict.

``results(case, revealed)`` turns the values a session has revealed into ``Result`` rows. No limit
is typed here: the release tests' values, limits and sentences are ``release.RELEASE_TESTS`` over
the case's ``Protocol``; a baseline portal pressure is judged against the protocol's
``max_baseline_portal_pressure_mmhg`` and a reading during the infusion by the pause rule itself
(``model.pressure.must_pause`` with the protocol's stop limits), so the chart's lines and the
verdicts are the engine's. ``alarm`` says why an infusion is paused while it is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from .. import rules
from ..case import Case
from ..model.pressure import must_pause
from ..models import UtcDatetime
from ..release import RELEASE_TESTS
from ..timeline import AutomaticStep
from ..wording import FIELDS, capitalised, number, prose

__all__ = ["Result", "Results", "results"]

Verdict = Literal["within", "outside"]

_LABELS = {
    "dose_below_minimum": "Dose",
    "tissue_volume_above_limit": "Tissue volume",
    "purity_below_minimum": "Purity",
    "viability_below_minimum": "Viability",
    "endotoxin_above_limit": "Endotoxin",
    "gram_stain_positive": "Gram stain",
    "stimulation_index_below_minimum": "Stimulation index",
    "identity_mismatch": "Label",
}
_RULES: dict[Callable[[Any, Any], Any], str] = {
    rules.at_least: "at least",
    rules.at_most: "at most",
    rules.above: "above",
    rules.equal: "must be",
    rules.implies: "must be",
}
# Measured fields other than the release tests' (their words and units: ``wording.FIELDS``).
_SHOWN = ("digest_ieq", "purified_ieq", "fraction_delivered", "ng_per_ml", "igls_grade")


class Measurement(Protocol):
    """A value revealed (``view.Measurement``, which holds these results and so is not named)."""

    @property
    def at(self) -> datetime: ...
    @property
    def action(self) -> str: ...
    @property
    def field(self) -> str: ...
    @property
    def value(self) -> bool | int | float | str: ...
    @property
    def context(self) -> dict[str, Any]: ...


class Result(BaseModel):
    """One measured value: what, how much, against which limit, and whether it is within it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: UtcDatetime
    action: str
    label: str
    value: bool | float | str
    unit: str | None = None
    limit: str | None = Field(None, description="The protocol's limit in words, e.g. at most 20")
    limit_value: float | None = Field(None, description="The limit as a number, for a chart")
    verdict: Verdict | None = Field(None, description="None where the protocol sets no limit")
    text: str = Field(description="The value, its unit, its limit and verdict as a sentence")


class Results(BaseModel):
    """Every result so far, and the alarm of a paused infusion."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    results: tuple[Result, ...] = ()
    pressures: tuple[Result, ...] = Field((), description="Portal pressure readings, in order")
    alarm: str | None = Field(None, description="Why the infusion is paused, while it is")


def _verdict(ok: Any) -> Verdict:
    return "within" if bool(ok) else "outside"


def _release(case: Case, m: Measurement) -> list[Result]:
    prep, who, protocol = case.record.preparation, case.recipient, case.protocol
    if prep is None:
        return []
    total = Result.model_construct(
        at=m.at,
        action=m.action,
        label="Islet equivalents",
        value=prep.ieq,
        unit="IEQ",
        text=f"Islet equivalents {number(prep.ieq, 'IEQ')} "
        f"({number(prep.dose_ieq_per_kg(who), 'IEQ/kg')} for {who.weight_kg:g} kg).",
    )
    rows = [total]
    for test in RELEASE_TESTS:
        observed, limit = test.observed(prep, who), test.limit(protocol, who)
        numeric = isinstance(limit, int | float) and not isinstance(limit, bool)
        rule = _RULES.get(test.rule, "against")
        words = f"{rule} {number(limit, test.unit) if numeric else limit}"
        rows.append(
            Result.model_construct(
                at=m.at,
                action=m.action,
                label=_LABELS[test.subcode],
                value=observed if isinstance(observed, bool | float | str) else float(observed),
                unit=test.unit,
                limit="negative" if test.subcode == "gram_stain_positive" else words,
                limit_value=float(limit) if numeric else None,
                verdict=_verdict(test.passes(prep, who, protocol)),
                text=test.sentence(observed, limit),
            )
        )
    return rows


def _other(case: Case, m: Measurement) -> Result | None:
    if m.field not in _SHOWN:
        return None
    words = FIELDS[m.field]
    label, unit = capitalised(words.label), words.unit
    value = m.value
    if isinstance(value, int) and not isinstance(value, bool):
        value = float(value)  # built unvalidated: the field's type is bool | float | str
    if words.scale != 1 and isinstance(value, float):
        value = round(value * words.scale, 1)
    text = f"{label}: {number(value, unit) if isinstance(value, float | int) else value}"
    if unit == "IEQ" and isinstance(value, float | int):
        text += f" ({number(value / case.recipient.weight_kg, 'IEQ/kg')})"
    drug = m.context.get("drug")
    text += f" ({drug})." if drug else "."
    return Result.model_construct(
        at=m.at, action=m.action, label=label, value=value, unit=unit, text=text
    )


def _pressures(case: Case) -> list[Result]:
    protocol, record = case.protocol, case.record
    base = record.baseline_pressure()
    baseline = None if base is None else base.mmhg
    limits = (
        protocol.max_baseline_portal_pressure_mmhg,
        protocol.portal_pressure_stop_mmhg,
        protocol.portal_pressure_stop_rise_mmhg,
    )
    return [
        _reading(r.at, r.mmhg, r.state == "infuse.access" or baseline is None, baseline, limits)
        for r in record.portal_pressures
    ]


@functools.lru_cache(maxsize=4096)  # a view judges every reading again: each is judged once
def _reading(
    at: datetime,
    mmhg: float,
    at_baseline: bool,
    baseline: float | None,
    limits: tuple[float, float | None, float | None],
) -> Result:
    highest_baseline, stop, rise = limits
    if at_baseline or baseline is None:
        limit = highest_baseline
        ok, words, what = rules.below(mmhg, limit), f"below {limit:g} mmHg", "baseline"
    else:
        ok = not must_pause(mmhg, baseline, absolute_limit_mmhg=stop, rise_limit_mmhg=rise)
        # The lower of the two stop limits set: must_pause stops at whichever comes first.
        limit = min(x for x in (stop, None if rise is None else baseline + rise) if x is not None)
        words, what = f"stops at {limit:g} mmHg", "during the infusion"
    verdict = _verdict(ok)
    return Result.model_construct(
        at=at,
        action="record_portal_pressure",
        label="Portal pressure",
        value=float(mmhg),
        unit="mmHg",
        limit=words,
        limit_value=limit,
        verdict=verdict,
        text=f"Portal pressure {mmhg:g} mmHg, {what}: "
        f"{'within' if verdict == 'within' else 'over'} the limit ({words}).",
    )


def _alarm(case: Case) -> str | None:
    if case.state != "infuse.paused":
        return None
    for event in reversed(case.timeline):
        if isinstance(event, AutomaticStep):
            return f"Infusion paused: {prose(event.reason.message)}"
    return "Infusion paused."


def results(case: Case, revealed: Sequence[Measurement]) -> Results:
    """The results of ``case`` as a clinician reads them, from the values ``revealed``."""
    rows: list[Result] = []
    release_shown = False
    for m in revealed:
        if m.action == "record_release_tests":
            if not release_shown:
                rows += _release(case, m)
            release_shown = True
        elif m.field != "mmhg":
            other = _other(case, m)
            if other is not None:
                rows.append(other)
    return Results.model_construct(
        results=tuple(rows), pressures=tuple(_pressures(case)), alarm=_alarm(case)
    )
