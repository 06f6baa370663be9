"""The simulate, cohort and validate commands, in-process and once as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from isletflow.cli import main
from strategies_sim import EXAMPLES

STANDARD = str(EXAMPLES / "standard.yaml")
ROOT = EXAMPLES.parent.parent


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_simulate_prints_the_timeline_table():
    """simulate prints the timeline as a table ending with the outcome."""
    result = _run("simulate", STANDARD)
    assert result.exit_code == 0, result.output
    assert "start_isolation" in result.output
    assert "Outcome: completed (good)" in result.output  # one infusion: computed, not given


def test_simulate_json_and_jsonl():
    """--format json is one document with the outcome; jsonl one event per line."""
    document = json.loads(_run("simulate", STANDARD, "--format", "json").output)
    assert document["outcome"]["status"] == "completed"
    assert document["timeline"][0]["kind"] == "created"
    lines = _run("simulate", STANDARD, "--format", "jsonl").output.splitlines()
    assert [json.loads(line)["kind"] for line in lines][:2] == ["created", "accepted"]
    assert len(lines) == len(document["timeline"])


def test_simulate_seed_and_index_choose_the_case():
    """--seed and --index pick another case of a stochastic scenario."""
    population = str(EXAMPLES / "population.yaml")
    a = _run("simulate", population, "--seed", "1", "--format", "jsonl").output
    b = _run("simulate", population, "--seed", "1", "--index", "3", "--format", "jsonl").output
    assert a != b
    assert a == _run("simulate", population, "--seed", "1", "--format", "jsonl").output


def test_validate_accepts_a_good_file():
    """validate says a good file is valid and exits 0."""
    result = _run("validate", STANDARD)
    assert result.exit_code == 0
    assert "a valid scenario" in result.output


def test_validate_lists_every_problem_and_exits_1(tmp_path: Path):
    """validate lists each problem with its path, exits 1, and shows no traceback."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(STANDARD).read_text().replace("culture: 24h", "culture: -3h")
                   .replace("purity_percent: 65", "purity_percent: 165"))  # fmt: skip
    result = _run("validate", str(bad))
    assert result.exit_code == 1
    assert "timings.culture: '-3h' is negative" in result.output
    assert "preparation.purity_percent: 165" in result.output
    assert "Traceback" not in result.output


def test_bad_or_missing_files_exit_1_without_traceback(tmp_path: Path):
    """simulate and cohort on a missing or invalid file print the error and exit 1."""
    for args in (("simulate", str(tmp_path / "none.yaml")),
                 ("cohort", str(tmp_path / "none.yaml"), "--n", "3")):  # fmt: skip
        result = _run(*args)
        assert result.exit_code == 1
        assert result.output.startswith("error:")
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_usage_mistakes_exit_2():
    """A missing --n or an unknown format is a usage error (exit 2)."""
    assert _run("cohort", STANDARD).exit_code == 2
    assert _run("simulate", STANDARD, "--format", "xml").exit_code == 2
    assert _run("cohort", STANDARD, "--n", "2", "--workers", "1", "--dask", "x:1").exit_code == 2


def test_cohort_prints_a_summary_and_writes_records(tmp_path: Path):
    """cohort summarises outcomes, times and recipients, and --out writes one line per
    recipient."""
    out = tmp_path / "cases.jsonl"
    population = str(EXAMPLES / "population.yaml")
    result = _run("cohort", population, "--n", "25", "--workers", "1", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "cold_ischemia" in result.output
    assert "recipients 25;" in result.output
    assert "by cumulative dose" in result.output
    assert len(out.read_text().splitlines()) == 25
    summary = json.loads(
        _run("cohort", population, "--n", "25", "--workers", "1", "--format", "json").stdout
    )
    assert summary["course"]["recipients"] == 25
    assert summary["cases"] >= 25


def test_help_does_not_import_numpy():
    """isletflow --help lists the commands without importing numpy."""
    code = ("import sys; from click.testing import CliRunner; from isletflow.cli import main; "
            "r = CliRunner().invoke(main, ['--help']); assert 'cohort' in r.output; "
            "print('numpy' in sys.modules)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_real_subprocess_matches_in_process_output():
    """The installed command prints what the in-process one does, under another hash seed."""
    command = Path(sys.executable).parent / "isletflow"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([str(command), "simulate", "examples/scenarios/standard.yaml",
                           "--format", "json"], capture_output=True, text=True, cwd=ROOT,
                          env=env, check=True)  # fmt: skip
    assert done.stdout == _run("simulate", STANDARD, "--format", "json").output
    table = subprocess.run([str(command), "simulate", "examples/scenarios/standard.yaml"],
                           capture_output=True, text=True, cwd=ROOT, check=True)  # fmt: skip
    assert "Outcome: completed (good)" in table.stdout


def test_cohort_runs_on_a_dask_cluster_address():
    """cohort --dask ADDRESS runs on that cluster and prints the in-process summary."""
    distributed = pytest.importorskip("distributed")
    population = str(EXAMPLES / "population.yaml")
    local = _run("cohort", population, "--n", "20", "--workers", "1", "--format", "json")
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    )
    with cluster:
        remote = _run("cohort", population, "--n", "20", "--dask", cluster.scheduler_address,
                      "--format", "json")  # fmt: skip
    assert remote.exit_code == 0, remote.output
    assert remote.stdout == local.stdout
