"""Probabilistic sensitivity analysis: the uncertain section, PRCC, the outer draws, the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from isletflow.cli import main
from isletflow.cli.casefile import load_scenario
from isletflow.errors import InvalidInput
from isletflow.psa import prcc, prcc_noise, psa
from isletflow.scenario import Scenario

POPULATION = load_scenario("population")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "psa"


def _uncertain(section: dict[str, Any], base: Scenario = POPULATION) -> Scenario:
    data = base.model_dump(mode="json", exclude_unset=True)
    return Scenario.from_mapping({**data, "uncertain": section})


def test_prcc_recovers_a_known_monotone_relation():
    """On synthetic draws, PRCC finds the strong, the negative and the null parameter."""
    rng = np.random.default_rng(5)
    x = rng.random((300, 3))
    y = np.exp(4 * x[:, 0]) - 2 * x[:, 1] + 0.05 * rng.standard_normal(300)
    found = prcc(x, y)
    assert found[0] > 0.95
    assert found[1] < -0.5
    assert abs(found[2]) < 0.15
    # A parameter without effect stays under the noise level.
    noise = prcc_noise(300, 3)
    assert noise is not None
    assert abs(found[2]) < noise < 0.15
    assert prcc_noise(5, 3) is None
    # Ranks only: a monotone transform of the outcome changes nothing.
    assert np.allclose(prcc(x, np.exp(y)), found)


def test_prcc_is_undefined_with_too_few_draws_or_a_constant_outcome():
    """Fewer draws than parameters + 2, or an outcome that never varies, give NaN."""
    x = np.random.default_rng(1).random((4, 3))
    assert np.isnan(prcc(x, x[:, 0])).all()
    assert np.isnan(prcc(np.random.default_rng(2).random((20, 2)), np.ones(20))).all()


def test_the_uncertain_section_is_kept_as_the_file_writes_it():
    """Short forms become long ones, durations stay '10h', and the scenario round-trips."""
    scenario = _uncertain(
        {
            "model.bleeding.aspirin_or": {"uniform": [1.5, 4.5]},
            "protocol.max_cold_ischemia": {"triangular": ["10h", "12h", "14h"]},
        }
    )
    assert scenario.uncertain["protocol.max_cold_ischemia"] == {
        "dist": "triangular", "low": "10h", "mode": "12h", "high": "14h",
    }  # fmt: skip
    assert Scenario.model_validate_json(scenario.model_dump_json()) == scenario


def test_bad_uncertain_entries_are_each_named_with_their_rule():
    """An unknown path, a guarded coefficient, a fixed value and an out-of-range bound."""
    with pytest.raises(InvalidInput) as raised:
        _uncertain(
            {
                "model.bleeding.aspirin": {"uniform": [1.5, 4.5]},
                "model.regimen.tacrolimus_low": {"uniform": [1, 2]},
                "protocol.max_cold_ischemia": "12h",
                "model.bleeding.base_risk": {"uniform": [0, 2]},
            }
        )
    text = str(raised.value)
    assert "model.bleeding.aspirin is not a parameter that can vary" in text
    assert "did you mean 'model.bleeding.aspirin_or'?" in text
    assert "model.regimen.tacrolimus_low cannot vary: a case's guards read it" in text
    assert "protocol.max_cold_ischemia is one value" in text
    assert "model.bleeding.base_risk high 2 is above the largest allowed value, 1" in text


def test_psa_without_uncertain_parameters_or_with_one_draw_is_refused():
    """Nothing to draw, or a single draw, is an InvalidInput naming the field."""
    with pytest.raises(InvalidInput, match="uncertain"):
        psa(POPULATION, draws=3, n=2, workers=1)
    scenario = _uncertain({"model.bleeding.aspirin_or": {"uniform": [1.5, 4.5]}})
    with pytest.raises(InvalidInput, match="draws: 1 must be 2 or more"):
        psa(scenario, draws=1, n=2, workers=1)


def test_a_draw_the_protocol_refuses_is_named_before_any_recipient_runs():
    """An induction window drawn upside down is an error naming the outer draw."""
    scenario = _uncertain({"protocol.induction_min_before_infusion": {"uniform": ["5h", "8h"]}})
    with pytest.raises(InvalidInput, match=r"outer draw \d+ of population") as raised:
        psa(scenario, draws=3, n=10**6, workers=1)  # refused before a million recipients run
    assert "must not exceed induction_max_before_infusion" in str(raised.value)


def test_the_drawn_parameters_reach_the_recipients_and_reproduce():
    """An impossible graft need leaves nobody insulin-independent; a run repeats exactly."""
    scenario = _uncertain(
        {
            "model.graft.median_need_ieq_per_kg": {"uniform": [1_000_000, 2_000_000]},
            "model.bleeding.aspirin_or": {"uniform": [1.5, 4.5]},
        }
    )
    result = psa(scenario, draws=4, n=3, workers=1)
    assert result == psa(scenario, draws=4, n=3, workers=1)
    needs = [s.parameters["model.graft.median_need_ieq_per_kg"] for s in result.samples]
    assert len(set(needs)) == 4
    assert all(1_000_000 <= float(v) <= 2_000_000 for v in needs)
    independent = result.outcomes["insulin_independent_one_year_after_last"]
    assert independent is not None
    assert independent.mean == independent.high == 0.0
    infusions = result.outcomes["infusions_per_recipient"]
    assert infusions is not None
    assert infusions.low <= infusions.mean <= infusions.high
    assert set(result.sensitivity) == set(result.outcomes)


def _write(tmp_path: Path, scenario: Scenario) -> Path:
    path = tmp_path / "scenario.yaml"
    data = scenario.model_dump(mode="json", exclude_unset=True)
    path.write_text(yaml.safe_dump({"schema_version": 1, **data}), encoding="utf-8")
    return path


def test_psa_command_prints_json_and_refuses_a_bad_file(tmp_path: Path):
    """psa --json exits 0 with every draw; a file with a bad path exits 1 with the rule."""
    scenario = _uncertain({"protocol.reinfusion_decision_after": {"uniform": ["90d", "365d"]}})
    path = _write(tmp_path, scenario)
    done = CliRunner().invoke(
        main, ["psa", str(path), "--draws", "2", "--n", "2", "--workers", "1", "--json"]
    )
    assert done.exit_code == 0, done.output
    found = json.loads(done.stdout)
    assert [s["draw"] for s in found["samples"]] == [0, 1]
    assert isinstance(found["samples"][0]["parameters"]["protocol.reinfusion_decision_after"], str)
    bad = tmp_path / "bad.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["uncertain"] = {"protocol.nope": {"uniform": [1, 2]}}
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    refused = CliRunner().invoke(main, ["psa", str(bad), "--draws", "2", "--n", "2"])
    assert refused.exit_code == 1
    assert "protocol.nope is not a parameter that can vary" in refused.output
    assert "Traceback" not in refused.output
    usage = CliRunner().invoke(main, ["psa", str(path), "--draws", "1", "--n", "2"])
    assert usage.exit_code == 2


def test_psa_plot_writes_a_tornado_chart(tmp_path: Path):
    """--plot draws the PRCC bars of the key outcomes to a PNG."""
    pytest.importorskip("matplotlib")
    scenario = _uncertain({"model.bleeding.aspirin_or": {"uniform": [1.5, 4.5]}})
    path, target = _write(tmp_path, scenario), tmp_path / "psa.png"
    args = ["psa", str(path), "--draws", "3", "--n", "2", "--workers", "1", "--plot", str(target)]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    assert target.read_bytes().startswith(b"\x89PNG")


def test_the_example_psa_scenario_loads_with_its_six_parameters():
    """examples/psa/psa_population.yaml is valid and marks six parameters uncertain."""
    scenario = Scenario.load(EXAMPLES / "psa_population.yaml")
    assert len(scenario.uncertain) == 6
