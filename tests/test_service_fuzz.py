"""A property-based fuzz of the API from its own OpenAPI document, request by request and in
sequences its links chain (create, then act and advance on that session): no input gives a 5xx."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from isletflow.service import create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_no_generated_request_makes_the_server_fail(tmp_path: Path) -> None:
    """Requests generated from the OpenAPI document never get a 5xx and answer as documented."""
    app = create_app(str(tmp_path / "fuzz.sqlite3"))
    client = TestClient(app)
    session_id = client.post("/api/v1/sessions", json={"scenario": "approach_open"}).json()["id"]
    course_id = client.post("/api/v1/courses", json={"scenario": "standard"}).json()["id"]
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 26  # 25 and the table of words

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def fuzz(case: Any) -> None:
            url = f"/api/v1/sessions/{session_id}"
            if case.path_parameters and "session_id" in case.path_parameters:
                # A real session, so generated actions and clock moves reach the engine.
                case.path_parameters["session_id"] = session_id
            if case.path_parameters and "course_id" in case.path_parameters:
                case.path_parameters["course_id"] = course_id  # a real course, likewise
                url = f"/api/v1/courses/{course_id}"
            if isinstance(case.body, dict) and case.body.get("expected_version", 0) % 2:
                # Half the time, the current version: the change is attempted, not a 409.
                case.body["expected_version"] = client.get(url).json()["version"]
            case.call_and_validate(checks=CHECKS)

        fuzz()


def test_linked_sequences_of_requests_never_make_the_server_fail(tmp_path: Path) -> None:
    """Requests chained by the document's links (real ids and versions) never get a 5xx."""
    app = create_app(str(tmp_path / "stateful.sqlite3"))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    statuses: Counter[int] = Counter()
    linked: Counter[str] = Counter()

    class Sessions(schema.as_state_machine()):
        def after_call(self, response: Any, case: Any) -> None:
            statuses[response.status_code] += 1
            linked[case.operation.label] += 1

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=[not_a_server_error])

    Sessions.run(
        settings=settings(
            max_examples=25,
            stateful_step_count=6,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert not [code for code in statuses if code >= 500], statuses
    assert statuses[201], statuses
    assert statuses[200], statuses
    for operation in ("act", "advance"):
        assert linked[f"POST /api/v1/sessions/{{session_id}}/{operation}"], linked
    assert linked["POST /api/v1/courses/{course_id}/decide"], linked
