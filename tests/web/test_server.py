"""The app behind the real waitress server: live event streams, limits, shutdown, CLI."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import time
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.conftest import MIDSTANCE, free_port
from tests.web.conftest import Served, wait_http, write_live
from web import create_app


class EventReader:
    """A minimal Server-Sent Events client over http.client (reads event by event)."""

    def __init__(self, url: str, timeout: float = 10.0):
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        self.conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        self.response = self.conn.getresponse()

    def next(self) -> dict | None:
        """The next block: {"event", "data", "retry", "comment"}; None at end of stream."""
        block: dict = {}
        while True:
            line = self.response.readline()
            if not line:
                return None
            line = line.decode().rstrip("\n")
            if not line:
                if block:
                    return block
                continue
            field, _, value = line.partition(":")
            block[field or "comment"] = value.strip()

    def next_live(self) -> dict:
        while True:
            block = self.next()
            assert block is not None, "stream ended"
            if block.get("event") == "live":
                return json.loads(block["data"])

    def close(self):
        self.response.close()  # the socket really closes only when its reader does
        self.conn.close()


def make(dirs, **config):
    state, run = dirs
    return create_app({"STATE_DIR": str(state), "RUN_DIR": str(run), **config})


def test_stream_sends_each_change_promptly_and_only_changes(dirs):
    served = Served(make(dirs, SSE_INTERVAL_S=0.05, SSE_KEEPALIVE_S=0.3))
    try:
        write_live(dirs[1], session_id=1, steps=1)
        events = EventReader(served.url + "/api/live/stream")
        assert events.response.getheader("Content-Type").startswith("text/event-stream")
        assert events.next() == {"retry": "1000"}
        assert events.next_live()["steps"] == 1
        for steps in (2, 3):
            t0 = time.monotonic()
            write_live(dirs[1], session_id=1, steps=steps)
            assert events.next_live()["steps"] == steps
            # waitress must hand each event to the socket at once, not when a buffer fills
            assert time.monotonic() - t0 < 2.0
        # Rewriting the same numbers is no news: only keepalive comments follow.
        write_live(dirs[1], session_id=1, steps=3)
        assert events.next() == {"comment": "keepalive"}
        events.close()
    finally:
        served.close()


def test_stream_ends_after_its_age_so_clients_reconnect(dirs):
    served = Served(make(dirs, SSE_MAX_AGE_S=0.5, SSE_INTERVAL_S=0.05))
    try:
        events = EventReader(served.url + "/api/live/stream")
        t0 = time.monotonic()
        blocks = []
        while (block := events.next()) is not None:
            blocks.append(block)
        assert blocks[0] == {"retry": "1000"} and blocks[1]["event"] == "live"
        assert 0.4 < time.monotonic() - t0 < 5.0
    finally:
        served.close()


def test_streams_beyond_the_limit_get_503_and_the_api_keeps_answering(dirs):
    served = Served(make(dirs, SSE_MAX_CLIENTS=3))
    try:
        streams = [EventReader(served.url + "/api/live/stream") for _ in range(3)]
        for s in streams:
            s.next_live()
        extra = EventReader(served.url + "/api/live/stream")
        assert extra.response.status == 503
        assert json.loads(extra.response.read())["status"] == 503
        assert urllib.request.urlopen(served.url + "/api/live", timeout=5).status == 200
        streams[0].close()
        deadline = time.monotonic() + 10
        while True:  # the server notices the closed stream at its next write
            again = EventReader(served.url + "/api/live/stream")
            if again.response.status == 200 or time.monotonic() > deadline:
                break
            again.close()
            time.sleep(0.2)
        assert again.response.status == 200
        metrics = urllib.request.urlopen(served.url + "/metrics").read().decode()
        assert "midstance_live_streams 3.0" in metrics
    finally:
        served.close()


def test_close_ends_open_streams_and_a_new_server_takes_the_port(dirs):
    app = make(dirs)
    port = free_port()
    served = Served(app, port)
    events = EventReader(served.url + "/api/live/stream")
    events.next_live()
    t0 = time.monotonic()
    served.close()
    assert time.monotonic() - t0 < 5.0
    assert not served.thread.is_alive()
    with pytest.raises((OSError, http.client.HTTPException)):
        while events.next() is not None:
            pass
        raise OSError("stream ended")
    again = Served(make(dirs), port)
    try:
        assert urllib.request.urlopen(again.url + "/api/live", timeout=5).status == 200
    finally:
        again.close()


def test_midstance_web_serves_and_stops_on_sigterm(dirs):
    state, run = dirs
    port = free_port()
    proc = subprocess.Popen(
        [*MIDSTANCE, "web", "--state-dir", str(state), "--run-dir", str(run),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/api/live", timeout=30, proc=proc)
        write_live(run, session_id=5, steps=9)
        body = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/live").read())
        assert body["session_id"] == 5
        server_header = urllib.request.urlopen(f"http://127.0.0.1:{port}/").headers["Server"]
        assert server_header == "midstance"  # waitress, not werkzeug's development server
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_midstance_web_reports_a_busy_port_in_one_line(dirs, served):
    state, run = dirs
    port = urlsplit(served.url).port
    done = subprocess.run(
        [*MIDSTANCE, "web", "--state-dir", str(state), "--run-dir", str(run),
         "--host", "127.0.0.1", "--port", str(port)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("midstance web: error: cannot listen on")
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_midstance_web_reports_an_unusable_state_dir_in_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    done = subprocess.run(
        [*MIDSTANCE, "web", "--state-dir", str(blocker / "state"), "--run-dir", str(tmp_path),
         "--port", "0"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("midstance web: error: ") and "state" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
