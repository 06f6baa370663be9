"""The compiled engine is the transitions engine's table, step for step; act's guards as check's."""

from __future__ import annotations

import dataclasses
import runpy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import isletflow as fl
from isletflow import cohort, simulation
from isletflow import workflow as wf
from isletflow.case import Case
from isletflow.errors import InvalidDefinition, InvalidInput
from isletflow.guards import GUARDS
from isletflow.sampling import PlanSampler
from isletflow.scenario import Scenario
from isletflow.simulation import simulate
from strategies_sim import scenarios

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_compiled_table_has_every_step_of_the_table() -> None:
    """Every (source, trigger) of the table compiles to its destination, and nothing else."""
    expected = {(src, s.trigger): s.dest for s in wf.STEPS for src in s.sources}
    assert expected == wf.COMPILED
    machine = wf.machine()
    for (source, trigger), dest in wf.COMPILED.items():
        transitions = machine.events[trigger].transitions[source]
        assert [t.dest for t in transitions] == [dest]


def test_compile_refuses_an_ambiguous_table() -> None:
    """Two rows with the same source and trigger cannot be a dictionary: InvalidDefinition."""
    twice = (*wf.STEPS, wf.Step("release", ("purify.release_testing",), "discarded"))
    with pytest.raises(InvalidDefinition, match="defined twice"):
        wf.compile_table(twice)


@pytest.mark.parametrize("approach", ["percutaneous", "laparoscopic", "open"])
def test_both_engines_give_the_same_timeline(
    monkeypatch: pytest.MonkeyPatch, approach: str
) -> None:
    """The standard walk gives an identical timeline on either engine."""
    walk = runpy.run_path(str(EXAMPLES / "standard_case.py"))["standard_case"]
    reference = walk(approach)
    original_new = fl.Case.new.__func__  # type: ignore[attr-defined]

    def compiled_new(cls: type[fl.Case], *args: object, **kwargs: object) -> fl.Case:
        return original_new(cls, *args, engine="compiled", **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(fl.Case, "new", classmethod(compiled_new))
    fast = walk(approach)
    assert fast._engine == "compiled"
    assert fast.timeline == reference.timeline
    assert fast == reference


def test_unknown_engine_is_refused() -> None:
    """An engine name that does not exist is an InvalidInput naming the field."""
    donor = {"age_years": 40, "cross_clamp_at": "2026-01-01T00:00:00Z"}
    with pytest.raises(InvalidInput, match="engine"):
        fl.Case.new(donor, {"id": "R1", "weight_kg": 70}, "open", engine="fast")  # type: ignore[arg-type]


# -- Differential: the compiled engine against the engine of record ---------------------------

SCENARIOS = sorted((EXAMPLES / "scenarios").glob("*.yaml"))


def _both(scenario: Scenario, seed: int, index: int) -> tuple[fl.Case, fl.Case]:
    sampler = PlanSampler(scenario)
    reference = simulate(scenario, seed, index, sampler=sampler, engine="transitions")
    compiled = simulate(scenario, seed, index, sampler=sampler, engine="compiled")
    return reference, compiled


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_engines_agree_on_every_example_scenario(path: Path) -> None:
    """Each example scenario gives identical timelines on both engines, over seeds and cases."""
    scenario = Scenario.load(path)
    for seed, index in ((0, 0), (1, 3), (2026, 7), (99, 42)):
        reference, compiled = _both(scenario, seed, index)
        assert compiled._engine == "compiled"
        assert compiled.timeline == reference.timeline
        assert compiled.timeline.to_json() == reference.timeline.to_json()
        assert compiled == reference


@given(scenarios(), st.integers(0, 2**16), st.integers(0, 200))
@settings(max_examples=50)
def test_engines_agree_on_generated_scenarios(data: dict[str, Any], seed: int, index: int) -> None:
    """Over generated scenarios (any outcome), both engines write the same timeline."""
    reference, compiled = _both(Scenario.from_mapping(data), seed, index)
    assert compiled.timeline == reference.timeline
    assert compiled == reference


def test_a_cohort_runs_on_the_compiled_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """run_chunk asks for the compiled engine (and its cases equal simulate's, see test_cohort)."""
    engines: list[str] = []
    original = simulation.start

    def spy(plan: Any, *, engine: wf.Engine = "transitions") -> Any:
        engines.append(engine)
        return original(plan, engine=engine)

    monkeypatch.setattr(cohort, "start", spy)
    cohort.run_chunk(Scenario.load(EXAMPLES / "scenarios" / "standard.yaml").model_dump_json(),
                     0, 0, 3)  # fmt: skip
    assert engines == ["compiled"] * 3


# -- Act keeps exactly the failures check gives -----------------------------------------------


@given(scenarios(), st.integers(0, 50))
@settings(max_examples=40)
def test_act_refuses_and_warns_exactly_as_check_says(data: dict[str, Any], index: int) -> None:
    """At every simulated step, act's failures-only guards give check's failures and warnings."""
    original = Case._perform

    def compared(self: Case, action: str, parsed: Any, now: Any) -> fl.ActionResult:
        full = self._check(self._state, action, parsed, now)
        step = wf.STEP_FOR[self._state].get(action)
        quiet = self._failures(self._state, action, step, parsed, now)
        assert quiet == (full.failures, full.warnings)
        result = original(self, action, parsed, now)
        warnings = full.warnings if full.accepted else ()  # a refusal carries no warnings
        assert (result.accepted, result.failures, result.warnings) == (
            full.accepted, full.failures, warnings,
        )  # fmt: skip
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Case, "_perform", compared)
        simulate(Scenario.from_mapping(data), index=index, engine="compiled")


def test_every_guard_in_failures_only_mode_yields_its_failing_verdicts() -> None:
    """Each guard, asked for failures only, yields exactly its full verdicts that did not pass."""
    for path in SCENARIOS:
        scenario = Scenario.load(path)
        for index in range(2):
            case = simulate(scenario, index=index, engine="compiled")
            for state in wf.ACTIVE:
                facts = case._facts(state, None, case.now)
                quiet = dataclasses.replace(facts, only_failures=True)
                for name, guard in GUARDS.items():
                    expected = [r for r in guard(facts) if not r.passed]
                    assert list(guard(quiet)) == expected, (path.stem, state, name)
