"""Fixtures for the reliability tests: real clip, real model files, real processes on loopback.

Every subprocess started here is killed in fixture teardown; every wait polls a condition with
a deadline instead of sleeping a fixed time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIP = REPO / "device" / "sample" / "treadmill_side_30fps.mp4"
MIDSTANCE = [sys.executable, "-m", "midstance"]


def shared_data() -> Path:
    """The team's shared data folder, beside the repository root."""
    return Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def wait_for(condition: Callable[[], object], timeout: float, what: str, every: float = 0.05):
    """Poll ``condition`` until it returns something truthy (returned); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_db(path: Path) -> sqlite3.Connection:
    """A plain read connection to a store file (no schema work, unlike ``Store``)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10.0)
    conn.row_factory = sqlite3.Row
    return conn


class Procs:
    """Starts ``midstance`` subprocesses and kills every one still alive at teardown."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []

    def start(self, *args: str, log: Path | None = None, env: dict | None = None):
        """``midstance ARGS...`` with stdout and stderr to ``log`` (or discarded)."""
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 -- closed below
        try:
            proc = subprocess.Popen(
                [*MIDSTANCE, *args],
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                start_new_session=True,
            )
        finally:
            if log:
                out.close()
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL (a power cut) and reap."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def close(self) -> None:
        """Kill whatever is left."""
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc)


@pytest.fixture
def procs():
    """Subprocess starter whose processes are all killed at teardown."""
    p = Procs()
    yield p
    p.close()


@pytest.fixture(scope="session")
def clip() -> Path:
    """The committed sample clip (a copy of the shared real one, checked identical)."""
    assert CLIP.is_file(), f"{CLIP} missing"
    shared = shared_data() / "treadmill_side_30fps.mp4"
    assert shared.read_bytes() == CLIP.read_bytes(), "sample clip differs from the shared data"
    return CLIP


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The provisioned model files (``make models``); fails loudly when they are missing."""
    from device.pose import models

    directory = models.models_dir()
    problems = [
        p for n in ("pose_detection", "pose_landmark_lite") if (p := models.check(directory, n))
    ]
    assert not problems, f"model files not provisioned (run `make models`): {problems}"
    return directory


@pytest.fixture
def pin_factory():
    """gpiozero mock pins with PWM."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    factory = MockFactory(pin_class=MockPWMPin)
    yield factory
    factory.reset()


def start_web(procs: Procs, state: Path, run: Path, log: Path, port: int | None = None):
    """``midstance web`` on 127.0.0.1; returns (process, base URL) once it answers."""
    import urllib.request

    port = port or free_port()
    proc = procs.start(
        "web", "--host", "127.0.0.1", "--port", str(port), "--state-dir", str(state),
        "--run-dir", str(run), "--threads", "24", log=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def up():
        assert proc.poll() is None, f"web exited: {log.read_text(errors='replace')[-2000:]}"
        try:
            with urllib.request.urlopen(base + "/api/live", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    wait_for(up, 60, "midstance web to answer")
    return proc, base
