"""The source keeps the style it promises: formatted by ruff, typed for real."""

from __future__ import annotations

from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "isletflow"

# Modules that accept ruff format's layout whole. A file leaves this list only with a reason.
FORMATTED_WHOLE = [
    "clock.py",
    "distributions.py",
    "errors.py",
    "export/__init__.py",
    "export/schemas.py",
    "library.py",
    "plots.py",
    "protocol.py",
    "scenario.py",
    "service/registry.py",
    "service/schemas.py",
    "service/store.py",
    "training/rubric.py",
]


@pytest.mark.parametrize("module", FORMATTED_WHOLE)
def test_module_does_not_opt_out_of_the_formatter(module: str) -> None:
    """The module has no ``# fmt: skip``: ruff format lays out every line of it."""
    lines = (SRC / module).read_text(encoding="utf-8").splitlines()
    skipped = [n for n, line in enumerate(lines, 1) if "# fmt: skip" in line]
    assert not skipped, f"{module} opts out of ruff format on lines {skipped}"
