"""Bad input: every malformed value raises InvalidInput naming field, value and rule, and
changes nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given

import isletflow as fl
from builders import ACCESS, GOOD_PREPARATION, T0, case_at, donor, new_case, recipient, seen
from isletflow import workflow as wf
from isletflow.errors import Problem
from strategies import bad_preparations, unknown_action_names


def only_problem(error: fl.InvalidInput) -> Problem:
    (problem,) = error.problems
    return problem


def test_unknown_action_lists_the_valid_ones_and_is_a_value_error() -> None:
    """An unknown action raises UnknownAction (a ValueError) listing every valid action."""
    case = case_at("purify.gradient")
    before = seen(case)
    with pytest.raises(fl.UnknownAction) as caught:
        case.act("start_culturing", after="1h", purified_ieq=1)
    error = caught.value
    assert isinstance(error, ValueError)
    assert isinstance(error, fl.InvalidInput)
    assert error.action == "start_culturing"
    assert error.valid == tuple(wf.ACTIONS)
    assert "'start_culturing'" in str(error)
    assert ", ".join(wf.ACTIONS) in str(error)
    assert seen(case) == before


@given(name=unknown_action_names)
def test_any_unknown_action_name_is_refused_by_act_and_check(name: str) -> None:
    """Whatever the unknown name, act and check raise UnknownAction and the case is unchanged."""
    case = new_case()
    before = seen(case)
    with pytest.raises(fl.UnknownAction):
        case.act(name)
    with pytest.raises(fl.UnknownAction):
        case.check(name)
    assert seen(case) == before


@pytest.mark.parametrize(
    ("state", "action", "data", "location", "value", "rule"),
    [
        ("infuse.access", "record_portal_pressure", {"mmhg": -1}, "mmhg", -1,
         "greater than or equal to 0"),
        ("infuse.access", "record_portal_pressure", {"mmhg": "high"}, "mmhg", "high",
         "valid number"),
        ("infuse.access", "record_portal_pressure", {}, "mmhg", None, "is required"),
        ("infuse.access", "record_portal_pressure", {"mmhg": float("inf")}, "mmhg",
         float("inf"), "finite number"),
        ("harvest.digesting", "finish_digestion", {"digest_ieq": "lots"}, "digest_ieq", "lots",
         "valid number"),
        ("purify.released", "access_portal_vein", {"anesthesia": "spinal"}, "anesthesia",
         "spinal", "'local_sedation' or 'general'"),
        ("purify.released", "access_portal_vein", {"imaging": ["x-ray"]}, "imaging.0", "x-ray",
         "'ultrasound' or 'fluoroscopy'"),
        ("purify.released", "add_heparin", {"units_per_kg": 70, "route": "iv"}, "route", "iv",
         "is not a known field"),
        ("purify.release_testing", "record_release_tests",
         {**GOOD_PREPARATION, "purity_percent": 140}, "purity_percent", 140,
         "less than or equal to 100"),
        ("infuse.infusing", "complete_infusion", {"fraction_delivered": 0}, "fraction_delivered",
         0, "greater than 0"),
        ("harvest.procured", "abort", {"reason": "Recipient unstable"}, "reason",
         "Recipient unstable", "should match pattern"),
    ],
)  # fmt: skip
def test_malformed_action_data_names_field_value_and_rule(
    state: str, action: str, data: dict[str, Any], location: str, value: Any, rule: str
) -> None:
    """Wrong types, out-of-range values and unknown fields raise InvalidInput; nothing changes."""
    case = case_at(state)
    before = seen(case)
    with pytest.raises(fl.InvalidInput) as caught:
        case.act(action, after="1h", **data)
    problem = only_problem(caught.value)
    assert problem.location == f"{action}.{location}"
    assert problem.value == value or (value != value and problem.value != problem.value)
    assert rule in problem.rule
    assert f"{action}.{location}: " in str(caught.value)
    assert seen(case) == before
    with pytest.raises(fl.InvalidInput):
        case.check(action, **data)


@given(data=bad_preparations)
def test_release_tests_out_of_range_change_nothing(data: dict[str, Any]) -> None:
    """Any release-test record with one impossible value is refused whole; nothing is recorded."""
    case = new_case("open")
    for action, after, extra in [("start_isolation", "1h", {}),
                                 ("finish_digestion", "8h", {"digest_ieq": 1}),
                                 ("submit_for_release", "1h", {})]:  # fmt: skip
        case.act(action, after=after, **extra)
    before = seen(case)
    with pytest.raises(fl.InvalidInput) as caught:
        case.act("record_release_tests", **data)
    assert caught.value.problems[0].location.startswith("record_release_tests.")
    assert seen(case) == before
    assert case.record.preparation is None


@pytest.mark.parametrize("after", [timedelta(hours=-1), "-1h", "-30min"])
def test_negative_after_is_refused_and_the_clock_does_not_move(after: Any) -> None:
    """A negative wait raises InvalidInput on 'after' saying it must be >= 0; nothing moves."""
    case = new_case()
    before = seen(case)
    with pytest.raises(fl.InvalidInput) as caught:
        case.act("start_isolation", after=after)
    problem = only_problem(caught.value)
    assert problem.location == "after"
    assert "negative" in problem.rule
    assert seen(case) == before
    with pytest.raises(fl.InvalidInput):
        case.advance(after)
    assert seen(case) == before


@pytest.mark.parametrize("after", [3600, -3600, 1.5, True])
def test_a_wait_without_a_unit_is_refused(after: Any) -> None:
    """A bare number (seconds? hours?) or a flag as a wait is refused, with a unit to write."""
    case = new_case()
    before = seen(case)
    with pytest.raises(fl.InvalidInput) as caught:
        case.act("note", after=after, text="x")
    problem = only_problem(caught.value)
    assert problem.location == "after"
    assert "e.g. 24h" in problem.rule
    assert seen(case) == before


@pytest.mark.parametrize("after", ["6 hours", "soon", "", "h", "1e3h", [1], "１h", "١h", "PT１H"])
def test_unreadable_after_is_refused(after: Any) -> None:
    """A wait that is not a duration raises InvalidInput on 'after' with an example of one."""
    case = new_case()
    before = seen(case)
    with pytest.raises(fl.InvalidInput) as caught:
        case.act("note", after=after, text="x")
    assert only_problem(caught.value).location == "after"
    assert seen(case) == before


@pytest.mark.parametrize("after", ["99999999999d", timedelta.max, timedelta(days=999_999_999)])
def test_waits_past_the_end_of_time_are_invalid_input(after: Any) -> None:
    """A wait too long for a datetime is InvalidInput (not OverflowError); the clock stays."""
    case = new_case()
    before = seen(case)
    with pytest.raises(fl.InvalidInput) as caught:
        case.act("note", after=after, text="x")
    problem = only_problem(caught.value)
    assert problem.location == "after"
    assert "too long" in problem.rule or "past the year 9999" in problem.rule
    with pytest.raises(fl.InvalidInput):
        case.advance(after)
    assert seen(case) == before


def test_naive_cross_clamp_is_refused() -> None:
    """A donor cross-clamp without a timezone raises InvalidInput on donor.cross_clamp_at."""
    naive = datetime(2026, 1, 5, 8, 0)
    with pytest.raises(fl.InvalidInput) as caught:
        fl.Case.new(donor(cross_clamp_at=naive), recipient(), "open")
    problem = only_problem(caught.value)
    assert problem.location == "donor.cross_clamp_at"
    assert problem.value == naive
    assert "timezone" in problem.rule


def test_naive_clock_start_is_refused() -> None:
    """A SimulatedClock or AcceleratedClock started on a naive datetime raises InvalidInput."""
    for make in (fl.SimulatedClock, fl.AcceleratedClock):
        with pytest.raises(fl.InvalidInput) as caught:
            make(datetime(2026, 1, 5, 8, 0))
        problem = only_problem(caught.value)
        assert (problem.location, problem.value) == ("start", "2026-01-05T08:00:00")
        assert "timezone" in problem.rule


def test_clock_refuses_to_go_backwards() -> None:
    """A clock asked to move back raises InvalidInput and keeps its time."""
    clock = fl.SimulatedClock(T0)
    with pytest.raises(fl.InvalidInput):
        clock.advance(timedelta(seconds=-1))
    assert clock.now() == T0


def test_clock_before_cross_clamp_is_refused() -> None:
    """A case whose clock starts before the donor's cross-clamp raises InvalidInput on clock."""
    clock = fl.SimulatedClock(T0 - timedelta(minutes=1))
    with pytest.raises(fl.InvalidInput) as caught:
        fl.Case.new(donor(), recipient(), "open", clock=clock)
    assert only_problem(caught.value).location == "clock"


@pytest.mark.parametrize(
    ("kwargs", "location", "rule"),
    [
        ({"approach": "endoscopic"}, "approach", "must be one of: percutaneous"),
        ({"recipient": {"id": "R 1", "weight_kg": 70}}, "recipient.id", "pattern"),
        ({"recipient": {"id": "R1", "weight_kg": -70}}, "recipient.weight_kg", "greater than 0"),
        ({"donor": donor(age_years=-1)}, "donor.age_years", "greater than or equal to 0"),
        ({"donor": donor(shoe_size=44)}, "donor.shoe_size", "is not a known field"),
        ({"protocol": {"min_purity_percent": 140}}, "protocol.min_purity_percent", "100"),
    ],
)
def test_bad_case_data_is_refused_at_creation(
    kwargs: dict[str, Any], location: str, rule: str
) -> None:
    """Bad donor, recipient, approach or protocol data raises InvalidInput naming the field."""
    args: dict[str, Any] = {"donor": donor(), "recipient": recipient(), "approach": "open"}
    with pytest.raises(fl.InvalidInput) as caught:
        fl.Case.new(**{**args, **kwargs})
    problem = only_problem(caught.value)
    assert problem.location == location
    assert rule in problem.rule


def test_every_problem_of_an_input_is_listed_at_once() -> None:
    """Release tests with three bad values report all three problems in one error."""
    case = case_at("purify.release_testing")
    data = {**GOOD_PREPARATION, "purity_percent": 140, "viability_percent": -5, "ieq": "many"}
    with pytest.raises(fl.InvalidInput) as caught:
        case.act("record_release_tests", **data)
    assert {p.location for p in caught.value.problems} == {
        "record_release_tests.purity_percent",
        "record_release_tests.viability_percent",
        "record_release_tests.ieq",
    }
    assert str(caught.value).startswith("data for record_release_tests has 3 problems:")


# -- Protocol files ---------------------------------------------------------------------------

BAD_PROTOCOLS: list[tuple[str, Any, str, Any, str]] = [
    # (key, value, location, value reported, words of the rule)
    ("colour", "blue", "colour", "blue", "is not a known field"),
    ("max_culture", "-3h", "max_culture", "-3h", "negative"),
    ("min_purity_percent", 140, "min_purity_percent", 140, "less than or equal to 100"),
]


def _write(path: Path, key: str, value: Any) -> Path:
    if path.suffix == ".toml":
        literal = f'"{value}"' if isinstance(value, str) else str(value)
        path.write_text(f'max_release_to_infusion = "6h"\n{key} = {literal}\n')
    elif path.suffix == ".json":
        path.write_text(json.dumps({"max_release_to_infusion": "6h", key: value}))
    else:
        path.write_text(yaml.safe_dump({"max_release_to_infusion": "6h", key: value}))
    return path


@pytest.mark.parametrize("suffix", [".toml", ".json", ".yaml"])
@pytest.mark.parametrize(("key", "value", "location", "reported", "rule"), BAD_PROTOCOLS)
def test_bad_protocol_files_name_field_value_and_rule(
    tmp_path: Path, suffix: str, key: str, value: Any, location: str, reported: Any, rule: str
) -> None:
    """Unknown keys, negative hours and 140 % purity in any file format raise InvalidInput."""
    path = _write(tmp_path / f"site{suffix}", key, value)
    with pytest.raises(fl.InvalidInput) as caught:
        fl.Protocol.load(path)
    problem = only_problem(caught.value)
    assert (problem.location, problem.value) == (location, reported)
    assert rule in problem.rule
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("name", "text", "rule"),
    [
        ("site.toml", "max_culture = ", "is not valid"),
        ("site.json", "{", "is not valid"),
        ("site.yaml", "- a list\n- not a mapping\n", "must be a mapping"),
        ("site.ini", "[protocol]\n", "must end in .toml, .json, .yaml or .yml"),
    ],
)
def test_unreadable_protocol_files_are_refused(
    tmp_path: Path, name: str, text: str, rule: str
) -> None:
    """Broken syntax, a non-mapping or an unknown file type raise InvalidInput saying which."""
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(fl.InvalidInput) as caught:
        fl.Protocol.load(path)
    assert rule in only_problem(caught.value).rule


def test_missing_protocol_file_is_refused(tmp_path: Path) -> None:
    """A protocol file that does not exist raises InvalidInput naming the path."""
    with pytest.raises(fl.InvalidInput) as caught:
        fl.Protocol.load(tmp_path / "nowhere.toml")
    problem = only_problem(caught.value)
    assert problem.location == "path"
    assert "cannot be read" in problem.rule


def test_inconsistent_protocol_is_refused_as_a_whole() -> None:
    """A warning above the hard limit, and induction min above max, are reported together."""
    with pytest.raises(fl.InvalidInput) as caught:
        fl.Protocol().overridden(
            {"cold_ischemia_warning": "13h", "induction_min_before_infusion": "7h"}
        )
    text = str(caught.value)
    assert "cold_ischemia_warning must not exceed max_cold_ischemia" in text
    assert "induction_min_before_infusion must not exceed induction_max_before_infusion" in text


def test_access_data_of_the_right_type_still_goes_to_the_guards() -> None:
    """Valid but clinically wrong data is a refusal, not an exception."""
    case = case_at("purify.released", "open")
    out = case.act("access_portal_vein", **ACCESS["percutaneous"])
    assert not out.accepted
    assert [f.code for f in out.failures] == ["anesthesia_mismatch"]
