"""JSON Schemas: published copies equal the code, accept what isletflow writes, reject the rest."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import TypeAdapter, ValidationError

import isletflow as fl
from isletflow import library
from isletflow.errors import InvalidInput
from isletflow.export import schemas
from isletflow.export.schemas import SCHEMAS, schema, schema_text, write_schemas
from isletflow.scenario import Scenario
from strategies_interop import new_case, run, walk

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / "schemas"


def validator(name: str) -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(schema(name))


def standard_case(approach: fl.Approach = fl.Approach.PERCUTANEOUS) -> fl.Case:
    return run(new_case(approach), walk(approach, spike=True, complication=True))


def test_published_schemas_equal_the_code() -> None:
    """schemas/ holds exactly one file per registered schema, equal to what the code makes."""
    files = {p.name for p in PUBLISHED.glob("*.schema.json")}
    assert files == {f"{name}.schema.json" for name in SCHEMAS}, (
        "regenerate with: isletflow schema --write schemas/"
    )
    for name in SCHEMAS:
        published = (PUBLISHED / f"{name}.schema.json").read_text(encoding="utf-8")
        assert published == schema_text(name), f"{name}: run isletflow schema --write schemas/"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_each_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    """Every schema is itself valid under its declared dialect."""
    assert schema(name)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema(name))


def test_example_protocol_file_validates() -> None:
    """The example site protocol (TOML) passes its schema and loads as a Protocol."""
    path = ROOT / "examples" / "protocol-site.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    validator("protocol").validate(data)
    validator("protocol").validate(json.loads(fl.Protocol().model_dump_json()))
    assert fl.Protocol.load(path).min_purity_percent == data["min_purity_percent"]


@pytest.mark.parametrize("approach", list(fl.Approach))
def test_saved_cases_validate(approach: fl.Approach) -> None:
    """A saved timeline, each of its events, and a snapshot pass their schemas."""
    case = standard_case(approach)
    timeline = json.loads(case.timeline.to_json())
    validator("timeline").validate(timeline)
    for event in timeline:
        validator("timeline-event").validate(event)
    validator("case-snapshot").validate(json.loads(case.snapshot().model_dump_json()))


def _broken(case: fl.Case) -> list[tuple[str, Any, type[Any]]]:
    timeline = json.loads(case.timeline.to_json())
    snapshot = json.loads(case.snapshot().model_dump_json())
    unknown_kind = copy.deepcopy(timeline[1])
    unknown_kind["kind"] = "teleported"
    no_time = copy.deepcopy(timeline[1])
    del no_time["at"]
    no_now = {k: v for k, v in snapshot.items() if k != "now"}
    extra = {**snapshot, "mood": "hopeful"}
    return [
        ("protocol", {"min_purity_percent": 150}, fl.Protocol),
        # Formats ("duration", "date-time") are annotations to jsonschema unless a format
        # checker with its optional packages is used: a wrong type is what the schema catches.
        ("protocol", {"max_culture": ["72h"]}, fl.Protocol),
        ("protocol", {"site_name": "x"}, fl.Protocol),
        ("timeline-event", unknown_kind, schemas.EVENT),
        ("timeline-event", no_time, schemas.EVENT),
        ("timeline", [*timeline[:1], unknown_kind], schemas.TIMELINE),
        ("case-snapshot", no_now, fl.CaseSnapshot),
        ("case-snapshot", extra, fl.CaseSnapshot),
    ]


def test_broken_files_are_rejected_by_schema_and_model_alike() -> None:
    """Each broken payload fails its schema, and the pydantic model refuses it too."""
    for name, data, model in _broken(standard_case()):
        assert list(validator(name).iter_errors(data)), f"{name} accepted {data!r:.80}"
        with pytest.raises(ValidationError):
            TypeAdapter(model).validate_python(data)


def test_adding_a_schema_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A new registry entry is served and written like the others (the scenario will be one)."""
    monkeypatch.setitem(SCHEMAS, "donor", "models:Donor")
    assert schema("donor")["title"] == "Donor"
    written = write_schemas(tmp_path)
    assert tmp_path / "donor.schema.json" in written
    assert json.loads((tmp_path / "donor.schema.json").read_text())["title"] == "Donor"


def test_unknown_schema_is_invalid_input_listing_the_names() -> None:
    """Asking for a schema that does not exist names the ones that do."""
    known = "case-snapshot, course-record, protocol, scenario, timeline"
    with pytest.raises(InvalidInput, match=known):
        schema("scenery")


def yaml_as_json(path: Path) -> Any:
    """A YAML file as the JSON data it stands for (YAML reads timestamps as datetimes)."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=lambda value: value.isoformat()))


def test_broken_scenario_is_rejected_by_the_schema() -> None:
    """A scenario with an unknown section and a misspelt distribution fails the schema."""
    data = yaml_as_json(ROOT / "examples" / "scenarios" / "standard.yaml")
    data["logistics"] = {"cold_ischemia": "6h"}
    errors = list(validator("scenario").iter_errors(data))
    assert errors, "an unknown top-level key must fail the schema"


def _walk(node: Any) -> list[dict[str, Any]]:
    """Every object in a schema, depth first."""
    if isinstance(node, list):
        return [found for item in node for found in _walk(item)]
    if isinstance(node, dict):
        return [node, *(found for value in node.values() for found in _walk(value))]
    return []


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schemas_are_portable(name: str) -> None:
    """An $id, definitions named without Python internals, only standard keywords, one type."""
    made = schema(name)
    assert made["$id"] == f"urn:isletflow:schema:{name}"
    for definition in made.get("$defs", {}):
        assert definition.isalnum(), definition
    for node in _walk(made):
        assert not isinstance(node.get("discriminator"), dict)
        assert not isinstance(node.get("source"), str)
        assert not isinstance(node.get("type"), list)


@pytest.mark.parametrize(
    ("section", "field", "value"),
    [(None, "approach", "robotic"), ("preparation", "purity_percent", 150),
     ("recipient", "weight_kg", -70), ("donor", "donation", "living")],
)  # fmt: skip
def test_the_scenario_schema_refuses_what_validation_refuses(
    section: str | None, field: str, value: Any
) -> None:
    """A fixed value outside its field's range or options fails the schema and isletflow alike."""
    base = json.loads(library.load("standard").model_dump_json(exclude_unset=True))
    validator("scenario").validate(base)
    changed = copy.deepcopy(base)
    (changed[section] if section else changed)[field] = value
    with pytest.raises(jsonschema.ValidationError):
        validator("scenario").validate(changed)
    with pytest.raises(InvalidInput):
        Scenario.from_mapping(changed)
