"""The OpenAPI document as a generated client reads it (issue 15, point 4).

Method names come from the operationIds, so they are pinned here: a rename is an API change
(``API_VERSION``). The errors the middleware answers (401, 413) are documented on the routes
that can answer them; a 201 says where the new session is; the action enum is what the server
accepts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from isletflow import __version__
from isletflow.service import create_app
from isletflow.service.document import API_PREFIX, API_VERSION, explicit_operation_id
from service_support import act_body

TOKEN = {"Authorization": "Bearer s3cret"}

OPERATIONS = {
    ("get", "/api/v1/scenarios"): "listScenarios",
    ("get", "/api/v1/actions"): "listActions",
    ("get", "/api/v1/words"): "getWords",
    ("post", "/api/v1/sessions"): "createSession",
    ("get", "/api/v1/sessions/{session_id}"): "getSession",
    ("post", "/api/v1/sessions/{session_id}/act"): "takeAction",
    ("post", "/api/v1/sessions/{session_id}/advance"): "advanceClock",
    ("get", "/api/v1/sessions/{session_id}/timeline"): "getTimeline",
    ("get", "/api/v1/sessions/{session_id}/timeline.txt"): "getTimelineText",
    ("get", "/api/v1/sessions/{session_id}/score"): "getScore",
    ("get", "/api/v1/sessions/{session_id}/debrief"): "getDebrief",
    ("get", "/api/v1/sessions/{session_id}/debrief.txt"): "getDebriefText",
    ("get", "/api/v1/sessions/{session_id}/xapi"): "getXapiStatements",
    ("get", "/api/v1/sessions/{session_id}/fhir"): "getFhirBundle",
    ("get", "/api/v1/sessions/{session_id}/diagram"): "getDiagram",
    ("get", "/api/v1/sessions/{session_id}/diagram.mmd"): "getDiagramMermaid",
    ("get", "/api/v1/health"): "getHealth",
    ("post", "/api/v1/courses"): "createCourse",
    ("get", "/api/v1/courses/{course_id}"): "getCourse",
    ("post", "/api/v1/courses/{course_id}/act"): "takeCourseAction",
    ("post", "/api/v1/courses/{course_id}/advance"): "advanceCourseClock",
    ("post", "/api/v1/courses/{course_id}/decide"): "decideReinfusion",
    ("get", "/api/v1/courses/{course_id}/score"): "getCourseScore",
    ("get", "/api/v1/courses/{course_id}/debrief"): "getCourseDebrief",
    ("get", "/api/v1/courses/{course_id}/debrief.txt"): "getCourseDebriefText",
    ("get", "/api/v1/courses/{course_id}/timeline"): "getCourseTimeline",
}
"""The published contract: a generated client's method names."""

BODIES = {
    "/api/v1/sessions",
    "/api/v1/sessions/{session_id}/act",
    "/api/v1/sessions/{session_id}/advance",
    "/api/v1/courses",
    "/api/v1/courses/{course_id}/act",
    "/api/v1/courses/{course_id}/advance",
    "/api/v1/courses/{course_id}/decide",
}


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = str(tmp_path_factory.mktemp("openapi") / "s.db")
    with TestClient(create_app(db, token="s3cret", body_limit=2048)) as client:
        yield client


@pytest.fixture(scope="module")
def open_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(str(tmp_path_factory.mktemp("open") / "s.db"))) as client:
        yield client


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def test_every_route_has_its_pinned_operation_id(open_client: TestClient) -> None:
    """Each operationId is the one published, not FastAPI's ``read_session_api_…_get``."""
    document = open_client.get("/openapi.json").json()
    found = {(m, p): op["operationId"] for m, p, op in _operations(document)}
    assert found == OPERATIONS
    links = {
        link["operationId"]
        for _m, _p, op in _operations(document)
        for answer in op["responses"].values()
        for link in answer.get("links", {}).values()
    }
    assert links
    assert links <= set(OPERATIONS.values())  # every link names a real operation


def test_a_documented_route_without_an_operation_id_is_refused() -> None:
    """A new route that forgot ``operation_id=`` fails as the app is built, not in a client."""
    router = APIRouter(generate_unique_id_function=explicit_operation_id)
    with pytest.raises(TypeError, match="/forgotten needs an explicit operation_id"):
        router.add_api_route("/forgotten", lambda: None)
    router.add_api_route("/named", lambda: None, operation_id="named")
    router.add_api_route("/hidden", lambda: None, include_in_schema=False)


def test_the_document_carries_the_api_version(open_client: TestClient) -> None:
    """``info.version`` is the API's version; the package's is beside it."""
    info = open_client.get("/openapi.json").json()["info"]
    assert info["version"] == API_VERSION != __version__
    assert info["x-package-version"] == __version__


def test_the_api_is_served_under_its_major_version(open_client: TestClient) -> None:
    """Every route is under /api/v1, the API version's major number; the page, /docs and the
    document stay at the root."""
    assert API_PREFIX == f"/api/v{API_VERSION.split('.')[0]}" == "/api/v1"
    assert all(path.startswith(API_PREFIX + "/") for _method, path in OPERATIONS)
    for path in ("/", "/docs", "/openapi.json"):
        assert open_client.get(path).status_code == 200, path


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/scenarios"), ("post", "/api/sessions"), ("get", "/api/health")],
)
def test_the_unversioned_paths_are_removed_not_redirected(
    open_client: TestClient, method: str, path: str
) -> None:
    """/api/... answers 404 (a browser's CORS preflight would not follow a redirect)."""
    answer = open_client.request(method, path, json={"scenario": "standard"})
    assert answer.status_code == 404
    assert "location" not in answer.headers


def test_401_is_documented_and_answered_on_every_route(secured: TestClient) -> None:
    """With a token, every operation documents 401 with the body and header it is sent with."""
    document = secured.get("/openapi.json", headers=TOKEN).json()
    schemas = document["components"]["schemas"]
    for method, path, operation in _operations(document):
        documented = operation["responses"]["401"]
        assert set(documented["content"]) == {"application/json"}, path
        assert "WWW-Authenticate" in documented["headers"], path
        ref = documented["content"]["application/json"]["schema"]["$ref"]
        assert schemas[ref.rsplit("/", 1)[1]]["required"] == ["detail"]
        url = path.replace("{session_id}", "nope")
        refused = secured.request(method.upper(), url)
        assert refused.status_code == 401, path
        assert set(refused.json()) == {"detail"}


def test_401_is_not_documented_without_a_token(open_client: TestClient) -> None:
    """A server without a token answers no 401, so its document promises none."""
    document = open_client.get("/openapi.json").json()
    assert not [p for _m, p, op in _operations(document) if "401" in op["responses"]]


def test_413_is_documented_on_the_routes_that_read_a_body(secured: TestClient) -> None:
    """The routes with a body document 413; a body over the limit gets it, as documented."""
    document = secured.get("/openapi.json", headers=TOKEN).json()
    with_413 = {p for _m, p, op in _operations(document) if "413" in op["responses"]}
    assert with_413 == BODIES
    assert with_413 == {p for _m, p, op in _operations(document) if "requestBody" in op}
    view = secured.post("/api/v1/sessions", json={"scenario": "standard"}, headers=TOKEN).json()
    big = act_body(view["version"], "note", None, {"text": "x" * 4000})
    for path in sorted(BODIES):
        url = path.replace("{session_id}", view["id"])
        refused = secured.post(url, json=big, headers=TOKEN)
        assert refused.status_code == 413, path
        assert set(refused.json()) == {"detail"}
        assert "413" in document["paths"][path]["post"]["responses"]


def test_a_created_session_says_where_it_is(open_client: TestClient) -> None:
    """A 201 carries ``Location``, the session's URL, and the document says so."""
    created = open_client.post("/api/v1/sessions", json={"scenario": "standard"})
    assert created.status_code == 201
    location = created.headers["location"]
    assert location == f"/api/v1/sessions/{created.json()['id']}"
    assert open_client.get(location).json() == created.json()
    document = open_client.get("/openapi.json").json()
    assert (
        "Location" in document["paths"]["/api/v1/sessions"]["post"]["responses"]["201"]["headers"]
    )


def test_the_action_enum_is_what_the_server_accepts(open_client: TestClient) -> None:
    """Every action the document lists is taken as an action, and nothing else is listed.

    ``pause_infusion`` is the name of an automatic step (a pressure over the stop rule), not
    something a trainee asks for: the server refuses it, so the document must not offer it.
    """
    document = open_client.get("/openapi.json").json()
    enum = document["components"]["schemas"]["ActRequest"]["properties"]["action"]["enum"]
    act = document["paths"]["/api/v1/sessions/{session_id}/act"]["post"]
    union = act["requestBody"]["content"]["application/json"]["schema"]["discriminator"]
    catalogue = [a["name"] for a in open_client.get("/api/v1/actions").json()]
    assert sorted(enum) == sorted(union["mapping"]) == sorted(catalogue)
    assert "pause_infusion" not in enum
    view = open_client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
    for action in ["pause_infusion", *enum]:  # before an action ends the case
        answer = open_client.post(
            f"/api/v1/sessions/{view['id']}/act", json=act_body(view["version"], action, None, {})
        )
        refused_as_unknown = answer.status_code == 422 and any(
            "is not an action" in p["rule"] for p in answer.json()["problems"]
        )
        assert refused_as_unknown == (action not in enum), (action, answer.text[:200])
        if answer.status_code == 200:
            view = answer.json()["session"]
