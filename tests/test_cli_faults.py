"""The CLI fault tier: every reproduction of the reliability review is one clear line, exit 1.

Each input class (D1, D2, D6, D7, D10 and issue #16's list) is run through every command that
takes it. None may print a traceback, hang, or be accepted silently: the answer is exit code 1
and an ``error:`` line naming the place, a shortened value and the rule, and it comes at once.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import isletflow.cohort
from isletflow.cli import main
from strategies_sim import EXAMPLES

STANDARD_TEXT = (EXAMPLES / "standard.yaml").read_text(encoding="utf-8")


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _refused(result: Result, *phrases: str) -> None:
    """Exit 1 with an ``error:`` line and each phrase; no traceback, no other exception."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.stderr.startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


def _standard(old: str, new: str) -> bytes:
    assert old in STANDARD_TEXT
    return STANDARD_TEXT.replace(old, new).encode()


def _bomb() -> bytes:
    text = '_a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        text += f"_{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
    return text.encode() + STANDARD_TEXT.encode()


# name, suffix, content, a phrase of the error
SCENARIO_FILES: list[tuple[str, str, bytes, str]] = [
    ("NaN weight (D1)", ".yaml", _standard("weight_kg: 70", "weight_kg: .nan"), "finite"),
    ("NaN age (D1)", ".yaml", _standard("age_years: 42", "age_years: .nan"), "finite"),
    ("NaN bleeding (D1)", ".yaml", _standard("bleeding: 0\n", "bleeding: .nan\n"), "finite"),
    ("infinite weight (D1)", ".yaml", _standard("weight_kg: 70", "weight_kg: .inf"), "finite"),
    ("alias bomb (D2)", ".yaml", _bomb(), "is a YAML anchor or alias"),
    ("binary (D6)", ".yaml", bytes(range(256)), "is not UTF-8 text"),
    (
        "latin-1 (D6)",
        ".yaml",
        _standard("R-001", "R-001 Mañana").replace(b"\xc3\xb1", b"\xf1"),
        "UTF-8",
    ),
    ("UTF-16 (D6)", ".yaml", STANDARD_TEXT.encode("utf-16"), "is not UTF-8 text"),
    ("YAML flow nesting (D6)", ".yaml", b"a: " + b"[" * 20_000 + b"]" * 20_000, "nests deeper"),
    (
        "YAML block nesting (D6)",
        ".yaml",
        "".join(" " * i + "k:\n" for i in range(3_000)).encode(),
        "too large",
    ),
    ("JSON nesting (D6)", ".json", b"[" * 100_000 + b"]" * 100_000, "nests deeper"),
    (
        "4,300+ digits (D6)",
        ".yaml",
        _standard("seed: 1\n", "seed: " + "7" * 5_000 + "\n"),
        "longer than 100",
    ),
    (
        "duplicate key (D10)",
        ".yaml",
        _standard("seed: 1\n", "seed: 1\nseed: 7\n"),
        "appears twice",
    ),
    ("age true (D10)", ".yaml", _standard("age_years: 42", "age_years: true"), "not a number"),
    (
        "age 1:30 (D10)",
        ".yaml",
        _standard("age_years: 42", "age_years: 1:30"),
        "is text, not a number",
    ),
    ("culture 24 (#16)", ".yaml", _standard("culture: 24h", "culture: 24"), "e.g. 24h"),
    (
        "Unicode digit (D10)",
        ".yaml",
        _standard("culture: 24h", "culture: １h"),
        "is not a duration",
    ),
    (
        "UWW (#16)",
        ".yaml",
        _standard("preservation_solution: UW", "preservation_solution: UWW"),
        "did you mean 'UW'?",
    ),
    (
        "weight as text (D10)",
        ".yaml",
        _standard("weight_kg: 70", "weight_kg: '70'"),
        "is text, not a number",
    ),
    (
        "python tag",
        ".yaml",
        b"a: !!python/object/apply:os.system [touch pwned]\n",
        "is not valid YAML",
    ),
]
COMMANDS: dict[str, list[str]] = {
    "validate": ["validate"],
    "simulate": ["simulate"],
    "cohort": ["cohort", "--n", "2", "--workers", "1"],
    "export fhir": ["export", "fhir", "--no-validate"],
}


@pytest.mark.parametrize("command", COMMANDS.values(), ids=list(COMMANDS))
@pytest.mark.parametrize(
    ("suffix", "content", "phrase"),
    [case[1:] for case in SCENARIO_FILES],
    ids=[case[0] for case in SCENARIO_FILES],
)
def test_a_hostile_scenario_file_is_one_clear_error(
    tmp_path: Path, command: list[str], suffix: str, content: bytes, phrase: str
) -> None:
    """Each hostile scenario file is refused by each command, at once, with no traceback."""
    path = tmp_path / f"scenario{suffix}"
    path.write_bytes(content)
    started = time.perf_counter()
    result = _run(*command, str(path))
    assert time.perf_counter() - started < 10
    _refused(result, phrase)
    assert not (Path.cwd() / "pwned").exists()


CASE_FILES: list[tuple[str, bytes, str]] = [
    ("binary", b"\xff\xfe\x00[", "is not UTF-8 text"),
    ("JSON nesting", b"[" * 100_000 + b"]" * 100_000, "nests deeper"),
    ("5000 digits", b"[" + b"9" * 5_000 + b"]", "longer than 100"),
    ("NaN", b'[{"kind": "created", "x": NaN}]', "is not JSON"),
    ("duplicate key", b'{"timeline": [], "timeline": []}', "appears twice"),
    ("schema_version true", b'{"schema_version": true, "timeline": []}', "must be 1"),
    ("schema_version 1.0", b'{"schema_version": 1.0, "timeline": []}', "must be 1"),
]


@pytest.mark.parametrize(
    "command",
    [["export", "fhir", "--no-validate"], ["diagram", "--case"]],
    ids=["export", "diagram"],
)
@pytest.mark.parametrize(
    ("content", "phrase"), [c[1:] for c in CASE_FILES], ids=[c[0] for c in CASE_FILES]
)
def test_a_hostile_case_file_is_one_clear_error(
    tmp_path: Path, command: list[str], content: bytes, phrase: str
) -> None:
    """Saved cases (timelines, snapshots) go through the same door: one clear error each."""
    path = tmp_path / "case.json"
    path.write_bytes(content)
    _refused(_run(*command, str(path)), phrase)


@pytest.mark.parametrize("command", ["validate", "simulate"])
def test_a_fifo_does_not_hang_a_command(tmp_path: Path, command: str) -> None:
    """A FIFO given as a scenario is refused at once (it used to wait for a writer forever)."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    code = "import sys; from isletflow.cli import main; sys.argv[0] = 'isletflow'; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, command, str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: ")
    assert "is not a regular file" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "standard", "--plot", "{missing}/case.png"],
        ["cohort", "standard", "--n", "1000000", "--plot", "{missing}/cohort.png"],
        ["cohort", "standard", "--n", "1000000", "--out", "{missing}/cases.jsonl"],
        ["export", "fhir", "standard", "--out", "{missing}/bundle.json"],
        ["diagram", "--out", "{missing}/workflow.mmd"],
    ],
    ids=["simulate --plot", "cohort --plot", "cohort --out", "export --out", "diagram --out"],
)
def test_a_missing_output_folder_is_found_before_the_work(tmp_path: Path, args: list[str]) -> None:
    """--out or --plot in a folder that does not exist is refused before a million cases run."""
    missing = tmp_path / "no" / "such" / "folder"
    started = time.perf_counter()
    result = _run(*(arg.format(missing=missing) for arg in args))
    assert time.perf_counter() - started < 10
    _refused(result, "is in a folder that does not exist")


def test_a_write_the_machine_refuses_is_one_line(tmp_path: Path) -> None:
    """An OSError while writing (here a full disk, /dev/full) is one error line, exit 1."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    _refused(_run("diagram", "--out", "/dev/full"), "No space left on device")


@pytest.mark.parametrize(
    ("module", "args", "phrase"),
    [
        (
            "fhir.resources.R4B.bundle",
            ["export", "fhir", "standard"],
            "pip install 'isletflow[fhir]'",
        ),
        ("uvicorn", ["serve", "--port", "1"], "pip install 'isletflow[service]'"),
        (
            "matplotlib.backends.backend_agg",
            ["cohort", "standard", "--n", "1000000", "--plot", "c.png"],
            "isletflow[plots]",
        ),
        (
            "distributed",
            ["cohort", "standard", "--n", "1000000", "--dask", "tcp://x:1"],
            "isletflow[dask]",
        ),
    ],
    ids=["fhir", "service", "plots", "dask"],
)
def test_a_missing_extra_is_found_before_the_work(
    monkeypatch: pytest.MonkeyPatch, module: str, args: list[str], phrase: str
) -> None:
    """Without an optional extra, a command says which to install before doing any work."""
    monkeypatch.setitem(sys.modules, module, None)
    started = time.perf_counter()
    _refused(_run(*args), "which is not installed", phrase)
    assert time.perf_counter() - started < 10


def _scrambled(path: Path) -> Path:
    """A SQLite file with a sound header and damaged pages (it opens, then fails queries)."""
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x)")
        connection.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 2_000)
    data = bytearray(path.read_bytes())
    for i in range(3 * 4096, len(data), 7):
        data[i] = (data[i] * 31 + 7) % 256
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("db", "phrase"),
    [
        ("{tmp}", "is a folder; give a database file"),
        ("{tmp}/missing/sessions.sqlite3", "is in a folder that does not exist"),
        ("{garbage}", "file is not a database"),
        ("{scrambled}", "is damaged"),
        ("mysql://user@127.0.0.1/x", "cannot be opened as the session database"),
        ("postgresql://user@127.0.0.1:1/x", "Connection refused"),
        ("nosuchdialect://x", "cannot be opened as the session database"),
    ],
    ids=["folder", "missing folder", "garbage", "scrambled", "no driver", "refused", "dialect"],
)
def test_serve_with_a_database_it_cannot_use_is_one_line(
    tmp_path: Path, db: str, phrase: str
) -> None:
    """serve --db at a folder, a missing folder, a damaged or unreachable database: one line."""
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database, " * 100)
    scrambled = _scrambled(tmp_path / "scrambled.sqlite3")
    target = db.format(tmp=tmp_path, garbage=garbage, scrambled=scrambled)
    result = _run("serve", "--db", target, "--port", "1")
    _refused(result, "--db", phrase)
    assert len(result.stderr.splitlines()) == 2  # "error: --db has 1 problem:" and the problem


def test_a_dask_address_that_does_not_answer_times_out_clearly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Dask scheduler that does not answer is one line after the timeout, not a traceback."""
    quick = functools.partial(isletflow.cohort.dask_executor, timeout=1)
    monkeypatch.setattr(isletflow.cohort, "dask_executor", quick)
    started = time.perf_counter()
    result = _run("cohort", "standard", "--n", "2", "--dask", "tcp://127.0.0.1:1")
    assert time.perf_counter() - started < 30
    _refused(result, "did not answer as a Dask scheduler within 1 s")
    _refused(_run("cohort", "standard", "--n", "2", "--dask", "nonsense"), "is not a Dask")


def test_validate_still_accepts_every_bundled_scenario() -> None:
    """The front door refuses what it must and nothing else: every example validates."""
    from isletflow import library

    for name in library.names():
        result: Any = _run("validate", name)
        assert result.exit_code == 0, result.output


def test_a_cohort_of_absurd_size_is_refused_before_it_starts() -> None:
    """--n past a billion is a usage error at once, not a chunk list that fills memory."""
    started = time.perf_counter()
    result = _run("cohort", "standard", "--n", str(10**18))
    assert result.exit_code == 2
    assert "1000000000" in result.output
    assert time.perf_counter() - started < 10
