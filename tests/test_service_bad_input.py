"""Every class of bad HTTP input gets a clear 422 naming the field; none gets a 5xx or gets in."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.exc import DatabaseError, OperationalError

from isletflow.service import create_app
from isletflow.service.problems import MAX_DEPTH, MAX_ITEMS, MAX_TEXT, shown
from isletflow.service.schemas import MAX_BODY_DEPTH
from isletflow.service.waits import _bounded

DEEP = "[" * 256 + "]" * 256
DEEPER = "[" * 30_000 + "]" * 30_000


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("bad") / "sessions.sqlite3"
    with TestClient(create_app(str(db)), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def session(client: TestClient) -> dict[str, Any]:
    view: dict[str, Any] = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
    return view


# (what, route, raw body with {v} for the current version, the location the 422 names)
BAD: list[tuple[str, str, str, str]] = [
    ("lone surrogate as scenario", "create", '{"scenario": "\\ud800"}', "body.scenario"),
    ("lone surrogate as note text", "act", '{"action": "note", "expected_version": {v}, '
     '"data": {"text": "\\udfff"}}', "body.data.text"),
    ("lone surrogate as a data key", "act", '{"action": "note", "expected_version": {v}, '
     '"data": {"\\ud800": "x"}}', "body.data"),
    ("lone surrogate as a body key", "act", '{"action": "note", "expected_version": {v}, '
     '"\\ud800": 1, "data": {"text": "x"}}', "body"),
    ("a value nested 256 deep", "act", '{"action": "note", "expected_version": {v}, '
     '"data": {"text": ' + DEEP + "}}", "body"),
    ("a body nested 30,000 deep", "act", DEEPER, "body"),
    ("NaN", "act", '{"action": "add_heparin", "expected_version": {v}, '
     '"data": {"units_per_kg": NaN}}', "body"),
    ("Infinity", "advance", '{"by": "1h", "expected_version": Infinity}', "body"),
    ("a 5,000-digit number", "act", '{"action": "note", "expected_version": ' + "9" * 5000
     + ', "data": {"text": "x"}}', "body"),
    ("not JSON", "act", '{"action": "note",', "body"),
]  # fmt: skip

# Lax coercion refused: the API's bodies are strict JSON (the same shape as BAD).
STRICT: list[tuple[str, str, str, str]] = [
    ("expected_version as text", "act", '{"action": "note", "expected_version": "{v}", '
     '"data": {"text": "x"}}', "body.expected_version"),
    ("expected_version true", "advance", '{"by": "1h", "expected_version": true}',
     "body.expected_version"),
    ("expected_version 1.5", "act", '{"action": "note", "expected_version": {v}.5, '
     '"data": {"text": "x"}}', "body.expected_version"),
    ("a number as text in data", "act", '{"action": "add_heparin", "expected_version": {v}, '
     '"data": {"units_per_kg": "70"}}', "body.data.units_per_kg"),
    ("a boolean as a number in data", "act", '{"action": "add_heparin", '
     '"expected_version": {v}, "data": {"units_per_kg": true}}', "body.data.units_per_kg"),
    ("full-width digits in by", "advance", '{"by": "１h", "expected_version": {v}}', "body.by"),
    ("Arabic-Indic digits in after", "act", '{"action": "note", "expected_version": {v}, '
     '"after": "١h", "data": {"text": "x"}}', "body.after"),
    ("the seed as text", "create", '{"scenario": "standard", "seed": "5"}', "body.seed"),
    ("a rubric weight as false", "create", '{"scenario": "standard", '
     '"rubric": {"late_infusion_max": false}}', "body.rubric.late_infusion_max"),
    ("a rubric mark as text", "create", '{"scenario": "standard", '
     '"rubric": {"full_marks": "100"}}', "body.rubric.full_marks"),
]  # fmt: skip


def _url(route: str, session_id: str) -> str:
    return "/api/v1/sessions" if route == "create" else f"/api/v1/sessions/{session_id}/{route}"


@pytest.mark.parametrize(
    ("what", "route", "raw", "location"), BAD + STRICT, ids=[b[0] for b in BAD + STRICT]
)
def test_bad_input_is_a_422_at_its_field_and_changes_nothing(
    client: TestClient, session: dict[str, Any], what: str, route: str, raw: str, location: str
) -> None:
    """Each bad body is a JSON 422 naming where it is wrong; the session does not move."""
    before = client.get(f"/api/v1/sessions/{session['id']}").json()
    body = raw.replace("{v}", str(before["version"]))
    response = client.post(
        _url(route, session["id"]), content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, (what, response.text[:300])
    answer = response.json()
    assert location in [p["location"] for p in answer["problems"]], answer
    after = client.get(f"/api/v1/sessions/{session['id']}").json()
    assert (after["version"], after["now"]) == (before["version"], before["now"])


def test_a_body_that_is_not_utf8_is_a_422_at_body(
    client: TestClient, session: dict[str, Any]
) -> None:
    """Latin-1 bytes in a body are refused as not UTF-8 text, in the problems format."""
    body = b'{"action": "note", "expected_version": 1, "data": {"text": "caf\xe9"}}'
    response = client.post(
        _url("act", session["id"]), content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert (problem["location"], problem["rule"]) == ("body", "must be UTF-8 text")


def test_a_deep_but_allowed_value_is_shown_bounded(
    client: TestClient, session: dict[str, Any]
) -> None:
    """A wrong value nested as deep as a body may go comes back cut at MAX_DEPTH levels."""
    value: Any = ["x" * 2000] * 25
    for _ in range(MAX_BODY_DEPTH - 3):
        value = [value, "y"]
    body = {"action": "note", "expected_version": session["version"], "data": {"text": value}}
    response = client.post(_url("act", session["id"]), json=body)
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["location"] == "body.data.text"
    assert _depth(problem["value"]) <= MAX_DEPTH + 1
    assert len(response.content) < 20_000


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


_TEXT = st.text(st.characters(codec=None, categories=None), max_size=300)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | _TEXT
    | st.integers(min_value=10**300, max_value=10**400),
    lambda inner: st.lists(inner, max_size=30) | st.dictionaries(_TEXT, inner, max_size=30),
    max_leaves=200,
)  # fmt: skip


@given(_VALUES)
def test_a_shown_value_can_always_be_sent(value: Any) -> None:
    """Whatever a problem's value is (surrogates, NaN, huge numbers), it encodes, bounded."""
    out = shown(value)
    encoded = json.dumps(out, ensure_ascii=False, allow_nan=False).encode("utf-8")
    assert _depth(out) <= MAX_DEPTH + 1
    assert len(encoded) < (MAX_ITEMS + 1) ** (MAX_DEPTH + 1) * (MAX_TEXT + 50)


def test_shown_cuts_text_and_escapes_a_lone_surrogate() -> None:
    """Long text is cut; a lone surrogate is written out; NaN and huge numbers become text."""
    assert shown("\ud800") == "\\ud800"
    assert shown("y" * 1000) == "y" * MAX_TEXT + "…"
    assert shown(float("nan")) == "nan"
    assert shown(10**1000) == "an integer of about 1000 digits"
    assert shown(list(range(100)))[-1] == f"…{100 - MAX_ITEMS} more items"


def test_the_error_answers_are_documented(client: TestClient) -> None:
    """The OpenAPI document lists 410 (a damaged session) and 503 (the store) beside 422."""
    act = client.get("/openapi.json").json()["paths"]["/api/v1/sessions/{session_id}/act"]["post"]
    assert {"404", "409", "410", "422", "503"} <= set(act["responses"])


def test_create_refused_session_leaves_nothing(tmp_path: Path) -> None:
    """A refused create stores no session."""
    with TestClient(create_app(str(tmp_path / "s.db"))) as client:
        response = client.post(
            "/api/v1/sessions",
            content='{"scenario": "\\ud800"}',
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 422
        assert client.get("/api/v1/health").json()["sessions"] == 0


@pytest.mark.parametrize(
    ("fault", "status", "level"),
    [
        (OperationalError("SELECT", {}, sqlite3.OperationalError("database or disk is full")),
         503, "WARNING"),
        (DatabaseError("SELECT", {}, sqlite3.DatabaseError("database disk image is malformed")),
         503, "ERROR"),
    ],
    ids=["unavailable", "damaged"],
)  # fmt: skip
def test_a_store_fault_is_answered_and_logged_with_its_cause(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fault: Exception,
    status: int,
    level: str,
) -> None:
    """A database fault is a JSON 503 to the client and a log line with the database's words."""
    app = create_app(str(tmp_path / "s.db"))
    with TestClient(app, raise_server_exceptions=False) as client:
        session_id = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()["id"]

        def fail(*_args: Any) -> None:
            raise fault

        monkeypatch.setattr(app.state.registry.store, "version", fail)
        with caplog.at_level("WARNING", logger="isletflow.service"):
            response = client.get(f"/api/v1/sessions/{session_id}")
    assert response.status_code == status
    assert "session store" in response.json()["detail"]
    [record] = [r for r in caplog.records if r.name == "isletflow.service"]
    assert record.levelname == level
    assert isinstance(fault, DatabaseError)
    assert str(fault.orig) in record.getMessage()


def test_strict_is_json_strict_not_stricter(client: TestClient, session: dict[str, Any]) -> None:
    """2.0 is a JSON integer and "PT1H" a documented duration: accepted; false is no number."""
    view = client.get(f"/api/v1/sessions/{session['id']}").json()
    body = f'{{"by": "1s", "expected_version": {view["version"]}.0}}'
    moved = client.post(
        _url("advance", session["id"]), content=body, headers={"content-type": "application/json"}
    )
    assert moved.status_code == 200, moved.text[:300]
    rubric = {"late_infusion_grace": "PT1H", "late_infusion_max": 5, "order_ignores": ["note"]}
    made = client.post(
        "/api/v1/sessions", json={"scenario": "standard", "rubric": rubric, "index": 0.0}
    )
    assert made.status_code == 201, made.text[:300]
    both = {"late_infusion_grace": "PT1H", "late_infusion_max": False}
    refused = client.post("/api/v1/sessions", json={"scenario": "standard", "rubric": both})
    assert [p["location"] for p in refused.json()["problems"]] == ["body.rubric.late_infusion_max"]


def test_a_custom_error_beside_a_duration_error_is_a_422(client: TestClient) -> None:
    """Found by the stateful fuzzer: a rubric duration given as ``false`` (a custom error type)
    beside another problem was re-raised under a type pydantic cannot name: a 500."""
    body = {"rubric": {"late_infusion_grace": False}, "scenario_spec": []}
    answer = client.post("/api/v1/sessions", json=body)
    assert answer.status_code == 422, answer.text[:300]
    places = {p["location"] for p in answer.json()["problems"]}
    assert places == {"body.scenario_spec", "body.rubric.late_infusion_grace"}


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("PT1H", 3600), ("PT1H30M", 5400), ("P1DT2H", 93600), ("PT0.5S", 0.5), ("1h30min", 5400)],
)
def test_a_wait_is_read_in_iso_8601_as_in_units(
    client: TestClient, written: str, seconds: float
) -> None:
    """The timeline writes ISO 8601: a client can send back what it reads, or isletflow's units."""
    view = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
    moved = client.post(
        _url("advance", view["id"]), json={"by": written, "expected_version": view["version"]}
    )
    assert moved.status_code == 200, moved.text[:300]
    before = datetime.fromisoformat(view["now"])
    after = datetime.fromisoformat(moved.json()["session"]["now"])
    assert (after - before).total_seconds() == seconds


@pytest.mark.parametrize("written", ["P1M", "P1Y", "P1W", "PT", "P", "PT1H-", "pt1h", "１h"])
def test_a_wait_in_an_unsupported_form_is_a_422_at_by(client: TestClient, written: str) -> None:
    """Months and years have no fixed length; an empty or malformed period is no wait."""
    view = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
    moved = client.post(
        _url("advance", view["id"]), json={"by": written, "expected_version": view["version"]}
    )
    assert moved.status_code == 422, moved.text[:300]
    assert [p["location"] for p in moved.json()["problems"]] == ["body.by"]


@pytest.mark.parametrize(
    ("written", "rule"),
    [
        ("P999D", "must be at most 366d (P366D)"),
        ("9999999d", "must be at most 366d (P366D)"),
        ("P1DT", "no time after its P or T"),
        ("P1Y", "no fixed length"),
        ("P2M", "no fixed length"),
        ("1h 30min", "no spaces"),
        ("PT1.5H", "in ISO 8601 from days to seconds"),
        ("1x", "is not a duration"),
    ],
)
def test_a_refused_wait_names_the_rule_it_broke(
    client: TestClient, written: str, rule: str
) -> None:
    """A wait over the bound says so; a malformed one says what is malformed, in words: never
    the bound, never a regular expression."""
    view = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
    moved = client.post(
        _url("advance", view["id"]), json={"by": written, "expected_version": view["version"]}
    )
    [problem] = moved.json()["problems"]
    assert (problem["location"], problem["value"]) == ("body.by", written)
    assert rule in problem["rule"]
    assert "pattern" not in problem["rule"]


@pytest.mark.parametrize(
    ("written", "rule"),
    [
        ("1x", "is not a duration; write a number with a unit"),
        ("99999999999d", "too long"),
        ("-1h", "is negative"),
    ],
)
def test_a_wait_the_reader_refuses_is_refused_in_the_readers_words(written: str, rule: str) -> None:
    """Text no duration reader reads is refused with the reader's reason, not 'at most 366d'."""
    with pytest.raises(ValueError, match=rule) as caught:
        _bounded(written)
    assert "at most" not in str(caught.value)


def test_a_client_sends_back_the_time_left_it_read(client: TestClient) -> None:
    """The view writes ISO 8601 and a wait reads it: advancing by a deadline's time left
    lands exactly on it."""
    view = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
    [deadline] = view["deadlines"]
    assert deadline["time_left"].startswith("PT")
    moved = client.post(
        _url("advance", view["id"]),
        json={"by": deadline["time_left"], "expected_version": view["version"]},
    ).json()["session"]
    assert moved["now"] == deadline["due"]
