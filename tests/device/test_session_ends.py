"""Every way a session ends in the running loop goes through ``SessionRecorder.end``, once,
and the store row says why: frame-time timeout, wall-time timeout, staff reset (page and
button), shutdown and a previous run's interrupted session.

The clip's landmarks come from the real pose model (run once for the module) and are replayed
through the real loop: analysis core, LED on gpiozero mock PWM pins, SQLite, snapshot."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest

from common.store import Store
from device import appliance
from device.camera import EndOfSource, Frame, FrameSource
from device.config import load_config
from device.pose import PoseEstimator
from device.video import VideoReader

FPS = 30.0


@pytest.fixture(scope="module")
def poses(clip, models_dir):
    """The pose model's result for each frame of the clip."""
    est = PoseEstimator(model="full", models_dir=models_dir)
    with VideoReader(clip) as reader:
        return [est.process(rgb, t=t) for t, rgb in reader.frames()]


class Replay(FrameSource):
    """``n`` frames at 30 fps (tiny images: the poses are replayed), then nothing for
    ``stall_s`` seconds of wall time, then the end."""

    def __init__(self, n: int, stall_s: float = 0.0):
        self.n, self.stall_s, self.i, self.until = n, stall_s, 0, None
        self.rgb = np.zeros((2, 2, 3), np.uint8)

    def read(self, timeout=1.0):
        if self.i < self.n:
            self.i += 1
            return Frame((self.i - 1) / FPS, self.rgb)
        if self.until is None:
            self.until = time.monotonic() + self.stall_s
        if time.monotonic() < self.until:
            time.sleep(min(timeout, 0.05))
            return None
        raise EndOfSource


class ReplayPoses:
    """The clip's poses frame by frame, then nobody in view."""

    def __init__(self, results):
        self.results, self.i = results, 0

    def process(self, rgb, t=None):
        """The next frame's landmarks (None once the clip is over)."""
        self.i += 1
        return self.results[self.i - 1] if self.i <= len(self.results) else None

    def reset(self):
        """Nothing to forget."""


def make_sense(tmp_path, poses, n, stall_s=0.0, **session):
    cfg = load_config(
        None,
        {
            "paths": {"state_dir": str(tmp_path / "state"), "run_dir": str(tmp_path / "run")},
            "session": {"timeout_s": 5.0, "batch_s": 0.2, **session},
            "button": {"hold_s": 0.5},
        },
    )
    return appliance.build(
        cfg, "mock", source=Replay(n, stall_s), estimator=ReplayPoses(poses), fps=FPS,
        realtime=False, log=io.StringIO(),
    )  # fmt: skip


def spy_on_ends(sense) -> list[tuple[str, bool, int]]:
    """Record each call of the recorder's ``end``: (reason, whether it ended one, frame)."""
    calls = []
    end = sense.sessions.end

    def spy(reason):
        did = end(reason)
        calls.append((reason, did, sense.frames))
        return did

    sense.sessions.end = spy
    return calls


def run(sense, observe=None) -> dict:
    if observe:
        sense.observers.append(observe)
    try:
        return sense.run()
    finally:
        sense.close()


def ends_in_store(tmp_path) -> list[str]:
    store = Store.in_dir(tmp_path / "state")
    try:
        return [s["end_reason"] for s in reversed(store.sessions())]
    finally:
        store.close()


def ended(calls) -> list[str]:
    return [reason for reason, did, _ in calls if did]


def test_timeout_by_frame_time_when_the_runner_leaves(tmp_path, poses):
    sense = make_sense(tmp_path, poses, len(poses) + 240, timeout_s=3.0)
    calls = spy_on_ends(sense)
    run(sense)
    assert ended(calls) == ["timeout"] and ends_in_store(tmp_path) == ["timeout"]
    (at,) = [frame for reason, did, frame in calls if did]
    assert len(poses) < at < len(poses) + 240  # during the empty frames, not at the end


def test_timeout_by_wall_time_when_frames_stop(tmp_path, poses):
    sense = make_sense(tmp_path, poses, 300, stall_s=2.6, timeout_s=2.0)
    calls = spy_on_ends(sense)
    open_at_last_frame = []

    def observe(s, upd):
        if s.frames == 300:
            open_at_last_frame.append(s.sessions.active)

    run(sense, observe)
    assert open_at_last_frame == [True]
    assert ended(calls) == ["timeout"] and ends_in_store(tmp_path) == ["timeout"]
    assert [frame for _, did, frame in calls if did] == [300]  # no frame came after it


def test_reset_from_the_page(tmp_path, poses):
    sense = make_sense(tmp_path, poses, len(poses))
    calls = spy_on_ends(sense)
    page = Store.in_dir(tmp_path / "state")

    def observe(s, upd):
        if s.frames == 200:
            page.post_command("reset")
            time.sleep(0.3)  # a command is picked up within a poll interval

    run(sense, observe)
    assert ended(calls) == ["reset", "shutdown"]
    assert ends_in_store(tmp_path) == ["reset", "shutdown"]


def test_reset_by_holding_the_staff_button(tmp_path, poses):
    sense = make_sense(tmp_path, poses, len(poses))
    calls = spy_on_ends(sense)
    pin = sense.button.button.pin  # the button handed to the loop, on the appliance's pins

    def observe(s, upd):
        if s.frames == 200:
            pin.drive_low()
            time.sleep(0.8)  # held longer than the configured 0.5 s
            pin.drive_high()

    run(sense, observe)
    assert sense.button.presses == 1
    assert ended(calls) == ["reset", "shutdown"]
    assert ends_in_store(tmp_path) == ["reset", "shutdown"]


def test_shutdown_ends_the_open_session(tmp_path, poses):
    sense = make_sense(tmp_path, poses, len(poses))
    calls = spy_on_ends(sense)
    result = run(sense, lambda s, u: s.request_stop() if s.frames == 250 else None)
    assert result["frames"] == 250
    assert ended(calls) == ["shutdown"] and ends_in_store(tmp_path) == ["shutdown"]


def test_a_session_left_open_by_a_crash_ends_as_interrupted(tmp_path, poses):
    crashed = Store.in_dir(tmp_path / "state")
    crashed.start_session(time.time() - 60)
    crashed.close()  # the process died without ending it
    sense = make_sense(tmp_path, poses, 30)
    calls = spy_on_ends(sense)
    run(sense)
    assert calls[0] == ("interrupted", True, 0)  # before the first frame
    assert ended(calls) == ["interrupted"] and ends_in_store(tmp_path) == ["interrupted"]


def test_no_session_no_end(tmp_path, poses):
    sense = make_sense(tmp_path, poses, 20)  # too short for a step
    calls = spy_on_ends(sense)
    run(sense)
    assert ended(calls) == [] and ends_in_store(tmp_path) == []
