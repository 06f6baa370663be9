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
