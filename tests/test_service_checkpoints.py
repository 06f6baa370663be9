"""The service's checkpoints: written every K events, bound to the log, trusted only if bound.

A load goes on from the session's checkpoint and the events after it; it must give what a full
replay of the log gives. A checkpoint that does not verify (its content, its digest, its version
or the log's chain where it was bound) is ignored with a warning and the log is replayed; a
damaged event is the session's 410; a store written before chains still works, by replay.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isletflow.errors import InvalidInput
from isletflow.service import create_app
from isletflow.service.database import CHECKPOINTS, EVENTS
from isletflow.service.registry import Registry
from isletflow.service.sessions import Session
from isletflow.service.store import SessionStore
from isletflow.service.store import _bound as bound  # the store's own binding, as a forger's
from isletflow.training import PlanStep
from service_support import STANDARD_WALK, act_body
from strategies_training import trainee_scripts

K = 3


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Registry]]:
    db = str(tmp_path_factory.mktemp("checkpoints") / "sessions.sqlite3")
    app = create_app(db, checkpoint_every=K)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, app.state.registry


def _create(client: TestClient) -> dict[str, Any]:
    view: dict[str, Any] = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
    return view


def _walked(client: TestClient, steps: int) -> tuple[dict[str, Any], list[int]]:
    """A session walked ``steps`` steps of the standard case; its view and every version."""
    view = _create(client)
    versions = [view["version"]]
    for action, after, data in STANDARD_WALK[:steps]:
        body = act_body(view["version"], action, after, data)
        view = client.post(f"/api/v1/sessions/{view['id']}/act", json=body).json()["session"]
        versions.append(view["version"])
    return view, versions


def _checkpoint(store: SessionStore, session_id: str) -> Any:
    with store.engine.connect() as conn:
        return conn.execute(
            sa.select(CHECKPOINTS).where(CHECKPOINTS.c.session_id == session_id)
        ).first()


def _replayed(store: SessionStore, session_id: str) -> Session:
    """The session as the whole log replays it, no checkpoint used."""
    whole = store.load(session_id, checkpoint=False)
    assert whole is not None
    return Session.resume(session_id, whole.header, whole.log, whole.clock)


def _cold(registry: Registry, session_id: str) -> dict[str, Any]:
    """The session's view, loaded from the store (not the cache), as JSON data."""
    registry.evict(session_id)
    view: dict[str, Any] = registry.read(session_id, lambda s: s.view().model_dump(mode="json"))
    return view


def test_a_checkpoint_is_written_each_time_the_log_passes_a_multiple_of_k(
    served: tuple[TestClient, Registry],
) -> None:
    """After every act the stored checkpoint is at the version of the last append that passed a
    multiple of K, and covers no more than the log."""
    client, registry = served
    view = _create(client)
    versions, expected = [view["version"]], None
    for action, after, data in STANDARD_WALK:
        body = act_body(view["version"], action, after, data)
        view = client.post(f"/api/v1/sessions/{view['id']}/act", json=body).json()["session"]
        before, versions = versions[-1], [*versions, view["version"]]
        if view["version"] // K > before // K:
            expected = view["version"]
        row = _checkpoint(registry.store, view["id"])
        assert (row.version if row is not None else None) == expected
    assert expected is not None


def _drive(registry: Registry, session_id: str, version: int, step: PlanStep) -> int:
    def change(session: Session) -> Any:
        if step.action is None:
            return session.advance(step.after or "1h")
        return session.act(step.action, step.after, dict(step.choices))

    with contextlib.suppress(InvalidInput):  # refused as input: nothing changed
        registry.change(session_id, version, change)
    return registry.read(session_id, lambda s: s.version)


@settings(max_examples=20, suppress_health_check=list(HealthCheck), deadline=None)
@given(trainee_scripts())
def test_a_load_from_the_checkpoint_is_the_full_replay(
    served: tuple[TestClient, Registry], script: list[PlanStep]
) -> None:
    """Along any trainee's session, after every step, the session loaded from its checkpoint
    is the session the whole log replays: view, timeline, score and debrief."""
    client, registry = served
    session_id = _create(client)["id"]
    version = registry.read(session_id, lambda s: s.version)
    for step in script:
        version = _drive(registry, session_id, version, step)
        if version % 4:
            continue  # a full comparison every few steps keeps the example short
        replayed = _replayed(registry.store, session_id)
        assert _cold(registry, session_id) == replayed.view().model_dump(mode="json")
    replayed = _replayed(registry.store, session_id)
    registry.evict(session_id)
    loaded = registry.read(session_id, lambda s: s)
    assert loaded.view() == replayed.view()
    assert loaded.events_json() == replayed.events_json()
    assert loaded.training.debrief() == replayed.training.debrief()


def test_a_cold_load_reads_the_earlier_events_only_when_the_timeline_is_asked_for(
    served: tuple[TestClient, Registry], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold act and view read none of the events before the checkpoint; GET /timeline reads
    them once, and gives the whole log."""
    client, registry = served
    view, _ = _walked(client, 6)
    session_id = view["id"]
    reads: list[int] = []
    events = registry.store.events
    monkeypatch.setattr(
        registry.store, "events", lambda sid, stop: reads.append(stop) or events(sid, stop)
    )
    registry.evict(session_id)
    note = act_body(view["version"], "note", None, {"text": "cold"})
    acted = client.post(f"/api/v1/sessions/{session_id}/act", json=note)
    assert acted.status_code == 200
    assert client.get(f"/api/v1/sessions/{session_id}").status_code == 200
    assert reads == []
    timeline = client.get(f"/api/v1/sessions/{session_id}/timeline").json()
    client.get(f"/api/v1/sessions/{session_id}/debrief")
    assert len(reads) == 1
    assert timeline["events"] == _replayed(registry.store, session_id).events_json()


def _edit_checkpoint(store: SessionStore, session_id: str, **values: Any) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(CHECKPOINTS).where(CHECKPOINTS.c.session_id == session_id).values(**values)
        )


def _edit_event(store: SessionStore, session_id: str, seq: int, **values: Any) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(EVENTS)
            .where(EVENTS.c.session_id == session_id, EVENTS.c.seq == seq)
            .values(**values)
        )


TAMPERS: list[tuple[str, Any]] = [
    ("content", lambda row, _: {"body": row.body.replace('"state":"', '"state":"x')}),
    ("content to garbage", lambda row, _: {"body": "{"}),
    ("digest", lambda row, _: {"digest": "0" * 64}),
    ("version back", lambda row, _: {"version": row.version - 1}),
    ("version ahead", lambda row, _: {"version": row.version + 50}),
    ("binding: the chain where it was bound", lambda row, _: "chain"),
]


@pytest.mark.parametrize(("what", "tamper"), TAMPERS, ids=[t[0] for t in TAMPERS])
def test_a_checkpoint_that_does_not_verify_is_ignored_with_a_warning(
    served: tuple[TestClient, Registry],
    caplog: pytest.LogCaptureFixture,
    what: str,
    tamper: Any,
) -> None:
    """Each edit of a checkpoint or of its binding: a warning naming the session, and the
    session served as its log replays it; it then goes on."""
    client, registry = served
    view, _ = _walked(client, 8)
    session_id, store = view["id"], registry.store
    row = _checkpoint(store, session_id)
    change = tamper(row, store)
    if change == "chain":
        _edit_event(store, session_id, row.version - 1, chain="f" * 64)
    else:
        _edit_checkpoint(store, session_id, **change)
    with caplog.at_level(logging.WARNING, logger="isletflow.service"):
        if change == "chain":
            # The row's own digest is now wrong too: the log cannot be read, whole or not.
            registry.evict(session_id)
            assert client.get(f"/api/v1/sessions/{session_id}").status_code == 410
        else:
            replayed = _replayed(store, session_id).view().model_dump(mode="json")
            assert _cold(registry, session_id) == replayed
    assert any(session_id in r.getMessage() for r in caplog.records), what
    if change == "chain":
        return
    note = act_body(view["version"], "note", None, {"text": "after"})
    assert client.post(f"/api/v1/sessions/{session_id}/act", json=note).status_code == 200


def _past_the_checkpoint(client: TestClient, store: SessionStore, view: dict[str, Any]) -> Any:
    """Notes taken until the log goes past the checkpoint; the session's view."""
    while _checkpoint(store, view["id"]).version == view["version"]:
        note = act_body(view["version"], "note", None, {"text": "past the checkpoint"})
        view = client.post(f"/api/v1/sessions/{view['id']}/act", json=note).json()["session"]
    return view


def test_a_forged_checkpoint_with_a_recomputed_digest_still_cannot_skip_the_tail(
    served: tuple[TestClient, Registry], caplog: pytest.LogCaptureFixture
) -> None:
    """A checkpoint bound correctly but whose point the events after it do not follow from is
    dropped for a full replay (with a warning), never served."""
    client, registry = served
    view, _ = _walked(client, 7)
    session_id, store = view["id"], registry.store
    view = _past_the_checkpoint(client, store, view)
    row = _checkpoint(store, session_id)
    point = json.loads(row.body)
    state = point["case"]["state"]
    point["case"]["state"] = "purify.gradient" if state != "purify.gradient" else "purify.culture"
    body = json.dumps(point, separators=(",", ":"))
    with store.engine.connect() as conn:
        chain = conn.execute(
            sa.select(EVENTS.c.chain).where(
                EVENTS.c.session_id == session_id, EVENTS.c.seq == row.version - 1
            )
        ).scalar_one()
    digest = bound(session_id, row.version, chain, body)
    _edit_checkpoint(store, session_id, body=body, digest=digest)
    with caplog.at_level(logging.WARNING, logger="isletflow.service"):
        cold = _cold(registry, session_id)
    assert cold == _replayed(store, session_id).view().model_dump(mode="json")
    assert cold["state"] == view["state"]
    assert any("does not go on from its checkpoint" in r.getMessage() for r in caplog.records)


def test_an_event_edited_after_the_checkpoint_is_the_sessions_410(
    served: tuple[TestClient, Registry],
) -> None:
    """A body edited behind the service's back (its digest left) after the checkpoint: 410 on
    every read and act."""
    client, registry = served
    view, _ = _walked(client, 8)
    session_id, store = view["id"], registry.store
    view = _past_the_checkpoint(client, store, view)
    last = view["version"] - 1
    _edit_event(store, session_id, last, body='{"kind":"advanced"}')
    registry.evict(session_id)
    for path in ("", "/timeline", "/score"):
        response = client.get(f"/api/v1/sessions/{session_id}{path}")
        assert response.status_code == 410, path
        assert "cannot be restored" in response.json()["detail"]
    note = act_body(view["version"], "note", None, {"text": "x"})
    assert client.post(f"/api/v1/sessions/{session_id}/act", json=note).status_code == 410


def test_an_event_edited_before_the_checkpoint_is_found_when_the_timeline_is_read(
    served: tuple[TestClient, Registry],
) -> None:
    """A body edited before the checkpoint is not read by a cold act (that is the point of the
    checkpoint); reading the whole timeline finds it: 410 naming the session."""
    client, registry = served
    view, _ = _walked(client, 8)
    session_id, store = view["id"], registry.store
    _edit_event(store, session_id, 1, body='{"kind":"advanced"}')
    registry.evict(session_id)
    assert client.get(f"/api/v1/sessions/{session_id}").status_code == 200
    for path in ("/timeline", "/debrief", "/timeline.txt"):
        response = client.get(f"/api/v1/sessions/{session_id}{path}")
        assert response.status_code == 410, path
        assert session_id in response.json()["detail"]


def test_a_store_from_before_chains_gains_the_column_and_replays(tmp_path: Path) -> None:
    """A store whose events have no chain column is upgraded when opened; its sessions load by
    replay and go on (their new events unchained, no checkpoint bound to them)."""
    db = tmp_path / "old.sqlite3"
    with TestClient(create_app(str(db), checkpoint_every=K)) as client:
        view, _ = _walked(client, 5)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM isletflow_checkpoints")
        conn.execute("ALTER TABLE isletflow_events DROP COLUMN chain")
    app = create_app(str(db), checkpoint_every=K)
    with TestClient(app) as client:
        assert client.get(f"/api/v1/sessions/{view['id']}").json()["version"] == view["version"]
        for action, after, data in STANDARD_WALK[5:9]:
            body = act_body(view["version"], action, after, data)
            view = client.post(f"/api/v1/sessions/{view['id']}/act", json=body).json()["session"]
        registry: Registry = app.state.registry
        assert _checkpoint(registry.store, view["id"]) is None
        replayed = _replayed(registry.store, view["id"]).view().model_dump(mode="json")
        assert _cold(registry, view["id"]) == replayed


@pytest.mark.parametrize("every", [0, -1, 2.5, True])
def test_a_checkpoint_interval_that_is_not_a_count_is_refused(tmp_path: Path, every: Any) -> None:
    """checkpoint_every is a whole number of events, at least 1: else an error naming it."""
    with pytest.raises(InvalidInput, match="checkpoint_every"):
        create_app(str(tmp_path / "s.db"), checkpoint_every=every)


_BODIES = st.sampled_from(['{"kind":"advanced"}', "not json", "5", "[" * 1000, '{"kind":"x"}'])


@settings(max_examples=25, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.integers(0, 8), st.data())
def test_any_event_edited_under_a_checkpoint_is_never_a_5xx(
    served: tuple[TestClient, Registry], steps: int, data: st.DataObject
) -> None:
    """A session with checkpoints, one event's body replaced behind the service's back (its
    digest left): the whole timeline is a 410; the view and an act are 200 or 410, never 5xx."""
    client, registry = served
    view, _ = _walked(client, steps + 4)
    session_id, store = view["id"], registry.store
    seq = data.draw(st.integers(0, view["version"] - 1), label="event")
    edit = data.draw(_BODIES, label="body")
    _edit_event(store, session_id, seq, body=edit)
    registry.evict(session_id)
    assert client.get(f"/api/v1/sessions/{session_id}").status_code in (200, 410)
    assert client.get(f"/api/v1/sessions/{session_id}/timeline").status_code == 410
    note = act_body(view["version"], "note", None, {"text": "x"})
    assert client.post(f"/api/v1/sessions/{session_id}/act", json=note).status_code in (200, 410)
    assert client.get(f"/api/v1/sessions/{session_id}/score").status_code in (200, 410)
