"""Guards of isolation and purification: yields recorded, culture in time, release tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from .. import rules
from ..release import RELEASE_TESTS
from .base import Facts, GuardResult, guard
from .harvest import window


@guard(holds=lambda f: rules.given(f.given("digest_ieq")))
def digest_recorded(f: Facts) -> Iterator[GuardResult]:
    ieq = f.given("digest_ieq")
    ok = rules.given(ieq)
    text = (
        "Digest recorded." if ok else "Record the digest (digest_ieq) before finishing digestion."
    )
    yield GuardResult("digest_recorded", "missing_data", ok, text, observed=ieq, unit="IEQ")


def _yield_ok(f: Facts) -> Any:
    ieq = f.given("purified_ieq")
    return rules.given(ieq) and rules.above(ieq, 0)


@guard(holds=_yield_ok)
def yield_recorded(f: Facts) -> Iterator[GuardResult]:
    ieq = f.given("purified_ieq")
    ok = bool(_yield_ok(f))
    if ieq is None:
        text = "Record the purified yield (purified_ieq) before culture."
    elif not ok:
        text = "The purified yield is 0 IEQ: there are no islets to culture."
    else:
        text = f"Purified yield {ieq:,.0f} IEQ recorded."
    yield GuardResult("yield_recorded", "no_yield", ok, text, observed=ieq, limit=0, unit="IEQ")


def _since_isolation(f: Facts) -> timedelta:
    ended = f.record.isolation_ended_at
    return f.now - ended if ended is not None else timedelta(0)


@guard(holds=lambda f: rules.at_most(_since_isolation(f), f.protocol.max_culture))
def culture_within_window(f: Facts) -> Iterator[GuardResult]:
    yield window(
        "culture_within_window",
        "culture_window_exceeded",
        "Time since isolation",
        _since_isolation(f),
        f.protocol.max_culture,
    )


def _release_ok(f: Facts) -> bool:
    prep = f.record.preparation
    return prep is not None and all(
        test.passes(prep, f.recipient, f.protocol) for test in RELEASE_TESTS
    )


@guard(holds=_release_ok)
def release_criteria(f: Facts) -> Iterator[GuardResult]:
    prep = f.record.preparation
    if prep is None:
        yield GuardResult(
            "release_criteria",
            "missing_data",
            False,
            "Record the release tests (record_release_tests) before releasing the product.",
        )
        return
    for test in RELEASE_TESTS:
        observed, limit = test.observed(prep, f.recipient), test.limit(f.protocol, f.recipient)
        yield GuardResult(
            "release_criteria",
            "release_failed",
            bool(test.rule(observed, limit)),
            test.sentence(observed, limit),
            observed=observed,
            limit=limit,
            unit=test.unit,
            subcode=test.subcode,
        )
