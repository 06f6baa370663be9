"""isletflow: allogeneic islet transplantation as a procedure workflow.

The public API::

{names}

The public modules, imported by their names (``from isletflow.scenario import Scenario``)::

{modules}

{internal}.

``docs/api.md`` gives each public name with the summary line of its docstring.
"""

from __future__ import annotations

import importlib
import textwrap
from typing import TYPE_CHECKING, Any

# The public API in one table: ``__all__``, the docstring above, the lazy loading below and
# docs/api.md are all made from it, and tests check the rest of the package against it.
#
# What ``isletflow`` exports: (what the names are, "home.Name ..."), each name with the module
# it lives in. The rows are written out long, so that moving a name to another home, or adding
# one, stays an edit of one line.
_NAMES: tuple[tuple[str, str], ...] = (
    (
        "one case on a clock: new, act, check, allowed, advance, replay, restore",
        "case.Case",
    ),
    (
        "every threshold and window, with its clinical source",
        "protocol.Protocol",
    ),
    (
        "the case's data",
        "models.Donor models.Recipient models.Preparation models.Approach",
    ),
    (
        "where a case reads the time",
        "clock.SimulatedClock clock.AcceleratedClock clock.Clock",
    ),
    (
        "what the engine answers",
        "guards.GuardResult case.Check case.ActionResult timeline.Outcome deadlines.ArmedDeadline",
    ),
    (
        "the event-sourced record",
        "timeline.Timeline timeline.CaseSnapshot timeline.Event",
    ),
    (
        "the errors it raises",
        "errors.IsletflowError errors.InvalidInput errors.UnknownAction",
    ),
)

# The second tier: modules a user imports by name, with the names of each that are public.
_MODULES: tuple[tuple[str, str], ...] = (
    ("scenario", "Scenario"),
    ("simulation", "simulate"),
    ("cohort", "simulate_cohort CohortSummary"),
    ("course", "Course ReinfusionRule"),
    ("course_run", "simulate_course course_record CourseRecord"),
    ("psa", "psa PsaResult OutcomeRange Sensitivity PsaDraw prcc prcc_noise"),
    ("compare", "compare Comparison Difference paired_differences random_fields"),
    ("recipient", "RecipientProfile Eligibility Criterion CriterionResult"),
    ("targets", "calibrate Target TargetResult"),
    ("library", "names entries load resolve"),
    ("report", "timeline_table summary_table"),
    (
        "training",
        "Exercise standard_exercise TrainingSession View SessionSnapshot Lab LabRequest "
        "ScenarioLab lab_from_data Rubric Weights score Score deviations "
        "Deviation debrief Debrief xapi_statements Actor moves_of walk PlanStep CourseSession "
        "CourseSessionSnapshot CourseView CourseRubric DecisionWeights CourseScore Decision "
        "CourseDebrief",
    ),
    ("export.fhir", "case_bundle case_resources write_ndjson validate_bundle"),
    ("export.identity", "case_id named_case_id timeline_case_id IdentifiedCase"),
    ("export.diagram", "mermaid dot render case_path CasePath"),
    ("export.schemas", "schema schema_text write_schemas"),
)

# Internal: modules a user should not import; they may change without notice. ``pkg.*`` covers
# every module inside pkg. Each module of the package is a home above, public, or listed here
# (a test checks it), so a new module has to be placed.
_INTERNAL = (
    "actions record workflow definition engine eventlog rules schema_rules release guards.* "
    "duration sampling distributions patient files plots model model.* scenario_sections export "
    "export._fhir_base export._fhir_resources export._fhir_text training.* cli cli.* service "
    "service.* _api_doc "
    "assessment cohort_summary course_events course_scenario course_summary draws elementwise "
    "vector vector.* "
    "__main__ uncertainty outcomes wording"
)

_HOME = {
    name: home
    for _, names in _NAMES
    for home, _, name in (dotted.rpartition(".") for dotted in names.split())
}

__all__ = sorted(_HOME)

# For type checkers only, which cannot follow the lazy loading; a test holds these to the table.
# ``X as X`` marks each one as exported (mypy --strict reads no computed ``__all__``).
if TYPE_CHECKING:
    from .case import ActionResult as ActionResult
    from .case import Case as Case
    from .case import Check as Check
    from .clock import AcceleratedClock as AcceleratedClock
    from .clock import Clock as Clock
    from .clock import SimulatedClock as SimulatedClock
    from .deadlines import ArmedDeadline as ArmedDeadline
    from .errors import InvalidInput as InvalidInput
    from .errors import IsletflowError as IsletflowError
    from .errors import UnknownAction as UnknownAction
    from .guards import GuardResult as GuardResult
    from .models import Approach as Approach
    from .models import Donor as Donor
    from .models import Preparation as Preparation
    from .models import Recipient as Recipient
    from .protocol import Protocol as Protocol
    from .timeline import CaseSnapshot as CaseSnapshot
    from .timeline import Event as Event
    from .timeline import Outcome as Outcome
    from .timeline import Timeline as Timeline


def _columns(rows: list[tuple[str, str]]) -> str:
    """Two columns, the second wrapped under itself: the docstring's listings."""
    width = max(len(left) for left, _ in rows) + 2
    indent = " " * (4 + width)
    return "\n".join(
        textwrap.fill(right, 96, initial_indent=f"    {left:<{width}}", subsequent_indent=indent)
        for left, right in rows
    )


def _listing() -> dict[str, str]:
    """The docstring's listings, from the table."""
    names = [(", ".join(d.rpartition(".")[2] for d in row.split()), what) for what, row in _NAMES]
    modules = [(module, ", ".join(row.split())) for module, row in _MODULES]
    internal = "Everything else is internal and may change: " + ", ".join(_INTERNAL.split())
    internal = textwrap.fill(internal, 96)
    return {"names": _columns(names), "modules": _columns(modules), "internal": internal}


if __doc__:  # python -OO strips docstrings
    __doc__ = __doc__.format(**_listing())


# The public names load on first use (PEP 562): building the pydantic models costs a few hundred
# milliseconds, which `isletflow --help` (it needs only the errors) and tools that import the
# package without using the engine should not pay.
def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'isletflow' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})


__version__ = "0.1.0"
