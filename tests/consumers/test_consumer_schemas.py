"""JSON Schemas against an independent consumer: Ajv 8 in strict mode (with ajv-formats) compiles
every published schema, accepts every bundled scenario, a saved timeline and a snapshot, and
refuses what ``isletflow validate`` refuses: an unknown approach, a purity of 150 %, a weight of
-70 kg."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from node_consumers import run

from isletflow import library
from isletflow.errors import InvalidInput
from isletflow.export.schemas import SCHEMAS
from isletflow.scenario import Scenario
from isletflow.simulation import simulate

ROOT = Path(__file__).resolve().parents[2]


def as_json(value: Any) -> Any:
    """YAML's values as a scenario file's JSON twin (dates as ISO 8601 text)."""
    return json.loads(json.dumps(value, default=lambda d: d.isoformat().replace("+00:00", "Z")))


def mutated(base: dict[str, Any], section: str | None, field: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(base)
    (changed[section] if section else changed)[field] = value
    return changed


def test_ajv_strict_compiles_every_schema_and_agrees_with_validation() -> None:
    """Every schema compiles strictly; the files isletflow accepts pass, those it refuses fail."""
    folder = ROOT / "schemas"
    published = {n: json.loads((folder / f"{n}.schema.json").read_text()) for n in SCHEMAS}
    files = sorted((ROOT / "examples" / "scenarios").glob("*.yaml"))
    assert len(files) == len(library.names())
    scenarios = [as_json(yaml.safe_load(p.read_text())) for p in files]
    standard = as_json(yaml.safe_load((ROOT / "examples/scenarios/standard.yaml").read_text()))
    refused = [
        mutated(standard, None, "approach", "robotic"),
        mutated(standard, "preparation", "purity_percent", 150),
        mutated(standard, "recipient", "weight_kg", -70),
    ]
    for scenario in refused:
        try:
            Scenario.from_mapping(scenario)
        except InvalidInput:
            continue
        raise AssertionError(f"isletflow accepted {scenario}")
    case = simulate(library.load("standard"))
    data = [
        *(["scenario", s] for s in scenarios),
        ["timeline", json.loads(case.timeline.to_json())],
        ["case-snapshot", json.loads(case.snapshot().model_dump_json())],
        *(["scenario", s] for s in refused),
    ]
    report = run("schemas.mjs", {"schemas": published, "data": data})
    assert report["compiled"] == dict.fromkeys(SCHEMAS)
    assert report["warnings"] == []
    assert report["valid"] == [True] * (len(data) - len(refused)) + [False] * len(refused)
