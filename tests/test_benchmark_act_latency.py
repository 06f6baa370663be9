"""The act-latency benchmark runs, on tiny sessions, and prints its table and ratios."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def act_latency() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import act_latency

        yield act_latency
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_the_benchmark_prints_medians_and_ratios_for_each_kind(act_latency: ModuleType) -> None:
    """Two tiny sizes, two rounds: a row per size and a ratio line per kind of session."""
    lines = act_latency.main(["--sizes", "3,12", "--rounds", "2"])
    for kind in ("waits", "notes"):
        start = lines.index(f"sessions grown by {kind}: median ms per request (2 of each)")
        assert lines[start + 1].split() == ["events", "act", "act,", "uncached", "load"]
        assert [row.split()[0] for row in lines[start + 2 : start + 4]] == ["3", "12"]
        assert lines[start + 4].startswith("  ratio 12 / 3 events: act ")
        assert "act, uncached" in lines[start + 4]


def test_a_grown_session_holds_exactly_its_size(act_latency: ModuleType, tmp_path: Path) -> None:
    """The sessions the benchmark builds have the number of events asked for."""
    from fastapi.testclient import TestClient

    from isletflow.service import create_app

    app = create_app(str(tmp_path / "s.db"))
    with TestClient(app) as client:
        for kind in ("waits", "notes"):
            session_id = act_latency.build(client, app.state.registry, kind, 57)
            timeline = client.get(f"/api/v1/sessions/{session_id}/timeline").json()
            assert timeline["version"] == len(timeline["events"]) == 57
            session_id = act_latency.build(client, app.state.registry, kind, 57, tail=5)
            timeline = client.get(f"/api/v1/sessions/{session_id}/timeline").json()
            assert timeline["version"] == len(timeline["events"]) == 62
