"""``@value``: a frozen dataclass with a cheaper ``__init__`` behaves exactly like the original."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field

import pytest

from isletflow.case import ActionResult, Check, Outcome
from isletflow.guards import GuardResult
from isletflow.record import Complication, Induction, Note, PressureReading, Trough
from isletflow.simulation import Move
from isletflow.timeline import (
    Accepted,
    Advanced,
    AutomaticStep,
    Created,
    DeadlineFired,
    Refused,
    Warned,
)
from isletflow.values import value


def _kinds() -> tuple[type, type]:
    """The same dataclass twice: as ``dataclass`` makes it, and with ``@value``."""

    def define() -> type:
        @dataclass(frozen=True, slots=True)
        class Reading:
            at: int
            mmhg: float = 5.0
            tags: list[str] = field(default_factory=list)
            note: str = field(default="", kw_only=True)
            source: str = field(kw_only=True, default_factory=lambda: "policy")

        return Reading

    return define(), value(define())


def test_same_signature_as_the_dataclass_init() -> None:
    """Names, order, kinds and defaults of the parameters are the dataclass's own."""
    plain, quick = _kinds()
    left, right = inspect.signature(plain.__init__), inspect.signature(quick.__init__)
    assert [(p.name, p.kind) for p in left.parameters.values()] == [
        (p.name, p.kind) for p in right.parameters.values()
    ]
    assert right.parameters["mmhg"].default == 5.0
    assert right.parameters["note"].default == ""
    assert right.parameters["note"].kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((1,), {}), ((1, 7.5), {}), ((1, 7.5, ["a"]), {"note": "n"}), ((1,), {"source": "x"})],
)
def test_same_instances_as_the_dataclass(args: tuple[object, ...], kwargs: dict[str, str]) -> None:
    """Every way of calling gives the values the dataclass would have set."""
    plain, quick = _kinds()
    made, expected = quick(*args, **kwargs), plain(*args, **kwargs)
    assert [getattr(made, f.name) for f in dataclasses.fields(made)] == [
        getattr(expected, f.name) for f in dataclasses.fields(expected)
    ]
    assert dataclasses.replace(made, at=2).at == 2


def test_factories_run_per_instance_and_frozen_stays_frozen() -> None:
    """A default factory makes a new value each time; fields still cannot be assigned."""
    _, quick = _kinds()
    first, second = quick(1), quick(2)
    assert first.tags == []
    assert first.tags is not second.tags
    assert first.source == "policy"
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.mmhg = 1.0
    with pytest.raises(TypeError):
        quick()  # the required field is still required
    with pytest.raises(TypeError):
        quick(1, 2.0, [], "note")  # keyword-only stays keyword-only


def test_refuses_what_it_cannot_reproduce() -> None:
    """Not frozen, no slots, or a __post_init__: a TypeError, not a subtly different class."""

    @dataclass(slots=True)
    class Open:
        x: int

    @dataclass(frozen=True)
    class NoSlots:
        x: int

    @dataclass(frozen=True, slots=True)
    class Checked:
        x: int

        def __post_init__(self) -> None:
            pass

    for kind in (Open, NoSlots, Checked):
        with pytest.raises(TypeError, match=kind.__name__):
            value(kind)


@pytest.mark.parametrize(
    "kind",
    [Created, Accepted, Refused, Warned, DeadlineFired, AutomaticStep, Advanced, ActionResult,
     Check, Outcome, Move, GuardResult, Induction, PressureReading, Trough, Complication, Note],
)  # fmt: skip
def test_hot_values_use_it(kind: type) -> None:
    """The values made on every step have the slot-writing ``__init__``."""
    assert any(name.startswith("_set_") for name in kind.__init__.__globals__)
