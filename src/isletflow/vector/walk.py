"""The clocks of a chunk's cases as the standard policy walks them: waits, deadlines, ends.

Each case has its time (``now``, microseconds from its donor's cross-clamp), its soonest armed
deadline and the code it aborts with, and once it ends its status, code and moment. A wait that
passes the deadline ends the case at the deadline itself, as ``simulation.run`` advances the
clock instead of taking the step (``Case`` stamps a deadline at its due time).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ABORTED", "COMPLETED", "DISCARDED", "STATUSES", "Walk"]

COMPLETED, ABORTED, DISCARDED = 0, 1, 2
STATUSES = ("completed", "aborted", "discarded")
"""The statuses a case ends in, by their number in ``Walk.status``."""
NEVER = np.int64(2**62)  # no deadline armed


class Walk:
    """The clocks, deadlines and outcomes of a chunk's cases as they go."""

    def __init__(self, n: int) -> None:
        self.alive = np.ones(n, dtype=bool)
        self.now = np.zeros(n, dtype=np.int64)
        self.due = np.full(n, NEVER, dtype=np.int64)
        self.due_code = np.full(n, "", dtype=object)
        self.status = np.full(n, -1, dtype=np.int64)
        self.code = np.full(n, None, dtype=object)
        self.end = np.full(n, -1, dtype=np.int64)

    def stop(self, mask: np.ndarray, status: int, code: Any, at: np.ndarray) -> None:
        """End the cases of ``mask`` still going, with ``status`` and ``code`` at ``at``."""
        mask = mask & self.alive
        self.status[mask] = status
        self.code[mask] = code[mask] if isinstance(code, np.ndarray) else code
        self.end[mask] = at[mask]
        self.alive &= ~mask

    def wait(self, mask: np.ndarray, after: np.ndarray) -> np.ndarray:
        """The cases of ``mask`` wait ``after``; a deadline within the wait aborts them at it.
        Returns the cases that reach the end of their wait."""
        mask = mask & self.alive
        fires = mask & (after > 0) & (self.now + after > self.due)
        self.stop(fires, ABORTED, self.due_code, self.due)
        going: np.ndarray = mask & ~fires
        self.now = np.where(going, self.now + after, self.now)
        return going

    def arm(self, mask: np.ndarray, due: np.ndarray, code: str) -> None:
        """Arm a deadline due ``due`` for the cases of ``mask`` (the soonest one counts)."""
        sooner = mask & (due < self.due)
        self.due = np.where(sooner, due, self.due)
        self.due_code[sooner] = code

    def disarm(self, mask: np.ndarray) -> None:
        """No deadline armed for the cases of ``mask`` any more."""
        self.due[mask] = NEVER
