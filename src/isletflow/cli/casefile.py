"""What a command reads: a scenario (a bundled name or a file), or a saved case: a timeline, a
snapshot, or the case document ``isletflow simulate --format json`` writes.

Each comes back as an ``IdentifiedCase``: the case and who it is (its case id, seed and index, where
known), so every command names the same case by the same id (``isletflow.export.identity``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..case import Case
from ..errors import InvalidInput, SnapshotIncompatible
from ..export.identity import IdentifiedCase
from ..files import read_json
from ..timeline import SCHEMA_VERSION, Timeline

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["CaseDocument", "load_scenario", "read_case", "read_cases"]


class CaseDocument(BaseModel):
    """One simulated case as ``isletflow simulate --format json`` writes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9.\-]+$",
        description="The case's id (isletflow.export.identity), the same in every export",
    )
    scenario: str = Field(max_length=200, description="The scenario's name")
    seed: int = Field(ge=0, description="The seed the case was simulated with")
    index: int = Field(ge=0, description="The case's index in the scenario's population")
    outcome: dict[str, Any] | None = Field(description="How the case ended; null if it goes on")
    timeline: list[Any] = Field(description="The case's timeline (events as JSON)")
    course: dict[str, Any] | None = Field(
        None, description="Recipient index's course record, as cohort --out writes it"
    )


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


def read_cases(
    name_or_path: str | Path, *, seed: int | None = None, n: int = 1
) -> Iterator[IdentifiedCase]:
    """What a command's argument stands for: ``n`` simulated cases of a scenario, or a saved case.

    Simulated cases are made one at a time, so a large cohort never sits in memory; each carries
    its ``case_id`` from the scenario, the seed it ran with and its index.
    """
    if not is_scenario(name_or_path):
        saved = read_case(Path(name_or_path))
        if seed is not None and saved.seed is None:
            saved = saved._replace(seed=seed)
        yield saved
        return
    from ..export.identity import case_id
    from ..sampling import PlanSampler
    from ..simulation import simulate

    scenario = load_scenario(name_or_path)
    sampler = PlanSampler(scenario)
    used = scenario.seed_for(seed)
    for index in range(n):
        case = simulate(scenario, seed, index, sampler=sampler)
        yield IdentifiedCase(case, case_id(scenario, used, index), used, index)


def read_case(path: Path) -> IdentifiedCase:
    """The case saved in ``path``: a timeline JSON list is replayed, a snapshot restored, a case
    document (``simulate --format json``) replayed with its case id, seed and index.

    The file comes through the front door (``isletflow.files``: a regular file, UTF-8, within
    ``files.CASES``' limits, no duplicate keys, finite numbers) before a model reads it.
    """
    try:
        data, text = read_json(path)
    except InvalidInput as error:
        if not any(p.rule.endswith("Extra data") for p in error.problems):
            raise
        # Several JSON values, one a line: what simulate --format jsonl writes.
        rule = (
            "holds one JSON value a line (JSON Lines, as simulate --format jsonl writes); "
            "give one case as one JSON document: simulate --format json, or a timeline list"
        )
        raise InvalidInput.single(f"case file {path}", "(file)", path.name, rule) from None
    if isinstance(data, list):
        return IdentifiedCase(Case.replay(Timeline.from_json(text)))
    if isinstance(data, dict) and ("case_id" in data or "scenario" in data):
        try:
            document = CaseDocument.model_validate(data)
        except ValidationError as error:
            raise InvalidInput.from_pydantic(f"case document {path}", error) from None
        timeline = Timeline.from_json(json.dumps(document.timeline))
        case = Case.replay(timeline)
        return IdentifiedCase(case, document.case_id, document.seed, document.index)
    if isinstance(data, dict) and "timeline" in data:
        version = data.get("schema_version")
        if version is not None and type(version) is not int:  # 1.0 and true equal 1 in Python
            raise SnapshotIncompatible(version, SCHEMA_VERSION)
        return IdentifiedCase(Case.restore(text))
    raise InvalidInput.single(
        f"case file {path}",
        "(root)",
        type(data).__name__,
        "must be a timeline (a JSON list of events), a case snapshot (an object with a "
        "'timeline'), or a case document (isletflow simulate --format json)",
    )
