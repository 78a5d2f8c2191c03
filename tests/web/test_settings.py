"""Staff settings end to end: the real `midstance web --config` server, the staff form in
headless Chromium, and the real `sense` loop reading the same store and config file."""

from __future__ import annotations

import http.cookiejar
import json
import threading
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from common.store import Store
from tests.web.conftest import PIN, serving, set_pin, write_live

CONFIG_TOML = """\
[analysis]
facing = "left"

[analysis.thresholds]
offset_warn = -0.07
offset_bad = -0.15
lean_warn_deg = 14.0

[led]
brightness = 0.6
"""

#: What the config file above sets, as the page must show it.
FROM_CONFIG = {"offset_warn": -0.07, "offset_bad": -0.15, "lean_warn_deg": 14.0,
               "facing": "left", "led_brightness": 0.6}  # fmt: skip

FAULT = "camera: picamera2 is not installed (sudo apt install python3-picamera2)"


class StaffClient:
    """A raw HTTP client with its own cookie jar, logged in as staff."""

    def __init__(self, url: str):
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.csrf = None
        status, body = self.call("POST", "/api/staff/login", {"pin": PIN})
        assert status == 200, body
        self.csrf = body["csrf_token"]

    def call(self, method: str, path: str, body=None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.csrf:
            request.add_header("X-CSRF-Token", self.csrf)
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def put(self, changes: dict) -> tuple[int, dict]:
        return self.call("PUT", "/api/settings", changes)


@pytest.fixture
def kiosk(tmp_path):
    """`midstance web --config config.toml` as a subprocess, with a staff PIN set."""
    state, run = tmp_path / "state", tmp_path / "run"
    state.mkdir()
    run.mkdir()
    config = tmp_path / "config.toml"
    config.write_text(CONFIG_TOML)
    set_pin(state)
    args = ("web", "--config", config, "--state-dir", state, "--run-dir", run)
    with serving(*args, "--host", "127.0.0.1", log=tmp_path / "web.log") as (_, url):
        yield {"url": url, "state": state, "run": run, "config": config, "tmp": tmp_path}


def as_js(value) -> str:
    """A value as the form shows it (JavaScript's String(): 14.0 -> "14")."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def saved(kiosk) -> dict:
    store = Store.in_dir(kiosk["state"])
    try:
        return store.settings()
    finally:
        store.close()


def public_settings(url: str) -> dict:
    return json.loads(urllib.request.urlopen(url + "/api/settings", timeout=5).read())


def sense_applies(kiosk, name: str) -> dict:
    """Run the real `sense` loop for one frame on the sample clip with the kiosk's config file
    and store; returns the settings it applied (thresholds, facing, brightness)."""
    from device import SAMPLE_CLIP as SAMPLE
    from device.camera import VideoFileSource
    from device.config import load_config
    from device.indicator import RGBIndicator, mock_pin_factory
    from device.pose import PoseEstimator
    from device.runtime import Sense

    cfg = load_config(kiosk["config"])
    pins = mock_pin_factory()
    led = RGBIndicator(17, 27, 22, brightness=cfg["led"]["brightness"], pin_factory=pins)
    store = Store.in_dir(kiosk["state"])
    run = kiosk["tmp"] / f"sense-run-{name}"  # not the page's run dir: its fault stays
    run.mkdir()
    estimator = PoseEstimator(model=cfg["pose"]["model"])
    sense = Sense(cfg, VideoFileSource(SAMPLE, realtime=False), led, store, run, estimator,
                  latest=False, fps=30.0)  # fmt: skip
    try:
        sense.run(max_frames=1)
        return {
            **sense.thresholds.as_dict(), **sense.analyzer.thresholds.as_dict(),
            "facing": sense.facing, "led_brightness": sense.indicator.brightness,
        }  # fmt: skip
    finally:
        led.close()
        pins.reset()
        store.close()


def test_staff_form_shows_the_config_saves_only_the_change_and_sense_agrees(kiosk, browser):
    url = kiosk["url"]
    write_live(kiosk["run"], state="fault", led="fault", fault=FAULT)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(url + "/staff")
        page.fill("#pin", PIN)
        page.click("#login button[type=submit]")
        # The form shows the values in force: the config file's, not the built-in defaults.
        for name, value in FROM_CONFIG.items():
            expect(page.locator(f"#set-{name}")).to_have_value(as_js(value))
        expect(page.locator("#set-lean_bad_deg")).to_have_value("22")  # not in the file
        # Staff see the fault in full (runners do not: see test_live_recovery).
        expect(page.locator("#fault-detail")).to_contain_text("picamera2 is not installed")

        # Change one field: exactly that key is stored.
        page.fill("#set-lean_bad_deg", "25")
        page.click("#settings button[type=submit]")
        expect(page.locator("#settings-message")).to_contain_text("Saved")
        assert saved(kiosk) == {"lean_bad_deg": 25}
        shown = public_settings(url)
        assert shown["values"] == shown["config"] | {"lean_bad_deg": 25}
        assert shown["sources"]["lean_bad_deg"] == "saved"
        assert shown["sources"]["offset_warn"] == "config"

        # The device side applies exactly what the page shows.
        applied = sense_applies(kiosk, "changed")
        assert applied == shown["values"]

        # An emptied field is a one-line error, never 0, and nothing is saved.
        page.fill("#set-overstride_warn", "")
        page.click("#settings button[type=submit]")
        message = page.locator("#settings-message")
        expect(message).to_have_class("message error")
        # named in words (the schema's label), not by its key
        expect(message).to_contain_text("“Overstride: warn” is empty")
        expect(page.locator("#set-overstride_warn")).to_have_attribute("aria-invalid", "true")
        assert saved(kiosk) == {"lean_bad_deg": 25}

        # Restoring the field (null) brings the config value back, on the page and in sense.
        page.click("#settings button.restore[data-name=lean_bad_deg]")
        expect(page.locator("#set-lean_bad_deg")).to_have_value("22")
        expect(page.locator("#set-overstride_warn")).to_have_value("0.3")
        assert saved(kiosk) == {}
        shown = public_settings(url)
        assert shown["values"] == shown["config"]
        assert {k: shown["values"][k] for k in FROM_CONFIG} == FROM_CONFIG
        assert sense_applies(kiosk, "restored") == shown["values"]
    finally:
        context.close()


def test_settings_api_checks_against_the_config_in_one_line(kiosk):
    url = kiosk["url"]
    staff = StaffClient(url)
    shown = public_settings(url)
    assert {k: shown["values"][k] for k in FROM_CONFIG} == FROM_CONFIG
    assert set(shown["sources"].values()) == {"config"}
    assert shown["fields"]["led_brightness"]["min"] == 0.05  # one limit for file and page
    for change, words in [
        ({"offset_warn": ""}, "setting 'offset_warn' is empty"),
        ({"lean_warn_deg": "12"}, "must be a number, got '12'"),
        ({"led_brightness": 0}, "'led_brightness' must be in 0.05..1"),
        # valid with the built-in warn (-0.05), wrong with the config's (-0.07): sense
        # would refuse it, so the page does too
        ({"offset_bad": -0.06}, "'offset_bad' (-0.06) must be at or below 'offset_warn'"),
        ({"facing": None, "nope": 1}, "unknown setting 'nope'"),
    ]:
        status, body = staff.put(change)
        assert status == 400, (change, body)
        assert words in body["message"] and "\n" not in body["message"]
    assert saved(kiosk) == {}
    # The config's own value is no change; a new value is stored alone; null restores.
    status, body = staff.put({"facing": "left", "led_brightness": 0.6})
    assert status == 200 and body["saved"] == {} and saved(kiosk) == {}
    status, body = staff.put({"led_brightness": 0.3})
    assert status == 200 and saved(kiosk) == {"led_brightness": 0.3}
    assert body["values"]["led_brightness"] == 0.3 and body["sources"]["led_brightness"] == "saved"
    status, body = staff.put({"led_brightness": None})
    assert status == 200 and saved(kiosk) == {}
    assert body["values"]["led_brightness"] == 0.6 and body["sources"]["led_brightness"] == "config"


def test_simultaneous_saves_never_store_a_broken_pair(kiosk):
    """Two staff phones saving at once: each change is valid alone, not together (a warn
    threshold beyond its bad one). Exactly one wins, every time."""
    url = kiosk["url"]
    phones = [StaffClient(url), StaffClient(url)]
    changes = [{"lean_warn_deg": 20.0}, {"lean_bad_deg": 18.0}]
    for _ in range(15):
        barrier = threading.Barrier(2)
        results: list = [None, None]

        def save(i, barrier=barrier, results=results):
            barrier.wait()
            results[i] = phones[i].put(changes[i])

        threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert sorted(status for status, _ in results) == [200, 400], results
        now = saved(kiosk)
        assert len(now) == 1, now
        assert public_settings(url)["ignored"] == []
        status, _ = phones[0].put({"lean_warn_deg": None, "lean_bad_deg": None})
        assert status == 200 and saved(kiosk) == {}
