"""The one table of words a trainee reads (``isletflow.wording``), and where it is read.

Every action and field the engine knows has its words (a new one without them fails here); the
debrief, the session view's verdicts, the score's reasons and the terminal say names in them; a
case lost to a deadline names the window's source.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from isletflow import workflow as wf
from isletflow.cli import main
from isletflow.service import create_app
from isletflow.training import Exercise, moves_of, walk
from isletflow.training.lab import CHOICES
from isletflow.wording import ACTIONS, FIELDS, data_text, field_text, prose, state_words, table
from service_support import act_body


def test_every_action_and_recorded_field_has_its_words() -> None:
    """No action, automatic step or field of an action's data falls back to its typed name."""
    triggers = {*wf.ACTIONS, *(a.trigger for a in wf.AUTOMATIC)}
    assert triggers <= set(ACTIONS)
    fields = {name for action in wf.ACTIONS for name in wf.ACTIONS[action].data.model_fields}
    assert fields <= set(FIELDS), sorted(fields - set(FIELDS))
    assert set(table().actions) == triggers
    assert set(table().states) == set(wf.STATES)


def test_a_field_reads_in_words_with_its_unit() -> None:
    """A value carries its unit (a fraction shown in %); a list and a code are words."""
    assert field_text("digest_ieq", 620000.0) == "digest 620,000 IEQ"
    assert field_text("fraction_delivered", 0.6) == "share of the product infused 60 %"
    assert field_text("mmhg", 17.8) == "portal pressure 17.8 mmHg"
    assert data_text(
        {"anesthesia": "local_sedation", "imaging": ["ultrasound", "fluoroscopy"]}
    ) == ("anaesthesia local sedation; imaging fluoroscopy and ultrasound")
    assert field_text("gram_stain_positive", False) == "Gram stain positive no"


def test_prose_says_typed_names_in_words_and_leaves_the_rest() -> None:
    """Actions by the table, fields by their label, states as the page shows them."""
    sentence = "Measure it (record_portal_pressure) in infuse.access; say fraction_delivered."
    assert prose(sentence) == (
        "Measure it (record the portal pressure) in access (infuse); "
        "say share of the product infused."
    )
    assert prose("Heparin 70 U/kg [S47].") == "Heparin 70 U/kg [S47]."
    said_twice = "Record the release tests (record_release_tests) first."
    assert prose(said_twice) == "Record the release tests first."
    assert state_words("purify.release_testing") == "release testing (purify)"


def test_a_views_verdicts_and_the_scores_reasons_are_in_words() -> None:
    """A guard's sentence quoting an action as typed reaches the view and score in words."""
    exercise = Exercise.from_scenario("standard")
    session = exercise.session()
    moves = list(moves_of(exercise.expert))
    upto = [m.action for m in moves].index("record_portal_pressure")
    walk(session.case, session.lab, moves[:upto])
    [start] = [a for a in session.view().allowed if a.action == "start_infusion"]
    messages = [f.message for f in start.failures]
    assert any("(record the portal pressure)" in m for m in messages), messages
    assert not any("record_portal_pressure" in m for m in messages)
    session.act("start_infusion")
    reasons = [r for d in session.score().deviations for r in d.reasons]
    assert any("(record the portal pressure)" in r for r in reasons), reasons


def test_a_case_lost_to_a_deadline_names_the_windows_source() -> None:
    """The avoidable abort of a case left to its cold-ischaemia deadline cites S5a."""
    result = CliRunner().invoke(main, ["train"], input="wait 13h\n")
    assert result.exit_code == 0, result.output
    lost = "The case was lost (cold_ischemia_exceeded): the cold ischemia (12 h [S5a]) ran out;"
    assert lost in result.output
    session = Exercise.from_scenario("standard").session()
    session.wait("13h")
    outcome = session.view().outcome
    assert outcome is not None
    assert outcome.source == "S5a"


def test_the_terminal_debrief_names_no_field_as_typed() -> None:
    """Step details in the debrief: each field in words, with its unit."""
    data_fields = {name for model in CHOICES.values() for name in model.model_fields}
    result = CliRunner().invoke(main, ["train"], input="start_isolation after=6h\nquit\n")
    assert result.exit_code == 0, result.output
    debrief = result.output.partition("Debrief:")[2]
    assert "digest 620,000 IEQ" in debrief
    assert "heparin 70 U/kg" in debrief
    typed = {name for name in data_fields | set(FIELDS) if "_" in name and name in debrief}
    assert not typed


def test_the_service_serves_the_table_and_each_event_in_its_words(tmp_path: Path) -> None:
    """GET /words is the table; the JSON timeline says each of its events in the same words."""
    with TestClient(create_app(str(tmp_path / "s.sqlite3"))) as client:
        assert client.get("/api/v1/words").json() == table().model_dump(mode="json")
        view = client.post("/api/v1/sessions", json={"scenario": "standard"}).json()
        body = act_body(view["version"], "start_isolation", "6h", {})
        view = client.post(f"/api/v1/sessions/{view['id']}/act", json=body).json()["session"]
        body = act_body(view["version"], "finish_digestion", "4h", {})
        client.post(f"/api/v1/sessions/{view['id']}/act", json=body)
        timeline = client.get(f"/api/v1/sessions/{view['id']}/timeline").json()
    assert len(timeline["said"]) == len(timeline["events"])
    assert [s["label"] for s in timeline["said"][1:]] == [
        "start the isolation",
        "finish the digestion",
    ]
    assert timeline["said"][2]["detail"] == "digest 620,000 IEQ"
