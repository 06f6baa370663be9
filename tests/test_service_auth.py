"""The bearer gate: the scheme in any case, and tokens that could never work refused up front."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import isletflow as fl
from isletflow.service.app import create_app
from isletflow.service.middleware import checked_token


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "sessions.sqlite3")


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_scheme_is_case_insensitive(db: str, scheme: str) -> None:
    """RFC 7235: 'bearer' and 'BEARER' carry the token as 'Bearer' does."""
    with TestClient(create_app(db, token="s3cret")) as client:
        answer = client.get("/api/scenarios", headers={"Authorization": f"{scheme} s3cret"})
        assert answer.status_code == 200


@pytest.mark.parametrize(
    "header", ["Basic s3cret", "Bearer", "Bearer ", "s3cret", "Bearer s3cret ", "Bearers3cret"]
)
def test_anything_but_the_bearer_token_is_refused(db: str, header: str) -> None:
    """Another scheme, a missing token or a token with extra text is 401."""
    with TestClient(create_app(db, token="s3cret")) as client:
        assert client.get("/api/scenarios", headers={"Authorization": header}).status_code == 401


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
