"""The consumer tier's Node side: independent consumers from npm, installed once into a cache.

``package.json`` and ``package-lock.json`` here pin them (HL7's R4 JSON Schema, Medplum's
validator and in-memory FHIR engine, Learning Locker's xAPI validator, Ajv). They are installed
with ``npm ci`` into ``$ISLETFLOW_CONSUMERS_CACHE`` (default ``~/.cache/isletflow/consumers``),
in a folder named by the lock file's hash, so an install happens once per lock file; the
``.mjs`` scripts are copied beside them and run with ``node``. Without node or npm, or without
the registry (offline), the tests skip and say why; they never fail for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
MANIFESTS = ("package.json", "package-lock.json")
INSTALL_SECONDS = 600
RUN_SECONDS = 300


def _cache_root() -> Path:
    given = os.environ.get("ISLETFLOW_CONSUMERS_CACHE")
    return Path(given) if given else Path.home() / ".cache" / "isletflow" / "consumers"


def _node_major(node: str) -> int:
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    try:
        return int(version.stdout.strip().lstrip("v").split(".")[0])
    except ValueError:
        return 0


def consumers() -> Path:
    """The folder with the consumers installed and the scripts beside them; skip if impossible."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("the consumer tier needs node and npm (Node 18 or later), not installed here")
    if _node_major(node) < 18:
        pytest.skip("the consumer tier needs Node 18 or later")
    digest = hashlib.sha256(b"".join((HERE / name).read_bytes() for name in MANIFESTS))
    target = _cache_root() / digest.hexdigest()[:16]
    if not (target / "node_modules" / ".isletflow-installed").exists():
        _install(npm, target)
    for script in HERE.glob("*.mjs"):
        _place(script, target / script.name)
    return target


def _place(script: Path, there: Path) -> None:
    """Copy ``script`` to ``there`` atomically, and only when it changed: another test process
    (pytest-xdist) may be running the copy already there."""
    body = script.read_bytes()
    if there.exists() and there.read_bytes() == body:
        return
    fd, temporary = tempfile.mkstemp(prefix=".placing-", dir=there.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(body)
    os.replace(temporary, there)


def _install(npm: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="installing-", dir=target.parent))
    try:
        for name in MANIFESTS:
            shutil.copyfile(HERE / name, staging / name)
        command = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
        try:
            done = subprocess.run(
                command, cwd=staging, capture_output=True, text=True, timeout=INSTALL_SECONDS
            )
        except subprocess.TimeoutExpired:
            pytest.skip(f"installing the consumers from npm took over {INSTALL_SECONDS} s")
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()[-3:]
            pytest.skip("could not install the consumers from npm (offline?): " + " / ".join(said))
        (staging / "node_modules" / ".isletflow-installed").touch()
        with contextlib.suppress(OSError):  # another run installed it meanwhile: keep theirs
            staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def run(script: str, payload: Any) -> Any:
    """Run ``script`` (one of the .mjs here) on ``payload`` as JSON; its JSON answer."""
    folder = consumers()
    done = subprocess.run(
        ["node", script],
        cwd=folder,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout)
