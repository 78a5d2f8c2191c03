"""The pages in headless Debian Chromium (Playwright) at phone size, against real servers."""

from __future__ import annotations

import json
import os
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.conftest import REPO
from tests.web.conftest import PIN, LiveWriter, Served
from web import create_app


def until(page, predicate: str, timeout: float = 15.0) -> None:
    """Poll a JS function in the page until it returns true (wait_for_function needs eval,
    which the page's CSP rightly forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"not true within {timeout} s: {predicate}"
        time.sleep(0.1)


def api(url: str) -> dict:
    return json.loads(urllib.request.urlopen(url, timeout=5).read())


def test_live_page_updates_by_itself_and_staff_reset_starts_a_new_session(page, kiosk, tmp_path):
    url = kiosk["url"]
    page.goto(url + "/")
    steps = page.locator("#steps")
    expect(steps).not_to_have_text("–", timeout=60_000)
    expect(page.locator("#conn")).to_have_text("live")
    first = int(steps.inner_text())
    expect(steps).not_to_have_text(str(first), timeout=15_000)  # changes with nobody asking
    assert page.locator("#led").get_attribute("class").split()[1] in {
        "led-good", "led-warn", "led-bad", "led-no_runner", "led-not_judging",
    }  # fmt: skip
    assert page.locator("#cue").inner_text().strip()
    # A few seconds into the run, so the screenshot shows a session in progress.
    until(page, "Number(document.getElementById('steps').textContent) >= 15", 60)
    expect(page.locator("#cadence_spm")).not_to_have_text("–", timeout=10_000)
    # README's screenshot: refreshed on purpose (MIDSTANCE_SCREENSHOTS=1), so a test run
    # leaves the working tree as it found it
    shots = REPO / "docs" if os.environ.get("MIDSTANCE_SCREENSHOTS") else tmp_path
    page.screenshot(path=str(shots / "live.png"))

    # A runner (no login) cannot reset (the browser's own request context, same cookies).
    refused = page.request.post(url + "/api/sessions/reset")
    assert refused.status == 401 and refused.json()["status"] == 401
    before = api(url + "/api/live")["session_id"]
    assert before is not None

    page.goto(url + "/staff")
    page.fill("#pin", PIN)
    page.click("#login button[type=submit]")
    expect(page.locator("#staff-card")).to_be_visible()
    expect(page.locator("#settings input").first).to_be_visible()
    page.click("#reset")
    page.click("#reset-confirm")  # the second, confirming click (tests/web/test_explain.py)
    expect(page.locator("#reset-message")).to_contain_text("Reset sent")
    page.goto(url + "/")
    # the page first shows "–", then the old session until sense has taken the command
    until(page, f"Number(document.getElementById('session_id').textContent) > {before}", 30)
    assert page.console.errors == []


def test_history_lists_sessions_and_the_session_page_draws_its_charts(page, kiosk):
    url = kiosk["url"]
    page.goto(url + "/history")
    first = page.locator("#sessions a").first
    expect(first).to_be_visible(timeout=15_000)
    first.click()
    expect(page.locator("#summary .num").first).to_be_visible()
    expect(page.locator("#chart-lean canvas")).to_have_count(1)
    expect(page.locator("#chart-cadence canvas")).to_have_count(1)
    expect(page.locator("#verdict-legend")).to_contain_text("good")
    assert page.console.errors == []


def test_setup_page_draws_the_live_skeleton(page, kiosk):
    url = kiosk["url"]
    page.goto(url + "/setup")
    expect(page.locator("#state")).not_to_have_text("offline", timeout=15_000)
    # The canvas takes the frame's size and gets bones drawn on it (never video).
    skeleton = api(url + "/api/live?skeleton=1")["skeleton"]
    assert skeleton and skeleton["width"] > 0
    until(page, f"() => document.getElementById('skeleton').width === {skeleton['width']}")
    drawn = page.evaluate(
        """() => { const c = document.getElementById('skeleton');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 200) n++; return n; }"""
    )
    assert drawn > 500  # blue bones on the dark background
    assert page.console.errors == []


def test_staff_qr_page_shows_the_code(page, kiosk):
    page.goto(kiosk["url"] + "/staff/qr")
    expect(page.locator("img.qr")).to_be_visible()
    assert page.evaluate("document.querySelector('img.qr').naturalWidth") > 100
    assert page.console.errors == []


def test_live_stream_reconnects_after_a_server_restart(page, dirs):
    state, run = dirs
    served = Served(create_app({"STATE_DIR": str(state), "RUN_DIR": str(run)}))
    port = served.srv.port
    sense = LiveWriter(run)  # sense keeps running while the web server restarts
    try:
        page.goto(served.url + "/")
        expect(page.locator("#conn")).to_have_text("live", timeout=10_000)
        served.close()
        expect(page.locator("#conn")).to_have_text("reconnecting", timeout=10_000)
        frozen = page.locator("#steps").inner_text()
        time.sleep(1.0)
        served = Served(create_app({"STATE_DIR": str(state), "RUN_DIR": str(run)}), port)
        expect(page.locator("#conn")).to_have_text("live", timeout=15_000)
        expect(page.locator("#steps")).not_to_have_text(frozen, timeout=5_000)
    finally:
        sense.stop()
        served.close()


@pytest.fixture(scope="module")
def kiosk(demo):
    """The real `midstance demo` on the sample clip (sense, LED and page in one process)."""
    return demo
