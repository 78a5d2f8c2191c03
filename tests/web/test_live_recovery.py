"""The live stream under a full kiosk: the per-device stream cap (raw HTTP clients from several
loopback addresses), the page falling back to polling and coming back by itself (headless
Chromium), and fault text that runners never see."""

from __future__ import annotations

import http.client
import json
import time
import urllib.request

from playwright.sync_api import expect

from tests.web.conftest import LiveWriter, Served, write_live
from web import create_app
from web.parts import parts_of

FAULT = "camera: picamera2 is not installed (sudo apt install python3-picamera2)"


class Stream:
    """A raw live-stream request from a chosen source address (127.0.0.x is all loopback, so
    each address is a different device to the server)."""

    def __init__(self, url: str, source: str):
        host, port = url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=10,
                                               source_address=(source, 0))  # fmt: skip
        self.conn.request("GET", "/api/live/stream")
        self.response = self.conn.getresponse()
        self.status = self.response.status
        if self.status == 200:
            assert self.response.readline().startswith(b"retry:")

    def close(self):
        self.response.close()
        self.conn.close()


def make(dirs, **config):
    state, run = dirs
    return create_app({"STATE_DIR": str(state), "RUN_DIR": str(run), **config})


def open_until_ok(url: str, source: str, timeout: float = 10.0) -> Stream:
    """Open a stream, retrying while the server has not yet noticed a closed one."""
    deadline = time.monotonic() + timeout
    while True:
        stream = Stream(url, source)
        if stream.status == 200 or time.monotonic() > deadline:
            return stream
        stream.close()
        time.sleep(0.2)


def test_one_device_cannot_take_every_stream(dirs):
    served = Served(make(dirs, SSE_MAX_CLIENTS=5, SSE_MAX_PER_CLIENT=2))
    streams = []
    try:
        streams += [Stream(served.url, "127.0.0.2") for _ in range(2)]
        assert [s.status for s in streams] == [200, 200]
        greedy = Stream(served.url, "127.0.0.2")  # the same device again: refused
        assert greedy.status == 429 and int(greedy.response.getheader("Retry-After")) > 0
        body = json.loads(greedy.response.read())
        assert body["status"] == 429 and "this device" in body["message"]
        greedy.close()
        # Other devices still get streams, up to the total.
        streams += [Stream(served.url, "127.0.0.3") for _ in range(2)]
        streams.append(Stream(served.url, "127.0.0.4"))
        assert [s.status for s in streams] == [200] * 5
        full = Stream(served.url, "127.0.0.5")
        assert full.status == 503 and int(full.response.getheader("Retry-After")) > 0
        full.close()
        # A device that closes a stream gets its slot back (and only its own).
        streams.pop(0).close()
        again = open_until_ok(served.url, "127.0.0.2")
        assert again.status == 200
        streams.append(again)
        assert Stream(served.url, "127.0.0.2").status == 429
        metrics = urllib.request.urlopen(served.url + "/metrics", timeout=5).read().decode()
        assert "midstance_live_streams 5.0" in metrics
    finally:
        for s in streams:
            s.close()
        served.close()


def test_page_polls_while_the_kiosk_is_full_and_recovers_by_itself(dirs, browser):
    run = dirs[1]
    served = Served(make(dirs, SSE_MAX_CLIENTS=4, SSE_MAX_PER_CLIENT=2))
    sense = LiveWriter(run)  # sense keeps running
    fillers = [Stream(served.url, f"127.0.0.{n}") for n in (2, 2, 3, 3)]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        assert [s.status for s in fillers] == [200] * 4
        page.goto(served.url + "/")
        conn = page.locator("#conn")
        # Refused (503): the page says so, and still shows the numbers by polling /api/live.
        expect(conn).to_have_attribute("data-state", "polling", timeout=15_000)
        expect(conn).to_contain_text("reconnecting")
        expect(page.locator("#steps")).not_to_have_text("–", timeout=10_000)
        polled = page.locator("#steps").inner_text()
        expect(page.locator("#steps")).not_to_have_text(polled, timeout=10_000)
        time.sleep(8)  # long enough for the retry wait to reach its ceiling (5 s)
        expect(conn).to_have_attribute("data-state", "polling")

        for s in fillers:
            s.close()
        lifted = time.monotonic()
        expect(conn).to_have_text("live", timeout=60_000)  # generous: no timed assertion
        recovery = time.monotonic() - lifted
        print(f"\nphone recovery after the stream limit was lifted: {recovery:.1f} s")
        streamed = page.locator("#steps").inner_text()
        expect(page.locator("#steps")).not_to_have_text(streamed, timeout=10_000)
        assert parts_of(served.app).streams.count() == 1
    finally:
        context.close()
        sense.stop()
        for s in fillers:
            s.close()
        served.close()


def test_runners_never_see_internal_fault_text(dirs, staff):
    run = dirs[1]
    client, _ = staff
    write_live(run, state="fault", led="fault", fault=FAULT)
    app = client.application
    served = Served(app)
    try:
        anyone = urllib.request.urlopen(served.url + "/api/live", timeout=5).read().decode()
        live = json.loads(anyone)
        assert live["fault"] == "The camera is not working right now: please tell the staff."
        assert live["state"] == "fault" and "fault_detail" not in live
        for word in ("picamera2", "apt install", "installed"):
            assert word not in anyone
        stream = Stream(served.url, "127.0.0.2")
        head = b""
        while b"event: live" not in head or not head.endswith(b"\n\n"):
            head += stream.response.readline()
        stream.close()
        assert b"picamera2" not in head and b"The camera is not working" in head
    finally:
        served.close()
    # Staff (logged in) get the detail as sense reported it.
    assert client.get("/api/live").get_json()["fault_detail"] == FAULT
    # A store fault and two faults at once are named as plainly.
    write_live(run, state="fault", led="fault", fault="store: disk I/O error at /var/lib/x")
    assert "cannot save sessions" in app.test_client().get("/api/live").get_json()["fault"]
    write_live(run, state="fault", led="fault", fault=f"{FAULT}; store: disk I/O error")
    both = app.test_client().get("/api/live").get_json()["fault"]
    assert both == "The kiosk has a problem: please tell the staff."
