"""The front door for files (isletflow.files): every hostile file is one clear InvalidInput.

Each input class of the reliability review (D2, D6, D10) is a parametrised case here, read by
every reader that takes it: scenarios, protocols, rubrics and saved cases. A refusal names the
file, a place and a rule, shows a short value, and comes at once.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from isletflow.cli.casefile import read_case
from isletflow.errors import InvalidInput
from isletflow.files import CASES, SETTINGS, Limits, read_json, read_mapping
from isletflow.protocol import Protocol
from isletflow.scenario import Scenario
from isletflow.training.rubric import Rubric
from strategies_input import hostile_bytes

READERS: dict[str, Callable[[Path], Any]] = {
    "read_mapping": read_mapping,
    "Scenario.load": Scenario.load,
    "Protocol.load": Protocol.load,
    "Rubric.load": Rubric.load,
}


def _bomb(levels: int) -> str:
    """A YAML alias bomb: 9**levels strings from a few hundred bytes."""
    text = '_a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    previous = "a"
    for name in "bcdefghijk"[:levels]:
        text += f"_{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    return text + f"name: *{previous}\n"


# name, file suffix, content, the start of the rule
HOSTILE: list[tuple[str, str, bytes, str]] = [
    ("alias bomb", ".yaml", _bomb(9).encode(), "is a YAML anchor or alias"),
    ("alias", ".yaml", b"a: &x 1\nb: *x\n", "is a YAML anchor or alias"),
    ("merge key", ".yaml", b"base: &b {x: 1}\nother:\n  <<: *b\n", "is a YAML anchor or alias"),
    ("binary", ".yaml", b"\x00\x01\x02\xff\xfe", "is not UTF-8 text"),
    ("latin-1", ".yaml", "name: Mañana\n".encode("latin-1"), "is not UTF-8 text"),
    ("UTF-16", ".json", '{"name": "x"}'.encode("utf-16"), "is not UTF-8 text"),
    ("flow nesting", ".yaml", b"a: " + b"[" * 20_000 + b"]" * 20_000, "nests deeper than 32"),
    ("block nesting", ".yaml", "".join(" " * i + "k:\n" for i in range(300)).encode(), "nests"),
    ("JSON nesting", ".json", b"[" * 100_000 + b"]" * 100_000, "nests deeper than 32"),
    ("TOML nesting", ".toml", b"a = " + b"[" * 5_000 + b"]" * 5_000, "nests deeper than 32"),
    ("YAML 5000 digits", ".yaml", b"seed: " + b"1" * 5_000, "is longer than 100 characters"),
    ("JSON 5000 digits", ".json", b'{"seed": ' + b"1" * 5_000 + b"}", "is longer than 100"),
    ("TOML 5000 digits", ".toml", b"seed = " + b"1" * 5_000, "is longer than 100"),
    ("TOML 200 digits", ".toml", b"seed = " + b"1" * 200, "is longer than 100"),
    ("YAML .nan", ".yaml", b"max_infusions: .nan\n", "must be a finite number"),
    ("YAML -.inf", ".yaml", b"max_infusions: -.Inf\n", "must be a finite number"),
    ("YAML 1e400", ".yaml", b"max_infusions: 1e400\n", "must be a finite number"),
    ("JSON NaN", ".json", b'{"max_infusions": NaN}', "is not JSON"),
    ("JSON -Infinity", ".json", b'{"max_infusions": -Infinity}', "is not JSON"),
    ("JSON 1e400", ".json", b'{"max_infusions": 1e400}', "must be a finite number"),
    ("TOML nan", ".toml", b"max_infusions = nan\n", "must be a finite number"),
    ("TOML inf", ".toml", b"max_infusions = -inf\n", "must be a finite number"),
    ("YAML duplicate key", ".yaml", b"name: a\nseed: 1\nname: b\n", "appears twice"),
    ("JSON duplicate key", ".json", b'{"name": "a", "name": "b"}', "appears twice"),
    ("TOML duplicate key", ".toml", b'name = "a"\nname = "b"\n', "is not valid TOML"),
    ("python tag", ".yaml", b"a: !!python/object/apply:os.system [echo]\n", "is not valid YAML"),
    ("binary tag", ".yaml", b"a: !!binary aGVsbG8=\n", "is not valid YAML"),
    ("timestamp tag", ".yaml", b"a: !!timestamp 2026-01-05\n", "is not valid YAML"),
    ("hex int tag", ".yaml", b"a: !!int 0x1F\n", "is not a decimal number"),
    ("yes as bool tag", ".yaml", b"a: !!bool yes\n", "is not true or false"),
    ("two documents", ".yaml", b"a: 1\n---\nb: 2\n", "is not valid YAML"),
    ("tab indent", ".yaml", b"a:\n\t- 1\n", "is not valid YAML"),
    ("NUL character", ".yaml", b"a: 1\nb: \x00\n", "is a character YAML does not allow"),
    ("lone surrogate", ".yaml", b'name: "\\ud800"\n', "holds a lone surrogate"),
    ("JSON lone surrogate", ".json", b'{"name": "\\ud800"}', "holds a lone surrogate"),
    ("list key", ".yaml", b"? [a]\n: 1\n", "cannot be a key"),
    ("many values", ".yaml", b"a: [" + b"1," * 10_001 + b"1]\n", "is more than 10,000 values"),
    ("many JSON values", ".json", b"[" + b"1," * 10_001 + b"1]", "is more than 10,000 values"),
    ("too large", ".yaml", b"description: " + b"x" * (256 << 10) + b"\n", "is too large"),
    ("not a mapping", ".yaml", b"- 1\n- 2\n", "must be a mapping of keys"),
    ("empty", ".yaml", b"", "must be a mapping of keys"),
]


@pytest.mark.parametrize("reader", READERS.values(), ids=list(READERS))
@pytest.mark.parametrize(
    ("suffix", "content", "rule"),
    [case[1:] for case in HOSTILE],
    ids=[case[0] for case in HOSTILE],
)
def test_a_hostile_file_is_one_quick_clear_problem(
    tmp_path: Path, reader: Callable[[Path], Any], suffix: str, content: bytes, rule: str
) -> None:
    """Each hostile file is refused at once, naming the file, a place, a short value and rule."""
    path = tmp_path / f"input{suffix}"
    path.write_bytes(content)
    started = time.perf_counter()
    with pytest.raises(InvalidInput) as caught:
        reader(path)
    assert time.perf_counter() - started < 3
    error = caught.value
    assert str(path) in error.what
    (problem,) = error.problems
    assert problem.location
    assert problem.rule.startswith(rule), problem.rule
    assert len(str(error)) < 400


@pytest.mark.parametrize("reader", READERS.values(), ids=list(READERS))
def test_a_fifo_is_refused_without_waiting_for_a_writer(
    tmp_path: Path, reader: Callable[[Path], Any]
) -> None:
    """A FIFO named like a scenario is refused as not a regular file; nothing hangs."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    with pytest.raises(InvalidInput, match="is not a regular file"):
        reader(path)


@pytest.mark.parametrize(
    ("name", "rule"),
    [("folder.yaml", "is a folder, not a file"), ("missing.yaml", "cannot be read")],
)
def test_a_folder_or_a_missing_file_is_refused(tmp_path: Path, name: str, rule: str) -> None:
    """A folder or a missing path is one problem at 'path' saying which it is."""
    (tmp_path / "folder.yaml").mkdir()
    with pytest.raises(InvalidInput) as caught:
        read_mapping(tmp_path / name)
    (problem,) = caught.value.problems
    assert problem.location == "path"
    assert rule in problem.rule


def test_yaml_is_read_as_yaml_1_2_plain_data(tmp_path: Path) -> None:
    """yes/no/on/off, 1:30, dates, hex and Unicode digits stay text; true and 1.5 are values."""
    path = tmp_path / "quirks.yaml"
    path.write_text(
        "a: yes\nb: NO\nc: on\nd: 1:30\ne: 2026-01-05T08:00:00Z\nf: 0x1F\ng: １２\n"
        "h: true\ni: 1.5\nj: -7\nk: ~\nl: 1_000\nm: .5\n",
        encoding="utf-8",
    )
    text = ["yes", "NO", "on", "1:30", "2026-01-05T08:00:00Z", "0x1F", "１２"]
    values = [*text, True, 1.5, -7, None, "1_000", 0.5]
    assert read_mapping(path) == dict(zip("abcdefghijklm", values, strict=True))


def test_a_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    """A UTF-8 file that starts with a byte-order mark (as some editors write) reads as usual."""
    path = tmp_path / "bom.json"
    path.write_bytes(b'\xef\xbb\xbf{"name": "x"}')
    assert read_mapping(path) == {"name": "x"}


def test_the_limits_are_the_stated_ones() -> None:
    """The limits are 256 KiB, 32 levels, 10,000 values (cases: 64 MiB), as the docs say."""
    assert Limits(size=256 << 10, depth=32, nodes=10_000, number_length=100) == SETTINGS
    assert Limits(size=64 << 20, depth=32, nodes=5_000_000, number_length=100) == CASES
    root = Path(__file__).parents[1]
    for doc in ("README.md", "docs/input.md"):
        text = " ".join((root / doc).read_text(encoding="utf-8").split())
        for phrase in ("256 KiB", "64 MiB", "32 levels", "10,000 values", "5,000,000 values"):
            assert phrase in text, (doc, phrase)


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b'{"schema_version": 1.0, "timeline": []}', "must be 1"),
        (b'{"schema_version": true, "timeline": []}', "must be 1"),
        (b"[" * 50 + b"]" * 50, "nests deeper than 32"),
        (b"\xff[]", "is not UTF-8 text"),
        (b"[" + b"9" * 4_400 + b"]", "is longer than 100 characters"),
        (b'[{"at": 1, "at": 2}]', "appears twice"),
    ],
)
def test_a_hostile_case_file_is_one_clear_problem(
    tmp_path: Path, content: bytes, rule: str
) -> None:
    """Saved cases come through the same door: each hostile one is a clear InvalidInput."""
    path = tmp_path / "case.json"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as caught:
        read_case(path)
    assert rule in str(caught.value)


def test_a_case_file_has_larger_limits_than_a_settings_file(tmp_path: Path) -> None:
    """A saved case of 2 MiB reads (CASES), where a scenario of that size would be refused."""
    path = tmp_path / "big.json"
    path.write_text('["' + "x" * (2 << 20) + '"]', encoding="utf-8")
    data, text = read_json(path)
    assert len(data[0]) == 2 << 20
    assert text.startswith('["')
    with pytest.raises(InvalidInput, match="is too large"):
        read_mapping(path)


def _outcome(path: Path) -> dict[str, Any] | InvalidInput:
    """What reading ``path`` gives: its mapping, or the InvalidInput it raised."""
    try:
        return read_mapping(path)
    except InvalidInput as error:
        return error


@given(content=hostile_bytes)
def test_any_bytes_read_to_a_mapping_or_invalid_input(content: bytes) -> None:
    """Whatever the bytes, each format's reader returns a mapping or raises InvalidInput."""
    with tempfile.TemporaryDirectory() as directory:
        for suffix in (".yaml", ".json", ".toml"):
            path = Path(directory) / f"fuzz{suffix}"
            path.write_bytes(content)
            outcome = _outcome(path)
            assert isinstance(outcome, dict) or (outcome.problems and len(str(outcome)) < 2_000)
