"""isletflow: allogeneic islet transplantation as a procedure workflow.

The public API::

    Case            one case on a clock: new, act, check, allowed, advance, replay, restore
    Protocol        every threshold and window, with its clinical source
    Donor, Recipient, Preparation, Approach       the case's data
    SimulatedClock, AcceleratedClock, Clock       where a case reads the time
    GuardResult, Check, ActionResult, Outcome     what the engine answers
    Timeline, CaseSnapshot, Event                 the event-sourced record
    IsletflowError, InvalidInput, UnknownAction   the errors it raises

Everything else is internal and may change.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The public names load on first use (PEP 562): building the pydantic models costs a few hundred
# milliseconds, which `isletflow --help` (it needs only the errors) and tools that import the
# package without using the engine should not pay.
_HOME = {
    "ActionResult": "case",
    "Case": "case",
    "Check": "case",
    "Outcome": "timeline",
    "AcceleratedClock": "clock",
    "Clock": "clock",
    "SimulatedClock": "clock",
    "InvalidInput": "errors",
    "IsletflowError": "errors",
    "UnknownAction": "errors",
    "GuardResult": "guards",
    "Approach": "models",
    "Donor": "models",
    "Preparation": "models",
    "Recipient": "models",
    "Protocol": "protocol",
    "CaseSnapshot": "timeline",
    "Event": "timeline",
    "Timeline": "timeline",
}

if TYPE_CHECKING:
    from .case import ActionResult, Case, Check
    from .clock import AcceleratedClock, Clock, SimulatedClock
    from .errors import InvalidInput, IsletflowError, UnknownAction
    from .guards import GuardResult
    from .models import Approach, Donor, Preparation, Recipient
    from .protocol import Protocol
    from .timeline import CaseSnapshot, Event, Outcome, Timeline


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'isletflow' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})


__all__ = [
    "AcceleratedClock",
    "ActionResult",
    "Approach",
    "Case",
    "CaseSnapshot",
    "Check",
    "Clock",
    "Donor",
    "Event",
    "GuardResult",
    "InvalidInput",
    "IsletflowError",
    "Outcome",
    "Preparation",
    "Protocol",
    "Recipient",
    "SimulatedClock",
    "Timeline",
    "UnknownAction",
]

__version__ = "0.1.0"
