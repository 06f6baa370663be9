"""Hypothesis strategies for the service: edits a tamperer (or a damaged disk) makes to stored rows.

A stored session is a header (JSON text), a version, a clock (ISO text) and its event bodies
(JSON text, one row each). ``stored_edits`` draws one edit of those rows as a function that
changes a ``Rows`` in place, with a name saying what it did.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st


@dataclass
class Rows:
    """A session's rows as the store keeps them; ``bodies`` are in ``seq`` order from 0."""

    header: Any
    version: Any
    clock: Any
    bodies: list[Any]


Edit = tuple[str, Callable[[Rows], None]]

_GARBAGE = st.sampled_from(
    ['{"kind": "nonsense"}', "not json", "", "[", "null", "1,2", '"\\ud800"',
     "[" * 100_000 + "]" * 100_000, '{"kind": "created"}', "{}"]
)  # fmt: skip
_SHIFTS = st.sampled_from([timedelta(seconds=-1), timedelta(hours=1), timedelta(days=-3650)])


def _shifted(stamp: str, by: timedelta) -> str:
    return (datetime.fromisoformat(stamp.replace("Z", "+00:00")) + by).isoformat()


def _edit_field(body: str, field: str, value: Any) -> str:
    data = json.loads(body)
    if isinstance(data, dict):
        data[field] = value
    return json.dumps(data)


@st.composite
def stored_edits(draw: st.DrawFn, rows: Rows) -> Edit:
    """One edit of ``rows``: of an event, the version, the clock or the header."""
    n = len(rows.bodies)
    i = draw(st.integers(0, n - 1), label="event")
    kind = draw(st.sampled_from(["event", "event", "event", "version", "clock", "header"]))
    if kind == "version":
        to = draw(st.sampled_from([n + 1, n - 1, 0, n + 100, "two", -1]))
        return f"version {to!r}", lambda r: setattr(r, "version", to)
    if kind == "clock":
        choice = draw(st.sampled_from(["garbage", "naive", "shift"]))
        if choice == "garbage":
            return "clock garbage", lambda r: setattr(r, "clock", "yesterday")
        if choice == "naive":
            return "clock naive", lambda r: setattr(r, "clock", r.clock[:19])
        by = draw(_SHIFTS)
        return f"clock {by}", lambda r: setattr(r, "clock", _shifted(r.clock, by))
    if kind == "header":
        choice = draw(st.sampled_from(["garbage", "seed", "kind", "list"]))
        changes: dict[str, Callable[[Any], Any]] = {
            "garbage": lambda _h: "{not json",
            "seed": lambda h: json.dumps({**json.loads(h), "seed": json.loads(h)["seed"] + 1}),
            "kind": lambda h: json.dumps({**json.loads(h), "kind": "game"}),
            "list": lambda _h: "[]",
        }
        change = changes[choice]
        return f"header {choice}", lambda r: setattr(r, "header", change(r.header))
    op = draw(st.sampled_from(["drop", "duplicate", "swap", "garbage", "at", "action", "kind",
                               "data", "number"]))  # fmt: skip
    if op == "drop":
        return f"drop event {i}", lambda r: r.bodies.pop(i)
    if op == "duplicate":
        return f"duplicate event {i}", lambda r: r.bodies.insert(i, r.bodies[i])
    if op == "swap":
        j = min(i + 1, n - 1)
        return f"swap {i} and {j}", lambda r: r.bodies.insert(j, r.bodies.pop(i))
    if op == "garbage":
        text = draw(_GARBAGE)
        return f"event {i} is {text[:20]!r}", lambda r: r.bodies.__setitem__(i, text)
    if op == "number":
        return f"event {i} is a number", lambda r: r.bodies.__setitem__(i, 5)
    if op == "at":
        by = draw(_SHIFTS)

        def move(r: Rows) -> None:
            r.bodies[i] = _edit_field(
                r.bodies[i], "at", _shifted(json.loads(r.bodies[i])["at"], by)
            )

        return f"event {i} moved {by}", move
    value = draw(
        {
            "action": st.sampled_from(["release", "teleport", "note", "abort"]),
            "kind": st.sampled_from(["accepted", "refused", "advanced", "deadline", "warned"]),
            "data": st.sampled_from([{}, {"text": "edited"}, {"digest_ieq": 9e9}, {"x": 1}]),
        }[op]
    )
    return f"event {i} {op} = {value!r}", lambda r: r.bodies.__setitem__(
        i, _edit_field(r.bodies[i], op, value)
    )
