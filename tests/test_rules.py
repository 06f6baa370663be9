"""The rules guards decide by: elementwise on numpy arrays; each guard's verdict is its rule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import isletflow as fl
from isletflow import rules
from isletflow import workflow as wf
from isletflow.guards import GUARDS, Facts
from strategies import action_data
from strategies_interop import cases

numbers = st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=20)
flags = st.lists(st.booleans(), min_size=1, max_size=20)


def _elementwise(rule: Any, *columns: list[Any]) -> None:
    """The rule on arrays equals the rule on each row's scalars."""
    arrays = [np.asarray(column) for column in columns]
    together = np.asarray(rule(*arrays))
    one_by_one = [bool(rule(*row)) for row in zip(*columns, strict=True)]
    assert together.tolist() == one_by_one


@given(st.data())
def test_comparisons_work_on_arrays_as_on_numbers(data: st.DataObject) -> None:
    """within, at_most, at_least, above, below and equal agree elementwise with their scalars."""
    value = data.draw(numbers)
    size = len(value)
    low = data.draw(st.lists(st.floats(-1e6, 1e6), min_size=size, max_size=size))
    high = data.draw(st.lists(st.floats(-1e6, 1e6), min_size=size, max_size=size))
    _elementwise(rules.within, value, low, high)
    for rule in (rules.at_most, rules.at_least, rules.above, rules.below, rules.equal):
        _elementwise(rule, value, low)


@given(st.data())
def test_boolean_rules_work_on_arrays_as_on_flags(data: st.DataObject) -> None:
    """implies and none_of agree elementwise with their scalars."""
    first = data.draw(flags)
    size = len(first)
    second = data.draw(st.lists(st.booleans(), min_size=size, max_size=size))
    _elementwise(rules.implies, first, second)
    _elementwise(rules.none_of, first, second)


@given(st.lists(st.sampled_from(["UW", "HTK", "IGL-1", "Celsior"]), min_size=1, max_size=20))
def test_one_of_works_on_arrays_as_on_values(solutions: list[str]) -> None:
    """one_of is elementwise on an array of strings, and False for no options."""
    _elementwise(lambda value: rules.one_of(value, ("UW", "HTK")), solutions)
    assert not rules.one_of("UW", ())


def test_implies_is_the_truth_table() -> None:
    """implies(a, b) fails only for True → False."""
    table = {(a, b): bool(rules.implies(a, b)) for a in (False, True) for b in (False, True)}
    assert table == {
        (False, False): True,
        (False, True): True,
        (True, False): False,
        (True, True): True,
    }


def _facts(case: fl.Case, data: Any, wait: timedelta) -> Facts:
    return Facts(
        case.donor,
        case.recipient,
        case.approach,
        case.protocol,
        case.record,
        case.state,
        case.now + wait,
        data,
    )


@given(cases(), st.data(), st.sampled_from([timedelta(0), timedelta(hours=1), timedelta(days=3)]))
def test_every_guard_holds_exactly_when_its_explanation_passes(
    case: fl.Case, data: st.DataObject, wait: timedelta
) -> None:
    """For the guards of every step possible now, holds(f) is True iff every verdict passes."""
    for action in wf.actions_in(case.state):
        step = wf.STEP_FOR[case.state].get(action)
        if step is None:
            continue
        raw = data.draw(action_data(action, case.approach))
        facts = _facts(case, step.data.model_validate(raw), wait)
        for name in (*step.guards, *step.warnings):
            guard = GUARDS[name]
            verdicts = list(guard.explain(facts))
            assert verdicts, f"{name} must explain itself"
            assert bool(guard.holds(facts)) == all(v.passed for v in verdicts), name
