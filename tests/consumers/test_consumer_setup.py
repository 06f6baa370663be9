"""The consumer tier never fails for want of node or the npm registry: it skips and says why."""

from __future__ import annotations

from pathlib import Path

import node_consumers
import pytest


def test_without_node_the_tier_skips_saying_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """No node on the PATH: a skip naming node, not a failure."""
    monkeypatch.setattr(node_consumers.shutil, "which", lambda _name: None)
    with pytest.raises(pytest.skip.Exception, match="node and npm"):
        node_consumers.consumers()


def test_offline_the_tier_skips_saying_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry that does not answer (offline): a skip naming npm, and no half-made cache."""
    if node_consumers.shutil.which("npm") is None:
        pytest.skip("npm is not installed here")
    monkeypatch.setenv("ISLETFLOW_CONSUMERS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))
    monkeypatch.setenv("npm_config_fetch_retries", "0")
    monkeypatch.setenv("npm_config_fetch_timeout", "2000")
    monkeypatch.setenv("npm_config_offline", "false")
    with pytest.raises(pytest.skip.Exception, match="could not install the consumers from npm"):
        node_consumers.consumers()
    assert list((tmp_path / "cache").iterdir()) == []
