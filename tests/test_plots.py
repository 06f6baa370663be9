"""Plots of a case and of a cohort are real PNG and SVG files."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from isletflow.cli import main
from isletflow.errors import InvalidInput
from strategies_sim import EXAMPLES

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_simulate_plot_writes_a_png(tmp_path: Path):
    """simulate --plot case.png writes a PNG of the case's timeline."""
    pytest.importorskip("matplotlib")
    target = tmp_path / "case.png"
    result = CliRunner().invoke(main, ["simulate", str(EXAMPLES / "portal_pressure_pause.yaml"),
                                       "--plot", str(target)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == PNG_MAGIC


def test_cohort_plot_writes_an_svg(tmp_path: Path):
    """cohort --plot summary.svg writes an SVG document."""
    pytest.importorskip("matplotlib")
    target = tmp_path / "summary.svg"
    result = CliRunner().invoke(main, ["cohort", str(EXAMPLES / "population.yaml"), "--n", "30",
                                       "--workers", "1", "--plot", str(target)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert ET.parse(target).getroot().tag == "{http://www.w3.org/2000/svg}svg"


def test_case_plot_draws_an_aborted_case(tmp_path: Path):
    """A case that ended early on a deadline plots too, as SVG."""
    pytest.importorskip("matplotlib")
    from isletflow.plots import plot_case
    from isletflow.scenario import Scenario
    from isletflow.simulation import simulate

    case = simulate(Scenario.load(EXAMPLES / "cold_ischemia_exceeded.yaml"))
    path = plot_case(case, tmp_path / "aborted.svg")
    assert ET.parse(path).getroot().tag.endswith("svg")


def test_unknown_plot_format_is_invalid_input(tmp_path: Path):
    """A plot path that is neither .png nor .svg is refused with a clear message."""
    from isletflow.plots import plot_case
    from isletflow.scenario import Scenario
    from isletflow.simulation import simulate

    case = simulate(Scenario.load(EXAMPLES / "standard.yaml"))
    with pytest.raises(InvalidInput, match=r"must end in \.png or \.svg"):
        plot_case(case, tmp_path / "case.gif")


def test_the_cohort_plot_shows_five_years_of_the_recipients(tmp_path: Path):
    """The cohort plot's third panel steps through insulin independence and working grafts at
    years 0-5 after the first infusion, as the summary gives them."""
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from isletflow.cohort import simulate_cohort
    from isletflow.plots import _five_years
    from isletflow.scenario import Scenario

    summary = simulate_cohort(Scenario.load(EXAMPLES / "population.yaml"), 12, workers=1)
    axes = Figure().subplots()
    _five_years(summary, axes)
    works, free = (line.get_ydata() for line in axes.get_lines())
    follow = summary.course.follow_up
    assert list(free) == [0.0, *(100 * y.insulin_independent.rate for y in follow)]
    assert list(works) == [100.0, *(100 * y.graft_function.rate for y in follow)]
    assert list(axes.get_lines()[0].get_xdata()) == [0, 1, 2, 3, 4, 5]


def test_the_cohort_outcomes_colour_failure_as_failure_with_shares_and_a_legend():
    """Aborted bars are red and discarded orange, completed green; each bar is labelled with its
    count and share of the cases; a legend names each status; the key times carry the
    protocol's limits (cold ischaemia, release to infusion) as dashed lines."""
    pytest.importorskip("matplotlib")
    from matplotlib.colors import to_hex
    from matplotlib.figure import Figure

    from isletflow.cohort import simulate_cohort
    from isletflow.deadlines import window
    from isletflow.plots import draw_cohort
    from isletflow.scenario import Scenario

    scenario = Scenario.load(EXAMPLES / "population.yaml")
    summary = simulate_cohort(scenario, 40, workers=1)
    axes = Figure().subplots(1, 3)
    draw_cohort(summary, axes, scenario.protocol)
    outcomes, times, _ = axes
    colours = {"completed": "#31a354", "discarded": "#f16913", "aborted": "#b2182b"}
    labels = [t.get_text() for t in outcomes.get_yticklabels()]
    assert labels
    for label, bar in zip(labels, outcomes.patches, strict=True):
        assert to_hex(bar.get_facecolor()) == colours[label.split(":")[0]]
    shares = [t.get_text() for t in outcomes.texts]
    assert len(shares) == len(labels)
    assert all(s.endswith("%)") for s in shares)
    legend = outcomes.get_legend()
    assert legend is not None
    assert {t.get_text() for t in legend.get_texts()} <= set(colours)
    limits = {line.get_xdata()[0] for line in times.get_lines() if line.get_linestyle() == "--"}
    hours = {
        window(n, scenario.protocol).total_seconds() / 3600
        for n in ("cold_ischemia", "release_window")
    }
    assert limits == hours


def test_the_case_plot_shades_its_pauses_and_has_a_legend():
    """A case whose infusion paused shades each pause, and the legend names the phases, the
    pauses, the deadlines and how the case ended."""
    pytest.importorskip("matplotlib")
    from matplotlib.colors import to_hex
    from matplotlib.figure import Figure

    from isletflow.plots import _spans, draw_case
    from isletflow.scenario import Scenario
    from isletflow.simulation import simulate

    case = simulate(Scenario.load(EXAMPLES / "portal_pressure_pause.yaml"))
    pauses = [span for span in _spans(case) if span[0] == "infuse.paused"]
    assert pauses
    axes = Figure().subplots()
    draw_case(case, axes)
    legend = axes.get_legend()
    assert legend is not None
    texts = {t.get_text() for t in legend.get_texts()}
    assert {"harvest", "purify", "infuse", "end: completed"} <= texts
    assert f"infusion paused ({len(pauses)})" in texts
    assert "deadline (protocol limit)" in texts
    shaded = [p for p in axes.patches if to_hex(p.get_facecolor()) == "#fdae6b"]
    assert len(shaded) == len(pauses)
    [marks] = [line for line in axes.get_lines() if line.get_label().startswith("infusion paused")]
    assert len(marks.get_xdata()) == len(pauses)
