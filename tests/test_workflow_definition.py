"""The workflow table: checked when built, only workflow.py imports transitions, one machine."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any

import pytest
import transitions

import isletflow
from builders import APPROACHES, new_case, standard_steps
from isletflow import workflow as wf
from isletflow.definition import Step, check_definition
from isletflow.errors import InvalidDefinition

SOURCE = Path(isletflow.__file__).parent


SHIPPED: dict[str, Any] = {
    "states": wf.STATES,
    "steps": wf.STEPS,
    "recordings": wf.RECORDINGS,
    "automatic": wf.AUTOMATIC,
    "deadlines": wf.DEADLINES,
    "initial": wf.INITIAL,
    "terminal": wf.TERMINAL,
}


def problems_of(**tables: Any) -> tuple[str, ...]:
    with pytest.raises(InvalidDefinition) as caught:
        check_definition(**{**SHIPPED, **tables})
    return caught.value.problems


def test_the_shipped_table_is_valid() -> None:
    """check_definition accepts the workflow as shipped."""
    check_definition(**SHIPPED)


def test_an_unreachable_state_is_reported() -> None:
    """A state that no step leads to is reported as unreachable."""
    states = (*wf.STATES, "purify.cryostore")
    steps = (*wf.STEPS, Step("dispose", ("purify.cryostore",), "discarded"))
    (problem,) = problems_of(states=states, steps=steps)
    assert problem == "state 'purify.cryostore' cannot be reached from 'harvest.procured'"


def test_a_dead_end_is_reported() -> None:
    """A state from which only abort leads on is reported as a dead end."""
    states = (*wf.STATES, "purify.quarantine")
    steps = (
        *wf.STEPS,
        Step("quarantine", ("purify.culture",), "purify.quarantine"),
        Step("give_up", ("purify.quarantine",), "aborted"),
    )
    (problem,) = problems_of(states=states, steps=steps)
    assert problem == "state 'purify.quarantine' is a dead end: nothing leads on but abort"


def test_an_unknown_guard_is_reported() -> None:
    """A step that names a guard that does not exist is reported, naming step and guard."""
    steps = tuple(
        dataclasses.replace(s, guards=(*s.guards, "donor_is_nice"))
        if s.trigger == "start_isolation"
        else s
        for s in wf.STEPS
    )
    (problem,) = problems_of(steps=steps)
    assert problem == "step 'start_isolation' names unknown guard 'donor_is_nice'"


def test_every_problem_is_reported_at_once() -> None:
    """A table with an unreachable state, a dead end and an unknown guard lists all three."""
    states = (*wf.STATES, "purify.cryostore", "purify.quarantine")
    steps = (
        *wf.STEPS,
        Step("dispose", ("purify.cryostore",), "discarded", guards=("no_such_guard",)),
        Step("quarantine", ("purify.culture",), "purify.quarantine"),
    )
    problems = problems_of(states=states, steps=steps)
    assert len(problems) == 3
    assert any("cannot be reached" in p for p in problems)
    assert any("dead end" in p for p in problems)
    assert any("unknown guard 'no_such_guard'" in p for p in problems)


def test_unknown_states_deadlines_and_terminal_exits_are_reported() -> None:
    """Steps naming unknown states or deadlines, or leaving a terminal state, are reported."""
    steps = (
        *wf.STEPS,
        Step("reopen", ("completed",), "aborted"),
        Step("ship", ("purify.release_testing",), "purify.relased", arms=("shelf_life",)),
    )
    problems = problems_of(steps=steps)
    assert "step 'reopen' leaves terminal state 'completed'" in problems
    assert "step 'ship' names unknown state 'purify.relased'" in problems
    assert "step 'ship' names unknown deadline 'shelf_life'" in problems


def test_an_action_with_two_rows_is_reported() -> None:
    """One action is one row: a second row for the same action is reported as ambiguous."""
    steps = (*wf.STEPS, Step("release", ("purify.release_testing",), "discarded"))
    assert "action 'release' has more than one row" in problems_of(steps=steps)


def test_a_measured_field_the_data_lacks_is_reported() -> None:
    """A row that says the lab measures a field its data model lacks is reported."""
    steps = tuple(
        dataclasses.replace(s, measured=frozenset({"digest_volume_ml"}))
        if s.trigger == "finish_digestion"
        else s
        for s in wf.STEPS
    )
    (problem,) = problems_of(steps=steps)
    assert problem == (
        "action 'finish_digestion' measures 'digest_volume_ml', which its data model does not have"
    )


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_workflow_module_imports_transitions() -> None:
    """Scanning every source file with ast: workflow.py alone imports transitions."""
    files = sorted(SOURCE.rglob("*.py"))
    assert len(files) > 10
    importers = {p.relative_to(SOURCE).as_posix() for p in files if "transitions" in _imports(p)}
    assert importers == {"workflow.py"}


def test_one_machine_is_built_and_shared_by_every_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building, running and replaying 30 cases constructs transitions.Machine exactly once."""
    calls = []
    original = transitions.Machine.__init__

    def counting(self: transitions.Machine, *args: Any, **kwargs: Any) -> None:
        calls.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(transitions.Machine, "__init__", counting)
    wf.machine.cache_clear()
    wf.moves.cache_clear()
    try:
        for index in range(30):
            approach = APPROACHES[index % 3]
            case = new_case(approach)
            for action, after, data in standard_steps(approach)[: 5 + index % 12]:
                assert case.act(action, after=after, **data).accepted
            isletflow.Case.replay(case.timeline)
    finally:
        wf.machine.cache_clear()
        wf.moves.cache_clear()
    assert len(calls) == 1


def test_cases_move_on_the_graph_the_machine_holds() -> None:
    """The table cases move on is exactly the machine's transitions, and every step's row."""
    expected = {(src, s.trigger): s.dest for s in wf.STEPS for src in s.sources}
    assert dict(wf.moves()) == expected
    machine = wf.machine()
    for (source, trigger), dest in wf.moves().items():
        assert [t.dest for t in machine.events[trigger].transitions[source]] == [dest]


def test_actions_are_the_table_s_triggers_and_recordings() -> None:
    """ACTIONS holds every step trigger a person takes and every recording, sorted, no more."""
    triggers = {s.trigger for s in wf.STEPS} - {"pause_infusion"}
    recordings = {r.action for r in wf.RECORDINGS}
    assert tuple(sorted(triggers | recordings)) == tuple(wf.ACTIONS)
    assert all(row.name == name for name, row in wf.ACTIONS.items())


def test_phase_is_the_part_before_the_dot() -> None:
    """case.phase is the phase of the nested state name."""
    case = new_case()
    assert (case.state, case.phase) == ("harvest.procured", "harvest")
