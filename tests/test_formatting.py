"""The formatter's layout is accepted, not opted out of line by line with ``# fmt: skip``.

The review counted 185 of them in src; they are burned down a few files at a time, and the files
already done stay done. cli/train.py is left to the change that next rewrites it.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "isletflow"
DONE = [
    PACKAGE / "__init__.py",
    *(p for p in (PACKAGE / "cli").glob("*.py") if p.name != "train.py"),
]


def test_no_fmt_skip_in_the_files_already_formatted() -> None:
    """The package __init__ and every cli module but train.py carry no ``# fmt: skip``."""
    assert len(DONE) > 5
    skipped = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in DONE
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "# fmt: skip" in line
    ]
    assert not skipped, f"let ruff format lay these out: {skipped}"
