"""Start-up stays light: which modules ``import isletflow`` and ``isletflow --help`` load.

The modules, not the time (times are for ``benchmarks/cohort.py``): ``python -X importtime``
lists every module a process imports, so the test sees the real command's imports.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("matplotlib", "fhir", "fastapi", "starlette", "uvicorn", "sqlalchemy", "dask",
         "distributed", "prompt_toolkit", "httpx", "jsonschema")  # fmt: skip


def _imported(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True,
                          text=True, check=True, timeout=120)  # fmt: skip
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name.split(".")[0])
    return names


def test_import_isletflow_loads_no_extra() -> None:
    """``import isletflow`` loads no plots, FHIR, server, Dask or trainer prompt."""
    loaded = _imported("-c", "import isletflow")
    assert "isletflow" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    assert "transitions" not in loaded  # built on first use of the shared machine


def test_help_loads_no_extra_and_no_numpy() -> None:
    """The installed ``isletflow --help`` loads none of the extras, nor numpy."""
    command = Path(sys.executable).parent / "isletflow"
    if not command.exists():
        pytest.skip("the isletflow command is not installed beside this Python")
    loaded = _imported(str(command), "--help")
    assert "click" in loaded
    assert loaded.isdisjoint((*HEAVY, "numpy")), sorted(loaded & {*HEAVY, "numpy"})
    # Nor any command, nor the engine's models: the help lines come from cli.COMMANDS.
    assert loaded.isdisjoint(("pydantic", "transitions", "yaml")), sorted(
        loaded & {"pydantic", "transitions", "yaml"}
    )


def test_help_lines_are_the_commands_own() -> None:
    """Each help line in cli.COMMANDS equals its command's own short help."""
    import click

    from isletflow.cli import COMMANDS, main

    ctx = click.Context(main)
    for name, (_, line) in COMMANDS.items():
        command = main.get_command(ctx, name)
        assert command is not None
        assert command.get_short_help_str(limit=300) == line, name
