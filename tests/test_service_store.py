"""The session store on SQLite and, when a server can be started here, PostgreSQL: same code."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from isletflow.service import create_app
from isletflow.service.store import Conflict, SessionStore, database_url
from service_support import STANDARD_WALK, act_body

CLOCK = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@contextlib.contextmanager
def _temporary_postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster listening on a Unix socket only (no TCP at all)."""
    binaries = _postgres_bin()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (initdb) on this machine")
    root = Path(tempfile.mkdtemp(prefix="isletflow-pg-"))
    data, run_as = root / "data", []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: run it as the postgres user Debian's package made.
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL")
        shutil.chown(root, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    try:
        subprocess.run([*run_as, str(binaries / "initdb"), "-D", str(data), "-A", "trust",
                        "-U", "postgres", "--no-sync"],
                       check=True, capture_output=True, timeout=120)  # fmt: skip
        server = subprocess.Popen(
            [*run_as, str(binaries / "postgres"), "-D", str(data), "-k", str(root),
             "-c", "listen_addresses=", "-c", "fsync=on"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while not (root / ".s.PGSQL.5432").exists():
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.skip("PostgreSQL did not start")
                time.sleep(0.1)
            yield f"postgresql://postgres@/postgres?host={root}"
        finally:
            server.terminate()
            server.wait(timeout=30)
    except subprocess.CalledProcessError as error:
        pytest.skip(f"initdb failed: {error.stderr.decode(errors='replace')[:200]}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    given = os.environ.get("ISLETFLOW_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    with _temporary_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "sessions.sqlite3")
    value: str = request.getfixturevalue("postgres_url")
    return value


def test_database_urls_from_the_db_option(tmp_path: Path) -> None:
    """A path means a SQLite file; postgresql:// means psycopg; other URLs pass unchanged."""
    assert database_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("sqlite:///:memory:") == "sqlite:///:memory:"


def test_sqlite_runs_in_wal_with_full_sync(tmp_path: Path) -> None:
    """SQLite connections use WAL and synchronous=FULL: a commit is on disk when it returns."""
    store = SessionStore(str(tmp_path / "s.db"))
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        store.close()


def test_appends_are_conditional_on_the_version(url: str) -> None:
    """An append based on the current version lands; one based on an old version changes nothing."""
    store = SessionStore(url)
    sid = secrets.token_urlsafe(16)  # the PostgreSQL database is shared by the module's tests
    try:
        store.create(sid, {"kind": "case"}, [{"n": 0}], CLOCK)
        assert store.append(sid, 1, [{"n": 1}, {"n": 2}], CLOCK) == 3
        with pytest.raises(Conflict):
            store.append(sid, 1, [{"n": "late"}], CLOCK)
        stored = store.load(sid)
        assert stored is not None
        assert (stored.version, stored.events) == (3, [{"n": 0}, {"n": 1}, {"n": 2}])
        assert store.load("nope") is None
    finally:
        store.close()


def test_racing_appends_commit_one_per_version(url: str) -> None:
    """Threads appending on the same version: one wins per session; a loser writes nothing."""
    store = SessionStore(url)
    sessions, racers = 6, 5
    run = secrets.token_urlsafe(8)
    wins: list[tuple[str, int]] = []
    lock = threading.Lock()
    try:
        for s in range(sessions):
            store.create(f"{run}-{s}", {}, [{"n": 0}], CLOCK)
        barrier = threading.Barrier(sessions * racers, timeout=30)

        def race(session: str, racer: int) -> None:
            barrier.wait()
            try:
                store.append(session, 1, [{"by": racer}], CLOCK)
            except Conflict:
                return
            with lock:
                wins.append((session, racer))

        threads = [threading.Thread(target=race, args=(f"{run}-{s}", r))
                   for s in range(sessions) for r in range(racers)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(s for s, _ in wins) == sorted(f"{run}-{s}" for s in range(sessions))
        for session, racer in wins:
            stored = store.load(session)
            assert stored is not None
            assert stored.events == [{"n": 0}, {"by": racer}]
    finally:
        store.close()


def test_the_service_runs_a_whole_case_on_either_database(url: str) -> None:
    """The standard case over HTTP completes and reads back the same from a second app."""
    with TestClient(create_app(url)) as client:
        view = client.post("/api/v1/sessions", json={"scenario": "approach_laparoscopic"}).json()
        for action, after, data in STANDARD_WALK:
            if action == "access_portal_vein":
                data = {"anesthesia": "general"}
            elif action == "seal_access":
                data = {}
            response = client.post(f"/api/v1/sessions/{view['id']}/act",
                                   json=act_body(view["version"], action, after, data))  # fmt: skip
            assert response.json()["accepted"], response.text
            view = response.json()["session"]
    assert view["outcome"]["status"] == "completed"
    with TestClient(create_app(url)) as again:
        assert again.get(f"/api/v1/sessions/{view['id']}").json() == view
