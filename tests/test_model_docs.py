"""docs/model.md stays true to the code: the coefficient table and the worked examples."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from isletflow.model import (
    DEFAULT,
    bleeding_probability,
    digest_ieq,
    median_digest_ieq,
    pressure_rise_mmhg,
)
from isletflow.model.coefficients import markdown_table

ROOT = Path(__file__).resolve().parents[1]
MODEL = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")


def test_the_coefficient_table_is_the_code() -> None:
    """The table in docs/model.md is what ``python -m isletflow.model`` prints now."""
    block = re.search(r"<!-- coefficients -->\n(.*?)<!-- /coefficients -->", MODEL, re.S)
    assert block, "docs/model.md lost its coefficients markers"
    assert block.group(1) == markdown_table(DEFAULT), "regenerate: python -m isletflow.model"
    printed = subprocess.run(
        [sys.executable, "-m", "isletflow.model"], capture_output=True, text=True, check=True
    )
    assert printed.stdout == markdown_table(DEFAULT)
    assert not printed.stderr


@pytest.mark.parametrize(
    ("sealant", "heparin", "words"),
    [
        ("none", 70, "track open, 70 U/kg"),
        ("gelfoam", 70, "gelatin foam, 70 U/kg"),
        ("none", 35, "track open, 35 U/kg"),
        ("gelfoam", 35, "gelatin foam, 35 U/kg"),
    ],
)
def test_the_bleeding_examples_are_what_the_model_gives(
    sealant: str, heparin: float, words: str
) -> None:
    """Each row of the bleeding examples is the model's probability for that procedure."""
    p = bleeding_probability(
        procedure_number=1,
        platelets_per_ul=250_000,
        pressure_rise_mmhg=pressure_rise_mmhg(6.0),
        heparin_units_per_kg=heparin,
        aspirin=False,
        sealant=sealant,
    )
    assert f"| first procedure, {words} | {100 * p:.1f} % |" in MODEL


def test_the_registry_check_is_what_the_model_gives() -> None:
    """At S32's donor with 6 h of cold ischaemia, less S32's losses, about 414,000 IEQ."""
    p = DEFAULT.isolation
    median = median_digest_ieq(p.reference_age_years, p.reference_bmi, 6.0)
    mean = digest_ieq(median, (np.arange(1_000_000) + 0.5) / 1_000_000).mean()
    after_losses = mean * (1 - 0.135) * (1 - 0.117)
    assert f"is about {round(after_losses, -3):,.0f} IEQ" in MODEL
    assert abs(after_losses - 445_400) < 156_800, "outside CITR's mean ± SD [S52]"
