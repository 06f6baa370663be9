"""The service's training read-outs: score, debrief, xAPI, FHIR and the workflow diagram."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from isletflow import library
from isletflow.service import create_app
from isletflow.simulation import simulate
from isletflow.training import Exercise, moves_of, walk


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(tmp_path / "s.sqlite3"))) as test_client:
        yield test_client


def _play(client: TestClient, name: str, upto: str | None = None) -> dict[str, Any]:
    """Start ``name`` and make the expert's moves (up to, not including, ``upto``)."""
    view: dict[str, Any] = client.post("/api/v1/sessions", json={"scenario": name}).json()
    for step in moves_of(simulate(library.load(name)).timeline):
        if step.action == upto:
            break
        if step.action is None:
            body = {"by": step.after, "expected_version": view["version"]}
            view = client.post(f"/api/v1/sessions/{view['id']}/advance", json=body).json()[
                "session"
            ]
            continue
        body = {"action": step.action, "expected_version": view["version"], "data": step.choices}
        if step.after:
            body["after"] = step.after
        response = client.post(f"/api/v1/sessions/{view['id']}/act", json=body)
        assert response.status_code == 200, response.text
        view = response.json()["session"]
    return view


def test_a_high_baseline_pressure_refusal_is_shown_before_trying(client: TestClient) -> None:
    """On portal_pressure_high the view lists start_infusion as refused, with the reading."""
    view = _play(client, "portal_pressure_high", upto="start_infusion")
    assert view["state"] == "infuse.access"
    [start] = [a for a in view["allowed"] if a["action"] == "start_infusion"]
    assert start["accepted"] is False
    assert [f["code"] for f in start["failures"]] == ["portal_pressure_high"]
    assert "21 mmHg" in start["failures"][0]["message"]
    assert [m["value"] for m in view["revealed"] if m["field"] == "mmhg"] == [21.0]


def test_score_and_debrief_match_the_library_session(client: TestClient) -> None:
    """Score, debrief and its text over HTTP are the TrainingSession's own for the same moves."""
    view = _play(client, "portal_pressure_pause")
    assert view["finished"]
    exercise = Exercise.from_scenario("portal_pressure_pause")
    local = exercise.session()
    walk(local.case, local.lab, moves_of(exercise.expert))
    base = f"/api/v1/sessions/{view['id']}"
    assert client.get(f"{base}/score").json() == local.score().model_dump(mode="json")
    debrief = client.get(f"{base}/debrief").json()
    assert debrief == local.debrief().model_dump(mode="json")
    text = client.get(f"{base}/debrief.txt")
    assert text.headers["content-type"].startswith("text/plain")
    assert text.text == local.debrief().text()
    assert "Debrief: portal_pressure_pause" in text.text


def test_xapi_statements_name_the_trainee(client: TestClient) -> None:
    """xAPI statements carry the trainee's account; a bad home page is a 422 at the query."""
    view = _play(client, "standard", upto="release")
    base = f"/api/v1/sessions/{view['id']}/xapi"
    lms = "https://lms.example.org"
    statements = client.get(base, params={"account": "ada", "home_page": lms}).json()
    assert statements[0]["verb"]["id"].endswith("/attempted")
    assert {s["actor"]["account"]["name"] for s in statements} == {"ada"}
    bad = client.get(base, params={"account": "ada", "home_page": "not a url"})
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["location"].startswith("query")


def test_fhir_bundle_builds_without_and_validates_with_fhir_resources(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundle needs nothing extra; validating it without fhir.resources is a clear 501."""
    view = _play(client, "standard")
    url = f"/api/v1/sessions/{view['id']}/fhir"
    bundle = client.get(url).json()
    assert bundle["resourceType"] == "Bundle"
    assert client.get(url, params={"validate": "true"}).status_code == 200
    monkeypatch.setitem(sys.modules, "fhir.resources.R4B.bundle", None)
    missing = client.get(url, params={"validate": "true"})
    assert missing.status_code == 501
    assert "pip install 'isletflow[fhir]'" in missing.json()["detail"]
    assert client.get(url).json() == bundle


def test_diagram_marks_the_sessions_path(client: TestClient) -> None:
    """The diagram lights the states visited and the steps taken, and says where it stands."""
    view = _play(client, "standard", upto="release")
    diagram = client.get(f"/api/v1/sessions/{view['id']}/diagram").json()
    assert diagram["state"] == "purify.release_testing"
    visited = {s["name"] for s in diagram["states"] if s["visited"]}
    assert {"harvest.procured", "purify.culture", "purify.release_testing"} <= visited
    assert "infuse.access" not in visited
    taken = {(e["source"], e["name"]) for e in diagram["edges"] if e["taken"]}
    assert ("harvest.procured", "start_isolation") in taken
    assert ("purify.release_testing", "release") not in taken
    text = client.get(f"/api/v1/sessions/{view['id']}/diagram.mmd").text
    assert text.startswith("stateDiagram-v2")
    assert text == diagram["mermaid"]


def test_a_session_restored_by_a_new_process_scores_the_same(tmp_path: Path) -> None:
    """A second app on the same database rebuilds the exercise and gives the same view."""
    db = str(tmp_path / "s.sqlite3")
    with TestClient(create_app(db)) as first:
        view = _play(first, "population", upto="release")
    with TestClient(create_app(db)) as second:
        again = second.get(f"/api/v1/sessions/{view['id']}").json()
    assert again == view
    assert again["scenario"] == "population"
