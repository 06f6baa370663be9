"""Shared pieces of the service tests: the standard case as API requests, a free port, a server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2

# examples/standard_case.py (percutaneous), one act request per step: (action, after, data).
# The data is the trainee's choices only: the standard scenario's lab measures the rest.
STANDARD_WALK: list[tuple[str, str | None, dict[str, Any]]] = [
    ("start_isolation", "6h", {}),
    ("finish_digestion", "4h", {}),
    ("start_culture", "5h", {}),
    ("submit_for_release", "24h", {}),
    ("record_release_tests", "3h", {}),
    ("release", None, {}),
    ("give_induction", "30min", {"agent": "rabbit ATG"}),
    ("add_heparin", None, {"units_per_kg": 70}),
    (
        "access_portal_vein",
        "90min",
        {"anesthesia": "local_sedation", "imaging": ["ultrasound", "fluoroscopy"]},
    ),
    ("record_portal_pressure", "10min", {}),
    ("start_infusion", "20min", {}),
    ("record_portal_pressure", "12min", {}),
    ("complete_infusion", "13min", {}),
    ("record_portal_pressure", None, {}),
    ("seal_access", "15min", {"track_sealant": "gelfoam"}),
    ("record_trough", "3d", {"drug": "tacrolimus"}),
    ("start_follow_up", "4d", {}),
    ("assess_graft", "83d", {}),
]


def act_body(version: int, action: str, after: str | None, data: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"action": action, "expected_version": version, "data": data}
    if after is not None:
        body["after"] = after
    return body


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """``isletflow serve`` as a subprocess on loopback; stopped (or killed) by the test."""

    def __init__(self, db: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = Path(sys.executable).with_name("isletflow")
        self.process = subprocess.Popen(
            [
                str(command),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--db",
                str(db),
            ],
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read()!r}")  # type: ignore[union-attr]
            try:
                httpx2.get(self.url + "/", timeout=1)
                return
            except httpx2.TransportError:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError("server did not start within 60 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush; what was committed must be there."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        if self.process.stderr is not None:
            self.process.stderr.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process.stderr is not None:
            self.process.stderr.close()
