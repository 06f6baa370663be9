"""The cache of loaded sessions is bounded in bytes, from an estimate that holds from above."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from isletflow import InvalidInput, library
from isletflow.service import create_app
from isletflow.service.app import CACHE_VARIABLE
from isletflow.service.sessions import Session, SessionHeader
from service_support import act_body

SCENARIO = library.load("standard").model_dump(mode="json", exclude_unset=True)


def _grown(kind: str, n: int) -> Session:
    session = Session.start("s", SessionHeader(scenario=SCENARIO, seed=1))
    for i in range(n):
        if kind == "waits":
            session.advance("1s")
        elif kind == "notes":
            session.act("note", None, {"text": f"{i:06d}" + "x" * 40})
        elif kind == "long notes":
            session.act("note", None, {"text": f"{i:06d}" + "y" * 1984})  # each its own text
        else:
            session.act("release", None, {})  # refused: a refusal and its deviation
    session.view()
    return session


@pytest.mark.parametrize("kind", ["waits", "notes", "long notes", "refusals"])
def test_a_sessions_memory_estimate_holds_from_above(kind: str) -> None:
    """Session.memory() is at least what tracemalloc measures, and at most six times it."""
    _grown(kind, 1)  # the exercise and the lab are shared by every session: made beforehand
    gc.collect()
    tracemalloc.start()
    try:
        session = _grown(kind, 2000)
        gc.collect()
        measured, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert measured <= session.memory() <= 6 * measured, (measured, session.memory())


def test_the_cache_stays_within_its_bytes_and_reloads_on_demand(tmp_path: Path) -> None:
    """Past the byte budget the oldest sessions leave and load again as they were."""
    budget = 200_000
    app = create_app(str(tmp_path / "s.db"), cache_bytes=budget)
    registry = app.state.registry
    with TestClient(app) as client:
        views: list[dict[str, Any]] = []
        for _ in range(12):
            view = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
            for n in range(8):
                body = act_body(view["version"], "note", None, {"text": f"note {n} " * 20})
                view = client.post(f"/api/v1/sessions/{view['id']}/act", json=body).json()[
                    "session"
                ]
                assert registry.cached_bytes() <= budget
            views.append(view)
        assert registry.cached_count() < 12
        health = client.get("/api/v1/health").json()
        assert health["cached_bytes"] == registry.cached_bytes() <= budget
        for view in views:
            assert client.get(f"/api/v1/sessions/{view['id']}").json() == view
            assert registry.cached_bytes() <= budget


def test_one_session_over_the_budget_stays_alone(tmp_path: Path) -> None:
    """A session bigger than the whole budget is kept alone rather than reloaded every time."""
    app = create_app(str(tmp_path / "s.db"), cache_bytes=1)
    with TestClient(app) as client:
        view = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
        client.post("/api/v1/sessions", json={"scenario": "standard"})
        assert app.state.registry.cached_count() == 1
        assert app.state.registry._cached(view["id"]) is None
        client.get(f"/api/v1/sessions/{view['id']}")
        assert app.state.registry._cached(view["id"]) is not None


def test_the_budget_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ISLETFLOW_CACHE_MB sets the budget in megabytes; anything but a whole number is refused."""
    monkeypatch.setenv(CACHE_VARIABLE, "64")
    assert create_app(str(tmp_path / "a.db")).state.registry.cache_bytes == 64 * 1024 * 1024
    for bad in ("0", "-1", "1.5", "lots", "６４"):
        monkeypatch.setenv(CACHE_VARIABLE, bad)
        with pytest.raises(InvalidInput):
            create_app(str(tmp_path / "b.db"))
    monkeypatch.delenv(CACHE_VARIABLE)
    assert create_app(str(tmp_path / "c.db")).state.registry.cache_bytes == 512 * 1024 * 1024


def test_a_session_grows_in_the_cache_as_it_acts(tmp_path: Path) -> None:
    """Each change adds what its events weigh to the cached total."""
    app = create_app(str(tmp_path / "s.db"))
    with TestClient(app) as client:
        view = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
        before = app.state.registry.cached_bytes()
        client.post(
            f"/api/v1/sessions/{view['id']}/advance",
            json={"by": "1h", "expected_version": view["version"]},
        )
        assert app.state.registry.cached_bytes() > before
