"""Pictures of a case's timeline and of a cohort's summary, to PNG or SVG.

Needs the ``plots`` extra (matplotlib); ``check(path)`` says before any work whether a plot can
be drawn there. matplotlib is imported only inside these functions and drawn without pyplot
(a ``Figure`` on the Agg canvas), so nothing global changes and no window ever opens.

Drawn to be read in a paper: failures in warm colours (aborted red, discarded orange), every
colour in a legend, outcome bars with their share of the cases, the protocol's limits as dashed
lines (``deadlines.window``, never a number typed here), a case's infusion pauses shaded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .deadlines import window
from .errors import InvalidInput, MissingTool
from .protocol import Protocol

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
_STATUS_COLOURS = {"completed": "#31a354", "discarded": "#f16913", "aborted": "#b2182b"}
_LIMIT = "#b2182b"
# The key times a protocol window limits: the time's name, the deadline whose window it is.
_TIME_LIMITS = {"cold_ischemia": "cold_ischemia", "release_to_infusion": "release_window"}


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
    """Draw ``case``: each state as a bar against hours since cross-clamp, deadlines as lines,
    infusion pauses shaded."""
    path = Path(path)
    figure, form = _figure(path, 10, 4.5)
    draw_case(case, figure.add_subplot())
    figure.savefig(path, format=form)
    return path


def draw_case(case: Case, axes: Any) -> None:
    """``plot_case`` on matplotlib ``axes``."""
    from matplotlib.patches import Patch

    clamp = case.donor.cross_clamp_at
    spans = _spans(case)
    order = list(dict.fromkeys(state for state, _, _ in spans))
    for state, start, end in spans:
        row = order.index(state)
        colour = _PHASE_COLOURS.get(state.partition(".")[0], "grey")
        width = max((end - start) / _HOUR, 0.05)
        axes.barh(row, width, left=(start - clamp) / _HOUR, color=colour, height=0.6)
    # A pause lasts minutes, too short for a bar days wide: shaded, and marked where it began.
    paused = [
        ((s - clamp) / _HOUR, (e - clamp) / _HOUR) for st, s, e in spans if st == "infuse.paused"
    ]
    for left, right in paused:
        axes.axvspan(left, max(right, left + 0.05), color="#fdae6b", alpha=0.5)
    if paused:
        row = order.index("infuse.paused")
        starts = [left for left, _ in paused]
        marked = f"infusion paused ({len(paused)})"
        axes.plot(starts, [row] * len(starts), ">", color="#e6550d", markersize=9, label=marked)
    for n, (name, at) in enumerate(_deadlines(case).items()):
        x = (at - clamp) / _HOUR
        limit = "deadline (protocol limit)" if n == 0 else None
        axes.axvline(x, color=_LIMIT, linestyle="--", linewidth=1, label=limit)
        axes.annotate(
            name, (x, -0.45), rotation=90, fontsize=7, color="#b2182b", ha="right", va="top"
        )
    outcome = case.outcome
    title = "in progress" if outcome is None else f"{outcome.status} ({outcome.code or '-'})"
    if outcome is not None:
        colour = _STATUS_COLOURS.get(outcome.status, "black")
        x = (outcome.at - clamp) / _HOUR
        axes.axvline(x, color=colour, linewidth=1.5, label=f"end: {outcome.status}")
    axes.set_yticks(range(len(order)), order, fontsize=8)
    axes.invert_yaxis()
    axes.set_xscale("symlog", linthresh=24)  # the first day in hours, then weeks on one axis
    axes.set_xlabel("hours since cross-clamp (linear to 24 h, logarithmic after)")
    axes.set_title(f"{case.recipient.id}, {case.approach.value}: {title}", fontsize=10)
    phases = dict.fromkeys(state.partition(".")[0] for state in order)
    handles = [Patch(color=_PHASE_COLOURS[p], label=p) for p in phases if p in _PHASE_COLOURS]
    lines, _ = axes.get_legend_handles_labels()
    axes.legend(handles=[*handles, *lines], fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))


_DEADLINE_LABELS = {
    "cold_ischemia": "cold ischaemia limit",
    "culture_window": "culture window",
    "release_window": "release window",
}


def _deadlines(case: Case) -> dict[str, datetime]:
    """Where each viability window the case armed closed (or would have)."""
    return {_DEADLINE_LABELS.get(d.name, d.name): d.due for d in case.timeline.deadlines()}


def plot_cohort(summary: CohortSummary, path: str | Path, protocol: Protocol | None = None) -> Path:
    """Draw a cohort: outcomes by code, the spread (p5-p95, p25-p75, median) of key times with
    ``protocol``'s limits, and the recipients' five years: insulin independence and working
    grafts after the first infusion."""
    path = Path(path)
    figure, form = _figure(path, 16, 5)
    left, right, years = figure.subplots(1, 3, width_ratios=[1.2, 1, 0.8])
    draw_cohort(summary, (left, right, years), protocol)
    figure.savefig(path, format=form)
    return path


def draw_cohort(summary: CohortSummary, axes: Any, protocol: Protocol | None = None) -> None:
    """``plot_cohort`` on three matplotlib axes: outcomes, key times, five years."""
    left, right, years = axes
    _outcomes(summary, left)
    _times(summary, right, protocol)
    _five_years(summary, years)


def _outcomes(summary: CohortSummary, left: Any) -> None:
    """Cases by outcome code, coloured by status (failures warm), each with its share."""
    from matplotlib.patches import Patch

    labels, counts, colours = [], [], []
    for status, outcome in summary.outcomes.items():
        for code, count in outcome.codes.items():
            labels.append(f"{status}: {code}"[:48])
            counts.append(count.count)
            colours.append(_STATUS_COLOURS.get(status, "grey"))
    ranked = sorted(zip(counts, labels, colours, strict=True), reverse=True)[:15]
    bars = left.barh([r[1] for r in ranked], [r[0] for r in ranked], color=[r[2] for r in ranked])
    total = max(summary.cases, 1)
    left.bar_label(bars, [f"{c:,} ({100 * c / total:.1f} %)" for c, _, _ in ranked], fontsize=7)
    left.margins(x=0.25)
    left.invert_yaxis()
    left.tick_params(axis="y", labelsize=7)
    left.set_xlabel("cases")
    left.set_title(f"Outcomes of {summary.cases:,} cases", fontsize=10)
    shown = [s for s in _STATUS_COLOURS if s in summary.outcomes]
    left.legend(
        handles=[Patch(color=_STATUS_COLOURS[s], label=s) for s in shown],
        fontsize=7,
        loc="lower right",
    )


def _times(summary: CohortSummary, right: Any, protocol: Protocol | None) -> None:
    names = [name for name, stats in summary.times.items() if stats is not None]
    for row, name in enumerate(names):
        stats = summary.times[name]
        assert stats is not None
        p5, p25, p50, p75, p95 = (
            getattr(stats, p) / _HOUR for p in ("p5", "p25", "p50", "p75", "p95")
        )
        right.plot([p5, p95], [row, row], color="black", linewidth=1)
        right.barh(row, p75 - p25, left=p25, height=0.5, color="#9ecae1", edgecolor="black")
        right.plot([p50, p50], [row - 0.25, row + 0.25], color="#08306b", linewidth=2)
        if protocol is not None and name in _TIME_LIMITS:
            limit = window(_TIME_LIMITS[name], protocol) / _HOUR
            right.plot([limit, limit], [row - 0.4, row + 0.4], color=_LIMIT, linestyle="--")
            right.annotate(f"limit {limit:g} h", (limit, row - 0.4), fontsize=7, color=_LIMIT)
    right.set_yticks(range(len(names)), [n.replace("_", " ") for n in names], fontsize=8)
    right.invert_yaxis()
    right.set_xscale("log")
    right.set_xlabel("hours (p5-p95, p25-p75, median; dashed: the protocol's limit)")
    right.set_title("Key times", fontsize=10)


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
