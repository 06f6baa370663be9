"""CPU time of this process, the one way every benchmark here times its work.

Shared machines make wall time noise; CPU seconds of this process (``process_time``), after a
``gc.collect()`` so one task does not pay for another's garbage, and tasks taking turns round by
round, are what the benchmarks compare.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

__all__ = ["cpu_seconds", "rounds_of"]


def cpu_seconds(task: Callable[[], object]) -> float:
    """CPU seconds of this process for one call of ``task``."""
    gc.collect()
    began = time.process_time()
    task()
    return time.process_time() - began


def rounds_of(tasks: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """CPU seconds of each task in each round, the tasks taking turns round by round."""
    times: dict[str, list[float]] = {name: [] for name in tasks}
    for _ in range(rounds):
        for name, task in tasks.items():
            times[name].append(cpu_seconds(task))
    return times
