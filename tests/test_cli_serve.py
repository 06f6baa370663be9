"""isletflow serve says whether authentication is on, and refuses a token that could never work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

from isletflow.cli import main


@pytest.mark.parametrize(
    ("token", "said"), [(None, "authentication off"), ("s3cret", "authentication on")]
)
def test_the_start_up_line_says_whether_authentication_is_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, token: str | None, said: str
) -> None:
    """The first line names the address, the store and the state of authentication."""
    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    if token is None:
        monkeypatch.delenv("ISLETFLOW_TOKEN", raising=False)
    else:
        monkeypatch.setenv("ISLETFLOW_TOKEN", token)
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "s.sqlite3")])
    assert result.exit_code == 0, result.output
    assert said in result.stderr
    assert len(served) == 1


def test_an_empty_token_is_one_line_and_nothing_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ISLETFLOW_TOKEN="" would turn authentication off silently: it is refused, exit 1."""
    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    monkeypatch.setenv("ISLETFLOW_TOKEN", "")
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "s.sqlite3")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "ISLETFLOW_TOKEN" in result.stderr
    assert served == []
