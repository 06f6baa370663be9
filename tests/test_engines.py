"""The compiled engine is the transitions engine's table, step for step."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

import isletflow as fl
from isletflow import workflow as wf
from isletflow.errors import InvalidDefinition, InvalidInput

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
