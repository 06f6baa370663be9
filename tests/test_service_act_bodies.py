"""The OpenAPI document gives each action's act body; the server's validation stays the one.

A generated client learns each action's fields from a discriminated union on ``action``; the
server still reads every body as ``ActRequest`` and checks ``data`` against the same choices.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from isletflow import workflow as wf
from isletflow.service import create_app
from isletflow.training.lab import CHOICES
from service_support import STANDARD_WALK, act_body

ACT = "/api/v1/sessions/{session_id}/act"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    app = create_app(str(tmp_path_factory.mktemp("bodies") / "s.db"))
    with TestClient(app) as client:
        yield client, client.get("/openapi.json").json()


def _body_schema(document: dict[str, Any], action: str) -> dict[str, Any]:
    """The document's schema of ``action``'s body, resolvable against the whole document."""
    body = document["paths"][ACT]["post"]["requestBody"]["content"]["application/json"]["schema"]
    ref = body["discriminator"]["mapping"][action]
    return {"$ref": ref, "components": document["components"]}


def _valid(document: dict[str, Any], action: str, body: dict[str, Any]) -> bool:
    return jsonschema.Draft202012Validator(_body_schema(document, action)).is_valid(body)


def test_every_action_has_its_body_with_its_choices(served: Any) -> None:
    """One body per action, picked by ``action``; its data holds the choices, never a measured
    field; a body for one action does not pass as another's."""
    _, document = served
    schemas = document["components"]["schemas"]
    body = document["paths"][ACT]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["discriminator"]["mapping"]) == set(wf.ACTIONS)
    assert len(body["oneOf"]) == len(wf.ACTIONS)
    for action, row in wf.ACTIONS.items():
        typed = schemas[body["discriminator"]["mapping"][action].rsplit("/", 1)[1]]
        assert typed["properties"]["action"] == {"const": action}
        data = schemas[typed["properties"]["data"]["$ref"].rsplit("/", 1)[1]]
        assert set(data.get("properties", {})) == set(CHOICES[action].model_fields)
        assert not set(data.get("properties", {})) & row.measured
    assert not _valid(document, "release", act_body(0, "note", None, {"text": "x"}))


def test_the_standard_walk_fits_the_document_and_the_server(served: Any) -> None:
    """Each step of the standard case is a valid body of its action, and the server takes it."""
    client, document = served
    view = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
    for action, after, data in STANDARD_WALK:
        body = act_body(view["version"], action, after, data)
        assert _valid(document, action, body), action
        answer = client.post(f"/api/v1/sessions/{view['id']}/act", json=body)
        assert answer.status_code == 200, answer.text[:300]
        view = answer.json()["session"]
    assert view["state"] == "completed"


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("give_induction", {}),
        ("give_induction", {"agent": 7}),
        ("add_heparin", {"units_per_kg": "70"}),
        ("note", {"text": "x", "extra": 1}),
        ("finish_digestion", {"digest_ieq": 1000.0}),
    ],
)
def test_a_body_the_document_refuses_the_server_refuses(
    served: Any, action: str, data: dict[str, Any]
) -> None:
    """Data outside its action's documented choices is refused by the server too (422)."""
    client, document = served
    view = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
    body = act_body(view["version"], action, None, data)
    assert not _valid(document, action, body)
    assert client.post(f"/api/v1/sessions/{view['id']}/act", json=body).status_code == 422


def test_the_document_is_built_once(tmp_path: Path) -> None:
    """Reading the document twice gives the same document (the bodies are added once)."""
    with TestClient(create_app(str(tmp_path / "s.db"))) as client:
        first = client.get("/openapi.json").json()
        assert client.get("/openapi.json").json() == first
