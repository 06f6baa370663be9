"""The README's examples run, and print what the README says they print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _expected(block: str) -> list[str]:
    """Comment lines that follow a print call: the output the README promises."""
    expected: list[str] = []
    after_print = False
    for line in block.splitlines():
        if line.startswith("# ") and after_print:
            expected.append(line[2:])
            continue
        after_print = "print(" in line and "#" not in line
    return expected


def test_readme_examples_run_and_print_what_they_say() -> None:
    """Every python block of the README runs in order and prints its promised lines."""
    blocks = BLOCK.findall(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 5
    namespace: dict[str, object] = {"__name__": "readme"}
    for number, block in enumerate(blocks, start=1):
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(compile(block, f"README block {number}", "exec"), namespace)
        printed = iter(output.getvalue().splitlines())
        for line in _expected(block):
            assert any(got.rstrip() == line.rstrip() for got in printed), (
                f"README block {number} did not print {line!r}; it printed:\n{output.getvalue()}"
            )
