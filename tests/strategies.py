"""Every Hypothesis strategy of the test suite, in one place.

Data strategies lean towards valid values (so random cases get deep into the workflow) but
always include the borderline ones: just inside and just outside each limit, missing data, and
values the models must refuse.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

import isletflow as fl
from builders import ACCESS, GOOD_PREPARATION, RECIPIENT_ID
from isletflow import workflow as wf
from isletflow.duration import format_duration
from isletflow.protocol import PRESERVATION_SOLUTIONS

SECOND = timedelta(seconds=1)

# -- Time ------------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)
"""Cross-clamp moments (aware, UTC)."""

any_timedeltas = st.timedeltas(min_value=timedelta(days=-(10**6)), max_value=timedelta(days=10**6))
"""Any duration, negative ones included, to the microsecond."""

_LANDMARKS = (6, 8, 12, 72)  # hours: release window, CIT target, CIT limit, culture window

waits = st.one_of(
    st.sampled_from([timedelta(0), timedelta(minutes=10), timedelta(minutes=30),
                     timedelta(hours=1), timedelta(hours=2), timedelta(hours=5)]),
    st.sampled_from(_LANDMARKS).flatmap(
        lambda h: st.sampled_from([timedelta(hours=h) - SECOND, timedelta(hours=h),
                                   timedelta(hours=h) + SECOND])
    ),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=30)),
)  # fmt: skip
"""Waits on the clock: everyday steps, the edges of each window, and anything up to 30 h."""

_STEP_WAITS = [timedelta(0), timedelta(minutes=10), timedelta(minutes=30), timedelta(hours=1),
               timedelta(hours=2)]  # fmt: skip

step_waits = st.sampled_from([None, *_STEP_WAITS, "40min"])
"""The waits of a careful team between steps (``None`` for no wait)."""

late_starts = st.sampled_from([timedelta(0)] * 4 + [timedelta(minutes=45), timedelta(hours=11)])
"""How long after cross-clamp a case's clock starts: usually at once, sometimes near the limit."""

deadline_offsets = st.sampled_from([-SECOND, -SECOND, timedelta(0), SECOND])
"""Where to land around a deadline: just before (most often, so cases live on), on, or past it."""

duration_parts = st.tuples(
    st.integers(0, 400), st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)
)
"""(days, hours, minutes, seconds) of a written duration."""

afters = st.one_of(
    st.none(),
    st.sampled_from(_STEP_WAITS),
    st.sampled_from(_STEP_WAITS).map(format_duration),
    waits,
)
"""``after=`` as a step gives it: nothing, a short wait (as a timedelta or text such as
``1h30min``) or, less often, any wait up to 30 h."""


# -- Case data -------------------------------------------------------------------------------

approaches = st.sampled_from(list(fl.Approach))

donors = st.builds(
    fl.Donor,
    age_years=st.one_of(st.sampled_from([14, 15, 65, 66]), st.integers(15, 65),
                        st.integers(0, 120)),
    donation=st.sampled_from(["brain_death"] * 9 + ["cardiac_death"]),
    preservation_solution=st.sampled_from([*PRESERVATION_SOLUTIONS, "Belzer", "saline"]),
    cross_clamp_at=starts,
    diabetes_history=st.sampled_from([False] * 19 + [True]),
    sepsis=st.sampled_from([False] * 19 + [True]),
    malignancy=st.sampled_from([False] * 19 + [True]),
    transmissible_infection=st.sampled_from([False] * 19 + [True]),
    bmi_kg_per_m2=st.none() | st.floats(15, 45),
)  # fmt: skip
"""Donors, mostly eligible; age at its edges and every exclusion show up."""

eligible_donors = st.builds(
    fl.Donor,
    age_years=st.integers(15, 65),
    preservation_solution=st.sampled_from(PRESERVATION_SOLUTIONS),
    cross_clamp_at=starts,
)

recipients = st.one_of(
    st.just(fl.Recipient(id=RECIPIENT_ID, weight_kg=70)),
    st.builds(
        fl.Recipient,
        id=st.just(RECIPIENT_ID)
        | st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True),
        weight_kg=st.floats(40, 120),
    ),
)
"""Recipients: often the 70 kg ``R-001`` the release-test strategies are written for."""

case_donors = st.one_of(eligible_donors, eligible_donors, eligible_donors, donors)
"""Donors for whole cases: eligible more often than not, so cases get past isolation."""


def _edge(inside: float, outside: float, typical: st.SearchStrategy[float]) -> Any:
    return st.one_of(typical, typical, typical, st.sampled_from([inside, outside]))


preparations = st.fixed_dictionaries(
    {
        "ieq": _edge(350_000, 349_930, st.floats(300_000, 800_000)),
        "tissue_volume_ml": _edge(10.0, 10.01, st.floats(1, 10)),
        "purity_percent": _edge(30.0, 29.99, st.floats(30, 100)),
        "viability_percent": _edge(70.0, 69.99, st.floats(70, 100)),
        "endotoxin_eu_per_kg": _edge(5.0, 5.01, st.floats(0, 5)),
        "gram_stain_positive": st.sampled_from([False] * 9 + [True]),
        "stimulation_index": _edge(1.01, 1.0, st.floats(1.01, 5)),
        "labelled_recipient_id": st.sampled_from([RECIPIENT_ID] * 9 + ["R-999"]),
    }
)
"""Release-test results as keyword data (for a 70 kg recipient ``R-001``, dose edges at 5,000)."""

bad_preparations = preparations.flatmap(
    lambda good: st.sampled_from(
        [("purity_percent", 140), ("viability_percent", -1), ("ieq", float("inf")),
         ("tissue_volume_ml", "a lot"), ("labelled_recipient_id", "no spaces allowed")]
    ).map(lambda bad: {**good, bad[0]: bad[1]})
)  # fmt: skip
"""Release tests with one value the model must refuse."""

protocols = st.builds(
    lambda culture, release, purity, stop: fl.Protocol(
        max_culture=culture,
        max_release_to_infusion=release,
        min_purity_percent=purity,
        portal_pressure_stop_mmhg=stop,
    ),
    culture=st.sampled_from([timedelta(hours=h) for h in (24, 48, 72, 96)]),
    release=st.sampled_from([timedelta(hours=h) for h in (4, 6, 8)]),
    purity=st.sampled_from([30.0, 50.0]),
    stop=st.sampled_from([20.0, 22.0, 25.0]),
)
"""Site protocols: the defaults with some windows and limits changed."""


# -- Actions ---------------------------------------------------------------------------------

pressures = st.one_of(
    st.sampled_from([13.0, 17.0, 19.99, 20.0, 21.99, 22.0, 23.0]), st.floats(0, 30)
)
bad_pressures = st.sampled_from([-1.0, 100.5, float("nan"), "high"])


def action_data(action: str, approach: fl.Approach | str) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword data for ``action``: usually valid, sometimes missing or at a limit."""
    approach = fl.Approach(approach)
    match action:
        case "finish_digestion":
            return st.sampled_from([{}, {"digest_ieq": 0}, {"digest_ieq": 620_000}])
        case "start_culture" | "submit_for_release":
            return st.sampled_from(
                [{}, {"purified_ieq": 0}, {"purified_ieq": 1}, {"purified_ieq": 480_000}]
            )
        case "record_release_tests":
            return st.one_of(st.just(GOOD_PREPARATION), preparations)
        case "reject":
            return st.sampled_from([{}, {"reason": "low purity"}])
        case "abort":
            return st.sampled_from([{"reason": "recipient_unstable"}, {"reason": "no_theatre"}])
        case "access_portal_vein":
            wrong = "general" if approach is fl.Approach.PERCUTANEOUS else "local_sedation"
            return st.sampled_from(
                [ACCESS[approach.value]] * 3
                + [{}, {"anesthesia": wrong}, {**ACCESS[approach.value], "imaging": ["ultrasound"]}]
            )
        case "give_induction":
            return st.sampled_from([{"agent": "rabbit ATG"}, {"agent": "basiliximab"}])
        case "add_heparin":
            return st.sampled_from([{"units_per_kg": 70}, {"units_per_kg": 35.5}])
        case "record_portal_pressure":
            return pressures.map(lambda mmhg: {"mmhg": mmhg})
        case "complete_infusion":
            return st.sampled_from([{}, {"fraction_delivered": 0.5}, {"fraction_delivered": 1}])
        case "seal_access":
            return st.sampled_from([{}, {"track_sealant": "gelfoam"}, {"track_sealant": "coils"}])
        case "record_trough":
            return st.builds(
                lambda drug, level: {"drug": drug, "ng_per_ml": level},
                st.sampled_from(["tacrolimus", "sirolimus"]),
                st.floats(0, 20),
            )
        case "assess_graft":
            return st.sampled_from([{}, *({"igls_grade": g} for g in
                                          ("optimal", "good", "marginal", "failure"))])  # fmt: skip
        case "record_complication":
            return st.sampled_from([{"kind": "bleeding"}, {"kind": "portal_vein_thrombosis"},
                                    {"kind": "portal_vein_thrombosis",
                                     "extent": "main_branch"}])  # fmt: skip
        case "treat_complication":
            return st.sampled_from([{"treatment": "observation"},
                                    {"treatment": "anticoagulation"}])  # fmt: skip
        case "note":
            return st.text(min_size=1, max_size=20).map(lambda text: {"text": text})
        case _:
            return st.just({})


known_actions = st.sampled_from(tuple(wf.ACTIONS))
"""Any action a person can take, whatever the state."""


def action_names(state: str) -> st.SearchStrategy[str]:
    """Usually an action possible in ``state``, sometimes any other."""
    possible = wf.actions_in(state)
    names = st.sampled_from(possible) if possible else known_actions
    return st.one_of(names, names, names, known_actions)


def actions_with_data(
    approach: fl.Approach | str, names: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """An action name (any known one by default) with data fit for it."""
    chosen = names if names is not None else st.sampled_from(tuple(wf.ACTIONS))
    return chosen.flatmap(lambda name: action_data(name, approach).map(lambda d: (name, d)))


malformed_data: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "record_portal_pressure": bad_pressures.map(lambda v: {"mmhg": v}),
    "finish_digestion": st.sampled_from([{"digest_ieq": -1}, {"digest_ieq": "many"}]),
    "add_heparin": st.sampled_from([{"units_per_kg": 0}, {}, {"units_per_kg": 5000}]),
    "give_induction": st.sampled_from([{}, {"agent": ""}]),
    "complete_infusion": st.sampled_from([{"fraction_delivered": 0}, {"fraction_delivered": 2}]),
    "record_release_tests": bad_preparations,
    "note": st.sampled_from([{"text": ""}, {"words": "x"}]),
    "abort": st.sampled_from([{}, {"reason": "Not A Code"}]),
}
"""For some actions, data their model must refuse (wrong type, out of range, unknown field)."""

unreadable_waits = st.sampled_from(["6 hours", "-", "h", "1e3h", "soon", ""])
"""Waits that are not durations."""

head_starts = st.integers(0, 20)
"""How many standard steps a random case takes before random driving begins."""

unknown_action_names = st.text(min_size=0, max_size=30).filter(lambda s: s not in wf.ACTIONS)
