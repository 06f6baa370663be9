"""Pictures of a case's timeline and of a cohort's summary, to PNG or SVG.

Needs the ``plots`` extra (matplotlib); ``check(path)`` says before any work whether a plot can
be drawn there. matplotlib is imported only inside these functions and drawn without pyplot
(a ``Figure`` on the Agg canvas), so nothing global changes and no window ever opens.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InvalidInput, MissingTool

if TYPE_CHECKING:
    from .case import Case
    from .cohort_summary import CohortSummary
    from .psa import PsaResult

__all__ = ["check", "plot_case", "plot_cohort", "plot_psa"]

_FORMATS = {".png": "png", ".svg": "svg"}
_PHASE_COLOURS = {
    "harvest": "#8c6d31",
    "purify": "#3182bd",
    "infuse": "#e6550d",
    "immunosuppress": "#31a354",
}
_HOUR = timedelta(hours=1)


def check(path: str | Path, name: str = "path") -> str:
    """Check, before any work, that ``path`` can take a plot; return its format.

    ``path`` (called ``name`` in a message) must end in .png or .svg and sit in a folder that
    exists, and matplotlib (the ``plots`` extra) must be installed: InvalidInput or MissingTool.
    """
    path = Path(path)
    form = _FORMATS.get(path.suffix.lower())
    if form is None:
        raise InvalidInput.single("plot", name, str(path), "must end in .png or .svg")
    if not path.parent.is_dir():
        rule = f"is in a folder that does not exist ({path.parent})"
        raise InvalidInput.single("plot", name, str(path), rule)
    _canvas()
    return form


def _canvas() -> tuple[Any, Any]:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingTool(
            "a plot", "matplotlib", "install it with: pip install 'isletflow[plots]'"
        ) from None
    return FigureCanvasAgg, Figure


def _figure(path: Path, width: float, height: float) -> tuple[Any, str]:
    form = check(path)
    canvas, figure_class = _canvas()
    figure = figure_class(figsize=(width, height), layout="constrained")
    canvas(figure)
    return figure, form


def _spans(case: Case) -> list[tuple[str, datetime, datetime]]:
    """(state, entered, left) for every active state the case passed through."""
    spans: list[tuple[str, datetime, datetime]] = []
    states = case.timeline.states()
    created, state = next(states)  # the state a case is made in
    since = created.at
    for event, after in states:
        if after != state:
            spans.append((state, since, event.at))
            state, since = after, event.at
    return spans


def plot_case(case: Case, path: str | Path) -> Path:
    """Draw ``case``: each state as a bar against hours since cross-clamp, deadlines as lines."""
    path = Path(path)
    figure, form = _figure(path, 10, 4.5)
    axes = figure.add_subplot()
    clamp = case.donor.cross_clamp_at
    spans = _spans(case)
    order = list(dict.fromkeys(state for state, _, _ in spans))
    for state, start, end in spans:
        row = order.index(state)
        colour = _PHASE_COLOURS.get(state.partition(".")[0], "grey")
        width = max((end - start) / _HOUR, 0.05)
        axes.barh(row, width, left=(start - clamp) / _HOUR, color=colour, height=0.6)
    for name, at in _deadlines(case).items():
        x = (at - clamp) / _HOUR
        axes.axvline(x, color="#b2182b", linestyle="--", linewidth=1)
        axes.annotate(
            name, (x, -0.45), rotation=90, fontsize=7, color="#b2182b", ha="right", va="top"
        )
    outcome = case.outcome
    title = "in progress" if outcome is None else f"{outcome.status} ({outcome.code or '-'})"
    if outcome is not None:
        axes.axvline((outcome.at - clamp) / _HOUR, color="black", linewidth=1.5)
    axes.set_yticks(range(len(order)), order, fontsize=8)
    axes.invert_yaxis()
    axes.set_xscale("symlog", linthresh=24)  # the first day in hours, then weeks on one axis
    axes.set_xlabel("hours since cross-clamp (linear to 24 h, logarithmic after)")
    axes.set_title(f"{case.recipient.id}, {case.approach.value}: {title}", fontsize=10)
    figure.savefig(path, format=form)
    return path


_DEADLINE_LABELS = {
    "cold_ischemia": "cold ischaemia limit",
    "culture_window": "culture window",
    "release_window": "release window",
}


def _deadlines(case: Case) -> dict[str, datetime]:
    """Where each viability window the case armed closed (or would have)."""
    return {_DEADLINE_LABELS.get(d.name, d.name): d.due for d in case.timeline.deadlines()}


def plot_cohort(summary: CohortSummary, path: str | Path) -> Path:
    """Draw a cohort: outcomes by code, the spread (p5-p95, p25-p75, median) of key times, and
    the recipients' five years: insulin independence and working grafts after the first
    infusion."""
    path = Path(path)
    figure, form = _figure(path, 16, 5)
    left, right, years = figure.subplots(1, 3, width_ratios=[1.2, 1, 0.8])
    _five_years(summary, years)
    labels, counts, colours = [], [], []
    palette = {"completed": "#31a354", "discarded": "#3182bd", "aborted": "#b2182b"}
    for status, outcome in summary.outcomes.items():
        for code, count in outcome.codes.items():
            labels.append(f"{status}: {code}"[:48])
            counts.append(count.count)
            colours.append(palette.get(status, "grey"))
    ranked = sorted(zip(counts, labels, colours, strict=True), reverse=True)[:15]
    left.barh([r[1] for r in ranked], [r[0] for r in ranked], color=[r[2] for r in ranked])
    left.invert_yaxis()
    left.tick_params(axis="y", labelsize=7)
    left.set_xlabel("cases")
    left.set_title(f"Outcomes of {summary.cases:,} cases", fontsize=10)
    names = [name for name, stats in summary.times.items() if stats is not None]
    for row, name in enumerate(names):
        stats = summary.times[name]
        assert stats is not None
        p5, p25, p50, p75, p95 = (
            getattr(stats, p) / _HOUR for p in ("p5", "p25", "p50", "p75", "p95")
        )
        right.plot([p5, p95], [row, row], color="black", linewidth=1)
        right.barh(row, p75 - p25, left=p25, height=0.5, color="#9ecae1", edgecolor="black")
        right.plot([p50, p50], [row - 0.25, row + 0.25], color="#b2182b", linewidth=2)
    right.set_yticks(range(len(names)), [n.replace("_", " ") for n in names], fontsize=8)
    right.invert_yaxis()
    right.set_xscale("log")
    right.set_xlabel("hours (p5-p95, p25-p75, median)")
    right.set_title("Key times", fontsize=10)
    figure.savefig(path, format=form)
    return path


def _five_years(summary: CohortSummary, axes: Any) -> None:
    """A survival-style curve: the share insulin-free and the share with a working graft
    (C-peptide at least the failure limit), at years 0-5 after the first infusion."""
    follow = summary.course.follow_up
    steps = [0, *(y.year for y in follow)]
    free = [0.0, *(100 * y.insulin_independent.rate for y in follow)]
    works = [100.0, *(100 * y.graft_function.rate for y in follow)]
    axes.step(steps, works, where="post", color="#31a354", label="graft works")
    axes.step(steps, free, where="post", color="#3182bd", label="insulin-free")
    axes.set_ylim(0, 100)
    axes.set_xlabel("years after the first infusion")
    axes.set_ylabel("% of recipients")
    axes.legend(fontsize=8)
    axes.set_title(f"{summary.course.recipients:,} recipients over five years", fontsize=10)


_PSA_OUTCOMES = (
    "insulin_independent_one_year_after_last",
    "infusions_per_recipient",
    "bleeding_per_procedure",
    "thrombosis_per_procedure",
)


def plot_psa(result: PsaResult, path: str | Path) -> Path:
    """Draw a sensitivity analysis as tornado charts: for four key outcomes, each parameter's
    PRCC (largest in magnitude at the top; dashed: the noise level), with the outcome's 95 %
    range across the draws."""
    path = Path(path)
    figure, form = _figure(path, 16, 1.2 + 0.45 * len(result.parameters))
    for axes, name in zip(figure.subplots(1, len(_PSA_OUTCOMES)), _PSA_OUTCOMES, strict=True):
        ranked = [s for s in result.sensitivity[name] if s.prcc is not None]
        values = [s.prcc for s in ranked if s.prcc is not None]
        colours = ["#b2182b" if v < 0 else "#2166ac" for v in values]
        axes.barh([s.parameter for s in ranked], values, color=colours)
        axes.axvline(0, color="black", linewidth=0.8)
        if result.prcc_noise is not None:  # within these lines, a PRCC is noise
            for edge in (-result.prcc_noise, result.prcc_noise):
                axes.axvline(edge, color="grey", linestyle="--", linewidth=0.8)
        axes.set_xlim(-1, 1)
        axes.invert_yaxis()
        axes.tick_params(axis="y", labelsize=7)
        axes.set_xlabel("PRCC")
        spread = result.outcomes[name]
        shown = (
            "" if spread is None else f"\n{spread.mean:.3g} [{spread.low:.3g}, {spread.high:.3g}]"
        )
        axes.set_title(f"{name.replace('_', ' ')}{shown}", fontsize=9)
    figure.suptitle(
        f"{result.scenario or 'scenario'}: {result.draws} draws x {result.n} recipients",
        fontsize=10,
    )
    figure.savefig(path, format=form)
    return path
