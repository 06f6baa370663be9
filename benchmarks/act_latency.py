"""How long an act takes on a session of 100, 1,000 and 10,000 events, cached and not, in one run.

    make bench-service               # or: .venv/bin/python benchmarks/act_latency.py
    .venv/bin/python benchmarks/act_latency.py --sizes 100,1000,10000 --rounds 9 --kinds waits
    .venv/bin/python benchmarks/act_latency.py --tail 99    # the most a load replays

The service runs in this process (``create_app`` behind FastAPI's ``TestClient``, a SQLite file
in a temporary folder), so each act is the whole path: the JSON body read, the session found or
loaded, the action judged, the events committed (WAL, ``synchronous=FULL``), the view built and
written. Sessions are made on the standard scenario and grown to each size in one append: by
waits of one second (``waits``) or by notes (``notes``: the record counts them and keeps the
last; the timeline holds them all). The service keeps a checkpoint each time a log passes a
multiple of ``CHECKPOINT_EVERY`` (100) events, so a session grown to a multiple of 100 has one
at its end; ``--tail N`` adds N more events in a second append, which a load then replays (99
at most, by the service's setting).

Per round, interleaved over the sizes, three timings (wall clock, for the commit's sync is the
cost):

- ``act``: a note taken on a session already in the cache;
- ``act, uncached``: the same after the session left the cache, so it is loaded first;
- ``load``: reading a session that is not in the cache (``GET``), the cold load alone.

It prints the median of each and the ratios of the largest size to the smallest. Not a test:
nothing here fails on a time. Issue #16 asks that the largest act be at most 1.5 times the
smallest, cached or not.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from isletflow.service import create_app
from isletflow.service.registry import Registry
from isletflow.service.sessions import Session, Step

MEASURES = ("act", "act, uncached", "load")
TARGET = 1.5


def _grown(kind: str, to: int) -> Callable[[Session], Step]:
    """A change that grows a session to ``to`` events, as one append."""

    def grow(session: Session) -> Step:
        start = session.version
        while session.version < to:
            if kind == "waits":
                session.advance("1s")
            else:
                session.act("note", None, {"text": f"note {session.version}"})
        return Step("grow", True, (), (), session.events_json(start))

    return grow


def build(client: TestClient, registry: Registry, kind: str, size: int, tail: int = 0) -> str:
    """A session of ``size`` events of ``kind``, then ``tail`` more in a second append; its id."""
    view: dict[str, Any] = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
    registry.change(view["id"], view["version"], _grown(kind, size))
    if tail:
        registry.change(view["id"], size, _grown(kind, size + tail))
    return str(view["id"])


def _act(client: TestClient, session_id: str) -> None:
    version = client.get(f"/api/v1/sessions/{session_id}").json()["version"]
    body = {"action": "note", "expected_version": version, "data": {"text": "timed"}}
    response = client.post(f"/api/v1/sessions/{session_id}/act", json=body)
    assert response.status_code == 200, response.text[:200]


def measure(
    client: TestClient, registry: Registry, ids: dict[int, str], rounds: int
) -> dict[str, dict[int, list[float]]]:
    """Seconds per measure and size, ``rounds`` of each, interleaved over the sizes."""
    times: dict[str, dict[int, list[float]]] = {m: {s: [] for s in ids} for m in MEASURES}
    for _ in range(rounds):
        for size, session_id in ids.items():
            version = client.get(f"/api/v1/sessions/{session_id}").json()["version"]  # now cached
            body = {"action": "note", "expected_version": version, "data": {"text": "timed"}}
            t0 = time.perf_counter()
            response = client.post(f"/api/v1/sessions/{session_id}/act", json=body)
            times["act"][size].append(time.perf_counter() - t0)
            assert response.status_code == 200, response.text[:200]

            registry.evict(session_id)
            body["expected_version"] = version + 1
            t0 = time.perf_counter()
            response = client.post(f"/api/v1/sessions/{session_id}/act", json=body)
            times["act, uncached"][size].append(time.perf_counter() - t0)
            assert response.status_code == 200, response.text[:200]

            registry.evict(session_id)
            t0 = time.perf_counter()
            response = client.get(f"/api/v1/sessions/{session_id}")
            times["load"][size].append(time.perf_counter() - t0)
            assert response.status_code == 200, response.text[:200]
    return times


def report(kind: str, times: dict[str, dict[int, list[float]]]) -> list[str]:
    """The table of medians (ms) and the ratios of the largest size to the smallest."""
    sizes = sorted(next(iter(times.values())))
    count = len(times["act"][sizes[0]])
    lines = [f"sessions grown by {kind}: median ms per request ({count} of each)"]
    lines.append(f"  {'events':>8}" + "".join(f"{m:>16}" for m in MEASURES))
    for size in sizes:
        cells = "".join(f"{statistics.median(times[m][size]) * 1000:>16.2f}" for m in MEASURES)
        lines.append(f"  {size:>8,}" + cells)
    small, big = sizes[0], sizes[-1]
    ratios = []
    for m in MEASURES:
        ratio = statistics.median(times[m][big]) / statistics.median(times[m][small])
        mark = "" if m == "load" else (" (within 1.5x)" if ratio <= TARGET else " (over 1.5x)")
        ratios.append(f"{m} {ratio:.2f}x{mark}")
    lines.append(f"  ratio {big:,} / {small:,} events: " + "; ".join(ratios))
    return lines


def run(sizes: list[int], rounds: int, kinds: list[str], folder: Path, tail: int = 0) -> list[str]:
    """Build the sessions, time them, and return the report's lines."""
    lines: list[str] = []
    for kind in kinds:
        limit = max(sizes) + tail + 4 * rounds + 10
        app = create_app(str(folder / f"{kind}.sqlite3"), max_events=limit)
        registry: Registry = app.state.registry
        with TestClient(app) as client:
            ids = {size: build(client, registry, kind, size, tail) for size in sizes}
            for session_id in ids.values():
                _act(client, session_id)  # every path once before timing
            lines += report(kind, measure(client, registry, ids, rounds))
    return lines


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--kinds", default="waits,notes")
    parser.add_argument("--tail", type=int, default=0, help="events after the last checkpoint")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    kinds = [k for k in args.kinds.split(",") if k]
    if not set(kinds) <= {"waits", "notes"} or sizes[0] < 2 or args.tail < 0:
        parser.error("--kinds takes waits and notes; sizes start at 2 events; --tail from 0")
    with tempfile.TemporaryDirectory(prefix="isletflow-bench-") as folder:
        lines = run(sizes, args.rounds, kinds, Path(folder), args.tail)
    for line in lines:
        print(line)
    return lines


if __name__ == "__main__":
    main()
