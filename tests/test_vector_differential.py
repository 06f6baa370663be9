"""The vectorised cohort path against the per-case engine, recipient by recipient."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isletflow.cohort import cohort_engine, run_chunk, simulate_cohort
from isletflow.errors import InvalidInput
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
    n = 100 if path.stem == "population" else 20
    assert _first_procedures_differ(Scenario.load(path), n) == []


@settings(max_examples=max(10, settings().max_examples * 2 // 5))  # 24 of dev's 60
@given(scenarios())
def test_first_procedure_of_generated_scenarios_matches_the_engine(data: dict[str, Any]) -> None:
    """Scenarios over the whole valid range: the vector path's procedures are the engine's."""
    assert _first_procedures_differ(Scenario.model_validate(data), 10) == []


def _both_engines(scenario: Scenario, begin: int, end: int) -> tuple[Any, Any]:
    text, seed = scenario.model_dump_json(), scenario.seed_for(None)
    return (
        run_chunk(text, seed, begin, end, True, "case", outcomes=True),
        run_chunk(text, seed, begin, end, True, "vector", outcomes=True),
    )


def _assert_same_chunk(scenario: Scenario, begin: int, end: int) -> None:
    want, got = _both_engines(scenario, begin, end)
    assert got.lines is not None
    assert want.lines is not None
    for index, (mine, theirs) in enumerate(zip(got.lines, want.lines, strict=True), begin):
        assert mine == theirs, f"recipient {index}"
    assert got.tally == want.tally  # every count per case and per course
    # the outcomes made from the vector path's arrays are those read from the records
    assert got.outcomes is not None
    assert want.outcomes is not None
    assert np.array_equal(got.outcomes, want.outcomes)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_course_records_of_each_example_match_the_engine(path: Path) -> None:
    """Every example's course records (JSON for JSON) and tallies are the per-case engine's."""
    scenario = Scenario.load(path)
    assert cohort_engine(scenario) == ("vector", "the vector path covers the scenario")
    _assert_same_chunk(scenario, 0, 200 if path.stem == "population" else 15)


@st.composite
def _courses(draw: st.DrawFn) -> dict[str, Any]:
    """Generated scenarios with varied courses: decisions, donors, waits, candidates."""
    data = draw(scenarios())
    data["protocol"] = {
        "reinfusion_decision_after": f"{draw(st.integers(0, 500))}d",
        "max_infusions": draw(st.integers(1, 3)),
        "require_track_sealing": draw(st.booleans()),
        "portal_pressure_stop_rise_mmhg": draw(st.sampled_from([None, 2.0, 5.0])),
    }
    data["treatment"] = {"track_sealant": draw(st.sampled_from(["gelfoam", "coils", "none"]))}
    data["course"] = {
        "max_donors": draw(st.integers(1, 6)),
        "donor_wait": draw(st.sampled_from(["0d", "30d", {"lognormal": ["60d", "400d"]}])),
        "profile": {"age_years": draw(st.sampled_from([40, {"uniform": [10, 70]}]))},
    }
    data["complications"] = draw(st.sampled_from([{}, data["complications"]]))
    return data


@settings(max_examples=max(10, settings().max_examples // 2))  # each runs 8 courses twice
@given(_courses(), st.integers(0, 10**6))
def test_course_records_of_generated_scenarios_match_the_engine(
    data: dict[str, Any], begin: int
) -> None:
    """Generated scenarios and courses, anywhere in the index range: same records, same tally."""
    _assert_same_chunk(Scenario.model_validate(data), begin, begin + 8)


def test_cohort_summary_and_records_are_the_same_on_both_engines(tmp_path: Path) -> None:
    """``simulate_cohort`` gives the same summary and record file on either engine, chunked."""
    scenario = Scenario.load(EXAMPLES[[p.stem for p in EXAMPLES].index("population")])
    summaries = {}
    for engine, size in (("case", 7), ("vector", 11)):
        out = tmp_path / f"{engine}.jsonl"
        summaries[engine] = simulate_cohort(
            scenario, 60, workers=1, chunk_size=size, records=out, engine=engine
        )
    assert summaries["case"] == summaries["vector"]
    assert (tmp_path / "case.jsonl").read_bytes() == (tmp_path / "vector.jsonl").read_bytes()


def test_an_uncovered_scenario_runs_per_case_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scenario with a field the vector path does not know runs on the per-case engine, with
    the reason; forcing the vector path on it is refused, naming the field."""
    from isletflow.vector import path as vector_path

    known = dict(vector_path._KNOWN)
    known["timings"] = known["timings"].replace(" culture ", " ")
    monkeypatch.setattr(vector_path, "_KNOWN", known)
    scenario = Scenario.load(EXAMPLES[[p.stem for p in EXAMPLES].index("population")])
    engine, why = cohort_engine(scenario)
    assert engine == "case"
    assert "timings.culture" in why
    with pytest.raises(InvalidInput, match=r"timings\.culture"):
        cohort_engine(scenario, "vector")
    assert cohort_engine(scenario, "case")[0] == "case"
    # a field it does not read, left at its default, changes nothing it would have to know
    default = scenario.model_copy(
        update={
            "timings": scenario.timings.model_copy(
                update={"culture": type(scenario.timings).model_fields["culture"].default}
            )
        }
    )
    assert cohort_engine(default)[0] == "vector"


def test_cli_cohort_says_which_engine_ran_and_its_lines_are_simulate_index(tmp_path: Path) -> None:
    """``cohort`` says on stderr which engine ran; its line I is ``simulate --index I``'s
    course record, and ``--engine case`` writes the same file."""
    import json

    from click.testing import CliRunner

    from isletflow.cli import main

    population = str(EXAMPLES[[p.stem for p in EXAMPLES].index("population")])
    out = {}
    for engine in ("auto", "case"):
        out[engine] = tmp_path / f"{engine}.jsonl"
        args = ["cohort", population, "--n", "12", "--workers", "1", "--engine", engine]
        result = CliRunner().invoke(main, [*args, "--out", str(out[engine])])
        assert result.exit_code == 0, result.output
        said = "engine: vector (" if engine == "auto" else "engine: case ("
        assert said in result.stderr
    lines = out["auto"].read_text().splitlines()
    assert out["case"].read_text().splitlines() == lines
    for index in (0, 7, 11):
        shown = CliRunner().invoke(
            main, ["simulate", population, "--index", str(index), "--format", "json"]
        )
        assert json.loads(shown.stdout)["course"] == json.loads(lines[index])


def test_cli_refuses_the_vector_engine_for_an_uncovered_scenario(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``cohort --engine vector`` on a scenario the vector path does not cover exits 1 with
    the reason and no traceback; ``auto`` runs it per case and says so."""
    from click.testing import CliRunner

    from isletflow.cli import main
    from isletflow.vector import path as vector_path

    known = dict(vector_path._KNOWN)
    known["recipient"] = known["recipient"].replace(" weight_kg", "")
    monkeypatch.setattr(vector_path, "_KNOWN", known)
    standard = str(EXAMPLES[[p.stem for p in EXAMPLES].index("standard")])
    refused = CliRunner().invoke(main, ["cohort", standard, "--n", "2", "--engine", "vector"])
    assert refused.exit_code == 1  # an IsletflowError: the CLI says what is wrong, exit 1
    assert "recipient.weight_kg" in refused.output
    assert "Traceback" not in refused.output
    ran = CliRunner().invoke(main, ["cohort", standard, "--n", "2", "--workers", "1"])
    assert ran.exit_code == 0
    assert "engine: case (the vector path does not cover the scenario" in ran.stderr


def test_a_bleed_managed_before_the_access_is_sealed_matches_the_engine() -> None:
    """A bleed whose second management step falls due before sealing delays the sealing, on
    both engines alike (every case here bleeds; most are transfused or embolised)."""
    import yaml

    data = yaml.safe_load(EXAMPLES[[p.stem for p in EXAMPLES].index("standard")].read_text())
    data["timings"]["hemostasis"] = "5h"
    data["complications"] = {"bleeding": 1.0}
    _assert_same_chunk(Scenario.model_validate(data), 0, 30)


_VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    # many pauses: cases read past their first block of readings at different steps
    "pauses": ("protocol", {"portal_pressure_stop_rise_mmhg": 3.0}),
    "late_decision": ("protocol", {"reinfusion_decision_after": "3000d"}),
    "unsealed_refused": ("protocol", {"require_track_sealing": True}),
    "no_noise": ("portal_pressure", {"noise_sd_mmhg": 0}),
    "one_donor": ("course", {"max_donors": 1}),
    # the scenario's own coefficients (a PSA draw's): read from the same table on both engines
    "model": (
        "model",
        {
            "graft": {"attrition_per_year": 0.5, "median_need_ieq_per_kg": 9000},
            "bleeding": {"aspirin_or": 5.2},
            "isolation": {"digest_scale": 0.5},
        },
    ),
}


@pytest.mark.parametrize("variant", sorted(_VARIANTS))
def test_population_variants_match_the_engine(variant: str) -> None:
    """population.yaml with one setting changed toward a rare branch: same records, tallies."""
    import yaml

    data = yaml.safe_load(EXAMPLES[[p.stem for p in EXAMPLES].index("population")].read_text())
    section, change = _VARIANTS[variant]
    data.setdefault(section, {}).update(change)
    _assert_same_chunk(Scenario.model_validate(data), 0, 60 if variant == "pauses" else 20)
