"""Damaged stored data: a damaged log is that session's 410, never a 5xx; others keep working.

The store's rows are edited behind the service's back, the way a tamperer or a damaged disk
would, and the service is asked for the session again: it answers what the log says (if the log
still replays to itself) or that session's documented error, and the other sessions go on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isletflow.errors import IsletflowError
from isletflow.service import create_app
from isletflow.service.database import EVENTS, SESSIONS
from isletflow.service.store import SessionStore
from isletflow.timeline import Timeline, events_to_python
from service_support import STANDARD_WALK, act_body
from strategies_service import Rows, stored_edits

READS = ("", "/timeline", "/score", "/timeline.txt")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, SessionStore]]:
    db = str(tmp_path_factory.mktemp("damage") / "sessions.sqlite3")
    app = create_app(db, cache_size=1)  # each read loads from the store again
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, app.state.registry.store


def _walked(client: TestClient, steps: int) -> dict[str, Any]:
    view: dict[str, Any] = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
    for action, after, data in STANDARD_WALK[:steps]:
        body = act_body(view["version"], action, after, data)
        view = client.post(f"/api/v1/sessions/{view['id']}/act", json=body).json()["session"]
    return view


def _rows(store: SessionStore, session_id: str) -> Rows:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(SESSIONS).where(SESSIONS.c.id == session_id)).one()
        bodies = conn.execute(
            sa.select(EVENTS.c.body).where(EVENTS.c.session_id == session_id).order_by(EVENTS.c.seq)
        ).scalars()
        return Rows(row.header, row.version, row.clock, list(bodies))


def _write(store: SessionStore, session_id: str, rows: Rows) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.delete(EVENTS).where(EVENTS.c.session_id == session_id))
        conn.execute(
            sa.update(SESSIONS)
            .where(SESSIONS.c.id == session_id)
            .values(header=rows.header, version=rows.version, clock=rows.clock)
        )
        values = [
            {"session_id": session_id, "seq": i, "body": b} for i, b in enumerate(rows.bodies)
        ]
        if values:
            conn.execute(EVENTS.insert(), values)


def _answers_cleanly(client: TestClient, session_id: str) -> int:
    """Every read answers 200 or 410 (in JSON, naming the session); returns the view's status."""
    statuses = []
    for path in READS:
        response = client.get(f"/api/v1/sessions/{session_id}{path}")
        assert response.status_code in (200, 410), (path, response.text[:300])
        if response.status_code == 410:
            assert "cannot be restored" in response.json()["detail"]
            assert session_id in response.json()["detail"]
        statuses.append(response.status_code)
    assert len(set(statuses)) == 1, statuses
    return statuses[0]


# Each example walks two sessions over HTTP and reads one four ways (about 0.3 s): the
# ``thorough`` profile's 2,000 would take ten minutes, so it is capped at 300 (86 s, measured);
# the ``dev`` and ``ci`` profiles (60) are under the cap.
@settings(
    max_examples=min(settings().max_examples, 300),
    suppress_health_check=list(HealthCheck),
    deadline=None,
)
@given(st.integers(0, 8), st.data())
def test_a_tampered_stored_log_is_served_as_stored_or_refused(
    served: tuple[TestClient, SessionStore], steps: int, data: st.DataObject
) -> None:
    """After any edit of its rows a session serves its log or a 410, never a 5xx; others work."""
    client, store = served
    view, other = _walked(client, steps), _walked(client, 2)
    rows = _rows(store, view["id"])
    name, edit = data.draw(stored_edits(rows), label="edit")
    edit(rows)
    _write(store, view["id"], rows)
    _walked(client, 0)  # the cache holds one session: now not this one
    status = _answers_cleanly(client, view["id"])
    if status == 200:
        # Served: what it serves is the stored log as a timeline reads it, and it can go on.
        timeline = client.get(f"/api/v1/sessions/{view['id']}/timeline").json()
        stored = Timeline.from_json("[" + ",".join(rows.bodies) + "]")
        assert timeline["events"] == events_to_python(stored), name
        assert timeline["version"] == rows.version == len(rows.bodies), name
        note = act_body(timeline["version"], "note", None, {"text": "after the edit"})
        changed = client.post(f"/api/v1/sessions/{view['id']}/act", json=note)
        assert changed.status_code == 200, (name, changed.text[:300])
    else:
        note = act_body(view["version"], "note", None, {"text": "after the edit"})
        refused = client.post(f"/api/v1/sessions/{view['id']}/act", json=note)
        assert refused.status_code == 410, (name, refused.text[:300])
    assert client.get(f"/api/v1/sessions/{other['id']}").json() == other


DAMAGES: list[tuple[str, Any]] = [
    ("an event body that is not JSON", lambda r: r.bodies.__setitem__(1, "not json")),
    ("an event body nested 100,000 deep", lambda r: r.bodies.__setitem__(1, "[" * 10**5)),
    ("a clock that is not a time", lambda r: setattr(r, "clock", "yesterday")),
    ("a version ahead of the events", lambda r: setattr(r, "version", r.version + 1)),
    ("a version behind the events", lambda r: setattr(r, "version", r.version - 1)),
    ("the created event edited", lambda r: r.bodies.__setitem__(
        0, r.bodies[0].replace('"approach":"percutaneous"', '"approach":"open"'))),
    ("a header that is not JSON", lambda r: setattr(r, "header", "{")),
    ("a clock behind the log", lambda r: setattr(r, "clock", "2026-03-02T22:00:00+00:00")),
]  # fmt: skip


@pytest.mark.parametrize(("what", "damage"), DAMAGES, ids=[d[0] for d in DAMAGES])
def test_each_kind_of_damage_is_that_sessions_410(
    served: tuple[TestClient, SessionStore], what: str, damage: Any
) -> None:
    """Each damage the red team made by hand is a 410 naming the session, on reads and acts."""
    client, store = served
    view = _walked(client, 3)
    rows = _rows(store, view["id"])
    damage(rows)
    _write(store, view["id"], rows)
    _walked(client, 0)  # the cache holds one session: now not this one
    assert _answers_cleanly(client, view["id"]) == 410, what
    note = act_body(view["version"], "note", None, {"text": "x"})
    assert client.post(f"/api/v1/sessions/{view['id']}/act", json=note).status_code == 410


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage" * 100, b"SQLite format 3\x00" + b"\x00" * 84],
    ids=["empty", "garbage", "a bare header"],
)
def test_a_file_that_is_not_a_session_store_is_one_sentence_at_start_up(
    tmp_path: Path, content: bytes
) -> None:
    """A database that cannot be used is refused at start-up by one IsletflowError line."""
    db = tmp_path / "sessions.sqlite3"
    db.write_bytes(content)
    if not content:
        db.write_bytes(b"\x00" * 1024)
    with pytest.raises(IsletflowError) as caught:
        create_app(str(db))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"the session store sqlite:///{db} cannot be used: ")


def test_a_directory_or_a_missing_folder_is_one_sentence_at_start_up(tmp_path: Path) -> None:
    """A --db that names a directory, or a file in no folder, is refused in one sentence."""
    for db in (tmp_path, tmp_path / "nowhere" / "sessions.sqlite3"):
        with pytest.raises(IsletflowError) as caught:
            create_app(str(db))
        assert "\n" not in str(caught.value)


def _scramble(db: Path) -> None:
    data = bytearray(db.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data), 3 * page):
        data[offset : offset + page // 2] = bytes(range(256)) * (page // 512)
    db.write_bytes(bytes(data))


def test_a_database_scrambled_while_serving_answers_503_in_json(tmp_path: Path) -> None:
    """Pages scrambled under a running service: JSON 503s; started again, one sentence."""
    db = tmp_path / "sessions.sqlite3"
    app = create_app(str(db), cache_size=1)
    with TestClient(app, raise_server_exceptions=False) as client:
        ids = [_walked(client, 4)["id"] for _ in range(12)]
        store = app.state.registry.store
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        store.engine.dispose()  # the next request opens the file again, as after a restart
        _scramble(db)
        statuses = set()
        for session_id in ids:
            response = client.get(f"/api/v1/sessions/{session_id}")
            assert response.headers["content-type"] == "application/json"
            statuses.add(response.status_code)
    assert 503 in statuses
    assert statuses <= {200, 410, 503}
    with pytest.raises(IsletflowError) as caught:
        create_app(str(db))
    assert "\n" not in str(caught.value)


def test_a_file_that_fails_sqlites_own_check_is_refused_at_start_up(tmp_path: Path) -> None:
    """A file that fails SQLite's quick_check is refused at start-up in one sentence."""
    db = tmp_path / "sessions.sqlite3"
    with TestClient(create_app(str(db))) as client:
        _walked(client, 4)
    data = bytearray(db.read_bytes())
    data[36:40] = (3).to_bytes(4, "big")  # the header's count of free pages: there are none
    db.write_bytes(bytes(data))
    with pytest.raises(IsletflowError) as caught:
        create_app(str(db))
    message = str(caught.value)
    assert "the file is damaged (Main freelist: size is 0 but should be 3)" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "url",
    ["nosuch://me:hunter2@host/db", "mysql://me:hunter2@localhost/db"],
    ids=["scheme", "driver"],
)
def test_an_unknown_database_is_one_sentence_without_its_password(url: str) -> None:
    """An unknown URL scheme or a missing driver is refused in one sentence; no password shown."""
    with pytest.raises(IsletflowError) as caught:
        create_app(url)
    message = str(caught.value)
    assert message.startswith("the session store ")
    assert "\n" not in message
    assert "hunter2" not in message
