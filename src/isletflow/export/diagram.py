"""The workflow as a diagram, drawn from the same table the engine runs on.

Mermaid (``stateDiagram-v2``) and Graphviz DOT are plain text made here from ``workflow.STATES``,
``STEPS``, ``RECORDINGS`` and ``DEADLINES``; SVG or PNG come from Graphviz's ``dot`` program,
run only when asked. Why not transitions' own diagram extension: it needs pygraphviz or
graphviz at import, draws only what the ``Machine`` knows (no deadlines, recordings or automatic
steps) and would have to live in ``workflow``; the table is plain data and says more.

Drawing conventions: states are grouped by phase; a step possible from every state of whole
phases (``abort``) is drawn once from each phase; a deadline is a dashed edge to ``aborted``
from every state where it may be armed; recordings are listed inside the states that allow them
(``note``, allowed everywhere, is left out). One case's path can be highlighted: the states it
visited and the transitions it took.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from .. import workflow as wf
from ..timeline import Accepted, AutomaticStep, DeadlineFired, Event
from . import MissingTool

__all__ = [
    "FORMATS",
    "CasePath",
    "armed_in",
    "case_path",
    "dot",
    "edges",
    "mermaid",
    "render",
]

FORMATS = ("mermaid", "dot", "svg", "png")

Kind = Literal["step", "automatic", "deadline"]


@dataclass(frozen=True, slots=True, order=True)
class Edge:
    """One arrow: a step's trigger, an automatic step, or a deadline (``name`` its name)."""

    source: str
    target: str
    name: str
    kind: Kind

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.target, self.name)


@dataclass(frozen=True, slots=True)
class CasePath:
    """What one case went through: the states it visited and the edges it took."""

    states: frozenset[str]
    transitions: frozenset[tuple[str, str, str]]


def armed_in() -> dict[str, frozenset[str]]:
    """For each active state, the deadlines that may be armed while a case is in it."""
    armed: dict[str, set[str]] = {s: set() for s in wf.STATES}
    armed[wf.INITIAL] |= set(wf.ARMED_AT_START)
    changed = True
    while changed:
        changed = False
        for step in wf.STEPS:
            if step.dest in wf.TERMINAL:
                continue  # a terminal state clears every deadline
            for source in step.sources:
                carried = (armed[source] - set(step.disarms)) | set(step.arms)
                if not carried <= armed[step.dest]:
                    armed[step.dest] |= carried
                    changed = True
    return {s: frozenset(d) for s, d in armed.items() if s not in wf.TERMINAL}


def edges() -> list[Edge]:
    """Every arrow of the workflow: one per step and source, one per deadline and state."""
    automatic = wf.AUTOMATIC_TRIGGERS
    result = [
        Edge(source, step.dest, step.trigger, "automatic" if step.trigger in automatic else "step")
        for step in wf.STEPS
        for source in step.sources
    ]
    for state, names in armed_in().items():
        result += [Edge(state, "aborted", name, "deadline") for name in sorted(names)]
    return result


def case_path(timeline: Iterable[Event]) -> CasePath:
    """The states a case visited and the transitions it took, from its timeline."""
    states = {wf.INITIAL}
    taken: set[tuple[str, str, str]] = set()
    for event in timeline:
        if isinstance(event, Accepted) and event.source != event.target:
            taken.add((event.source, event.target, event.action))
            states.add(event.target)
        elif isinstance(event, AutomaticStep):
            taken.add((event.source, event.target, event.trigger))
            states.add(event.target)
        elif isinstance(event, DeadlineFired):
            taken.add((event.source, "aborted", event.deadline))
            states.add("aborted")
    return CasePath(frozenset(states), frozenset(taken))


# -- Layout shared by both texts ------------------------------------------------------------


def _phases() -> dict[str, list[str]]:
    phases: dict[str, list[str]] = {}
    for state in wf.STATES:
        if state not in wf.TERMINAL:
            phases.setdefault(wf.phase_of(state), []).append(state)
    return phases


def _grouped() -> list[tuple[tuple[str, ...], str, str, Kind]]:
    """Edges as drawn: (sources, target, name, kind), where sources is one state, or all the
    states of a phase when a step leaves every state of that phase (drawn from the phase)."""
    phases = _phases()
    drawn: list[tuple[tuple[str, ...], str, str, Kind]] = []
    by_step: dict[tuple[str, str, Kind], list[str]] = {}
    for edge in edges():
        by_step.setdefault((edge.target, edge.name, edge.kind), []).append(edge.source)
    for (target, name, kind), sources in by_step.items():
        rest = list(sources)
        for members in phases.values():
            if len(members) > 1 and set(members) <= set(rest):
                drawn.append((tuple(members), target, name, kind))
                rest = [s for s in rest if s not in members]
        drawn += [((source,), target, name, kind) for source in rest]
    return drawn


def _recordings(state: str) -> list[str]:
    everywhere = {r.action for r in wf.RECORDINGS if set(wf.ACTIVE) <= set(r.states)}
    return [r.action for r in wf.RECORDINGS if state in r.states and r.action not in everywhere]


def _label(name: str, kind: Kind) -> str:
    if kind == "deadline":
        return f"deadline {name}"
    return f"{name} (automatic)" if kind == "automatic" else name


def _taken(sources: tuple[str, ...], target: str, name: str, path: CasePath | None) -> bool:
    return path is not None and any((s, target, name) in path.transitions for s in sources)


# -- Mermaid ---------------------------------------------------------------------------------


def _mermaid_ids() -> dict[str, str]:
    short = [s.split(".")[-1] for s in wf.STATES]
    taken = set(_phases())
    ids = {}
    for state, name in zip(wf.STATES, short, strict=True):
        unique = short.count(name) == 1 and name not in taken
        ids[state] = name if unique else state.replace(".", "_")
    return ids


def mermaid(path: CasePath | None = None) -> str:
    """The workflow as a Mermaid ``stateDiagram-v2``; ``path`` marks one case's way through."""
    ids = _mermaid_ids()
    lines = ["stateDiagram-v2", f"    [*] --> {ids[wf.INITIAL]}"]
    for phase, members in _phases().items():
        lines.append(f"    state {phase} {{")
        for state in members:
            lines.append(f"        {ids[state]}")
            recordings = _recordings(state)
            if recordings:
                # With two descriptions Mermaid shows the first as the title, the rest below.
                lines.append(f"        {ids[state]} : {state.split('.')[-1]}")
                lines.append(f"        {ids[state]} : records {', '.join(recordings)}")
        lines.append("    }")
    phases = {tuple(m): p for p, m in _phases().items()}
    for sources, target, name, kind in _grouped():
        start = phases.get(sources) or ids[sources[0]]
        mark = "✔ " if _taken(sources, target, name, path) else ""
        lines.append(f"    {start} --> {ids[target]} : {mark}{_label(name, kind)}")
    lines += [f"    {ids[state]} --> [*]" for state in wf.TERMINAL]
    if path is not None:
        lines.append("    classDef visited fill:#cdeccf,stroke:#2e7d32,stroke-width:2px")
        visited = [ids[s] for s in wf.STATES if s in path.states]
        lines.append(f"    class {','.join(visited)} visited")
    return "\n".join(lines) + "\n"


# -- Graphviz DOT ------------------------------------------------------------------------------


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attrs(values: Mapping[str, str]) -> str:
    return "[" + ", ".join(f"{k}={_q(v)}" for k, v in values.items()) + "]"


def dot(path: CasePath | None = None) -> str:
    """The workflow as Graphviz DOT text; ``path`` marks one case's way through."""
    lines = [
        "digraph isletflow {",
        '    graph [rankdir="TB", compound="true", fontname="Helvetica"];',
        '    node [shape="box", style="rounded", fontname="Helvetica"];',
        '    edge [fontname="Helvetica", fontsize="10"];',
        '    "__start__" [shape="point"];',
    ]

    def node(state: str, label: str, indent: str, **extra: str) -> str:
        attrs = {"label": label, **extra}
        if path is not None and state in path.states:
            attrs.update(style="rounded,filled", fillcolor="#cdeccf", penwidth="2")
        return f"{indent}{_q(state)} {_attrs(attrs)};"

    for phase, members in _phases().items():
        lines.append(f"    subgraph {_q('cluster_' + phase)} {{")
        lines.append(f"        label={_q(phase)};")
        for state in members:
            recordings = _recordings(state)
            label = state.split(".")[-1] + ("\n" + "\n".join(recordings) if recordings else "")
            lines.append(node(state, label, "        "))
        lines.append("    }")
    for state in wf.TERMINAL:
        lines.append(node(state, state, "    ", shape="doubleoctagon"))
    lines.append(f'    "__start__" -> {_q(wf.INITIAL)};')
    phases = {tuple(m): p for p, m in _phases().items()}
    for sources, target, name, kind in _grouped():
        attrs = {"label": _label(name, kind)}
        if sources in phases:
            attrs["ltail"] = "cluster_" + phases[sources]
        if kind != "step":
            attrs["style"] = "dashed"
        if kind == "deadline":
            attrs["color"] = "#b71c1c"
        if _taken(sources, target, name, path):
            attrs.update(color="#2e7d32", penwidth="2.5")
        lines.append(f"    {_q(sources[0])} -> {_q(target)} {_attrs(attrs)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot_text: str, fmt: Literal["svg", "png"]) -> bytes:
    """``dot_text`` drawn by Graphviz's ``dot`` as SVG or PNG bytes."""
    program = shutil.which("dot")
    if program is None:
        raise MissingTool(
            f"drawing the diagram as {fmt}",
            "Graphviz's dot program",
            "install Graphviz (Debian: apt-get install graphviz), or ask for --format mermaid "
            "or dot",
        )
    done = subprocess.run(
        [program, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"dot failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout
