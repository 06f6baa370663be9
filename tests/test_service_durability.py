"""The real server: killed mid-load it keeps every acknowledged action; writers never collide."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx2

from service_support import STANDARD_WALK, Server, act_body


def _start(client: httpx2.Client, scenario: str = "standard") -> dict[str, Any]:
    response = client.post("/api/v1/sessions", json={"scenario": scenario})
    assert response.status_code == 201, response.text
    view: dict[str, Any] = response.json()
    return view


def _notes(events: list[dict[str, Any]]) -> list[str]:
    return [e["data"]["text"] for e in events if e["kind"] == "accepted" and e["action"] == "note"]


def test_sigkill_mid_load_loses_no_acknowledged_action(tmp_path: Path) -> None:
    """Every action the server acknowledged before SIGKILL is there after a restart."""
    db = tmp_path / "sessions.sqlite3"
    server = Server(db)
    acked: dict[str, list[tuple[int, str]]] = {}
    last_view: dict[str, dict[str, Any]] = {}
    try:
        with httpx2.Client(base_url=server.url, timeout=10) as client:
            walked = _start(client)
            for action, after, data in STANDARD_WALK[:5]:  # into release testing: deadlines armed
                result = client.post(
                    f"/api/v1/sessions/{walked['id']}/act",
                    json=act_body(walked["version"], action, after, data),
                ).json()
                walked = result["session"]
            ids = [_start(client)["id"] for _ in range(4)]
        stop = threading.Event()

        def load(session_id: str) -> None:
            mine: list[tuple[int, str]] = []
            acked[session_id] = mine
            with httpx2.Client(base_url=server.url, timeout=10) as client:
                version = 1
                for i in range(2000):  # bounded; the kill ends it far sooner
                    if stop.is_set():
                        return
                    text = f"{session_id[:6]}-{i}"
                    try:
                        response = client.post(
                            f"/api/v1/sessions/{session_id}/act",
                            json=act_body(version, "note", None, {"text": text}),
                        )
                    except httpx2.TransportError:
                        return  # the server died under us: this one was never acknowledged
                    assert response.status_code == 200, response.text
                    view = response.json()["session"]
                    version = view["version"]
                    mine.append((version, text))
                    last_view[session_id] = view

        threads = [threading.Thread(target=load, args=(sid,)) for sid in ids]
        for thread in threads:
            thread.start()
        # Kill once every writer is well under way (bounded wait), with requests in flight.
        until = time.monotonic() + 20
        while time.monotonic() < until and not all(len(acked.get(sid, ())) >= 20 for sid in ids):
            time.sleep(0.05)
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        server.kill()
    assert all(len(acks) >= 20 for acks in acked.values()), "the load never got going"

    # Restarted with a token from the environment: the API now needs it.
    restarted = Server(db, env={"ISLETFLOW_TOKEN": "after-the-crash"})
    try:
        assert httpx2.get(restarted.url + "/api/v1/health", timeout=10).status_code == 401
        auth = {"Authorization": "Bearer after-the-crash"}
        with httpx2.Client(base_url=restarted.url, timeout=10, headers=auth) as client:
            for session_id, acks in acked.items():
                events = client.get(f"/api/v1/sessions/{session_id}/timeline").json()["events"]
                notes = _notes(events)
                # Every acknowledged note, in order, at its version; at most one more that
                # committed while its answer was cut off by the kill.
                assert notes[: len(acks)] == [text for _, text in acks]
                assert len(notes) - len(acks) in (0, 1)
                for version, text in acks:
                    assert events[version - 1]["data"]["text"] == text
                if len(notes) == len(acks):
                    assert (
                        client.get(f"/api/v1/sessions/{session_id}").json() == last_view[session_id]
                    )
            restored = client.get(f"/api/v1/sessions/{walked['id']}").json()
            assert restored == walked
            assert {d["name"] for d in restored["deadlines"]} == {"culture_window"}
    finally:
        restarted.stop()


def test_concurrent_writers_on_two_processes_never_lose_an_update(tmp_path: Path) -> None:
    """Writers racing on one session through two server processes: one wins each round."""
    db = tmp_path / "sessions.sqlite3"
    servers = [Server(db), Server(db)]
    writers, rounds = 6, 8
    try:
        with httpx2.Client(base_url=servers[0].url, timeout=10) as client:
            session_id = _start(client)["id"]
        barrier = threading.Barrier(writers, timeout=30)
        outcomes: list[tuple[int, str, int]] = []
        lock = threading.Lock()

        def write(number: int) -> None:
            server = servers[number % 2]
            with httpx2.Client(base_url=server.url, timeout=30) as client:
                for round_ in range(rounds):
                    version = client.get(f"/api/v1/sessions/{session_id}").json()["version"]
                    barrier.wait()  # everyone has read the same version; now all write at once
                    text = f"w{number}-r{round_}"
                    response = client.post(
                        f"/api/v1/sessions/{session_id}/act",
                        json=act_body(version, "note", None, {"text": text}),
                    )
                    with lock:
                        outcomes.append((round_, text, response.status_code))
                    if response.status_code == 409:
                        assert response.json()["session"]["version"] == version + 1
                    barrier.wait()  # the round is over before anyone reads again

        threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(outcomes) == writers * rounds
        assert {status for _, _, status in outcomes} == {200, 409}
        winners = [text for _, text, status in outcomes if status == 200]
        for round_ in range(rounds):
            assert sum(1 for r, _, s in outcomes if r == round_ and s == 200) == 1, round_
        with httpx2.Client(base_url=servers[1].url, timeout=10) as client:
            timeline = client.get(f"/api/v1/sessions/{session_id}/timeline").json()
        assert sorted(_notes(timeline["events"])) == sorted(winners)
        assert timeline["version"] == 1 + rounds
    finally:
        for server in servers:
            server.stop()
