"""Hypothesis strategies for the interoperability tests: cases part-way or all the way through.

A case is made by driving ``Case.act`` along a variant of the standard walk (culture or not,
a portal-pressure spike, a partial dose, a rejection, a complication), stopped after a random
number of steps, with the waits stretched or shrunk at random so that deadlines sometimes fire,
and sometimes aborted at the end.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

import isletflow as fl

Step = tuple[str, timedelta, dict[str, Any]]

CROSS_CLAMP = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)


def _h(hours: float) -> timedelta:
    return timedelta(hours=hours)


def walk(
    approach: fl.Approach, *, culture: bool = True, spike: bool = False,
    fraction: float | None = None, reject: bool = False, complication: bool = False,
) -> list[Step]:  # fmt: skip
    """The standard case's steps (examples/standard_case.py), with variants."""
    steps: list[Step] = [
        ("start_isolation", _h(6), {}),
        ("finish_digestion", _h(4), {"digest_ieq": 620_000}),
    ]
    if culture:
        steps += [("start_culture", _h(5), {"purified_ieq": 480_000}),
                  ("submit_for_release", _h(24), {})]  # fmt: skip
    else:
        steps.append(("submit_for_release", _h(5), {"purified_ieq": 480_000}))
    steps.append(("record_release_tests", _h(3), {
        "ieq": 455_000, "tissue_volume_ml": 6.0, "purity_percent": 65,
        "viability_percent": 92, "endotoxin_eu_per_kg": 0.8, "gram_stain_positive": False,
        "stimulation_index": 2.4, "labelled_recipient_id": "R-001",
    }))  # fmt: skip
    if reject:
        return [*steps, ("reject", _h(0.5), {"reason": "site_decision"})]
    access: dict[str, Any] = {"anesthesia": approach.spec.anesthesia.value}
    if approach.spec.imaging:
        access["imaging"] = sorted(i.value for i in approach.spec.imaging)
    steps += [
        ("release", _h(0), {}),
        ("give_induction", _h(0.5), {"agent": "rabbit ATG"}),
        ("add_heparin", _h(0), {"units_per_kg": 70}),
        ("access_portal_vein", _h(1.5), access),
        ("record_portal_pressure", _h(10 / 60), {"mmhg": 13}),
        ("start_infusion", _h(20 / 60), {}),
    ]
    if spike:
        steps += [("record_portal_pressure", _h(5 / 60), {"mmhg": 24}),
                  ("record_portal_pressure", _h(5 / 60), {"mmhg": 16}),
                  ("resume_infusion", _h(2 / 60), {})]  # fmt: skip
    steps += [
        ("record_portal_pressure", _h(12 / 60), {"mmhg": 17}),
        ("complete_infusion", _h(13 / 60),
         {} if fraction is None else {"fraction_delivered": fraction}),
    ]  # fmt: skip
    if complication:
        steps.append(("record_complication", _h(0.5), {"kind": "bleeding", "detail": "minor"}))
    sealant = {"track_sealant": "gelfoam"} if approach == fl.Approach.PERCUTANEOUS else {}
    steps += [
        ("seal_access", _h(0.25), sealant),
        ("record_trough", _h(72), {"drug": "tacrolimus", "ng_per_ml": 5.2}),
        ("record_trough", _h(24), {"drug": "sirolimus", "ng_per_ml": 12.5}),
        ("start_follow_up", _h(72), {}),
        ("assess_graft", _h(83 * 24), {"igls_grade": "optimal"}),
    ]
    return steps


def new_case(approach: fl.Approach, protocol: fl.Protocol | None = None) -> fl.Case:
    donor = fl.Donor(age_years=42, preservation_solution="UW", cross_clamp_at=CROSS_CLAMP)
    recipient = fl.Recipient(id="R-001", weight_kg=70)
    return fl.Case.new(donor=donor, recipient=recipient, approach=approach, protocol=protocol)


def run(case: fl.Case, steps: list[Step], stretch: list[float] | None = None) -> fl.Case:
    """Take ``steps`` in order (each wait multiplied by ``stretch``), stopping at the end."""
    for index, (action, after, data) in enumerate(steps):
        if case.terminal:
            break
        factor = stretch[index] if stretch else 1.0
        case.act(action, after=after * factor, **data)
    return case


@st.composite
def cases(draw: st.DrawFn) -> fl.Case:
    """A case along a random variant of the standard walk, stopped anywhere, maybe aborted."""
    approach = draw(st.sampled_from(list(fl.Approach)))
    steps = walk(
        approach,
        culture=draw(st.booleans()),
        spike=draw(st.booleans()),
        fraction=draw(st.sampled_from([None, 1.0, 0.6])),
        reject=draw(st.integers(0, 5)) == 0,
        complication=draw(st.booleans()),
    )
    count = draw(st.integers(0, len(steps)))
    stretch = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.5, 3.0]),
                            min_size=count, max_size=count))  # fmt: skip
    case = run(new_case(approach), steps[:count], stretch)
    ending = draw(st.sampled_from(["none", "none", "advance", "abort"]))
    if ending == "advance":
        case.advance(timedelta(hours=draw(st.integers(1, 100))))
    elif ending == "abort" and not case.terminal:
        case.abort("recipient_unstable")
    return case
