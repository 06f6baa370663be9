"""Diagrams: every state and transition of the workflow table, no other, and a case's path."""

from __future__ import annotations

import re
import shutil

import pytest
from hypothesis import given, settings

import isletflow as fl
from isletflow import workflow as wf
from isletflow.errors import MissingTool
from isletflow.export import diagram
from isletflow.export.diagram import armed_in, case_path, dot, mermaid, render
from strategies_interop import cases, new_case, run, walk

Edges = set[tuple[str, str, str]]

STEP_EDGES: Edges = {(s, step.dest, step.trigger) for step in wf.STEPS for s in step.sources}
PHASES = {p: [s for s in wf.STATES if s not in wf.TERMINAL and wf.phase_of(s) == p]
          for p in {wf.phase_of(s) for s in wf.STATES if s not in wf.TERMINAL}}  # fmt: skip
ALWAYS = {r.action for r in wf.RECORDINGS if set(wf.ACTIVE) <= set(r.states)}


def _mermaid_id_map(text: str) -> dict[str, str]:
    """Mermaid id -> workflow state: an id is the step name or the state with '_' for '.'."""
    names = {s.split(".")[-1]: s for s in wf.STATES} | {s.replace(".", "_"): s for s in wf.STATES}
    ids = set(re.findall(r"^\s+(\w+)$", text, re.MULTILINE)) | set(wf.TERMINAL)
    return {i: names[i] for i in ids}


def parse_mermaid(text: str) -> tuple[set[str], Edges, Edges, dict[str, set[str]]]:
    """States, step edges, deadline edges and recordings read back from Mermaid text."""
    ids = _mermaid_id_map(text)
    steps: Edges = set()
    deadlines: Edges = set()
    recordings: dict[str, set[str]] = {}
    for source, target, label in re.findall(r"^\s+(\S+) --> (\S+) : (.+)$", text, re.MULTILINE):
        label = label.removeprefix("✔ ").removesuffix(" (automatic)")
        sources = PHASES[source] if source in PHASES else [ids[source]]
        for state in sources:
            if label.startswith("deadline "):
                deadlines.add((state, ids[target], label.removeprefix("deadline ")))
            else:
                steps.add((state, ids[target], label))
    for state_id, listed in re.findall(r"^\s+(\w+) : records (.+)$", text, re.MULTILINE):
        recordings[ids[state_id]] = set(listed.split(", "))
    return set(ids.values()), steps, deadlines, recordings


def parse_dot(text: str) -> tuple[set[str], Edges, Edges]:
    """States, step edges and deadline edges read back from DOT text."""
    states = set(re.findall(r'^\s+"([\w.]+)" \[label=', text, re.MULTILINE))
    steps: Edges = set()
    deadlines: Edges = set()
    for source, target, attrs in re.findall(r'^\s+"([\w.]+)" -> "([\w.]+)" \[(.*)\];$', text,
                                            re.MULTILINE):  # fmt: skip
        if source == "__start__":
            continue
        label = re.search(r'label="([^"]*)"', attrs)
        assert label is not None
        name = label.group(1).removesuffix(" (automatic)")
        tail = re.search(r'ltail="cluster_(\w+)"', attrs)
        for state in PHASES[tail.group(1)] if tail else [source]:
            if name.startswith("deadline "):
                deadlines.add((state, target, name.removeprefix("deadline ")))
            else:
                steps.add((state, target, name))
    return states, steps, deadlines


def test_mermaid_has_every_state_and_step_and_no_other() -> None:
    """The Mermaid diagram's states and transitions are exactly the table's."""
    states, steps, deadlines, recordings = parse_mermaid(mermaid())
    assert states == set(wf.STATES)
    assert steps == STEP_EDGES
    assert {name for _, _, name in deadlines} == set(wf.DEADLINES)
    assert {target for _, target, _ in deadlines} == {"aborted"}
    expected = {s: {r.action for r in wf.RECORDINGS if s in r.states} - ALWAYS for s in wf.STATES}
    assert recordings == {s: r for s, r in expected.items() if r}
    assert mermaid().startswith("stateDiagram-v2\n")
    assert f"[*] --> {wf.INITIAL.split('.')[-1]}" in mermaid()


def test_dot_has_every_state_and_step_and_no_other() -> None:
    """The DOT diagram's states and transitions are exactly the table's, deadlines included."""
    states, steps, deadlines = parse_dot(dot())
    assert states == set(wf.STATES)
    assert steps == STEP_EDGES
    expected = {(s, "aborted", d) for s, names in armed_in().items() for d in names}
    assert deadlines == expected
    assert parse_mermaid(mermaid())[2] == expected


def test_deadline_edges_follow_the_table() -> None:
    """Cold ischaemia can fire only before isolation; the release window only once released."""
    armed = armed_in()
    assert {s for s, names in armed.items() if "cold_ischemia" in names} == {wf.INITIAL}
    assert {s for s, names in armed.items() if "release_window" in names} == {
        "purify.released", "infuse.access",
    }  # fmt: skip


@settings(max_examples=40)
@given(cases())
def test_armed_deadlines_are_where_the_diagram_draws_them(case: fl.Case) -> None:
    """Every deadline a real case has armed is drawn from the state the case is in."""
    if not case.terminal:
        assert {d.name for d in case.deadlines} <= armed_in()[case.state]
    path = case_path(case.timeline)
    drawn = STEP_EDGES | {(s, "aborted", d) for s, names in armed_in().items() for d in names}
    assert path.transitions <= drawn
    assert case.state in path.states


def test_case_path_is_highlighted() -> None:
    """A case's visited states are classed, its transitions ticked (Mermaid) and thickened (DOT)."""
    approach = fl.Approach.LAPAROSCOPIC
    case = run(new_case(approach), walk(approach, culture=False, spike=True))
    path = case_path(case.timeline)
    assert "purify.culture" not in path.states
    assert ("infuse.infusing", "infuse.paused", "pause_infusion") in path.transitions
    text = mermaid(path)
    (classed,) = re.findall(r"^\s+class (\S+) visited$", text, re.MULTILINE)
    ids = _mermaid_id_map(text)
    assert {ids[i] for i in classed.split(",")} == path.states
    ticked = {line for line in text.splitlines() if "✔" in line}
    assert len(ticked) == len(path.transitions)
    thick = [line for line in dot(path).splitlines() if 'penwidth="2.5"' in line]
    assert len(thick) == len(path.transitions)
    assert "✔" not in mermaid()
    assert "penwidth" not in dot()


def test_render_without_graphviz_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Asking for SVG without Graphviz's dot is a MissingTool error naming the package."""
    monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    with pytest.raises(MissingTool, match="apt-get install graphviz"):
        render(dot(), "svg")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_render_svg_and_png_with_graphviz() -> None:
    """With Graphviz installed, the DOT text (with or without a case) renders as SVG and PNG."""
    approach = fl.Approach.OPEN
    highlighted = dot(case_path(run(new_case(approach), walk(approach)).timeline))
    assert b"<svg" in render(highlighted, "svg")
    svg = render(dot(), "svg")
    assert b"<svg" in svg
    assert b"release_testing" in svg
    assert render(dot(), "png").startswith(b"\x89PNG")
