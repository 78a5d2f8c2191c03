"""Fixtures for the reliability tests: real ``midstance`` processes on loopback.

Every subprocess started here is killed in fixture teardown; every wait polls a condition with
a deadline instead of sleeping a fixed time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, command, free_port, wait_for


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
                command(*args),
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
