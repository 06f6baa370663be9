"""The OpenAPI document as clients read it: its version, stable operationIds, links, act bodies.

A generated client takes its method names from the operationIds and its types from the
schemas, so both are part of the contract: every documented route names its operationId
(``operation_id=``; a route without one is refused as the app is built), and ``API_VERSION``
says when the contract changed.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from .. import __version__
from ..training.lab import CHOICES

__all__ = [
    "API_PREFIX",
    "API_VERSION",
    "LOCATION",
    "Service",
    "course_links",
    "explicit_operation_id",
    "links",
]

API_VERSION = "1.2.0"
"""The HTTP API's version (the OpenAPI document's ``info.version``): the major number changes
when a route, an operationId or a field is removed or changes meaning, the minor one when one is
added. The package's own version is ``info.x-package-version``."""

API_PREFIX = f"/api/v{API_VERSION.split('.')[0]}"
"""Where the API's routes are served: ``/api/v1``, the major version in the path. A contract
that breaks 1.x would be served under ``/api/v2`` beside it. The trainer page, ``/docs`` and
``/openapi.json`` describe or use the API and are no part of it: they stay at the root."""

LOCATION = {
    "Location": {"description": "The new session's URL", "schema": {"type": "string"}},
}
"""The header of a 201: where the new session is."""


class Service(FastAPI):
    """The app, whose OpenAPI document gives each action's act body (``typed_act_bodies``) and
    the package's version beside the API's."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            document = super().openapi()
            typed_act_bodies(document)
            document["info"]["x-package-version"] = __version__
        return super().openapi()


def explicit_operation_id(route: APIRoute) -> str:
    """Every documented route names its operationId itself (``operation_id=``): a generated
    one changes whenever a function or path is renamed, and generated clients with it."""
    if route.include_in_schema and not route.operation_id:
        raise TypeError(f"the route {route.path} needs an explicit operation_id")
    return route.name


def links(view: str) -> dict[str, Any]:
    """OpenAPI links from an answer holding a session's view at ``view``: what a client (or a
    stateful fuzzer) does next with its id and version."""
    session_id = {"session_id": f"$response.body#{view}/id"}
    version = {"expected_version": f"$response.body#{view}/version"}
    changed = {"parameters": session_id, "requestBody": version}
    return {
        "GetSession": {"operationId": "getSession", "parameters": session_id},
        "TakeAction": {"operationId": "takeAction", **changed},
        "AdvanceClock": {"operationId": "advanceClock", **changed},
        "GetScore": {"operationId": "getScore", "parameters": session_id},
        "GetTimeline": {"operationId": "getTimeline", "parameters": session_id},
    }


def course_links(view: str) -> dict[str, Any]:
    """``links`` for an answer holding a course's view at ``view``."""
    course_id = {"course_id": f"$response.body#{view}/id"}
    version = {"expected_version": f"$response.body#{view}/version"}
    changed = {"parameters": course_id, "requestBody": version}
    return {
        "GetCourse": {"operationId": "getCourse", "parameters": course_id},
        "TakeCourseAction": {"operationId": "takeCourseAction", **changed},
        "AdvanceCourseClock": {"operationId": "advanceCourseClock", **changed},
        "DecideReinfusion": {"operationId": "decideReinfusion", **changed},
        "GetCourseScore": {"operationId": "getCourseScore", "parameters": course_id},
        "GetCourseTimeline": {"operationId": "getCourseTimeline", "parameters": course_id},
    }


def typed_act_bodies(document: dict[str, Any]) -> None:
    """Document the act routes' body (a session's, a course's) as one schema per action, told
    apart by ``action``.

    Each is ``ActRequest`` with ``action`` fixed and ``data`` that action's choices
    (``training.lab.CHOICES``), so a generated client knows each action's fields. Only the
    document changes: the server reads every body as ``ActRequest`` and the session checks
    ``data`` strictly against those same models, so there is one validation with one set of
    answers (an unknown action still lists the valid ones).
    """
    components: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    base = components["ActRequest"]
    mapping: dict[str, str] = {}
    for action, model in CHOICES.items():
        choices = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in choices.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components[model.__name__] = choices
        title = model.__name__.removesuffix("Choices") + "Act"
        data = {
            "$ref": f"#/components/schemas/{model.__name__}",
            "description": "What the trainee chooses (the lab measures the rest)",
        }
        components[title] = {
            **base,
            "title": title,
            "description": f"Take {action}, based on the session version the client last saw.",
            "properties": {**base["properties"], "action": {"const": action}, "data": data},
            "required": [*base["required"], *(["data"] if choices.get("required") else [])],
        }
        mapping[action] = f"#/components/schemas/{title}"
    for path in ("sessions/{session_id}/act", "courses/{course_id}/act"):
        operation = document["paths"][f"{API_PREFIX}/{path}"]["post"]
        operation["requestBody"]["content"]["application/json"]["schema"] = {
            "oneOf": [{"$ref": ref} for ref in mapping.values()],
            "discriminator": {"propertyName": "action", "mapping": mapping},
        }
