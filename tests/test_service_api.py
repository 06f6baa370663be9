"""The HTTP API in-process: sessions, actions, refusals, errors, versions, storage, safety."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from isletflow import Case, InvalidInput, library
from isletflow.service import create_app
from isletflow.service.database import EVENTS
from isletflow.service.schemas import SessionView
from isletflow.service.sessions import Session, SessionHeader
from isletflow.service.store import SessionStore
from isletflow.simulation import simulate
from isletflow.timeline import events_from_python, events_to_python
from isletflow.training import Exercise, PlanStep, View, moves_of, walk
from service_support import STANDARD_WALK, act_body

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "sessions.sqlite3")


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    with TestClient(create_app(db)) as test_client:
        yield test_client


def start(client: TestClient, scenario: str = "standard") -> dict[str, Any]:
    response = client.post("/api/v1/sessions", json={"scenario": scenario})
    assert response.status_code == 201, response.text
    view: dict[str, Any] = response.json()
    return view


def act(
    client: TestClient, view: dict[str, Any], action: str, after: str | None = None, **data: Any
) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/sessions/{view['id']}/act", json=act_body(view["version"], action, after, data)
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def spec(**donor: Any) -> dict[str, Any]:
    """A posted scenario: the bundled laparoscopic case with some donor values changed."""
    import yaml

    text = (EXAMPLES / "scenarios" / "approach_laparoscopic.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    data["donor"] = {**data["donor"], "cross_clamp_at": "2026-03-02T22:00:00Z", **donor}
    return data


def test_standard_case_over_http_gives_the_engines_timeline(client: TestClient) -> None:
    """The expert's moves on the standard scenario over HTTP give its timeline and full marks."""
    expected = simulate(library.load("standard"))
    view = start(client)
    for step in moves_of(expected.timeline):
        assert step.action is not None  # the standard expert never only waits
        result = act(client, view, step.action, step.after, **step.choices)
        assert result["accepted"], (step.action, result["failures"])
        view = result["session"]
    assert view["outcome"]["status"] == "completed"
    assert view["outcome"]["code"] == "good"  # computed from one infusion's graft
    assert view["finished"]
    assert view["allowed"] == []
    assert view["score"] == {"points": 100.0, "full_marks": 100.0, "deviations": []}
    timeline = client.get(f"/api/v1/sessions/{view['id']}/timeline").json()
    assert timeline["events"] == events_to_python(expected.timeline)
    assert timeline["version"] == view["version"] == len(expected.timeline)


def test_the_standard_walk_completes_over_http(client: TestClient) -> None:
    """The walk of examples/standard_case.py, choices only, completes the standard scenario."""
    view = start(client)
    for action, after, data in STANDARD_WALK:
        result = act(client, view, action, after, **data)
        assert result["accepted"], (action, result["failures"])
        view = result["session"]
    outcome = view["outcome"]
    assert (outcome["status"], outcome["code"]) == ("completed", "good")
    assert view["score"]["points"] > 0


def test_refusal_is_a_normal_answer_with_every_failure(client: TestClient) -> None:
    """A clinical "no" is 200 with accepted false, the failed guards, and a recorded refusal."""
    view = start(client, "donor_ineligible")
    result = act(client, view, "start_isolation", "6h")
    assert result["accepted"] is False
    assert [f["code"] for f in result["failures"]] == ["donor_ineligible"]
    assert "70" in result["failures"][0]["message"]
    assert [e["kind"] for e in result["events"]] == ["refused"]
    assert result["session"]["state"] == "harvest.procured"
    assert result["session"]["version"] == view["version"] + 1


def test_allowed_actions_carry_the_reasons_they_would_be_refused(client: TestClient) -> None:
    """A session's allowed list says, for each action, which guards would fail and why."""
    response = client.post("/api/v1/sessions", json={"scenario_spec": spec(age_years=70)})
    assert response.status_code == 201, response.text
    allowed = {a["action"]: a for a in response.json()["allowed"]}
    assert set(allowed) == {"start_isolation", "abort", "note"}
    isolation = allowed["start_isolation"]
    assert isolation["accepted"] is False
    assert [f["code"] for f in isolation["failures"]] == ["donor_ineligible"]
    assert "70" in isolation["failures"][0]["message"]


def test_malformed_data_is_422_naming_field_value_and_rule(client: TestClient) -> None:
    """A choice out of range is refused with the field, the value and the rule; nothing moves."""
    view = start(client)
    for action, after, data in STANDARD_WALK[:6]:
        view = act(client, view, action, after, **data)["session"]
    response = client.post(
        f"/api/v1/sessions/{view['id']}/act",
        json=act_body(view["version"], "add_heparin", "1h", {"units_per_kg": -5}),
    )
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["location"] == "body.data.units_per_kg"
    assert problem["value"] == -5
    after = client.get(f"/api/v1/sessions/{view['id']}").json()
    assert (after["version"], after["now"]) == (view["version"], view["now"])


def test_a_measured_value_is_never_posted(client: TestClient) -> None:
    """A trainee who sends a value the lab measures gets a 422 naming it; nothing moves."""
    view = start(client)
    view = act(client, view, "start_isolation", "6h")["session"]
    response = client.post(
        f"/api/v1/sessions/{view['id']}/act",
        json=act_body(view["version"], "finish_digestion", "4h", {"digest_ieq": 900_000}),
    )
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["location"] == "body.data.digest_ieq"
    assert "measured by the lab" in problem["rule"]
    after = client.get(f"/api/v1/sessions/{view['id']}").json()
    assert (after["version"], after["now"]) == (view["version"], view["now"])
    done = act(client, view, "finish_digestion", "4h")
    assert done["accepted"]
    assert [m["value"] for m in done["session"]["revealed"]] == [620_000]


def test_unknown_action_and_bad_fields_list_every_problem(client: TestClient) -> None:
    """An unknown action names the valid ones; a body with several faults lists each one."""
    view = start(client)
    url = f"/api/v1/sessions/{view['id']}/act"
    unknown = client.post(url, json=act_body(1, "teleport", None, {}))
    assert unknown.status_code == 422
    [problem] = unknown.json()["problems"]
    assert problem["location"] == "body.action"
    assert "start_isolation" in problem["rule"]
    several = client.post(
        url, json={"action": "note", "expected_version": -1, "after": "forever", "colour": "red"}
    )
    assert several.status_code == 422
    locations = {p["location"] for p in several.json()["problems"]}
    assert locations == {"body.expected_version", "body.after", "body.colour"}


def test_stale_version_is_409_with_the_current_state(client: TestClient) -> None:
    """An action based on an old version does nothing and answers with the current state."""
    view = start(client)
    act(client, view, "start_isolation", "6h")
    stale = client.post(
        f"/api/v1/sessions/{view['id']}/act",
        json=act_body(view["version"], "abort", None, {"reason": "late"}),
    )
    assert stale.status_code == 409
    current = stale.json()["session"]
    assert current["state"] == "harvest.digesting"
    assert current["version"] == view["version"] + 1
    assert client.get(f"/api/v1/sessions/{view['id']}").json()["version"] == current["version"]


def test_advancing_past_a_deadline_aborts_at_the_deadline(client: TestClient) -> None:
    """Moving the clock past cold ischaemia aborts the case, stamped at the deadline itself."""
    view = start(client)
    [deadline] = view["deadlines"]
    assert (deadline["name"], deadline["time_left"]) == ("cold_ischemia", "PT12H")
    response = client.post(
        f"/api/v1/sessions/{view['id']}/advance",
        json={"by": "13h", "expected_version": view["version"]},
    )
    assert response.status_code == 200, response.text
    after = response.json()["session"]
    assert after["outcome"] == {
        "status": "aborted",
        "code": "cold_ischemia_exceeded",
        "at": "2026-03-03T10:00:00Z",
        "since_clamp": "PT12H",
        "source": "S5a",  # the cold-ischaemia window's
    }
    assert after["deadlines"] == []
    assert [e["kind"] for e in response.json()["events"]] == ["deadline", "advanced"]


def test_an_advance_past_the_calendar_names_by() -> None:
    """A session whose clock would pass the year 9999 refuses the advance on "by"; nothing moves.

    The API caps one advance at 366 d, so this is reached only after many: the session is driven
    directly, its clock first brought near the end of the calendar.
    """
    scenario = library.load("standard").model_dump(mode="json", exclude_unset=True)
    session = Session.start("s", SessionHeader(scenario=scenario, seed=1))
    session.case.clock.advance(datetime(9999, 6, 1, tzinfo=UTC) - session.now)
    before = (session.now, session.version)
    with pytest.raises(InvalidInput) as caught:
        session.advance("366d")
    [problem] = caught.value.problems
    assert problem.location == "by"
    assert "past the year 9999" in problem.rule
    assert (session.now, session.version) == before


def test_deadlines_show_time_left_on_the_session_clock(client: TestClient) -> None:
    """Time left shrinks as the session's clock moves on."""
    view = start(client)
    view = client.post(
        f"/api/v1/sessions/{view['id']}/advance", json={"by": "2h30min", "expected_version": 1}
    ).json()["session"]
    [deadline] = view["deadlines"]
    assert deadline["time_left"] == "PT9H30M"
    assert (deadline["due"], view["now"]) == ("2026-03-03T10:00:00Z", "2026-03-03T00:30:00Z")
    assert view["since_clamp"] == "PT2H30M"


def test_posted_scenario_with_protocol_overrides_is_used(client: TestClient) -> None:
    """A posted scenario's protocol overrides set the deadlines the case runs to."""
    body = {"scenario_spec": {**spec(), "protocol": {"max_cold_ischemia": "10h"}}, "seed": 4}
    view = client.post("/api/v1/sessions", json=body).json()
    assert (view["scenario"], view["seed"], view["index"]) == (None, 4, 0)
    assert view["deadlines"][0]["time_left"] == "PT10H"
    assert view["case"]["approach"] == "laparoscopic"


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"scenario": "no-such-case"}, "body.scenario"),
        ({"scenario": "standard", "scenario_spec": spec()}, "body"),
        ({}, "body"),
        ({"scenario": "standard", "seed": -1}, "body.seed"),
        ({"scenario_spec": spec(age_years=-1)}, "body.scenario_spec.donor.age_years"),
        (
            {"scenario_spec": spec(cross_clamp_at="2026-03-02T22:00:00")},
            "body.scenario_spec.donor.cross_clamp_at",
        ),
        (
            {"scenario_spec": {**spec(), "protocol": {"max_culture": "9999999999999d"}}},
            "body.scenario_spec.protocol.max_culture",
        ),
        (
            {"scenario_spec": {**spec(), "protocol": {"min_purity_percent": 120}}},
            "body.scenario_spec.protocol.min_purity_percent",
        ),
    ],
)
def test_bad_session_requests_are_422_at_the_field(
    client: TestClient, body: dict[str, Any], location: str
) -> None:
    """A bad scenario name or posted scenario is refused with the field that is wrong."""
    response = client.post("/api/v1/sessions", json=body)
    assert response.status_code == 422, response.text
    assert location in [p["location"] for p in response.json()["problems"]]


def test_unknown_session_is_404(client: TestClient) -> None:
    """A session id that does not exist is a 404 on every session route."""
    assert client.get("/api/v1/sessions/nope").status_code == 404
    assert client.get("/api/v1/sessions/nope/timeline").status_code == 404
    assert (
        client.post(
            "/api/v1/sessions/nope/act", json=act_body(1, "note", None, {"text": "x"})
        ).status_code
        == 404
    )


def test_session_ids_are_unguessable(client: TestClient) -> None:
    """Ids carry at least 128 random bits, URL-safe, never repeated."""
    ids = [start(client)["id"] for _ in range(20)]
    assert len(set(ids)) == len(ids)
    for session_id in ids:
        assert len(session_id) >= 22  # 128 bits in base64
        assert set(session_id) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )


def test_timeline_text_is_the_report_table(client: TestClient) -> None:
    """The text timeline is report.timeline_table: header row, events, and the outcome line."""
    view = start(client)
    act(client, view, "abort", reason="recipient_unstable")
    text = client.get(f"/api/v1/sessions/{view['id']}/timeline.txt")
    assert text.headers["content-type"].startswith("text/plain")
    lines = text.text.splitlines()
    assert lines[0].split()[:2] == ["time", "(UTC)"]
    assert lines[-1] == "Outcome: aborted (recipient_unstable) at 2026-03-02 22:00 UTC."


def test_a_new_process_restores_sessions_with_their_deadlines(db: str) -> None:
    """A second app on the same database sees every session exactly as the first left it."""
    with TestClient(create_app(db)) as first:
        view = start(first)
        for action, after, data in STANDARD_WALK[:4]:
            view = act(first, view, action, after, **data)["session"]
        view = first.post(
            f"/api/v1/sessions/{view['id']}/advance",
            json={"by": "1h", "expected_version": view["version"]},
        ).json()["session"]
    assert view["deadlines"], "culture window should be armed"
    with TestClient(create_app(db)) as second:
        restored = second.get(f"/api/v1/sessions/{view['id']}").json()
        assert restored == view
        events = second.get(f"/api/v1/sessions/{view['id']}/timeline").json()["events"]
    assert Case.replay(events_from_python(events)).state == view["state"]


def test_a_damaged_stored_log_is_that_sessions_410_not_a_422(db: str) -> None:
    """A log edited in the database does not replay: a 410 that says so, never blaming input."""
    import sqlalchemy as sa

    with TestClient(create_app(db)) as client:
        view = start(client)
        act(client, view, "start_isolation", "6h")
    store = SessionStore(db)
    with store.engine.begin() as conn:
        conn.execute(sa.update(EVENTS).where(EVENTS.c.seq == 1).values(body='{"kind": "nonsense"}'))
    store.close()
    with TestClient(create_app(db), raise_server_exceptions=False) as client:
        response = client.get(f"/api/v1/sessions/{view['id']}")
    assert response.status_code == 410
    assert "cannot be restored from its stored log" in response.json()["detail"]


def test_memory_holds_a_bounded_number_of_sessions(db: str) -> None:
    """Idle sessions leave the cache beyond its bound and load again on demand."""
    app = create_app(db, cache_size=3)
    with TestClient(app) as client:
        ids = [start(client)["id"] for _ in range(10)]
        assert app.state.registry.cached_count() == 3
        for session_id in ids:
            assert (
                client.get(f"/api/v1/sessions/{session_id}").json()["state"] == "harvest.procured"
            )
        assert app.state.registry.cached_count() == 3
        assert client.get("/api/v1/health").json()["sessions"] == 10


def test_a_session_stops_growing_at_its_event_limit(db: str) -> None:
    """A session at its event limit refuses more with a 422, not an unbounded log."""
    with TestClient(create_app(db, max_events=3)) as client:
        view = start(client)
        view = act(client, view, "note", text="one")["session"]
        view = act(client, view, "note", text="two")["session"]
        full = client.post(
            f"/api/v1/sessions/{view['id']}/act",
            json=act_body(view["version"], "note", None, {"text": "three"}),
        )
        assert full.status_code == 422
        assert "limit of 3 events" in full.json()["problems"][0]["rule"]


def test_bearer_token_guards_every_route_but_the_page(db: str) -> None:
    """With a token set, the API and its documents need it; only the page's files are open."""
    with TestClient(create_app(db, token="s3cret")) as client:
        for path in (
            "/api/v1/scenarios",
            "/api/v1/health",
            "/openapi.json",
            "/docs",
            "/api/v1/sessions/x",
        ):
            refused = client.get(path)
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"] == "Bearer"
        assert (
            client.get("/api/v1/scenarios", headers={"Authorization": "Bearer wrong"}).status_code
            == 401
        )
        good = {"Authorization": "Bearer s3cret"}
        assert client.get("/api/v1/scenarios", headers=good).status_code == 200
        assert (
            client.post(
                "/api/v1/sessions", json={"scenario": "approach_open"}, headers=good
            ).status_code
            == 201
        )
        schema = client.get("/openapi.json", headers=good).json()
        assert "HTTPBearer" in schema["components"]["securitySchemes"]
        assert client.get("/").status_code == 200
        assert client.get("/static/trainer.js").status_code == 200


def test_request_bodies_are_size_limited(db: str) -> None:
    """A body over the limit is 413, whether it declares its length or streams in chunks."""
    with TestClient(create_app(db, body_limit=1024)) as client:
        view = start(client)
        big = act_body(1, "note", None, {"text": "x" * 2000})
        declared = client.post(f"/api/v1/sessions/{view['id']}/act", json=big)
        assert declared.status_code == 413

        def chunks() -> Iterator[bytes]:
            yield b'{"action": "note", "expected_version": 1, "data": {"text": "'
            for _ in range(40):
                yield b"x" * 100
            yield b'"}}'

        streamed = client.post(
            f"/api/v1/sessions/{view['id']}/act",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        assert streamed.status_code == 413
        assert client.get(f"/api/v1/sessions/{view['id']}").json()["version"] == 1


def test_catalogue_lists_scenarios_and_the_trainees_choices(client: TestClient) -> None:
    """Every bundled scenario with its description; each action with what a trainee chooses."""
    scenarios = {p["name"]: p for p in client.get("/api/v1/scenarios").json()}
    assert set(scenarios) == set(library.names())
    assert scenarios["portal_pressure_high"]["description"].startswith("Donor: 42 years")
    actions = {a["name"]: a for a in client.get("/api/v1/actions").json()}
    pressure = actions["record_portal_pressure"]
    assert pressure["measured"] == ["mmhg"]
    assert "mmhg" not in pressure["data_schema"].get("properties", {})
    assert actions["give_induction"]["data_schema"]["required"] == ["agent"]
    assert "start_isolation" in actions


def test_the_session_view_is_the_training_view_with_a_header(client: TestClient) -> None:
    """Over HTTP a session's state is the TrainingSession's View, field for field, plus a header."""
    assert issubclass(SessionView, View)
    moves = [PlanStep(action, after, data) for action, after, data in STANDARD_WALK[:9]]
    view = start(client)
    view = act(client, view, "release")["session"]  # a refusal, to have a deviation
    for move in moves:
        assert move.action is not None
        view = act(client, view, move.action, move.after, **move.choices)["session"]
    local = Exercise.from_scenario("standard").session()
    local.act("release")
    walk(local.case, local.lab, moves)
    header = {"id": view["id"], "kind": "training", "scenario": "standard", "seed": 1, "index": 0}
    training = {name: value for name, value in view.items() if name not in {*header, "version"}}
    assert training == local.view().model_dump(mode="json")
    assert {name: view[name] for name in header} == header
    assert view["version"] == len(local.case.timeline)


def _model(node: dict[str, Any]) -> str:
    """The model a property holds (or, for an array, each of its items), by name."""
    node = node.get("items", node)
    return str(node.get("$ref", "")).rsplit("/", 1)[-1]


def test_openapi_types_the_session_view_and_its_verdicts(client: TestClient) -> None:
    """The view's parts are typed models, not free-form objects; a verdict is one Verdict."""
    models = client.get("/openapi.json").json()["components"]["schemas"]
    view = models["SessionView"]["properties"]
    assert {name: _model(view[name]) for name in ("allowed", "revealed", "record", "case")} == {
        "allowed": "ActionView",
        "revealed": "Measurement",
        "record": "CaseRecord",
        "case": "CaseView",
    }
    assert _model(view["score"]) == "Score"
    assert _model(models["Score"]["properties"]["deviations"]) == "Deviation"
    assert _model(models["ActionView"]["properties"]["choices"]) == "Choice"
    for answer in ("ActionView", "ActResponse"):
        for verdicts in ("failures", "warnings"):
            assert _model(models[answer]["properties"][verdicts]) == "Verdict"
    for gone in ("GuardView", "AllowedAction", "ScoreView", "OutcomeView"):
        assert gone not in models


def test_openapi_documents_every_route(client: TestClient) -> None:
    """The OpenAPI document lists each route with its request and answer models."""
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert set(paths) == {
        "/api/v1/scenarios",
        "/api/v1/actions",
        "/api/v1/words",
        "/api/v1/sessions",
        "/api/v1/sessions/{session_id}",
        "/api/v1/sessions/{session_id}/act",
        "/api/v1/sessions/{session_id}/advance",
        "/api/v1/sessions/{session_id}/timeline",
        "/api/v1/sessions/{session_id}/timeline.txt",
        "/api/v1/sessions/{session_id}/score",
        "/api/v1/sessions/{session_id}/debrief",
        "/api/v1/sessions/{session_id}/debrief.txt",
        "/api/v1/sessions/{session_id}/xapi",
        "/api/v1/sessions/{session_id}/fhir",
        "/api/v1/sessions/{session_id}/diagram",
        "/api/v1/sessions/{session_id}/diagram.mmd",
        "/api/v1/courses",
        "/api/v1/courses/{course_id}",
        "/api/v1/courses/{course_id}/act",
        "/api/v1/courses/{course_id}/advance",
        "/api/v1/courses/{course_id}/decide",
        "/api/v1/courses/{course_id}/score",
        "/api/v1/courses/{course_id}/debrief",
        "/api/v1/courses/{course_id}/debrief.txt",
        "/api/v1/courses/{course_id}/timeline",
        "/api/v1/health",
    }
    act_doc = paths["/api/v1/sessions/{session_id}/act"]["post"]
    assert {"200", "404", "409", "422"} <= set(act_doc["responses"])
    assert "ActRequest" in schema["components"]["schemas"]


def test_trainer_page_is_served_with_a_strict_policy(client: TestClient) -> None:
    """The page and its script come from this process, under a same-origin-only CSP."""
    page = client.get("/")
    assert page.status_code == 200
    assert 'src="/static/trainer.js"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "fetch(" in client.get("/static/trainer.js").text


def test_serve_command_is_listed_with_its_options() -> None:
    """`isletflow serve --help` shows the host (loopback by default), port, db and workers."""
    from click.testing import CliRunner

    from isletflow.cli import main

    assert "serve" in CliRunner().invoke(main, ["--help"]).output
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--db", "--workers", "ISLETFLOW_TOKEN", "127.0.0.1"):
        assert option in result.output


def test_import_isletflow_does_not_load_the_server() -> None:
    """`import isletflow` and `isletflow --help` load no web framework or database layer."""
    code = (
        "import sys, isletflow, isletflow.cli; "
        "print(sorted(m for m in ('fastapi', 'sqlalchemy', 'uvicorn', 'starlette') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_a_text_routes_errors_are_json_and_documented_so(client: TestClient) -> None:
    """A 404 on timeline.txt, debrief.txt or diagram.mmd is JSON, as its document says."""
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("timeline.txt", "debrief.txt", "diagram.mmd"):
        response = client.get(f"/api/v1/sessions/nope/{route}")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/json"
        documented = paths[f"/api/v1/sessions/{{session_id}}/{route}"]["get"]["responses"]
        assert set(documented["404"]["content"]) == {"application/json"}
        assert set(documented["200"]["content"]) == {"text/plain"}


def test_head_is_the_get_without_its_body(client: TestClient) -> None:
    """HEAD on a GET route answers the GET's status and headers, with no body."""
    view = start(client)
    for path in (
        "/api/v1/scenarios",
        f"/api/v1/sessions/{view['id']}",
        "/api/v1/sessions/nope",
        "/",
    ):
        head, get = client.head(path), client.get(path)
        assert (head.status_code, head.content) == (get.status_code, b"")
        assert head.headers["content-length"] == get.headers["content-length"]


def test_the_xapi_home_page_rule_is_in_the_document(client: TestClient) -> None:
    """The home_page query's pattern (an http or https IRL) is published, not only enforced."""
    xapi = client.get("/openapi.json").json()["paths"]["/api/v1/sessions/{session_id}/xapi"]["get"]
    [home_page] = [p for p in xapi["parameters"] if p["name"] == "home_page"]
    assert home_page["schema"]["pattern"] == "^https?://"
