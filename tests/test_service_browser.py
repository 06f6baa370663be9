"""The trainer page in headless Chromium, driven through a whole case like a trainee would.

Also the page's layout claims: nothing interactive before a session exists, every action button
in the first screen at 1366x768, usable at 420 px wide, notices in view wherever the page is
scrolled, no pattern or internal name in what a trainee reads, a new case at the end. With
``ISLETFLOW_SCREENSHOTS=DIR`` the tests save the key screens there as PNG (the ones in
``docs/screenshots/`` were made so).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from isletflow import library
from isletflow.simulation import simulate
from isletflow.training import PlanStep, moves_of
from isletflow.wording import action_words
from service_support import Server, act_body

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium (`make test` installs it "
    "with apt-get when it can)",
)

if CHROMIUM.exists():
    from playwright.sync_api import Browser, Page, expect, sync_playwright


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("browser") / "sessions.sqlite3")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        # Debian's browser, never one Playwright would download.
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


SHOTS = os.environ.get("ISLETFLOW_SCREENSHOTS")
WIDE = {"width": 1366, "height": 768}


def _shot(page: Page, name: str, part: str | None = None) -> None:
    """Save the screen (or the ``part`` selected) as ``name``.png when screenshots are asked
    for (never in a plain run)."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        path = str(Path(SHOTS) / f"{name}.png")
        if part is None:
            page.screenshot(path=path)
        else:
            page.locator(part).screenshot(path=path)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=WIDE)  # a fresh tab, no storage shared between tests
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def _fill(page: Page, data: dict[str, Any]) -> None:
    for name, value in data.items():
        if isinstance(value, list):
            for option in value:
                page.check(f"#action-fields input[name={name}][value={option}]")
        elif isinstance(value, bool):
            page.set_checked(f"#field-{name}", value)
        elif page.locator(f"select#field-{name}").count():
            page.select_option(f"#field-{name}", str(value))
        else:
            page.fill(f"#field-{name}", str(value))


def _do(page: Page, action: str, after: str | None, data: dict[str, Any]) -> None:
    version = page.locator("#version").inner_text()
    page.click(f"#actions button[data-action={action}]")
    _fill(page, data)
    if after:
        page.fill("#after", after)
    page.click("#do-action")
    expect(page.locator("#version")).not_to_have_text(version)


def test_a_trainee_walks_a_whole_case_in_the_browser(server: Server, page: Page) -> None:
    """Scenario, deadlines, diagram, a refusal and its reason, a clock move, each step, debrief."""
    page.goto(server.url + "/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.select_option("#scenario", "standard")
    expect(page.locator("#scenario-description")).to_contain_text("Donor: 42 years")
    page.click("#start-session")
    expect(page.locator("#state")).to_have_attribute("data-state", "harvest.procured")
    expect(page.locator("#state")).to_have_text("procured (harvest)")
    expect(page.locator("#exercise")).to_have_text("standard (seed 1, case 0)")
    expect(page.locator("#brief")).to_contain_text("Donor: 42 years")
    expect(page.locator("#deadlines")).to_contain_text("cold ischemia: 12 h left")
    expect(page.locator("#diagram .node.current")).to_have_attribute(
        "data-state", "harvest.procured"
    )

    page.fill("#advance-by", "2h")
    page.click("#advance")
    expect(page.locator("#deadlines")).to_contain_text("cold ischemia: 10 h left")
    script = moves_of(simulate(library.load("standard")).timeline)
    first, *rest = script
    _do(page, first.action or "", "4h", first.choices)
    expect(page.locator("#state")).to_have_attribute("data-state", "harvest.digesting")
    expect(page.locator("#diagram .node.current")).to_have_attribute(
        "data-state", "harvest.digesting"
    )
    expect(page.locator("#diagram [data-state='harvest.procured']")).to_have_class("node visited")

    for step in rest:
        assert step.action is not None  # the standard expert never only waits
        _do(page, step.action, step.after, step.choices)
        expect(page.locator("#verdict")).to_contain_text("Done: " + action_words(step.action))
        if step.action == "finish_digestion":
            expect(page.locator("#results")).to_contain_text("Digest")
        if step.action == "record_release_tests":
            # Units, the protocol's limits and a verdict for each; the Gram stain shown.
            results = page.locator("#results")
            for text in ("Dose", "IEQ/kg", "at least 5,000 IEQ/kg", "Gram stain", "negative"):
                expect(results).to_contain_text(text)
            expect(results.locator("td.within").first).to_have_text("✓ within")
            expect(results.locator("td.outside")).to_have_count(0)
        if step.action == "complete_infusion":
            chart = page.locator("#pressure-chart")
            expect(chart).to_be_visible()
            expect(chart.locator("circle")).to_have_count(6)
            expect(chart.locator("line.limit")).to_have_count(1)
            expect(chart).to_contain_text("stop limit 22 mmHg")
            _shot(page, "results-and-pressure-chart", "#results-panel")
        if step.action == "submit_for_release":
            # A refusal: the button is marked, its reason listed, the verdict says why.
            blocked = page.locator("#actions button[data-action=release]")
            expect(blocked).to_have_class("blocked")
            expect(page.locator("#actions")).to_contain_text("release test")
            _do(page, "release", None, {})
            expect(page.locator("#verdict")).to_contain_text("Refused: release")
            expect(page.locator("#deviations")).to_contain_text("refused")
            expect(page.locator("#score")).to_contain_text("(lost: refused 1)")
            # The engine's sentence names the step as typed; the server says it in words.
            expect(page.locator("#deviations")).to_contain_text("Record the release tests before")
            expect(page.locator("#deviations")).not_to_contain_text("record_release_tests")

    expect(page.locator("#outcome")).to_contain_text("Outcome: completed (good)")
    expect(page.locator("#actions")).to_contain_text("The case has ended")
    # The timeline from its JSON, as a trainee reads it: actions in words, values with units.
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("assess the graft")
    expect(timeline).to_contain_text("REFUSED release the product")
    expect(timeline).to_contain_text("digest 620,000 IEQ")
    expect(timeline).to_contain_text("heparin 70 U/kg")
    for typed in ("assess_graft", "digest_ieq", "units_per_kg", "harvest.digesting"):
        expect(timeline).not_to_contain_text(typed)
    _shot(page, "timeline", "#timeline-panel")
    expect(page.locator("#debrief-panel")).to_be_visible()
    expect(page.locator("#debrief")).to_contain_text("Debrief: standard (seed 1, case 0)")
    expect(page.locator("#debrief-steps tr.deviated")).to_have_count(1)
    expect(page.locator("#debrief-deviations")).to_contain_text("release")
    # Each step's details in words with units, as the text debrief gives them.
    expect(page.locator("#debrief-steps")).to_contain_text(
        "finish the digestion — digest 620,000 IEQ"
    )
    expect(page.locator("#debrief-steps")).not_to_contain_text("digest_ieq")
    _shot(page, "debrief", "#debrief-panel")
    expect(page.locator("#score")).not_to_have_text("100.0 / 100.0")
    expect(page.locator("#diagram .node.current")).to_have_attribute("data-state", "completed")


def test_in_assessment_mode_the_page_judges_no_action_before_it_is_tried(
    server: Server, page: Page
) -> None:
    """Started in assessment mode, the page marks no action refused and lists no reason until
    the trainee tries it; the title is the scenario's neutral one."""
    page.goto(server.url + "/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.select_option("#scenario", "release_identity_mismatch")
    expect(page.locator("#scenario option:checked")).to_have_text("percutaneous case 13")
    page.select_option("#mode", "assessment")
    page.click("#start-session")
    expect(page.locator("#exercise")).to_have_text("percutaneous case 13 (seed 1, case 0)")
    script = moves_of(simulate(library.load("release_identity_mismatch")).timeline)
    for step in script:
        assert step.action is not None
        if step.action == "release":
            break
        _do(page, step.action, step.after, step.choices)
    expect(page.locator("#state")).to_have_attribute("data-state", "purify.release_testing")
    expect(page.locator("#actions button[data-action=release]")).to_be_visible()
    expect(page.locator("#actions button.blocked")).to_have_count(0)
    expect(page.locator("#actions .reasons")).to_have_count(0)
    expect(page.locator("#actions")).not_to_contain_text("labelled for")
    _shot(page, "assessment-before-trying")
    _do(page, "release", None, {})
    expect(page.locator("#verdict")).to_contain_text("Refused: release")
    expect(page.locator("#verdict")).to_contain_text("labelled for")
    # The deviation counts at once; its reason (the expert's path) waits for the debrief.
    expect(page.locator("#deviations")).to_contain_text("the reason comes with the debrief")
    expect(page.locator("#debrief-panel")).to_be_hidden()
    for step in script[[s.action for s in script].index("release") + 1 :]:
        assert step.action is not None
        _do(page, step.action, step.after, step.choices)
    expect(page.locator("#outcome")).to_be_visible()
    expect(page.locator("#debrief-panel")).to_be_visible()
    expect(page.locator("#debrief-deviations")).to_contain_text("labelled for")
    expect(page.locator("#deviations")).not_to_contain_text("comes with the debrief")
    expect(page.locator("#new-case")).to_be_visible()
    page.click("#new-case")
    expect(page.locator("#start")).to_be_visible()
    expect(page.locator("#session")).to_be_hidden()


def test_the_page_shows_another_tabs_change_instead_of_overwriting(
    server: Server, page: Page
) -> None:
    """When someone else acted first, the page says so, shows their state and does nothing."""
    page.goto(server.url + "/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.click("#start-session")
    expect(page.locator("#version")).to_have_text("1")
    session_id = page.url.split("#session=")[1]
    with httpx2.Client(base_url=server.url) as other_tab:
        response = other_tab.post(
            f"/api/v1/sessions/{session_id}/act", json=act_body(1, "start_isolation", "6h", {})
        )
        assert response.json()["accepted"]
    page.click("#actions button[data-action=abort]")
    page.fill("#field-reason", "recipient_unstable")
    page.click("#do-action")
    expect(page.locator("#notice")).to_contain_text("Someone acted on this case first")
    expect(page.locator("#state")).to_have_attribute("data-state", "harvest.digesting")
    expect(page.locator("#outcome")).to_be_hidden()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # read the timeline below
    expect(page.locator("#notice")).to_be_in_viewport()
    _shot(page, "conflict-notice")


def test_nothing_is_interactive_before_a_session_exists(server: Server, page: Page) -> None:
    """Before the scenarios are listed the start controls are disabled; before a session
    exists no action, clock or result control is shown."""
    html = httpx2.get(server.url + "/").text
    for control in ("scenario", "seed", "mode", "start-session"):
        tag = html.split(f'id="{control}"', 1)[1].split(">", 1)[0]
        assert "disabled" in tag, control
    page.goto(server.url + "/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#start-session")).to_be_enabled()
    expect(page.locator("#session")).to_be_hidden()
    for hidden in ("#actions button", "#advance", "#do-action", "#new-case"):
        expect(page.locator(hidden)).to_be_hidden()
    _shot(page, "start")


def _started(server: Server, page: Page, mode: str = "guided") -> None:
    page.goto(server.url + "/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.select_option("#mode", mode)
    page.click("#start-session")
    expect(page.locator("#version")).to_have_text("1")


def _buttons_in_first_screen(page: Page, height: int) -> None:
    buttons = page.locator("#actions button")
    assert buttons.count() > 0
    for i in range(buttons.count()):
        box = buttons.nth(i).bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= height, buttons.nth(i).inner_text()


def test_the_action_buttons_are_in_the_first_screen_at_1366x768(server: Server, page: Page) -> None:
    """At the start, and with the most actions open (at the portal access), every action
    button is on the first screen, unscrolled."""
    _started(server, page)
    _buttons_in_first_screen(page, WIDE["height"])
    script = moves_of(simulate(library.load("standard")).timeline)
    for step in script:
        assert step.action is not None
        _do(page, step.action, step.after, step.choices)
        if step.action == "access_portal_vein":
            break
    page.evaluate("window.scrollTo(0, 0)")
    _buttons_in_first_screen(page, WIDE["height"])
    _shot(page, "session-1366x768")


def test_the_page_is_usable_420_px_wide(server: Server, page: Page) -> None:
    """At 420 px nothing is wider than the screen, and an action can be taken."""
    page.set_viewport_size({"width": 420, "height": 800})
    _started(server, page)
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 420
    _do(page, "start_isolation", "6h", {})
    expect(page.locator("#state")).to_have_attribute("data-state", "harvest.digesting")
    assert page.evaluate("document.documentElement.scrollWidth") <= 420
    _shot(page, "narrow-420")


def test_a_trainee_reads_no_pattern_or_internal_name(server: Server, page: Page) -> None:
    """A reason that is not a code is refused in words, with the field's example, never its
    pattern; the state, deadlines and outcome read as words, not codes."""
    _started(server, page)
    expect(page.locator("#deadlines")).not_to_contain_text("cold_ischemia_exceeded")
    expect(page.locator("#status")).not_to_contain_text("harvest.procured")
    page.click("#actions button[data-action=abort]")
    page.fill("#field-reason", "Recipient unstable!")
    page.click("#do-action")
    notice = page.locator("#notice")
    expect(notice).to_contain_text("is not in the expected form")
    expect(notice).to_contain_text("e.g. recipient_unstable")
    for shown in (notice, page.locator("#verdict")):
        expect(shown).not_to_contain_text("pattern")
        expect(shown).not_to_contain_text("[a-z")
        expect(shown).not_to_contain_text("body.data")
    page.fill("#field-reason", "recipient_unstable")
    page.click("#do-action")
    expect(page.locator("#outcome")).to_contain_text("aborted (recipient unstable)")
    expect(page.locator("#new-case")).to_be_in_viewport()


def test_a_paused_infusion_raises_an_alarm_on_the_page(server: Server, page: Page) -> None:
    """A session paused on a high portal pressure, opened by its link, shows the alarm."""
    name = "portal_pressure_pause"
    script = moves_of(simulate(library.load(name)).timeline)
    with httpx2.Client(base_url=server.url) as client:
        view = client.post("/api/v1/sessions", json={"scenario": name}).json()
        for step in script:
            assert isinstance(step, PlanStep)
            assert step.action is not None
            body = act_body(view["version"], step.action, step.after, dict(step.choices))
            view = client.post(f"/api/v1/sessions/{view['id']}/act", json=body).json()["session"]
            if view["state"] == "infuse.paused":
                break
    assert view["state"] == "infuse.paused"
    page.goto(f"{server.url}/#session={view['id']}")
    alarm = page.locator("#alarm")
    expect(alarm).to_be_visible()
    expect(alarm).to_contain_text("Infusion paused")
    expect(page.locator("#pressure-chart circle.outside")).to_have_count(1)
    _shot(page, "alarm")
