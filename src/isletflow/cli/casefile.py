"""What a command reads: a scenario (a bundled name or a file), or a saved timeline or snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..case import Case
from ..errors import InvalidInput, SnapshotIncompatible
from ..files import read_json
from ..timeline import SCHEMA_VERSION, Timeline

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["is_scenario", "load_scenario", "read_case", "read_cases"]


def load_scenario(name_or_path: str | Path) -> Scenario:
    """The scenario a command was given: a bundled one by name, else a scenario file.

    Every command that takes a scenario reads it so, as ``isletflow train`` does
    (``library.resolve``); what is neither is an ``InvalidInput`` that names it and lists the
    bundled names.
    """
    from .. import library

    return library.resolve(name_or_path)[1]


def is_scenario(name_or_path: str | Path) -> bool:
    """A bundled scenario's name, a YAML file or a JSON object with ``timings`` is a scenario.

    A bundled name wins over a file of the same name, as in ``library.resolve``. Any other file is
    a saved case; what is neither a file nor a name counts as a scenario, so that
    ``load_scenario`` says what is wrong with it.
    """
    from .. import library

    path = Path(name_or_path)
    if str(name_or_path) in library.names() or path.suffix.lower() in (".yaml", ".yml"):
        return True
    if not path.exists():
        return True
    try:
        data, _ = read_json(path)
    except InvalidInput:
        return False  # read_case says what is wrong with it
    return isinstance(data, dict) and "timings" in data


def read_cases(name_or_path: str | Path, *, seed: int | None = None, n: int = 1) -> Iterator[Case]:
    """What a command's argument stands for: ``n`` simulated cases of a scenario, or a saved case.

    Simulated cases are made one at a time, so a large cohort never sits in memory.
    """
    if not is_scenario(name_or_path):
        yield read_case(Path(name_or_path))
        return
    from ..sampling import PlanSampler
    from ..simulation import simulate

    scenario = load_scenario(name_or_path)
    sampler = PlanSampler(scenario)
    for index in range(n):
        yield simulate(scenario, seed, index, sampler=sampler)


def read_case(path: Path) -> Case:
    """The case saved in ``path``: a timeline JSON list is replayed, a snapshot restored.

    The file comes through the front door (``isletflow.files``: a regular file, UTF-8, within
    ``files.CASES``' limits, no duplicate keys, finite numbers) before a model reads it.
    """
    data, text = read_json(path)
    if isinstance(data, list):
        return Case.replay(Timeline.from_json(text))
    if isinstance(data, dict) and "timeline" in data:
        version = data.get("schema_version")
        if version is not None and type(version) is not int:  # 1.0 and true equal 1 in Python
            raise SnapshotIncompatible(version, SCHEMA_VERSION)
        return Case.restore(text)
    raise InvalidInput.single(
        f"case file {path}",
        "(root)",
        type(data).__name__,
        "must be a timeline (a JSON list of events) or a case snapshot (an object with a "
        "'timeline')",
    )
