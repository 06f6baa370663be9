"""Protocol: defaults follow the clinical reference's §9 table, each with its source; files load."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

import isletflow as fl
from builders import GOOD_PREPARATION, case_at, drive, new_case
from isletflow.protocol import PRESERVATION_SOLUTIONS

HOURS, MINUTES = timedelta(hours=1), timedelta(minutes=1)

# The clinical reference (shared/domain/clinical-reference.md), §9 "Parameters (defaults for
# Protocol)" and §1, copied by hand: field -> (default, source tags the table gives it).
REFERENCE: dict[str, tuple[Any, set[str]]] = {
    "max_cold_ischemia": (12 * HOURS, {"S5a", "S32"}),
    "cold_ischemia_warning": (8 * HOURS, {"S32"}),
    "donor_min_age_years": (15, {"S5a"}),
    "donor_max_age_years": (65, {"S5a"}),
    "accepted_preservation_solutions": (("UW", "HTK", "UW+PFC", "HTK+PFC"), {"S5a"}),  # §1
    "accept_donation_after_cardiac_death": (False, {"S5a"}),  # §1: DCD excluded
    "max_culture": (72 * HOURS, {"S29", "S30", "S31"}),
    "max_release_to_infusion": (6 * HOURS, {"S1"}),
    "min_dose_ieq_per_kg": (5000, {"S1", "S5b"}),
    "min_later_dose_ieq_per_kg": (4000, {"S5b", "S1"}),  # §9: 4,000 (CIT); Lantidra 4,500
    "max_tissue_volume_ml": (10, {"S1", "S5b"}),
    "min_purity_percent": (30, {"S24", "S44"}),
    "min_viability_percent": (70, {"S5b", "S24"}),
    "max_endotoxin_eu_per_kg": (5.0, {"S5b", "S24"}),
    "min_stimulation_index": (1.0, {"S5b", "S24"}),
    "max_baseline_portal_pressure_mmhg": (20, {"S19"}),
    "portal_pressure_stop_mmhg": (22, {"UNCONFIRMED"}),
    # Not in §9: the rise rule of the review's §1c (Wilhelm 2013, autografts), off by default.
    "portal_pressure_stop_rise_mmhg": (None, {"S16"}),
    "heparin_units_per_kg": (70, {"S20"}),
    "require_track_sealing": (True, {"S17", "S18", "S39b"}),  # §4: track sealing
    "induction_min_before_infusion": (30 * MINUTES, {"S1"}),
    "induction_max_before_infusion": (360 * MINUTES, {"S1"}),
    "max_infusions": (3, {"S1", "S6"}),
    "reinfusion_decision_after": (365 * 24 * HOURS, {"S1"}),  # §6: within 1 year of the last
    "graft_failure_c_peptide_ng_per_ml": (0.3, {"S8", "S21"}),
}


def test_every_field_is_in_the_reference_table() -> None:
    """The protocol has exactly the fields the table above lists (a new one needs a source)."""
    assert set(fl.Protocol.model_fields) == set(REFERENCE)


@pytest.mark.parametrize("field", sorted(REFERENCE))
def test_default_equals_the_clinical_reference(field: str) -> None:
    """Each default is the value of the clinical reference's §9 table."""
    default, _ = REFERENCE[field]
    assert getattr(fl.Protocol(), field) == default


@pytest.mark.parametrize("field", sorted(REFERENCE))
def test_every_field_names_its_source(field: str) -> None:
    """Each field names source tags from the reference (or UNCONFIRMED), also in its text."""
    source = fl.Protocol.sources()[field]
    tags = set(re.split(r",\s*", source))
    assert tags, field
    assert all(re.fullmatch(r"S\d{1,2}[ab]?|UNCONFIRMED", tag) for tag in tags), source
    assert tags <= REFERENCE[field][1]
    description = fl.Protocol.model_fields[field].description or ""
    assert description.endswith(f"[{source}]")
    if "UNCONFIRMED" in tags:
        assert "no readable source" in description


def test_preservation_solutions_constant_matches_the_default() -> None:
    """PRESERVATION_SOLUTIONS is what the protocol accepts by default."""
    assert fl.Protocol().accepted_preservation_solutions == PRESERVATION_SOLUTIONS


OVERRIDES: dict[str, Any] = {
    "max_culture": "96h",
    "min_purity_percent": 50,
    "induction_max_before_infusion": "4h",
    "accepted_preservation_solutions": ["UW", "HTK"],
}


def _file(path: Path) -> Path:
    if path.suffix == ".toml":
        path.write_text(
            'max_culture = "96h"\nmin_purity_percent = 50\ninduction_max_before_infusion = "4h"\n'
            'accepted_preservation_solutions = ["UW", "HTK"]\n'
        )
    elif path.suffix == ".json":
        path.write_text(json.dumps(OVERRIDES))
    else:
        path.write_text(yaml.safe_dump(OVERRIDES))
    return path


@pytest.mark.parametrize("suffix", [".toml", ".json", ".yaml", ".yml"])
def test_protocol_file_overrides_some_defaults(tmp_path: Path, suffix: str) -> None:
    """A TOML, JSON or YAML file changes the values it names and keeps every other default."""
    loaded = fl.Protocol.load(_file(tmp_path / f"site{suffix}"))
    assert loaded.max_culture == 96 * HOURS
    assert loaded.min_purity_percent == 50
    assert loaded.induction_max_before_infusion == 4 * HOURS
    assert loaded.accepted_preservation_solutions == ("UW", "HTK")
    untouched = set(REFERENCE) - set(OVERRIDES)
    assert {f: getattr(loaded, f) for f in untouched} == {
        f: getattr(fl.Protocol(), f) for f in untouched
    }


def test_overridden_returns_a_validated_copy() -> None:
    """overridden() changes a copy and leaves the original protocol as it was."""
    base = fl.Protocol()
    site = base.overridden({"max_release_to_infusion": "4h", "portal_pressure_stop_mmhg": 25})
    assert (site.max_release_to_infusion, site.portal_pressure_stop_mmhg) == (4 * HOURS, 25)
    assert base == fl.Protocol()


def test_protocol_writes_durations_back_in_clinical_form() -> None:
    """Durations in a dumped protocol read like '12h' and load back to an equal protocol."""
    dumped = json.loads(fl.Protocol().model_dump_json())
    assert dumped["max_cold_ischemia"] == "12h"
    assert dumped["induction_min_before_infusion"] == "30min"
    assert fl.Protocol.from_mapping(dumped) == fl.Protocol()


def test_a_case_follows_its_protocols_overrides() -> None:
    """A protocol with a 50 % purity minimum refuses a 40 % product the default accepts."""
    strict = fl.Protocol(min_purity_percent=50)
    for protocol, accepted in ((None, True), (strict, False)):
        case = drive(new_case("open", protocol=protocol), "purify.release_testing")
        case.act("record_release_tests", **{**GOOD_PREPARATION, "purity_percent": 40})
        assert case.act("release").accepted is accepted
    assert case_at("harvest.procured").protocol == fl.Protocol()
