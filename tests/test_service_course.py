"""A recipient's course over HTTP: procedures, re-infusion decisions, debrief, restarts."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from isletflow import library
from isletflow.course_events import Decided
from isletflow.scenario import Scenario
from isletflow.service import create_app
from isletflow.service.courses import CourseHeader, StoredCourse
from isletflow.timeline import events_to_python
from isletflow.training import moves_of, walk
from isletflow.training.course_session import CourseSession

COURSES = "/api/v1/courses"
STANDARD = library.load("standard")


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "s.sqlite3")


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    with TestClient(create_app(db)) as test_client:
        yield test_client


def _one_infusion() -> dict[str, Any]:
    """The standard scenario with at most one infusion: a further one is always barred."""
    data = STANDARD.model_dump(mode="json", exclude_unset=True)
    data["protocol"] = {**data.get("protocol", {}), "max_infusions": 1}
    return data


def _post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{COURSES}/{path}", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _procedure(client: TestClient, view: dict[str, Any], local: CourseSession) -> dict[str, Any]:
    """The expert's moves in the procedure being played, over HTTP and on ``local`` alike."""
    current = local.current
    assert current is not None
    for step in moves_of(current.expert):
        version = view["version"]
        if step.action is None:
            body: dict[str, Any] = {"by": step.after, "expected_version": version}
            view = _post(client, f"{view['id']}/advance", body)["session"]
            continue
        body = {"action": step.action, "expected_version": version, "data": step.choices}
        if step.after:
            body["after"] = step.after
        view = _post(client, f"{view['id']}/act", body)["session"]
    walk(current.case, current.lab, moves_of(current.expert))
    return view


def _play(
    client: TestClient,
    view: dict[str, Any],
    local: CourseSession,
    *,
    stop_at: int | None = None,
) -> dict[str, Any]:
    """Play the course as the expert does (decisions: the expert's), up to decision
    ``stop_at`` if given, keeping ``local`` beside it."""
    expert = [e.reinfuse for e in local.expert.timeline if isinstance(e, Decided)]
    while view["stage"] != "ended":
        if view["stage"] == "procedure":
            view = _procedure(client, view, local)
            continue
        made = len(local.decisions)
        if made == stop_at:
            break
        body = {"reinfuse": expert[made], "expected_version": view["version"]}
        answer = _post(client, f"{view['id']}/decide", body)
        assert answer["accepted"]
        local.decide(expert[made])
        view = answer["session"]
    return view


def test_a_whole_course_over_http_gives_the_python_sessions_debrief(client: TestClient) -> None:
    """The expert's moves and decisions over HTTP reach the end: full marks, and the very
    debrief (JSON and text) the Python CourseSession gives for the same play."""
    created = client.post(COURSES, json={"scenario": "standard"})
    assert created.status_code == 201, created.text
    view = created.json()
    assert created.headers["Location"] == f"{COURSES}/{view['id']}"
    assert (view["kind"], view["stage"], view["version"]) == ("course", "procedure", 0)
    local = CourseSession.from_scenario("standard")
    view = _play(client, view, local)
    assert view["stage"] == "ended"
    assert view["infusions"] == local.course.infusions == 2
    assert view["score"]["points"] == 100
    debrief = client.get(f"{COURSES}/{view['id']}/debrief")
    assert debrief.status_code == 200
    assert debrief.json() == json.loads(local.debrief().model_dump_json())
    text = client.get(f"{COURSES}/{view['id']}/debrief.txt").text
    assert text == local.debrief().text()
    assert "Course debrief: standard" in text


def test_a_barred_reinfusion_is_refused_recorded_and_changes_nothing(client: TestClient) -> None:
    """A further infusion beyond the protocol's most is refused with its reason (200, accepted
    false), scored as barred_reinfusion; the course still waits for the decision."""
    view = client.post(COURSES, json={"scenario_spec": _one_infusion(), "seed": 3}).json()
    local = CourseSession(Scenario.from_mapping(_one_infusion()), 3)
    view = _play(client, view, local, stop_at=0)
    assert view["stage"] == "decision"
    option = view["decision"]["options"][0]
    assert option["reinfuse"]
    assert option["accepted"] is False
    body = {"reinfuse": True, "expected_version": view["version"]}
    answer = _post(client, f"{view['id']}/decide", body)
    assert not answer["accepted"]
    assert "the most infusions (1) given" in answer["decision"]["refusals"]
    after = answer["session"]
    assert after["stage"] == "decision"
    assert after["version"] == view["version"] + 1
    assert after["decision"] == view["decision"]
    [deviation] = after["score"]["deviations"]
    assert deviation["kind"] == "barred_reinfusion"
    body = {"reinfuse": False, "expected_version": after["version"]}
    declined = _post(client, f"{view['id']}/decide", body)
    assert declined["accepted"]
    assert declined["session"]["stage"] == "ended"


def test_a_course_reopened_on_a_new_server_gives_the_same_view(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Mid-course (at a decision, and in the second procedure) a new app on the same database
    rebuilds the course from its stored inputs (from its checkpoint, which is not set aside)
    and answers with the same view; it goes on to full marks."""
    with TestClient(create_app(db, checkpoint_every=7)) as first:
        view = first.post(COURSES, json={"scenario": "standard"}).json()
        local = CourseSession.from_scenario("standard")
        view = _play(first, view, local, stop_at=0)
        assert view["stage"] == "decision"
    with TestClient(create_app(db)) as second:
        assert second.get(f"{COURSES}/{view['id']}").json() == view
        body = {"reinfuse": True, "expected_version": view["version"]}
        view = _post(second, f"{view['id']}/decide", body)["session"]
        local.decide(True)
        assert view["stage"] == "procedure"
    with TestClient(create_app(db, checkpoint_every=3)) as third:
        assert third.get(f"{COURSES}/{view['id']}").json() == view
        view = _play(third, view, local)
        assert view["score"]["points"] == 100
    assert not [r for r in caplog.records if "checkpoint" in r.getMessage()]


EDITS = [
    # (what, how the decision's row is edited, digests removed, what the 410 says)
    ("answer", lambda b: b.replace('"reinfuse":true', '"reinfuse":false', 1), False, "digest"),
    ("answer", lambda b: b.replace('"reinfuse":true', '"reinfuse":false', 1), True, "give again"),
    ("shape", lambda b: '{"decide":{"reinfuse":true}}', True, "what its input gave"),
]


@pytest.mark.parametrize(("what", "edit", "rechained", "said"), EDITS)
def test_an_edited_stored_course_is_refused_not_a_500(
    db: str, what: str, edit: Any, rechained: bool, said: str
) -> None:
    """A decision edited in the database makes the course unreadable: a 410 naming it, never a
    different course or a 500; caught by its digest, or (digests gone, as in a store from
    before them) by its replay, which no longer gives what was recorded, or by its shape."""
    with TestClient(create_app(db)) as client:
        view = client.post(COURSES, json={"scenario": "standard"}).json()
        local = CourseSession.from_scenario("standard")
        view = _play(client, view, local, stop_at=1)
    with sqlite3.connect(db) as conn:
        (seq, body) = conn.execute(
            "SELECT seq, body FROM isletflow_events WHERE session_id = ? AND body LIKE ?",
            (view["id"], '%"decide"%'),
        ).fetchone()
        edited = edit(body)
        assert edited != body, what
        conn.execute(
            "UPDATE isletflow_events SET body = ? WHERE session_id = ? AND seq = ?",
            (edited, view["id"], seq),
        )
        if rechained:
            conn.execute(
                "UPDATE isletflow_events SET chain = NULL WHERE session_id = ?", (view["id"],)
            )
    with TestClient(create_app(db)) as client:
        response = client.get(f"{COURSES}/{view['id']}")
    assert response.status_code == 410, response.text
    assert view["id"] in response.json()["detail"]
    assert said in response.json()["detail"]


def test_bad_input_is_a_422_naming_the_field(client: TestClient) -> None:
    """A decision that is not a boolean, one when none waits, an index or a rubric weight that
    is not a number, a posted scenario that breaks its rules, data the engine refuses: each a
    422 naming the field; a stale version a 409 with the course; nothing changes."""
    view = client.post(COURSES, json={"scenario": "standard"}).json()
    url = f"{COURSES}/{view['id']}"
    wrong = client.post(f"{url}/decide", json={"reinfuse": "yes", "expected_version": 0})
    assert wrong.status_code == 422
    assert wrong.json()["problems"][0]["location"] == "body.reinfuse"
    early = client.post(f"{url}/decide", json={"reinfuse": True, "expected_version": 0})
    assert early.status_code == 422
    assert early.json()["problems"][0]["location"] == "stage"
    index = client.post(COURSES, json={"scenario": "standard", "index": "2"})
    assert index.status_code == 422
    assert index.json()["problems"][0]["location"] == "body.index"
    data = client.post(
        f"{url}/act",
        json={"action": "add_heparin", "expected_version": 0, "data": {"units_per_kg": "70"}},
    )
    assert data.status_code == 422
    assert data.json()["problems"][0]["location"].startswith("body.data")
    weights = {"decisions": {"declined_reinfusion": "20"}}
    rubric = client.post(COURSES, json={"scenario": "standard", "rubric": weights})
    assert rubric.status_code == 422
    assert rubric.json()["problems"][0]["location"].startswith("body.rubric.decisions")
    posted = client.post(COURSES, json={"scenario_spec": {"donor": {"age_years": -4}}})
    assert posted.status_code == 422
    assert posted.json()["problems"][0]["location"].startswith("body.scenario_spec")
    unknown = client.post(COURSES, json={"scenario": "no such"})
    assert unknown.status_code == 422
    assert unknown.json()["problems"][0]["location"] == "body.scenario"
    stale = client.post(f"{url}/decide", json={"reinfuse": True, "expected_version": 5})
    assert stale.status_code == 409
    assert stale.json()["session"]["version"] == 0
    assert client.get(url).json() == view


def test_a_procedure_id_is_no_course_and_a_course_no_procedure(client: TestClient) -> None:
    """The two kinds share one store, each under its own routes: the other's id is a 404."""
    course = client.post(COURSES, json={"scenario": "standard"}).json()
    session = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
    assert client.get(f"/api/v1/sessions/{course['id']}").status_code == 404
    assert client.get(f"{COURSES}/{session['id']}").status_code == 404


def test_an_assessment_withholds_the_debrief_until_the_course_ends(client: TestClient) -> None:
    """In assessment mode the debrief is a 422 naming the mode until the end, the bundled name
    is not shown and the options are not judged; at the end the debrief is given."""
    view = client.post(COURSES, json={"scenario": "standard", "mode": "assessment"}).json()
    assert view["scenario"] is None
    early = client.get(f"{COURSES}/{view['id']}/debrief")
    assert early.status_code == 422
    assert early.json()["problems"][0]["location"] == "mode"
    assert client.get(f"{COURSES}/{view['id']}/debrief.txt").status_code == 422
    local = CourseSession.from_scenario("standard", mode="assessment")
    view = _play(client, view, local, stop_at=0)
    assert all(o["accepted"] is None for o in view["decision"]["options"])
    view = _play(client, view, local)
    assert client.get(f"{COURSES}/{view['id']}/debrief").status_code == 200


def test_the_course_timeline_is_the_courses_events_and_each_procedures(
    client: TestClient,
) -> None:
    """At the first decision: the course's events so far and the one procedure's, event for
    event the Python session's, each said in words; after the decision, the decided event."""
    view = client.post(COURSES, json={"scenario": "standard"}).json()
    local = CourseSession.from_scenario("standard")
    view = _play(client, view, local, stop_at=0)
    assert view["stage"] == "decision" == local.stage
    found = client.get(f"{COURSES}/{view['id']}/timeline")
    assert found.status_code == 200, found.text
    timeline = found.json()
    assert timeline["version"] == view["version"]
    assert [e["kind"] for e in timeline["course"]] == [e.kind for e in local.course.timeline]
    assert timeline["course"][0]["kind"] == "enrolled"
    assert "assessed" in {e["kind"] for e in timeline["course"]}
    (played,) = timeline["procedures"]
    assert played["donor"] == 1
    assert played["events"] == events_to_python(local.procedures[0].case.timeline)
    assert len(played["said"]) == len(played["events"])
    assert played["said"][0]["label"]
    decided = _post(
        client, f"{view['id']}/decide", {"reinfuse": True, "expected_version": view["version"]}
    )
    after = client.get(f"{COURSES}/{view['id']}/timeline").json()
    assert after["version"] == decided["session"]["version"] > timeline["version"]
    assert after["course"][-1]["kind"] == "decided"
    assert after["course"][-1]["reinfuse"] is True


def test_an_assessment_gives_the_course_timeline_once_the_course_ends(client: TestClient) -> None:
    """A decision's event names the rule's verdict, so an assessment's timeline waits for the
    end (a 422 naming the mode), as its debrief does."""
    view = client.post(COURSES, json={"scenario": "standard", "mode": "assessment"}).json()
    early = client.get(f"{COURSES}/{view['id']}/timeline")
    assert early.status_code == 422
    assert early.json()["problems"][0]["location"] == "mode"
    view = _play(client, view, CourseSession.from_scenario("standard", mode="assessment"))
    assert view["stage"] == "ended"
    ended = client.get(f"{COURSES}/{view['id']}/timeline").json()
    assert ended["course"][-1]["kind"] == "ended"
    assert [p["donor"] for p in ended["procedures"]] == [1, 2]


def test_the_course_routes_are_typed_in_the_openapi_document(client: TestClient) -> None:
    """The course act body is the procedure's, one schema per action; the decision's body and
    every answer are named models; a stale change documents the course's 409."""
    document = client.get("/openapi.json").json()
    paths, models = document["paths"], document["components"]["schemas"]
    act = paths[f"{COURSES}/{{course_id}}/act"]["post"]
    procedure = paths["/api/v1/sessions/{session_id}/act"]["post"]
    assert act["requestBody"] == procedure["requestBody"]
    assert "discriminator" in act["requestBody"]["content"]["application/json"]["schema"]
    decide = paths[f"{COURSES}/{{course_id}}/decide"]["post"]
    assert decide["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/DecideRequest"
    )
    assert models["DecideRequest"]["required"] == ["reinfuse", "expected_version"]
    conflict = decide["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert conflict.endswith("/CourseConflict")
    assert {"200", "404", "409", "410", "422"} <= set(decide["responses"])
    view = models["CourseSessionView"]["properties"]
    assert {"stage", "procedure", "decision", "assessments", "version"} <= set(view)
    assert document["info"]["version"] == "1.2.0"


def _stored_play(course: StoredCourse, choices: list[bool], cut: int) -> tuple[str, int]:
    """Play ``course`` with the expert's moves and ``choices`` at each decision (cycled; a
    decline after a refusal), keeping its checkpoint after input ``cut`` (or at the end):
    (checkpoint, its version)."""
    training, kept = course.training, None
    while not training.finished:
        current = training.current
        if current is not None:
            for step in moves_of(current.expert):
                if step.action is None:
                    course.advance(step.after or "PT0S")
                else:
                    course.act(step.action, step.after, dict(step.choices))
                if course.version == cut:
                    kept = (course.checkpoint(), cut)
        else:
            made = training.decisions
            refused = bool(made) and not made[-1].accepted  # then decline: the rule bars it
            course.decide(False if refused else choices[len(made) % len(choices)])
            if course.version == cut:
                kept = (course.checkpoint(), cut)
    return kept or (course.checkpoint(), course.version)


@settings(max_examples=8)
@given(
    seed=st.integers(0, 2**32 - 1),
    index=st.integers(0, 3),
    choices=st.lists(st.booleans(), min_size=1, max_size=3),
    cut=st.integers(1, 60),
)
def test_a_stored_course_rebuilds_to_the_same_view_from_its_log_or_a_checkpoint(
    seed: int, index: int, choices: list[bool], cut: int
) -> None:
    """Whatever the recipient and the decisions (refused ones included), the course rebuilt
    from its whole log, or from a checkpoint and the entries after it, is the live one."""
    scenario = STANDARD.model_dump(mode="json", exclude_unset=True)
    header = CourseHeader(scenario_name="standard", scenario=scenario, seed=seed, index=index)
    live = StoredCourse.start("c", header)
    point, at = _stored_play(live, choices, cut)
    log = json.dumps(live.events_json())
    whole = StoredCourse.resume("c", live.header_json(), log, live.now)
    assert whole.view() == live.view()
    after = json.dumps(live.events_json()[at:])
    resumed = StoredCourse.resume("c", live.header_json(), after, live.now, checkpoint=point)
    assert resumed.view() == live.view()
    assert resumed.version == live.version
