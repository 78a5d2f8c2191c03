"""Fixtures for the web tests: a real app on a real SQLite store, and real servers."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from common import snapshot
from common.store import Store
from tests.conftest import command, free_port, midstance, shared_data, wait_for
from web import create_app
from web.parts import parts_of
from web.server import make_server

PIN = "4826"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def real_steps() -> list[dict]:
    """Steps of the real treadmill clip from its frame-by-frame contact annotation.

    One step per initial contact (both feet), times in seconds from the clip's start; the
    per-step cadence is the step rate over the last (up to) eight contacts, the way a live
    cadence is measured (one 30 fps step interval alone is either 163.6 or 180 steps/min).
    """
    notes = json.loads((shared_data() / "treadmill_side_30fps.contacts.json").read_text())
    fps = notes["fps"]
    contacts = sorted((e["frame"] / fps, e["leg"]) for e in notes["events"] if e["type"] == "ic")
    steps = []
    for n, (t, leg) in enumerate(contacts):
        k = min(n, 8)
        verdicts = ("good", "good", "warn", "good", "bad")
        steps.append({
            "leg": "left" if leg == "near" else "right", "contact_t": t,
            "midstance_t": t + 4 / fps, "toe_off_t": t + 8 / fps,
            "cadence_spm": 60.0 * k / (t - contacts[n - k][0]) if k else None,
            "lean_deg": 5.0 + (n % 4), "hip_ankle_offset": 0.01 * ((n % 5) - 2),
            "verdict": verdicts[n % len(verdicts)],
        })  # fmt: skip
    return steps


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's; Playwright never downloads one)."""
    assert Path(CHROMIUM).exists(), "run `make browser` (scripts/ensure-chromium.sh)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def dirs(tmp_path):
    """(state_dir, run_dir) in a fresh temporary directory."""
    state, run = tmp_path / "state", tmp_path / "run"
    state.mkdir()
    run.mkdir()
    return state, run


@pytest.fixture
def app(dirs):
    """The app on a fresh store."""
    state, run = dirs
    return create_app({"STATE_DIR": str(state), "RUN_DIR": str(run), "TESTING": True})


@pytest.fixture
def store(app) -> Store:
    """The app's store (the same SQLite file ``sense`` would write)."""
    return parts_of(app).store


@pytest.fixture
def client(app):
    """Flask's test client."""
    return app.test_client()


@pytest.fixture
def staff(client, store):
    """A test client logged in as staff; returns (client, csrf_token)."""
    store.set_pin(PIN)
    response = client.post("/api/staff/login", json={"pin": PIN})
    assert response.status_code == 200, response.get_json()
    return client, response.get_json()["csrf_token"]


def write_live(run_dir, **fields) -> dict:
    """Write a live snapshot as ``sense`` does; returns it."""
    snap = snapshot.blank(state="running", led="good") | fields
    snapshot.write(run_dir, snap)
    return snap


class Served:
    """The app served by the real waitress server in a thread."""

    def __init__(self, app, port: int = 0):
        self.app = app
        self.srv = make_server(app, "127.0.0.1", port)
        self.url = f"http://127.0.0.1:{self.srv.port}"
        self.thread = threading.Thread(target=self.srv.run, daemon=True)
        self.thread.start()

    def close(self):
        self.srv.close()
        self.thread.join(10)


@pytest.fixture
def served(app):
    """The app behind the real server; yields a :class:`Served`."""
    s = Served(app)
    yield s
    s.close()


def wait_http(url: str, timeout: float = 60.0, proc=None, log: Path | None = None) -> None:
    """Wait until ``url`` answers (or fail, with the process's output when it died)."""

    def answers() -> bool:
        if proc is not None and proc.poll() is not None:
            out = log.read_text() if log else proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"process exited with {proc.returncode}: {out[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return True
        except OSError:
            return False

    wait_for(answers, timeout, f"{url} to answer", every=0.2)


@contextlib.contextmanager
def serving(*args, log: Path, timeout: float = 60.0):
    """``midstance ARGS... --port PORT`` as a subprocess, its output in ``log``, until the block
    ends (SIGTERM, then SIGKILL). Yields ``(process, base URL)`` once ``/api/live`` answers."""
    port = free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen(
            command(*args, "--port", port),
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            wait_http(url + "/api/live", timeout=timeout, proc=proc, log=log)
            yield proc, url
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


class LiveWriter:
    """Writes the live snapshot as a running ``sense`` does, one more step every 0.3 s, in a
    thread from creation until :meth:`stop` (so a page always has new numbers to show)."""

    def __init__(self, run_dir):
        self.run_dir = run_dir
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._write, daemon=True)
        self._thread.start()

    def _write(self):
        steps = 0
        while not self._stop.is_set():
            steps += 1
            write_live(self.run_dir, session_id=1, steps=steps)
            self._stop.wait(0.3)

    def stop(self):
        """Stop writing (the last snapshot stays)."""
        self._stop.set()
        self._thread.join(5)


def set_pin(state_dir, pin: str = PIN) -> None:
    """Run the real ``midstance set-pin`` with the PIN on stdin."""
    done = midstance("set-pin", "--state-dir", state_dir, input=f"{pin}\n{pin}\n", timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The real ``midstance demo`` on the sample clip, as a subprocess; yields its base URL,
    state dir and run dir."""
    base = tmp_path_factory.mktemp("demo")
    state, run = base / "state", base / "run"
    state.mkdir()
    run.mkdir()
    set_pin(state)
    args = ("demo", "--state-dir", state, "--run-dir", run)
    with serving(*args, log=base / "demo.log", timeout=120) as (proc, url):
        yield {"url": url, "state": state, "run": run, "proc": proc}


PHONE = {"width": 390, "height": 844}


class Console:
    """Collects console errors, failed requests and uncaught exceptions of a page (CSP
    violations show up here too)."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("requestfailed", self._failed)

    def _failed(self, request):
        # An event stream torn down by navigation or a server restart is not an error.
        if not request.url.endswith("/stream") and "stream?" not in request.url:
            self.errors.append(f"request failed: {request.url}")


@pytest.fixture
def page(browser):
    """A phone-sized page (390x844) whose console errors are collected in ``page.console``."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.console = Console(page)
    yield page
    context.close()
