"""The clocks of a chunk's cases as the standard policy walks them: waits, deadlines, ends.

Each case has its time (``now``, microseconds from its donor's cross-clamp), its soonest armed
deadline and the code it aborts with, and once it ends its status, code and moment. A wait that
passes the deadline ends the case at the deadline itself, as ``simulation.run`` advances the
clock instead of taking the step (``Case`` stamps a deadline at its due time).

Codes are kept as numbers (``Walk.number``; 0 is no code) and named once, at the end
(``Walk.code_names``): a number is copied and compared at a fraction of a string's cost.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ABORTED", "COMPLETED", "DISCARDED", "NO_CODE", "STATUSES", "Walk"]

COMPLETED, ABORTED, DISCARDED = 0, 1, 2
STATUSES = ("completed", "aborted", "discarded")
"""The statuses a case ends in, by their number in ``Walk.status``."""
NO_CODE = 0
"""The number of no code (``None``)."""
NEVER = np.int64(2**62)  # no deadline armed


class Walk:
    """The clocks, deadlines and outcomes of a chunk's cases as they go."""

    def __init__(self, n: int) -> None:
        self.alive = np.ones(n, dtype=bool)
        self.now = np.zeros(n, dtype=np.int64)
        self.due = np.full(n, NEVER, dtype=np.int64)
        self.due_code = np.full(n, NO_CODE, dtype=np.int64)
        self.status = np.full(n, -1, dtype=np.int64)
        self.code = np.full(n, NO_CODE, dtype=np.int64)
        self.end = np.full(n, -1, dtype=np.int64)
        self.names: list[str | None] = [None]  # each code by its number

    def number(self, code: str | None) -> int:
        """The number of ``code`` (numbered at its first use)."""
        if code not in self.names:
            self.names.append(code)
        return self.names.index(code)

    def code_names(self) -> np.ndarray:
        """Each case's code (None for none)."""
        names: np.ndarray = np.asarray(self.names, dtype=object)[self.code]
        return names

    def clock(self) -> np.ndarray:
        """Each case's time while it is going, -1 once it has ended."""
        clock: np.ndarray = (self.now + 1) * self.alive - 1  # a product: a third of np.where's cost
        return clock

    def stop(
        self, mask: np.ndarray, status: int, code: str | np.ndarray | None, at: np.ndarray
    ) -> None:
        """End the cases of ``mask`` still going, with ``status`` and ``code`` (or each case's
        code number, an array) at ``at``."""
        ending = np.flatnonzero(mask & self.alive)  # positions: a quarter of a mask's cost
        self.status[ending] = status
        self.code[ending] = code[ending] if isinstance(code, np.ndarray) else self.number(code)
        self.end[ending] = at[ending]
        self.alive[ending] = False

    def wait(self, mask: np.ndarray, after: np.ndarray) -> np.ndarray:
        """The cases of ``mask`` wait ``after``; a deadline within the wait aborts them at it.
        Returns the cases that reach the end of their wait."""
        mask = mask & self.alive
        later = self.now + after
        fires = mask & (after > 0) & (later > self.due)
        self.stop(fires, ABORTED, self.due_code, self.due)
        going: np.ndarray = mask & ~fires
        self.now += after * going  # a product: a third of a masked copy's cost
        return going

    def arm(self, mask: np.ndarray, due: np.ndarray, code: str) -> None:
        """Arm a deadline due ``due`` for the cases of ``mask`` (the soonest one counts)."""
        sooner = np.flatnonzero(mask & (due < self.due))
        self.due[sooner] = due[sooner]
        self.due_code[sooner] = self.number(code)

    def disarm(self, mask: np.ndarray) -> None:
        """No deadline armed for the cases of ``mask`` any more."""
        self.due[mask] = NEVER
