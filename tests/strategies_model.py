"""Hypothesis strategies for the model's inputs, each within its clinical range."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from isletflow.model import graft
from isletflow.model.bleeding import APPROACHES, SEALANTS
from isletflow.model.isolation import SOLUTIONS

ages = st.floats(15, 65)
bmis = st.floats(15, 50)
cold_ischemia_hours = st.floats(0, 12)
solutions = st.integers(0, len(SOLUTIONS) - 1)
uniforms = st.floats(0, 1, exclude_max=True)
volumes_ml = st.floats(0, 20)
liver_ratios = st.floats(0.5, 2.0)
pressures_mmhg = st.floats(0, 40)
procedure_numbers = st.integers(1, 5)
platelets_per_ul = st.floats(10_000, 500_000)
heparin_units_per_kg = st.floats(0, 150)
flags = st.booleans()
sealants = st.integers(0, len(SEALANTS) - 1)
approaches = st.integers(0, len(APPROACHES) - 1)
troughs_ng_per_ml = st.floats(0, 200)
months = st.floats(0, 120)


def rows(*columns: st.SearchStrategy[Any]) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    """Between 1 and 20 rows of values, one from each column's strategy: a small cohort."""
    return st.lists(st.tuples(*columns), min_size=1, max_size=20)


# A course tally's one-year counts: (cumulative dose step, insulin-independent, controlled,
# Igls grade) -> recipients; few dose steps, so that many recipients share one.
one_year_counts = st.dictionaries(
    st.tuples(st.integers(0, 40), st.booleans(), st.booleans(), st.sampled_from(graft.GRADES)),
    st.integers(1, 50),
    max_size=60,
)
