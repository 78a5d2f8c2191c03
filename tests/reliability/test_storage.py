"""Storage faults: a full disk and a read-only state directory give a clear fault, never a crash,
and lose no step; old sessions are pruned by the retention policy.

A full disk is a real tiny tmpfs (``mount -t tmpfs -o size=...``) filled up with a file when
mounting is permitted (root); otherwise SQLite's own ``PRAGMA max_page_count`` limit gives the
same "database or disk is full" error. The test prints which one it used.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time

import pytest

from common import snapshot
from common.store import Store
from device.camera import VideoFileSource
from device.config import load_config
from device.indicator import RGBIndicator
from device.pose import PoseEstimator
from device.runtime import Sense
from tests.conftest import midstance as run_cli

FAULT_FRAMES = 40  # frames the fault is held for (the loop must keep judging meanwhile)


def try_mount(path, *options: str) -> bool:
    """Mount a tmpfs at ``path``; False when mounting is not permitted here."""
    path.mkdir(parents=True, exist_ok=True)
    opts = ",".join(options)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True
    )
    return done.returncode == 0


def umount(path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.fixture
def tiny_fs(tmp_path):
    """A 1 MiB tmpfs for the state directory, or None where mounting is not permitted."""
    state = tmp_path / "state"
    mounted = try_mount(state, "size=1m")
    yield state if mounted else None
    if mounted:
        umount(state)


def make_sense(tmp_path, state, clip, models_dir, pin_factory):
    cfg = load_config(None, {"session": {"timeout_s": 5.0, "batch_s": 0.2}})
    led = RGBIndicator(17, 27, 22, brightness=0.8, pin_factory=pin_factory)
    store = Store.in_dir(state)
    (tmp_path / "run").mkdir(exist_ok=True)
    estimator = PoseEstimator(model="lite", models_dir=models_dir)
    source = VideoFileSource(clip, realtime=False)
    return Sense(cfg, source, led, store, tmp_path / "run", estimator, latest=False, fps=30.0)


class FaultScript:
    """An observer (it runs in the loop's own thread) that breaks the store after the first
    steps, records what the LED and the page show while it lasts, then repairs it."""

    def __init__(self, run_dir, breaks, repairs):
        self.run_dir = run_dir
        self.breaks, self.repairs = breaks, repairs
        self.phase = "before"
        self.fault_frames = 0
        self.seen: list[tuple[str, str, str | None]] = []

    def __call__(self, sense, upd):
        if self.phase == "before" and sense.steps >= 3:
            self.breaks(sense)
            self.phase = "broken"
        elif self.phase == "broken":
            if sense.fault and "store" in sense.fault:
                self.fault_frames += 1
                snap = snapshot.read(self.run_dir)
                self.seen.append((sense.indicator.state, snap["state"], snap["fault"]))
            if self.fault_frames >= FAULT_FRAMES:
                self.repairs(sense)
                self.phase = "repaired"


def check_fault_then_no_loss(sense, script, result, message: str):
    assert script.phase == "repaired", "the store never failed"
    led, state, fault = script.seen[-1]
    assert led == "fault" and state == "fault"
    assert fault.startswith("store: ") and message in fault, fault
    assert "\n" not in fault
    # Every frame judged meanwhile; every step decided is in the store at the end.
    assert result["frames"] == 360
    store = Store.in_dir(sense.store.path.parent)
    rows = [r for s in store.sessions() for r in store.steps(s["id"])]
    assert len(rows) == sense.steps > 10
    assert sense.sessions.lost_steps == 0 and sense.sessions.error is None
    assert store.integrity_check() == "ok"


def test_full_disk_is_a_fault_and_loses_no_step(tmp_path, tiny_fs, clip, models_dir, pin_factory):
    state = tiny_fs or tmp_path / "state"
    sense = make_sense(tmp_path, state, clip, models_dir, pin_factory)
    filler = state / "filler"

    def fill(s):
        if tiny_fs is None:
            pages = s.store.db.execute("PRAGMA page_count").fetchone()[0]
            s.store.db.execute(f"PRAGMA max_page_count = {pages}")
            return
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        with contextlib.suppress(OSError):
            while True:  # until ENOSPC
                os.write(fd, b"\0" * 4096)
        os.close(fd)

    def free(s):
        if tiny_fs is None:
            s.store.db.execute("PRAGMA max_page_count = 1073741823")
        else:
            filler.unlink()

    script = FaultScript(tmp_path / "run", fill, free)
    sense.observers.append(script)
    result = sense.run()
    print("full disk made by", "a 1 MiB tmpfs" if tiny_fs else "PRAGMA max_page_count")
    check_fault_then_no_loss(sense, script, result, "full")


def test_read_only_store_is_a_fault_and_loses_no_step(tmp_path, clip, models_dir, pin_factory):
    # A mounted file system cannot be remounted read-only while SQLite holds its files open
    # for writing (EBUSY), so the connection is made read-only: SQLite's own readonly error.
    sense = make_sense(tmp_path, tmp_path / "state", clip, models_dir, pin_factory)
    script = FaultScript(
        tmp_path / "run",
        lambda s: s.store.db.execute("PRAGMA query_only = ON"),
        lambda s: s.store.db.execute("PRAGMA query_only = OFF"),
    )
    sense.observers.append(script)
    result = sense.run()
    check_fault_then_no_loss(sense, script, result, "readonly")


@pytest.fixture
def read_only_state(tmp_path):
    """A state directory holding a store, mounted read-only (a real EROFS, even for root)."""
    state = tmp_path / "state"
    mounted = try_mount(state, "size=2m")
    store = Store.in_dir(state)
    store.start_session(time.time())
    store.close()  # SQLite must let go of its files, or the remount fails with EBUSY
    try:
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(state)], check=True)
        else:  # not root: a plain directory without write permission
            state.chmod(0o555)
        yield state
    finally:
        if mounted:
            umount(state)
        else:
            state.chmod(0o755)


def one_line_error(done, command: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr + done.stdout
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith(f"midstance {command}:")]
    assert len(lines) == 1 and lines[0].startswith(f"midstance {command}: error: "), done.stderr
    return lines[0]


def test_sense_on_a_read_only_state_dir_says_so(tmp_path, read_only_state, clip, models_dir):
    done = run_cli(
        "sense", "--source", str(clip), "--state-dir", str(read_only_state), "--run-dir",
        str(tmp_path / "run"), "--led", "mock", "--model", "lite", "--models-dir",
        str(models_dir), "--max-frames", "5",
    )  # fmt: skip
    line = one_line_error(done, "sense")
    assert str(read_only_state) in line and "writ" in line


def test_web_on_a_read_only_state_dir_says_so(tmp_path, read_only_state):
    done = run_cli(
        "web", "--host", "127.0.0.1", "--port", "0", "--state-dir", str(read_only_state),
        "--run-dir", str(tmp_path / "run"), timeout=60,
    )  # fmt: skip
    line = one_line_error(done, "web")
    assert str(read_only_state) in line


def test_read_only_state_dir_shows_fault_on_the_page(tmp_path, read_only_state, clip, models_dir):
    run = tmp_path / "run"
    done = run_cli(
        "sense", "--source", str(clip), "--state-dir", str(read_only_state), "--run-dir",
        str(run), "--led", "mock", "--model", "lite", "--models-dir", str(models_dir),
        "--max-frames", "5",
    )  # fmt: skip
    assert done.returncode == 2
    snap = snapshot.read(run)
    assert snap["state"] == "fault" and str(read_only_state) in (snap["fault"] or "")


def test_old_sessions_are_pruned_by_the_running_appliance(tmp_path, clip, models_dir, pin_factory):
    state = tmp_path / "state"
    store = Store.in_dir(state)
    long_ago = time.time() - 2 * 365 * 86400
    for i in range(3000):  # two years of a busy kiosk, beyond any sane retention
        sid = store.start_session(long_ago + i * 600)
        store.end_session(sid, long_ago + i * 600 + 300, "timeout")
    sense = make_sense(tmp_path, state, clip, models_dir, pin_factory)
    sense.run(max_frames=30)
    remaining = Store.in_dir(state).sessions(limit=10_000)
    # The default policy (session.keep_days = 90, keep_sessions = 1000): the newest 1000 stay.
    assert 1000 <= len(remaining) <= 1001
    assert max(s["id"] for s in remaining) > 3000 - 1000
