"""The one exception hierarchy of isletflow.

::

    IsletflowError
     ├── InvalidInput (also ValueError)      bad data at a boundary: lists every problem
     │    ├── UnknownAction                  an action name the workflow does not know
     │    └── SnapshotIncompatible           a snapshot of another schema version
     ├── ReplayMismatch (also ValueError)    a timeline that does not replay to itself
     ├── InvalidDefinition                   a workflow table that cannot work (a bug, not input)
     ├── MissingTool                         an optional extra or program is not installed
     ├── SimulationStuck                     a policy that never brings its case to an end
     ├── SessionNotFound                     service: no session has that id (HTTP 404)
     ├── UnreadableSession                   service: a stored session that cannot be read (410)
     ├── StaleVersion                        service: an action based on an old version (409)
     ├── StoreUnavailable                    service store: a database that cannot be a store
     └── Conflict                            service store: an append that lost a race

A step that the workflow refuses is *not* an exception: ``Case.act`` returns a refusal.
Exceptions are for input that is malformed, never for a clinical "no". The five service errors
live in ``isletflow.service`` (``registry`` and ``store``), beside the HTTP layer they serve.
"""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "InvalidDefinition",
    "InvalidInput",
    "IsletflowError",
    "MissingTool",
    "Problem",
    "ReplayMismatch",
    "SimulationStuck",
    "SnapshotIncompatible",
    "UnknownAction",
    "did_you_mean",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where, what was given, and the rule it breaks."""

    location: str
    value: Any
    rule: str

    def __str__(self) -> str:
        return f"{self.location}: {shown(self.value)} {self.rule}"


class _Brief(reprlib.Repr):
    """A repr that never grows with its value: a few items, a few levels, short text."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxtuple = self.maxlist = self.maxdict = self.maxset = self.maxfrozenset = 4
        self.maxstring = self.maxother = self.maxlong = 60

    def repr_int(self, x: int, level: int) -> str:
        # str() of an int past 4,300 digits raises, and costs time well before that.
        if x.bit_length() > 200:
            return f"<an integer of {x.bit_length() * 0.30103:.0f} digits>"
        return super().repr_int(x, level)

    def repr_instance(self, x: Any, level: int) -> str:
        if hasattr(x, "model_dump"):  # a pydantic model: its fields, each shortened
            fields = vars(x) if level > 0 else {}
            inner = ", ".join(f"{k}={self.repr1(v, level - 1)}" for k, v in fields.items())
            return f"{type(x).__name__}({inner})" if level > 0 else f"{type(x).__name__}(...)"
        return super().repr_instance(x, level)


_BRIEF = _Brief()


def shown(value: Any) -> str:
    """``value`` for a message: its repr, cut to about 60 characters without expanding it."""
    text = _BRIEF.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def did_you_mean(value: object, options: Iterable[str]) -> str:
    """ " (did you mean 'UW'?)" for the option nearest ``value``, ignoring case; else ""."""
    if not isinstance(value, str):
        return ""
    by_case = {option.casefold(): option for option in options}
    near = difflib.get_close_matches(value.casefold()[:100], by_case, n=1, cutoff=0.6)
    return f" (did you mean {by_case[near[0]]!r}?)" if near else ""


class IsletflowError(Exception):
    """Base of every error isletflow raises on purpose."""


_LISTED = 20  # problems spelt out in a message; ``problems`` keeps every one


class InvalidInput(IsletflowError, ValueError):
    """Input that breaks a rule; ``problems`` lists every one, not only the first."""

    def __init__(self, what: str, problems: Sequence[Problem]) -> None:
        self.what = what
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems[:_LISTED])
        if count > _LISTED:
            lines += f"\n  - ... and {count - _LISTED:,} more"
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{what} has {count} {noun}:\n{lines}")

    @classmethod
    def single(cls, what: str, location: str, value: Any, rule: str) -> InvalidInput:
        return cls(what, [Problem(location, value, rule)])

    @classmethod
    def from_pydantic(cls, what: str, error: Any, prefix: str = "") -> InvalidInput:
        """Translate a ``pydantic.ValidationError`` into our own problem list."""
        problems = []
        for item in error.errors(include_url=False):
            location = ".".join(str(part) for part in item["loc"]) or "(root)"
            if prefix:
                location = f"{prefix}.{location}" if location != "(root)" else prefix
            rule = str(item["msg"])
            rule = rule.removeprefix("Value error, ")
            if rule.startswith("Input should be "):
                rule = "must be " + rule.removeprefix("Input should be ")
            value = item.get("input")
            rule = _strict_rule(item["type"], value) or rule
            if item["type"] == "missing":
                value, rule = None, "is required"
            elif item["type"] == "extra_forbidden":
                rule = "is not a known field"
            problems.append(Problem(location, value, _lower_first(rule)))
        return cls(what, problems)


def _strict_rule(kind: str, value: Any) -> str | None:
    """A rule in a file author's words for a value strict mode refused, if one is needed."""
    if kind in ("float_type", "int_type") and isinstance(value, str):
        return "is text, not a number: write it without quotes"
    if kind in ("float_type", "int_type") and isinstance(value, bool):
        return "is a flag (true or false), not a number"
    if kind == "int_type" and isinstance(value, float):
        return "must be a whole number"
    if kind == "bool_type":
        return "must be true or false (yes, no, on and off are text)"
    return None


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


class UnknownAction(InvalidInput):
    """An action name that the workflow does not define."""

    def __init__(self, action: str, valid: Iterable[str]) -> None:
        self.action = action
        self.valid = tuple(sorted(valid))
        super().__init__(
            "action",
            [Problem("action", action, "is not an action; valid ones: " + ", ".join(self.valid))],
        )


class SnapshotIncompatible(InvalidInput):
    """A snapshot written by a schema version this code cannot read."""

    def __init__(self, found: object, expected: int) -> None:
        self.found = found
        self.expected = expected
        super().__init__(
            "snapshot",
            [Problem("schema_version", found, f"must be {expected} (this version of isletflow)")],
        )


class ReplayMismatch(IsletflowError, ValueError):
    """Replaying a timeline produced different events: it was edited or is not a timeline."""

    def __init__(self, index: int, expected: object, produced: object) -> None:
        self.index = index
        self.expected = expected
        self.produced = produced
        super().__init__(
            f"timeline event {index} does not replay: the timeline has {expected!r}, "
            f"replaying it produced {produced!r}"
        )


class InvalidDefinition(IsletflowError):
    """A workflow definition that cannot work; found when it is built, not mid-case."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid workflow definition:\n" + "\n".join(f"  - {p}" for p in problems))


class MissingTool(IsletflowError):
    """An optional package or program is not installed; the message says how to get it."""

    def __init__(self, what: str, needed: str, how: str) -> None:
        self.what = what
        self.needed = needed
        self.how = how
        super().__init__(f"{what} needs {needed}, which is not installed; {how}")


class SimulationStuck(IsletflowError):
    """A policy that did not bring its case to an end within the allowed number of moves."""

    def __init__(self, moves: int, state: str) -> None:
        self.moves = moves
        self.state = state
        super().__init__(f"the policy made {moves} moves without ending the case (in {state})")
