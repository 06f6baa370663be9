"""The trainer page in headless Chromium, driven through a whole case like a trainee would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from isletflow import library
from isletflow.simulation import simulate
from isletflow.training import moves_of
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


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()  # a fresh tab, no storage shared between tests
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
    expect(page.locator("#state")).to_have_text("harvest.procured")
    expect(page.locator("#exercise")).to_have_text("standard (seed 1, case 0)")
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
    expect(page.locator("#state")).to_have_text("harvest.digesting")
    expect(page.locator("#diagram .node.current")).to_have_attribute(
        "data-state", "harvest.digesting"
    )
    expect(page.locator("#diagram [data-state='harvest.procured']")).to_have_class("node visited")

    for step in rest:
        assert step.action is not None  # the standard expert never only waits
        _do(page, step.action, step.after, step.choices)
        expect(page.locator("#verdict")).to_contain_text("Done: " + step.action.replace("_", " "))
        if step.action == "finish_digestion":
            expect(page.locator("#revealed")).to_contain_text("digest ieq = ")
        if step.action == "submit_for_release":
            # A refusal: the button is marked, its reason listed, the verdict says why.
            blocked = page.locator("#actions button[data-action=release]")
            expect(blocked).to_have_class("blocked")
            expect(page.locator("#actions")).to_contain_text("release test")
            _do(page, "release", None, {})
            expect(page.locator("#verdict")).to_contain_text("Refused: release")
            expect(page.locator("#deviations")).to_contain_text("refused")

    expect(page.locator("#outcome")).to_contain_text("Outcome: completed (good)")
    expect(page.locator("#actions")).to_contain_text("The case has ended")
    expect(page.locator("#timeline")).to_contain_text("assess_graft")
    expect(page.locator("#timeline")).to_contain_text("REFUSED release")
    expect(page.locator("#debrief-panel")).to_be_visible()
    expect(page.locator("#debrief")).to_contain_text("Debrief: standard (seed 1, case 0)")
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
    expect(page.locator("#state")).to_have_text("purify.release_testing")
    expect(page.locator("#actions button[data-action=release]")).to_be_visible()
    expect(page.locator("#actions button.blocked")).to_have_count(0)
    expect(page.locator("#actions .reasons")).to_have_count(0)
    expect(page.locator("#actions")).not_to_contain_text("labelled for")
    _do(page, "release", None, {})
    expect(page.locator("#verdict")).to_contain_text("Refused: release")
    expect(page.locator("#verdict")).to_contain_text("labelled for")


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
    expect(page.locator("#state")).to_have_text("harvest.digesting")
    expect(page.locator("#outcome")).to_be_hidden()
