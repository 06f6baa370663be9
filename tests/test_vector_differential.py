"""The vectorised cohort path against the per-case engine, recipient by recipient."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given

from isletflow.sampling import PlanSampler
from isletflow.scenario import Scenario
from isletflow.simulation import simulate
from isletflow.vector.plans import Sections
from isletflow.vector.procedure import STATUSES, run_procedures
from strategies_sim import scenarios

EXAMPLES = sorted(
    (Path(__file__).resolve().parent.parent / "examples" / "scenarios").glob("*.yaml")
)
_US = timedelta(microseconds=1)


def _engine_procedure(scenario: Scenario, seed: int, index: int, sampler: PlanSampler) -> Any:
    case = simulate(scenario, seed, index, sampler=sampler)
    outcome, record, clamp = case.outcome, case.record, case.donor.cross_clamp_at
    assert outcome is not None

    def since(moment: Any) -> int:
        return -1 if moment is None else int((moment - clamp) // _US)

    kinds = [c.kind for c in record.complications]
    return {
        "status": outcome.status,
        "code": outcome.code if outcome.status != "completed" else None,
        "end": since(outcome.at),
        "isolation_started": since(record.isolation_started_at),
        "released": since(record.released_at),
        "infusion_started": since(record.infusion_started_at),
        "fraction": record.fraction_delivered,
        "dose": record.dose_delivered_ieq_per_kg,
        "paused": any(getattr(e, "target", None) == "infuse.paused" for e in case.timeline),
        "bleeding": "bleeding" in kinds,
        "thrombosis": "portal_vein_thrombosis" in kinds,
        "main_branch": record.main_branch_thrombosis,
        "sealant": record.track_sealant,
    }


def _first_procedures_differ(scenario: Scenario, n: int) -> list[tuple[int, dict[str, Any]]]:
    """Each case whose first procedure differs between the paths, with what differs."""
    seed = scenario.seed_for(None)
    sections = Sections(scenario)
    index = np.arange(n, dtype=np.int64)
    got = run_procedures(sections, sections.plans(seed, index), seed, "")
    sampler = PlanSampler(scenario)
    differ = []
    for i in range(n):
        if got.fallback[i]:
            continue
        infused = got.infusion_started[i] >= 0
        mine = {
            "status": STATUSES[got.status[i]],
            "code": got.code[i],
            "end": int(got.end[i]),
            "isolation_started": int(got.isolation_started[i]),
            "released": int(got.released[i]),
            "infusion_started": int(got.infusion_started[i]),
            "fraction": float(got.fraction[i]) if infused else None,
            "dose": float(got.dose_ieq_per_kg[i]) if infused else None,
            "paused": bool(got.paused[i]),
            "bleeding": bool(got.bleeding[i]),
            "thrombosis": bool(got.thrombosis[i]),
            "main_branch": bool(got.main_branch[i]),
            "sealant": got.sealant[i],
        }
        want = _engine_procedure(scenario, seed, i, sampler)
        if mine != want:
            differ.append((i, {k: (want[k], mine[k]) for k in want if want[k] != mine[k]}))
    return differ


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_first_procedure_of_each_example_matches_the_engine(path: Path) -> None:
    """Every example's first procedures come out of the vector path as out of the engine."""
    n = 300 if path.stem == "population" else 30
    assert _first_procedures_differ(Scenario.load(path), n) == []


@given(scenarios())
def test_first_procedure_of_generated_scenarios_matches_the_engine(data: dict[str, Any]) -> None:
    """Scenarios over the whole valid range: the vector path's procedures are the engine's."""
    assert _first_procedures_differ(Scenario.model_validate(data), 12) == []
