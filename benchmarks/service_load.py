"""Load on a running ``isletflow serve``: durable actions per second and latency percentiles.

Run the server in one process and this in another, both on loopback::

    isletflow serve --port 8765 --db /tmp/bench.sqlite3 &
    python benchmarks/service_load.py --url http://127.0.0.1:8765 --threads 8 --seconds 20

Each thread owns sessions and acts on them with ``note`` (a recording allowed in every active
state, so the load never ends a case), naming the version it saw, as a client would. Every
counted action was acknowledged, so committed (fsync'd) before its answer. The loop is bounded in
time and in count, and it talks only to the URL given (refused unless it is a loopback address).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from urllib.parse import urlparse

import httpx2

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8765")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max-actions", type=int, default=200_000)
    parser.add_argument("--sessions-per-thread", type=int, default=4)
    args = parser.parse_args()
    if urlparse(args.url).hostname not in LOOPBACK:
        parser.error("this load generator only talks to a server on loopback")

    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    budget = args.max_actions // args.threads
    started = threading.Barrier(args.threads + 1)

    def worker(number: int) -> None:
        mine: list[float] = []
        bad = 0
        with httpx2.Client(base_url=args.url, timeout=30) as client:
            sessions = []
            for _ in range(args.sessions_per_thread):
                view = client.post("/api/v1/sessions", json={"scenario": "approach_open"}).json()
                sessions.append([view["id"], view["version"]])
            started.wait()
            end = time.monotonic() + args.seconds
            for i in range(budget):
                if time.monotonic() >= end:
                    break
                session = sessions[i % len(sessions)]
                body = {"action": "note", "expected_version": session[1],
                        "data": {"text": f"t{number}-{i}"}}  # fmt: skip
                t0 = time.perf_counter()
                response = client.post(f"/api/v1/sessions/{session[0]}/act", json=body)
                elapsed = time.perf_counter() - t0
                if response.status_code == 200:
                    session[1] = response.json()["session"]["version"]
                    mine.append(elapsed)
                else:
                    bad += 1
        with lock:
            latencies.extend(mine)
            errors.append(bad)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.threads)]
    for thread in threads:
        thread.start()
    started.wait()
    t0 = time.monotonic()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - t0
    latencies.sort()
    count = len(latencies)
    q = statistics.quantiles(latencies, n=100, method="inclusive") if count > 1 else [0.0] * 99
    print(f"threads={args.threads} acknowledged={count} failed={sum(errors)} wall={wall:.1f}s")
    print(f"throughput={count / wall:.0f} actions/s")
    print(f"latency ms: p50={q[49] * 1000:.1f} p90={q[89] * 1000:.1f} p99={q[98] * 1000:.1f} "
          f"max={latencies[-1] * 1000:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
