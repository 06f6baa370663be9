"""Scenario files: loading, defaults, distributions, and every problem listed with its path."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

from isletflow.distributions import LogNormal, Triangular, Uniform
from isletflow.errors import InvalidInput
from isletflow.scenario import Scenario
from isletflow.scenario_sections import TimingsSpec
from strategies_sim import EXAMPLES, standard


def _problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        Scenario.from_mapping(data)
    return {p.location: str(p) for p in caught.value.problems}


def test_standard_file_loads_with_units():
    """The standard example loads, durations written with units read as timedeltas."""
    scenario = Scenario.load(EXAMPLES / "standard.yaml")
    assert scenario.timings.cold_ischemia == timedelta(hours=6)
    assert scenario.timings.release_to_infusion == timedelta(hours=2, minutes=30)
    assert scenario.recipient.weight_kg == 70


def test_defaults_come_from_the_reference_with_tags():
    """Unset values take the reference's defaults, and each says where it comes from."""
    scenario = Scenario.load(EXAMPLES / "standard.yaml")
    assert scenario.timings.infusion == timedelta(minutes=25)
    assert scenario.timings.digestion + scenario.timings.purification == timedelta(hours=9)
    described = {name: info.description or "" for name, info in TimingsSpec.model_fields.items()}
    assert "[S26]" in described["infusion"]
    assert "UNCONFIRMED" in described["release_testing"]
    rise = Scenario.model_fields["portal_pressure"].default
    assert rise.rise_mmhg_per_ml == 0.8
    assert Scenario.model_fields["complications"].default.bleeding is None  # the model's risk


def test_short_and_long_forms_mean_the_same():
    """{uniform: [a, b]} and {dist: uniform, low: a, high: b} load to the same value."""
    short, long = standard(), standard()
    short["timings"]["culture"] = {"uniform": ["2h", "6h"]}
    long["timings"]["culture"] = {"dist": "uniform", "low": "2h", "high": "6h"}
    a, b = Scenario.from_mapping(short), Scenario.from_mapping(long)
    assert a == b
    assert isinstance(a.timings.culture, Uniform)
    assert a.timings.culture.high == timedelta(hours=6)


def test_every_distribution_kind_loads():
    """Fixed, uniform, triangular, normal, lognormal, bernoulli and choice are all accepted."""
    data = standard()
    data["timings"]["cold_ischemia"] = {"dist": "lognormal", "median": "6h", "p95": "10h"}
    data["timings"]["culture"] = {"triangular": ["0h", "24h", "60h"]}
    data["recipient"]["weight_kg"] = {"normal": [70, 10]}
    data["preparation"]["gram_stain_positive"] = {"bernoulli": 0.02}
    data["approach"] = {"choice": {"percutaneous": 8, "open": 2}}
    data["donor"]["preservation_solution"] = {"choice": ["UW", "HTK"]}
    data["preparation"]["purity_percent"] = {"dist": "fixed", "value": 55}
    scenario = Scenario.from_mapping(data)
    assert isinstance(scenario.timings.cold_ischemia, LogNormal)
    assert isinstance(scenario.timings.culture, Triangular)
    assert scenario.preparation.purity_percent == 55


def test_negative_duration_names_its_path():
    """A negative fixed duration is reported as 'timings.culture: '-3h' is negative'."""
    data = standard()
    data["timings"]["culture"] = "-3h"
    assert _problems(data) == {"timings.culture": "timings.culture: '-3h' is negative"}


INVALID = [
    ("timings.digestion", {"uniform": ["5h", "2h"]}, "low must not be above high"),
    ("timings.purification", {"lognormal": ["abc", "2h"]}, "is not a duration"),
    ("timings.hemostasis", {"dist": "gamma"}, "is not a value this field takes"),
    ("timings.cold_ischemia", {"lognormal": ["6h", "5h"]}, "p95 must be above the median"),
    ("timings.infusion", "0s", "below the smallest allowed value"),
    ("preparation.purity_percent", 150, "above the largest allowed value"),
    ("preparation.viability_percent", {"normal": [80, -1]}, "sd must be above 0"),
    ("preparation.viability_percent", {"normal": [180, 1]}, "mean 180 % is above"),
    ("preparation.purity_percent", {"uniform": [1]}, "uniform takes [low, high]"),
    ("donor.sepsis", {"bernoulli": 1.5}, "p must be between 0 and 1"),
    ("donor.sepsis", {"uniform": [0, 1]}, "{bernoulli: ...}"),
    ("donor.donation", "asleep", "must be one of brain_death, cardiac_death"),
    ("donor.age_years", {"choice": {"40": 1, "50": -1}}, "every weight must be 0 or more"),
    ("donor.extra", 1, "is not a known field"),
    ("complications.bleeding", 1.2, "above the largest allowed value"),
    ("protocol.max_culture", "-1h", "is negative"),
    ("protocol.nonsense", 1, "is not a known field"),
]
WHERE = {"timings.purification": "timings.purification.lognormal.median"}


@pytest.mark.parametrize(("path", "value", "rule"), INVALID)
def test_invalid_values_are_reported_with_their_path(path: str, value: Any, rule: str):
    """Each kind of bad value is reported at its path with the rule it breaks."""
    data = standard()
    section, field = path.split(".")
    data.setdefault(section, {})[field] = value
    problems = _problems(data)
    location = WHERE.get(path, path)
    assert location in problems, problems
    assert rule in problems[location]


def test_every_problem_is_listed_at_once():
    """Several problems in one file all appear in one error, none hidden behind the first."""
    data = standard()
    data["timings"]["culture"] = "-3h"
    data["preparation"]["purity_percent"] = 150
    data["approach"] = {"choice": {"percutaneous": 1, "sideways": 2}}
    del data["recipient"]["weight_kg"]
    data["schema_version"] = 2
    problems = _problems(data)
    assert set(problems) == {"timings.culture", "preparation.purity_percent", "approach",
                             "recipient.weight_kg", "schema_version"}  # fmt: skip


def test_missing_sections_are_required(tmp_path: Path):
    """A file with only a schema version names each missing section."""
    path = tmp_path / "empty.yaml"
    path.write_text("schema_version: 1\n")
    with pytest.raises(InvalidInput) as caught:
        Scenario.load(path)
    where = {p.location for p in caught.value.problems}
    assert where == {"donor", "recipient", "preparation", "timings"}
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("name", "text", "rule"),
    [
        ("bad.yaml", "schema_version: [1\n", "is not valid"),
        ("list.yaml", "- 1\n- 2\n", "must be a mapping"),
        ("scenario.txt", "schema_version: 1\n", "must end in"),
    ],
)
def test_unreadable_files_are_invalid_input(tmp_path: Path, name: str, text: str, rule: str):
    """Malformed YAML, a non-mapping and an unknown suffix are InvalidInput, not tracebacks."""
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InvalidInput, match=rule):
        Scenario.load(path)


def test_json_file_loads_like_yaml(tmp_path: Path):
    """The same scenario written as JSON loads to an equal model."""
    path = tmp_path / "standard.json"
    path.write_text(json.dumps(standard(), default=str))
    assert Scenario.load(path) == Scenario.load(EXAMPLES / "standard.yaml")


def test_yaml_round_trip_keeps_the_scenario():
    """to_yaml writes a file that loads back to an equal scenario (distributions included)."""
    data = standard()
    data["timings"]["culture"] = {"lognormal": ["20h", "50h"]}
    scenario = Scenario.from_mapping(data)
    assert Scenario.from_mapping(yaml.safe_load(scenario.to_yaml())) == scenario


def test_json_schema_describes_the_file_format():
    """The published JSON Schema names every section, the version and the duration pattern."""
    schema = Scenario.json_schema()
    assert schema["properties"]["schema_version"]["const"] == 1
    assert set(schema["required"]) >= {"schema_version", "donor", "timings"}
    text = json.dumps(schema)
    assert "lognormal" in text
    assert "(d|h|min|s)" in text


def test_json_schema_is_made_without_the_export_layer():
    """Scenario.json_schema() loads no isletflow.export module; export publishes it, portable."""
    code = (
        "import sys; from isletflow.scenario import Scenario; Scenario.json_schema(); "
        "print(sorted(m for m in sys.modules if m.startswith('isletflow.export')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    from isletflow.export.schemas import schema

    published, own = schema("scenario"), Scenario.json_schema()
    assert published["properties"].keys() == own["properties"].keys()
    assert len(published["$defs"]) == len(own["$defs"])
    assert published["$id"] == "urn:isletflow:schema:scenario"


def test_every_example_is_valid():
    """Every file in the example library loads."""
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert len(files) >= 20
    for path in files:
        Scenario.load(path)


def test_every_example_validates_against_the_json_schema():
    """The published schema accepts every example file, short forms included."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(Scenario.json_schema())
    validator.check_schema(validator.schema)
    for path in sorted(EXAMPLES.glob("*.yaml")):
        data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=_iso))
        validator.validate(data)
    assert not validator.is_valid({**data, "timings": {"culture": {"uniform": "6h"}}})


def _iso(value: Any) -> str:
    return str(value.isoformat())


@pytest.mark.parametrize(
    ("file_seed", "given", "chosen"), [(None, None, 0), (5, None, 5), (5, 9, 9), (None, 0, 0)]
)
def test_seed_for_takes_the_argument_then_the_file_then_zero(
    file_seed: int | None, given: int | None, chosen: int
) -> None:
    """Scenario.seed_for is the one seed rule: the argument, else the file's seed, else 0."""
    scenario = Scenario.from_mapping({**standard(), "seed": file_seed})
    assert scenario.seed_for(given) == chosen


def test_every_adapter_takes_its_seed_from_seed_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """simulate_cohort, the simulate and export commands and the service ask Scenario.seed_for."""
    from click.testing import CliRunner
    from fastapi.testclient import TestClient

    from isletflow.cli import main
    from isletflow.cohort import simulate_cohort
    from isletflow.service import create_app

    asked: list[int | None] = []
    rule = Scenario.seed_for

    def spy(self: Scenario, seed: int | None) -> int:
        asked.append(seed)
        return rule(self, seed)

    monkeypatch.setattr(Scenario, "seed_for", spy)
    path = str(EXAMPLES / "standard.yaml")
    simulate_cohort(Scenario.load(path), 1, seed=1, workers=1)
    cli = CliRunner()
    assert cli.invoke(main, ["simulate", path, "--seed", "2", "--format", "json"]).exit_code == 0
    assert cli.invoke(main, ["export", "fhir", path, "--seed", "3", "--no-validate"]).exit_code == 0
    with TestClient(create_app(str(tmp_path / "sessions.sqlite3"))) as client:
        response = client.post("/api/v1/sessions", json={"scenario": "standard", "seed": 4})
    assert response.status_code == 201, response.text
    assert sorted(set(asked)) == [1, 2, 3, 4]


def test_every_value_field_has_exactly_one_rule():
    """Each scenario field that may hold a distribution carries one Range or OneOf, not two."""
    from pydantic import BaseModel, Discriminator

    from isletflow.distributions import OneOf, Range

    sections: list[type[BaseModel]] = [Scenario]
    sections += [
        info.annotation
        for info in Scenario.model_fields.values()
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
    ]
    checked = 0
    for section in sections:
        for name, info in section.model_fields.items():
            # An optional value field (``X | None``) carries its rule on the union's member.
            members = [getattr(arg, "__metadata__", ()) for arg in get_args(info.annotation)]
            metadata = [*info.metadata, *(m for found in members for m in found)]
            rules = [m for m in metadata if isinstance(m, Range | OneOf)]
            kinds = [m for m in metadata if isinstance(m, Discriminator)]
            assert len(rules) == len(kinds), f"{section.__name__}.{name}: {rules}"
            assert len(rules) <= 1, f"{section.__name__}.{name} has two rules: {rules}"
            checked += len(rules)
    assert checked == 51  # 46; platelets, aspirin, liver volume ratio; the course's; no Igls label
