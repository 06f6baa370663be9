"""The trainer page in headless Chromium, driven through a whole case like a trainee would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from service_support import STANDARD_WALK, Server, act_body

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
    """Preset, deadlines, a refusal with its reason, a clock move, every step, the outcome."""
    page.goto(server.url + "/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.select_option("#preset", "standard-percutaneous")
    page.click("#start-session")
    expect(page.locator("#state")).to_have_text("harvest.procured")
    expect(page.locator("#deadlines")).to_contain_text("cold ischemia: 12h left")

    page.fill("#advance-by", "2h")
    page.click("#advance")
    expect(page.locator("#deadlines")).to_contain_text("cold ischemia: 10h left")
    _do(page, "start_isolation", "4h", {})
    expect(page.locator("#state")).to_have_text("harvest.digesting")

    # A refusal: the button is marked, its reason is listed, the verdict says why.
    blocked = page.locator("#actions button[data-action=finish_digestion]")
    expect(blocked).to_have_class("blocked")
    expect(page.locator("#actions")).to_contain_text("Record the digest (digest_ieq)")
    _do(page, "finish_digestion", None, {})
    expect(page.locator("#verdict")).to_contain_text("Refused: finish digestion")
    expect(page.locator("#state")).to_have_text("harvest.digesting")

    for action, after, data in STANDARD_WALK[1:]:
        _do(page, action, after, data)
        expect(page.locator("#verdict")).to_contain_text("Done: " + action.replace("_", " "))

    expect(page.locator("#outcome")).to_have_text(
        "Outcome: completed (optimal) at 2026-06-02 19:10 UTC"
    )
    expect(page.locator("#actions")).to_contain_text("The case has ended")
    expect(page.locator("#timeline")).to_contain_text("assess_graft")
    expect(page.locator("#timeline")).to_contain_text("REFUSED finish_digestion")
    expect(page.locator("#record")).to_contain_text("dose delivered ieq per kg")


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
            f"/api/sessions/{session_id}/act", json=act_body(1, "start_isolation", "6h", {})
        )
        assert response.json()["accepted"]
    page.click("#actions button[data-action=abort]")
    page.fill("#field-reason", "recipient_unstable")
    page.click("#do-action")
    expect(page.locator("#notice")).to_contain_text("Someone acted on this case first")
    expect(page.locator("#state")).to_have_text("harvest.digesting")
    expect(page.locator("#outcome")).to_be_hidden()
