"""The simulator: examples end as they say, same seed same timeline, properties over scenarios."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import isletflow as fl
from isletflow.case import Case
from isletflow.sampling import PlanSampler, stream
from isletflow.scenario import Scenario
from isletflow.simulation import Move, SimulationStuck, World, run, simulate, start
from isletflow.timeline import Accepted, AutomaticStep, DeadlineFired, Refused
from strategies_sim import EXAMPLES, failing_scenarios, scenarios, standard

EXPECTED = re.compile(r"^# expected: (\w+) (\w+)", re.MULTILINE)
FILES = sorted(p for p in EXAMPLES.glob("*.yaml") if p.name != "population.yaml")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_example_ends_as_its_header_says(path: Path):
    """Every example's simulated outcome is the one on its '# expected:' line."""
    found = EXPECTED.search(path.read_text())
    assert found, f"{path.name} has no '# expected:' line"
    outcome = simulate(Scenario.load(path)).outcome
    assert outcome is not None
    assert (outcome.status, outcome.code) == found.groups()


def test_examples_cover_every_stopping_guard():
    """The library demonstrates each stop: deadlines, donor, every release test, pressure."""
    codes = {EXPECTED.search(p.read_text()).groups()[1] for p in FILES}  # type: ignore[union-attr]
    assert codes >= {
        "cold_ischemia_exceeded", "islets_expired", "portal_pressure_high", "donor_ineligible",
        "preservation_unaccepted", "dose_below_minimum", "tissue_volume_above_limit",
        "purity_below_minimum", "viability_below_minimum", "endotoxin_above_limit",
        "gram_stain_positive", "stimulation_index_below_minimum", "identity_mismatch",
    }  # fmt: skip
    approaches = {Scenario.load(p).approach for p in FILES if p.stem.startswith("approach_")}
    assert approaches == {"percutaneous", "laparoscopic", "open"}


def test_standard_scenario_walks_like_the_hand_written_example():
    """The default policy takes the standard case through the same steps as standard_case.py."""
    case = simulate(Scenario.load(EXAMPLES / "standard.yaml"))
    steps = [e.action for e in case.timeline if isinstance(e, Accepted)]
    assert steps[:8] == ["start_isolation", "finish_digestion", "start_culture",
                         "submit_for_release", "record_release_tests", "release",
                         "give_induction", "add_heparin"]  # fmt: skip
    assert steps[-4:] == ["seal_access", "record_trough", "start_follow_up", "assess_graft"]
    assert not any(isinstance(e, Refused) for e in case.timeline)
    peak = max(r.mmhg for r in case.record.portal_pressures)
    assert peak == pytest.approx(17.8)  # baseline 13 to about 18 [S13, S14]
    assert case.record.dose_delivered_ieq_per_kg == pytest.approx(473_553 / 70)


def test_culture_window_example_fires_the_culture_deadline():
    """Too long a culture ends on the culture_window deadline, stamped at the deadline."""
    case = simulate(Scenario.load(EXAMPLES / "culture_window_exceeded.yaml"))
    fired = [e for e in case.timeline if isinstance(e, DeadlineFired)]
    assert [e.deadline for e in fired] == ["culture_window"]
    assert fired[0].at == fired[0].due


def test_release_to_infusion_example_fires_the_release_deadline():
    """A recipient ready after 7 h loses the islets to the 6 h release window [S1]."""
    case = simulate(Scenario.load(EXAMPLES / "islets_expired_before_infusion.yaml"))
    assert [e.deadline for e in case.timeline if isinstance(e, DeadlineFired)] == ["release_window"]
    assert case.record.infusion_started_at is None


def test_failed_release_is_rejected_with_every_failing_test():
    """Two failing release tests give one rejection naming both sub-codes."""
    data = standard()
    data["preparation"]["purity_percent"] = 20
    data["preparation"]["viability_percent"] = 50
    outcome = simulate(Scenario.from_mapping(data)).outcome
    assert outcome is not None
    assert (outcome.status, outcome.code) == (
        "discarded", "purity_below_minimum+viability_below_minimum"
    )  # fmt: skip


def test_pressure_pause_is_resumed_after_the_pressure_falls():
    """A reading at the stop limit pauses the infusion; a lower re-reading resumes it."""
    case = simulate(Scenario.load(EXAMPLES / "portal_pressure_pause.yaml"))
    triggers = [e.trigger if isinstance(e, AutomaticStep) else e.action
                for e in case.timeline if isinstance(e, AutomaticStep | Accepted)]  # fmt: skip
    assert "pause_infusion" in triggers
    assert "resume_infusion" in triggers
    assert case.record.fraction_delivered == 1.0


def test_pressure_that_stays_high_ends_with_a_partial_dose():
    """When the pressure does not fall within max_pause, the dose delivered is partial."""
    case = simulate(Scenario.load(EXAMPLES / "partial_dose.yaml"))
    assert case.record.fraction_delivered == 0.8
    assert case.outcome is not None
    assert case.outcome.status == "completed"


def test_induction_given_too_recently_is_waited_out():
    """A refused start (induction too recent) is retried once the window opens, not aborted."""
    case = simulate(Scenario.load(EXAMPLES / "induction_wait.yaml"))
    refused = [e for e in case.timeline if isinstance(e, Refused)]
    assert [r.failures[0].code for r in refused] == ["induction_timing"]
    induction = case.record.inductions[0].at
    assert case.record.infusion_started_at == induction + timedelta(minutes=30)


def test_same_seed_gives_byte_identical_timelines():
    """Simulating one scenario and seed twice gives the same timeline JSON."""
    scenario = Scenario.load(EXAMPLES / "population.yaml")
    for index in range(5):
        a = simulate(scenario, seed=11, index=index).timeline.to_json()
        b = simulate(scenario, seed=11, index=index).timeline.to_json()
        assert a == b


def test_seeds_and_indices_give_different_cases():
    """Different seeds, and different cases of one seed, draw different values."""
    scenario = Scenario.load(EXAMPLES / "population.yaml")
    timelines = {simulate(scenario, seed=s, index=i).timeline.to_json()
                 for s in (1, 2) for i in (0, 1)}  # fmt: skip
    assert len(timelines) == 4


def test_file_seed_is_used_unless_one_is_given():
    """simulate() uses the scenario's seed by default and the argument when given."""
    scenario = Scenario.load(EXAMPLES / "population.yaml")
    assert scenario.seed is not None
    default = simulate(scenario).timeline.to_json()
    assert default == simulate(scenario, seed=scenario.seed).timeline.to_json()
    assert default != simulate(scenario, seed=scenario.seed + 1).timeline.to_json()


def test_streams_are_independent_per_section():
    """Making the preparation random leaves the timings drawn for a case unchanged."""
    base = standard()
    base["timings"]["cold_ischemia"] = {"uniform": ["2h", "10h"]}
    more = standard()
    more["timings"]["cold_ischemia"] = {"uniform": ["2h", "10h"]}
    more["preparation"]["purity_percent"] = {"uniform": [40, 80]}
    a = PlanSampler(Scenario.from_mapping(base)).sample(3, 9)
    b = PlanSampler(Scenario.from_mapping(more)).sample(3, 9)
    assert a.timings == b.timings
    assert a.release_tests["purity_percent"] != b.release_tests["purity_percent"]


def test_stream_is_a_pure_function_of_seed_index_and_name():
    """The same (seed, index, name) gives the same stream; another name another stream."""
    assert stream(1, 2, "timings").random() == stream(1, 2, "timings").random()
    assert stream(1, 2, "timings").random() != stream(1, 2, "donor").random()
    assert stream(1, 2, "timings").random() != stream(1, 3, "timings").random()


def test_simulated_timeline_replays_to_an_equal_case():
    """A simulated case is an ordinary case: its timeline replays to an equal one."""
    case = simulate(Scenario.load(EXAMPLES / "portal_pressure_pause.yaml"))
    assert fl.Case.replay(case.timeline) == case


class _AbortAtOnce:
    def next_move(self, case: Case, world: World) -> Move:
        return Move("abort", data={"reason": "recipient_unwell"})


class _OnlyNotes:
    def next_move(self, case: Case, world: World) -> Move:
        return Move("note", data={"text": "waiting"})


def test_a_custom_policy_drives_the_case():
    """Any object with next_move is a policy; the engine still decides."""
    plan = PlanSampler(Scenario.load(EXAMPLES / "standard.yaml")).sample(0, 0)
    case, world = start(plan)
    run(case, world, _AbortAtOnce())
    assert case.outcome is not None
    assert (case.outcome.status, case.outcome.code) == ("aborted", "recipient_unwell")


def test_a_policy_that_never_ends_is_stopped():
    """A policy that never brings its case to an end raises SimulationStuck."""
    plan = PlanSampler(Scenario.load(EXAMPLES / "standard.yaml")).sample(0, 0)
    case, world = start(plan)
    with pytest.raises(SimulationStuck, match="without ending"):
        run(case, world, _OnlyNotes(), max_moves=20)


@given(scenarios())
@settings(max_examples=60)
def test_every_simulated_case_ends_in_a_terminal_state(data: dict[str, Any]):
    """Over generated scenarios, the standard policy always brings the case to an end."""
    case = simulate(Scenario.from_mapping(data))
    assert case.terminal
    assert case.outcome is not None


@given(scenarios(), st.integers(0, 50))
@settings(max_examples=40)
def test_simulated_timelines_are_time_ordered(data: dict[str, Any], index: int):
    """Events never go back in time, and no infusion starts after a deadline fired."""
    case = simulate(Scenario.from_mapping(data), index=index)
    times = [e.at for e in case.timeline]
    assert times == sorted(times)
    fired = [e for e in case.timeline if isinstance(e, DeadlineFired)]
    if fired:
        assert case.record.infusion_started_at is None or case.record.infusion_started_at < (
            fired[0].at
        )


@given(failing_scenarios())
@settings(max_examples=60)
def test_a_guard_made_to_fail_ends_the_case_with_its_code(example: tuple[dict[str, Any], str, str]):
    """The standard scenario with one guard made to fail ends with that guard's code."""
    data, status, code = example
    outcome = simulate(Scenario.from_mapping(data)).outcome
    assert outcome is not None
    assert (outcome.status, outcome.code) == (status, code)


def test_an_empty_digest_aborts_with_no_yield():
    """A digest with no islets stops at culture with no_yield, before any release test."""
    data = standard()
    data["preparation"]["digest_ieq"] = 0
    outcome = simulate(Scenario.from_mapping(data)).outcome
    assert outcome is not None
    assert (outcome.status, outcome.code) == ("aborted", "no_yield")
