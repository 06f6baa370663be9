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

from .case import ActionResult, Case, Check, Outcome
from .clock import AcceleratedClock, Clock, SimulatedClock
from .errors import InvalidInput, IsletflowError, UnknownAction
from .guards import GuardResult
from .models import Approach, Donor, Preparation, Recipient
from .protocol import Protocol
from .timeline import CaseSnapshot, Event, Timeline

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
