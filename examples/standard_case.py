"""A standard percutaneous case, walked step by step through every phase.

Run it with ``make run`` (or ``python examples/standard_case.py``); it prints the timeline.
The times follow the clinical reference: about 9 h of isolation and purification [S25, S27],
a day of culture within the 72 h window [S29-S31], induction 2 h before infusion [S1],
70 U/kg heparin [S20], a 25 min infusion [S26].
"""

from __future__ import annotations

from datetime import UTC, datetime

import isletflow as fl
from isletflow.report import timeline_table


def standard_case(approach: str = "percutaneous") -> fl.Case:
    donor = fl.Donor(
        age_years=42,
        preservation_solution="UW",
        cross_clamp_at=datetime(2026, 3, 2, 22, 0, tzinfo=UTC),
    )
    recipient = fl.Recipient(id="R-001", weight_kg=70)
    case = fl.Case.new(donor=donor, recipient=recipient, approach=approach)

    case.act("start_isolation", after="6h")
    case.act("finish_digestion", after="4h", digest_ieq=620_000)
    case.act("start_culture", after="5h", purified_ieq=480_000)
    case.act("submit_for_release", after="24h")
    case.act(
        "record_release_tests",
        after="3h",
        ieq=455_000,
        tissue_volume_ml=6.0,
        purity_percent=65,
        viability_percent=92,
        endotoxin_eu_per_kg=0.8,
        gram_stain_positive=False,
        stimulation_index=2.4,
        labelled_recipient_id="R-001",
    )
    case.act("release")
    case.act("give_induction", after="30min", agent="rabbit ATG")
    case.act("add_heparin", units_per_kg=70)
    if approach == "percutaneous":
        case.act("access_portal_vein", after="90min", anesthesia="local_sedation",
                 imaging=["ultrasound", "fluoroscopy"])  # fmt: skip
    else:
        case.act("access_portal_vein", after="90min", anesthesia="general")
    case.act("record_portal_pressure", after="10min", mmhg=13)
    case.act("start_infusion", after="20min")
    case.act("record_portal_pressure", after="12min", mmhg=17)
    case.act("complete_infusion", after="13min")
    case.act("record_portal_pressure", mmhg=16)
    sealant = {"track_sealant": "gelfoam"} if approach == "percutaneous" else {}
    case.act("seal_access", after="15min", **sealant)
    case.act("record_trough", after="3d", drug="tacrolimus", ng_per_ml=5.2)
    case.act("start_follow_up", after="4d")
    case.act("assess_graft", after="83d", igls_grade="optimal")
    return case


if __name__ == "__main__":
    print(timeline_table(standard_case()))
