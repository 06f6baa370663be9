"""xAPI against an independent consumer: Learning Locker's statement validator, and an LRS's
statement-id rule (a stored id with other content is refused, 409): two attempts of one exercise,
a re-sent attempt, and every bundled exercise by one trainee are all accepted."""

from __future__ import annotations

from typing import Any

from node_consumers import run

from isletflow import library
from isletflow.training import Exercise, standard_exercise
from isletflow.training.xapi import Actor

ME = Actor(account_name="jane-4711", home_page="https://lms.example.org", name="Jane")


def test_two_attempts_a_resend_and_every_exercise_are_all_accepted() -> None:
    """Attempt 1, attempt 2 of the same exercise, attempt 1 again, then 22 exercises: all 200."""
    ex = standard_exercise()
    first = ex.session()
    first.act("start_isolation", after="9h")
    first.wait("4d")  # the islets expire: failed
    second = ex.session()
    for action, after in (("start_isolation", "6h"), ("finish_digestion", "4h")):
        second.act(action, after=after)
    posts: list[list[dict[str, Any]]] = [
        first.statements(ME, attempt="attempt-1"),
        second.statements(ME, attempt="attempt-2"),
        first.statements(ME, attempt="attempt-1"),
    ]
    for name in library.names():
        session = Exercise.from_scenario(name).session()
        session.act("start_isolation", after="6h")
        posts.append(session.statements(ME, attempt="first"))
    report = run("xapi.mjs", {"posts": posts})
    refused = [(i, p) for i, p in enumerate(report["posts"]) if p["status"] != 200]
    assert refused == []
    assert report["stored"] == len({s["id"] for post in posts for s in post})


def test_the_lrs_rule_refuses_a_reused_id_with_other_content() -> None:
    """The control: one id sent twice with different content is refused, so passing means it."""
    session = standard_exercise().session()
    statements = session.statements(ME, attempt="a")
    changed = [{**statements[0], "result": {"completion": True}}]
    report = run("xapi.mjs", {"posts": [statements, changed]})
    assert [p["status"] for p in report["posts"]] == [200, 409]
    broken = [{**statements[0], "verb": {"id": "not an iri"}}]
    assert run("xapi.mjs", {"posts": [broken]})["posts"][0]["status"] == 400
