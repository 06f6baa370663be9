"""isletflow.files: the one reader of the TOML, JSON and YAML files scenarios and the rest use."""

from __future__ import annotations

from pathlib import Path

import pytest

from isletflow.errors import InvalidInput
from isletflow.files import read_mapping


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("site.toml", 'name = "site"\nmax_infusions = 2\n'),
        ("site.json", '{"name": "site", "max_infusions": 2}'),
        ("site.yaml", "name: site\nmax_infusions: 2\n"),
        ("site.YML", "name: site\nmax_infusions: 2\n"),
    ],
)
def test_each_format_reads_to_the_same_mapping(tmp_path: Path, name: str, text: str) -> None:
    """A TOML, JSON or YAML file (any case of suffix) reads to the same plain mapping."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert read_mapping(path) == {"name": "site", "max_infusions": 2}


@pytest.mark.parametrize(
    ("name", "text", "location", "rule"),
    [
        ("list.yaml", "- 1\n- 2\n", "(root)", "must be a mapping of keys"),
        ("site.ini", "[site]\n", "path", "must end in .toml, .json, .yaml or .yml"),
        ("broken.json", "{", "line 1, column 2", "is not valid JSON: "),
        ("broken.yaml", "a: [", "line 1, column 5", "is not valid YAML: "),
        ("broken.toml", "a = ", "(file)", "is not valid TOML: "),
    ],
)
def test_a_file_that_is_no_mapping_is_one_problem_naming_it(
    tmp_path: Path, name: str, text: str, location: str, rule: str
) -> None:
    """A wrong suffix, invalid text or a top level that is not a mapping is InvalidInput."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        read_mapping(path)
    assert caught.value.what == f"file {path}"
    (problem,) = caught.value.problems
    assert problem.location == location
    assert problem.rule.startswith(rule)
