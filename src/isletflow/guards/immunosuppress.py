"""Guards of immunosuppression and follow-up: troughs recorded, the graft assessed."""

from __future__ import annotations

from collections.abc import Iterator

from .. import rules
from .base import Facts, GuardResult, guard


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
