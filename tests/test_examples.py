"""The bundled examples run and end as they say."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("approach", ["percutaneous", "laparoscopic", "open"])
def test_standard_case_completes_for_every_approach(approach: str) -> None:
    """The standard walk completes with an optimal graft and the full dose, for each approach."""
    module = runpy.run_path(str(EXAMPLES / "standard_case.py"))
    case = module["standard_case"](approach)
    assert case.outcome is not None
    assert (case.outcome.status, case.outcome.code) == ("completed", "optimal")
    assert case.record.dose_delivered_ieq_per_kg == pytest.approx(455_000 / 70)
    assert not any(event.kind == "refused" for event in case.timeline)


def test_main_job_prints_the_timeline() -> None:
    """`make run`'s script prints a table that ends with the outcome."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "standard_case.py")],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["time", "(UTC)"]
    assert any("start_infusion" in line for line in lines)
    assert lines[-1] == "Outcome: completed (optimal) at 2026-06-02 19:10 UTC."
