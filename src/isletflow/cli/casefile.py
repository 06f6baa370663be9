"""Reading cases for a command: a saved timeline or snapshot, or a scenario to simulate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ..case import Case
from ..errors import InvalidInput
from ..timeline import Timeline

__all__ = ["is_scenario", "read_case", "read_cases"]


def is_scenario(path: Path) -> bool:
    """A YAML file, or a JSON object with ``timings``, is a scenario; anything else a saved case."""
    if path.suffix.lower() in (".yaml", ".yml"):
        return True
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False  # read_case says what is wrong with it
    return isinstance(data, dict) and "timings" in data


def read_cases(path: Path, *, seed: int | None = None, n: int = 1) -> Iterator[Case]:
    """The cases ``path`` stands for: ``n`` simulated cases of a scenario, or one saved case.

    Simulated cases are made one at a time, so a large cohort never sits in memory.
    """
    if not is_scenario(path):
        yield read_case(path)
        return
    from ..sampling import PlanSampler
    from ..scenario import Scenario
    from ..simulation import simulate

    scenario = Scenario.load(path)
    sampler = PlanSampler(scenario)
    for index in range(n):
        yield simulate(scenario, seed, index, sampler=sampler)


def read_case(path: Path) -> Case:
    """The case saved in ``path``: a timeline JSON list is replayed, a snapshot restored."""
    what = f"case file {path}"
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except OSError as error:
        raise InvalidInput.single(
            what, "path", str(path), f"cannot be read ({error.strerror})"
        ) from None
    except json.JSONDecodeError as error:
        raise InvalidInput.single(what, "(file)", path.name, f"is not JSON: {error}") from None
    if isinstance(data, list):
        return Case.replay(Timeline.from_json(text))
    if isinstance(data, dict) and "timeline" in data:
        return Case.restore(text)
    raise InvalidInput.single(
        what, "(root)", type(data).__name__,
        "must be a timeline (a JSON list of events) or a case snapshot (an object with a "
        "'timeline')",
    )  # fmt: skip
