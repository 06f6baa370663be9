"""The service for other software: CORS for allowed origins, /docs without a CDN, FHIR as
application/fhir+json with ids of the session's own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from isletflow.cli import main
from isletflow.errors import InvalidInput
from isletflow.service import create_app
from isletflow.service.middleware import CORS_VARIABLE, checked_origins

WEB = "http://localhost:5173"
PREFLIGHT = {
    "Origin": WEB,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type, authorization",
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(tmp_path / "s.sqlite3"), cors_origins=[WEB])) as test_client:
        yield test_client


def test_a_preflight_from_an_allowed_origin_is_answered(client: TestClient) -> None:
    """OPTIONS from an allowed origin: 204 with its origin, the methods and the headers."""
    answer = client.options("/api/v1/sessions", headers=PREFLIGHT)
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == WEB
    assert "POST" in answer.headers["access-control-allow-methods"]
    allowed = {h.strip() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert allowed == {"authorization", "content-type"}
    created = client.post(
        "/api/v1/sessions", json={"scenario": "standard"}, headers={"Origin": WEB}
    )
    assert created.status_code == 201
    assert created.headers["access-control-allow-origin"] == WEB


def test_other_origins_get_no_cors_header(client: TestClient) -> None:
    """Another origin's preflight is not answered as allowed, and its answers name no origin."""
    other = {**PREFLIGHT, "Origin": "http://evil.example"}
    assert (
        "access-control-allow-origin"
        not in client.options("/api/v1/sessions", headers=other).headers
    )
    plain = client.get("/api/v1/scenarios", headers={"Origin": "http://evil.example"})
    assert plain.status_code == 200
    assert "access-control-allow-origin" not in plain.headers


def test_no_origin_is_allowed_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the setting, no origin is allowed; the environment variable sets the list."""
    monkeypatch.delenv(CORS_VARIABLE, raising=False)
    with TestClient(create_app(str(tmp_path / "a.sqlite3"))) as bare:
        assert bare.options("/api/v1/sessions", headers=PREFLIGHT).status_code == 405
    monkeypatch.setenv(CORS_VARIABLE, f"http://a.example:8080, {WEB}")
    with TestClient(create_app(str(tmp_path / "b.sqlite3"))) as configured:
        assert configured.options("/api/v1/sessions", headers=PREFLIGHT).status_code == 204


def test_with_a_token_the_preflight_needs_none_and_a_401_is_readable(tmp_path: Path) -> None:
    """A preflight carries no token, so it passes; a 401 carries the CORS header to be read."""
    app = create_app(str(tmp_path / "t.sqlite3"), token="s3cret", cors_origins=[WEB])
    with TestClient(app) as secured:
        assert secured.options("/api/v1/sessions", headers=PREFLIGHT).status_code == 204
        refused = secured.get("/api/v1/scenarios", headers={"Origin": WEB})
        assert refused.status_code == 401
        assert refused.headers["access-control-allow-origin"] == WEB


@pytest.mark.parametrize("bad", ["*", "localhost:5173", "http://localhost:5173/", "ftp://x.org"])
def test_a_bad_origin_setting_is_refused_by_name(bad: str) -> None:
    """An origin that no browser sends (a path, no scheme, a wildcard) is an InvalidInput."""
    with pytest.raises(InvalidInput, match=CORS_VARIABLE):
        checked_origins(bad)
    result = CliRunner().invoke(main, ["serve", "--cors-origin", bad, "--db", "/nonexistent/x"])
    assert result.exit_code == 1
    assert "--cors-origin" in result.output


def test_docs_render_from_the_service_alone(client: TestClient) -> None:
    """/docs loads Swagger UI 5 from this service: every script, style and icon is local."""
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text)
    urls += re.findall(r"""url: ?["']([^"']+)""", page.text)
    assert urls
    assert all(u.startswith("/") for u in urls), urls
    assert "cdn" not in page.text.lower()
    for url in urls:
        got = client.get(url)
        assert got.status_code == 200, url
    script = client.get("/docs/swagger-ui-bundle.js")
    assert "javascript" in script.headers["content-type"]
    assert client.get("/docs/../app.py").status_code == 404


def _resources(bundle: dict[str, Any]) -> set[str]:
    return {
        e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] != "Device"
    }


def test_fhir_is_fhir_json_and_each_session_is_its_own_case(client: TestClient) -> None:
    """The FHIR route answers application/fhir+json; two sessions of one scenario share no id,
    and the session id appears nowhere in the bundle."""
    bundles = []
    for _ in range(2):
        view = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
        answer = client.get(f"/api/v1/sessions/{view['id']}/fhir")
        assert answer.headers["content-type"].startswith("application/fhir+json")
        assert view["id"] not in answer.text
        bundles.append(answer.json())
        batch = client.get(f"/api/v1/sessions/{view['id']}/fhir", params={"type": "batch"}).json()
        assert batch["type"] == "batch"
        assert _resources(batch) == _resources(answer.json())
    a, b = bundles
    assert _resources(a).isdisjoint(_resources(b))
