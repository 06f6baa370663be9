"""The bearer gate: the scheme in any case, and tokens that could never work refused up front."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import isletflow as fl
from isletflow.service.app import (
    DB_VARIABLE,
    TOKEN_VARIABLE,
    create_app,
    from_environment,
    serving_line,
)
from isletflow.service.middleware import checked_token


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "sessions.sqlite3")


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_scheme_is_case_insensitive(db: str, scheme: str) -> None:
    """RFC 7235: 'bearer' and 'BEARER' carry the token as 'Bearer' does."""
    with TestClient(create_app(db, token="s3cret")) as client:
        answer = client.get("/api/v1/scenarios", headers={"Authorization": f"{scheme} s3cret"})
        assert answer.status_code == 200


@pytest.mark.parametrize(
    "header", ["Basic s3cret", "Bearer", "Bearer ", "s3cret", "Bearer s3cret ", "Bearers3cret"]
)
def test_anything_but_the_bearer_token_is_refused(db: str, header: str) -> None:
    """Another scheme, a missing token or a token with extra text is 401."""
    with TestClient(create_app(db, token="s3cret")) as client:
        assert client.get("/api/v1/scenarios", headers={"Authorization": header}).status_code == 401


@pytest.mark.parametrize("token", ["", "   ", " s3cret", "s3cret ", "s3 cret"])
def test_a_token_that_could_never_match_is_refused_before_serving(db: str, token: str) -> None:
    """An empty token (auth silently off) or one with spaces (never matches) is InvalidInput."""
    with pytest.raises(fl.InvalidInput) as caught:
        create_app(db, token=token)
    assert caught.value.problems[0].location == "ISLETFLOW_TOKEN"


def test_no_token_means_no_gate() -> None:
    """Unset is the one way to serve without authentication."""
    assert checked_token(None) is None
    assert checked_token("s3cret") == "s3cret"


def test_workers_refuse_an_empty_token_from_the_environment(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ISLETFLOW_TOKEN="" in a worker's environment is refused, not read as "no token"."""
    monkeypatch.setenv(DB_VARIABLE, db)
    monkeypatch.setenv(TOKEN_VARIABLE, "")
    with pytest.raises(fl.InvalidInput):
        from_environment()
    monkeypatch.setenv(TOKEN_VARIABLE, "s3cret")
    with TestClient(from_environment()) as client:
        assert client.get("/api/v1/health").status_code == 401


def test_the_start_up_line_says_whether_authentication_is_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The serve line says on or off, hides a database password, and refuses an empty token."""
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    line = serving_line("127.0.0.1", 8000, "postgresql://me:hunter2@db/isletflow")
    assert line.endswith("authentication off (ISLETFLOW_TOKEN is not set))")
    assert "hunter2" not in line
    assert "postgresql://me:***@db/isletflow" in line
    assert "hunter2" not in serving_line("127.0.0.1", 8000, "postgresql://me:hunter2@[db")
    monkeypatch.setenv(TOKEN_VARIABLE, "s3cret")
    assert "authentication on" in serving_line("127.0.0.1", 8000, "s.db")
    assert "s3cret" not in serving_line("127.0.0.1", 8000, "s.db")
    monkeypatch.setenv(TOKEN_VARIABLE, "")
    with pytest.raises(fl.InvalidInput):
        serving_line("127.0.0.1", 8000, "s.db")
