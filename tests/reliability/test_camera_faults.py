"""Camera faults injected into the real runtime loop, in-process.

The real sample clip flows through the real pose model (lite), the real analysis core, a real
SQLite store, the real RGB indicator on gpiozero mock PWM pins and a real AF_UNIX datagram
socket as the systemd notify socket. A :class:`Scripted` source passes the clip through and,
on command, raises, stalls, returns corrupt frames or changes resolution.
"""

from __future__ import annotations

import socket
import threading
import time

import numpy as np
import pytest

from common import snapshot
from common.store import Store
from device.camera import CameraError, Frame, FrameSource, VideoFileSource
from device.config import load_config
from device.indicator import RGBIndicator
from device.pose import PoseEstimator
from device.runtime import Sense
from device.watchdog import Watchdog
from tests.conftest import wait_for

#: The watchdog interval handed to the loop: pings every half of it.
WATCHDOG_S = 0.4


class Scripted(FrameSource):
    """The real clip in real time, with a fault mode switched by the test."""

    def __init__(self, clip):
        self.video = VideoFileSource(clip, realtime=True, loop=True)
        self.mode = "ok"
        self.reads = 0
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        if self.mode == "raise":
            raise CameraError("camera 0: cable knocked out")
        if self.video._frames is None:
            self.video.start()

    def read(self, timeout: float = 1.0) -> Frame | None:
        self.reads += 1
        mode = self.mode
        if mode == "raise":
            raise CameraError("camera 0: capture failed: cable knocked out")
        if mode == "stall":
            # A driver that hangs inside capture: returns only when the fault clears.
            while self.mode == "stall":
                time.sleep(0.01)
            return None
        frame = self.video.read(timeout)
        if frame is None:
            return None
        rng = np.random.default_rng(self.reads)
        if mode == "garbage":
            return Frame(frame.t, rng.integers(0, 256, frame.rgb.shape, dtype=np.uint8))
        if mode == "shape":
            return Frame(frame.t, frame.rgb[:, :, 0])
        if mode == "dtype":
            return Frame(frame.t, frame.rgb.astype(np.float32) / 255)
        if mode == "empty":
            return Frame(frame.t, np.zeros((0, 0, 3), np.uint8))
        if mode == "resize":
            return Frame(frame.t, np.ascontiguousarray(frame.rgb[::2, ::2]))
        return frame

    def close(self) -> None:
        # Keep the file open across a simulated failure, so frames resume where they were.
        pass


class NotifySocket:
    """A real ``$NOTIFY_SOCKET``: records the time of every WATCHDOG=1 it receives."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.1)
        self.path = str(path)
        self.pings: list[float] = []
        self.messages: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096).decode()
            except TimeoutError:
                continue
            except OSError:
                return
            self.messages.append(data)
            if "WATCHDOG=1" in data:
                self.pings.append(time.monotonic())

    def pings_between(self, a: float, b: float) -> int:
        return sum(a <= t <= b for t in self.pings)

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def rig(tmp_path, clip, models_dir, pin_factory):
    """A running Sense on the scripted source; yields it, stops it at teardown."""
    cfg = load_config(
        None,
        {
            "session": {"timeout_s": 5.0, "batch_s": 0.5, "snapshot_hz": 10.0},
            "camera": {"stall_s": 0.6},
        },
    )
    led = RGBIndicator(17, 27, 22, brightness=0.8, pin_factory=pin_factory)
    store = Store.in_dir(tmp_path / "state")
    (tmp_path / "run").mkdir()
    source = Scripted(clip)
    notify = NotifySocket(tmp_path / "notify.sock")
    dog = Watchdog(notify.path, interval_s=WATCHDOG_S)
    estimator = PoseEstimator(model="lite", models_dir=models_dir)
    sense = Sense(
        cfg, source, led, store, tmp_path / "run", estimator, latest=True, fps=30.0, watchdog=dog
    )
    frames: list[tuple[float, tuple[int, ...]]] = []
    sense.observers.append(lambda s, upd: frames.append((time.monotonic(), s.frame_size)))
    result: dict = {}
    errors: list[BaseException] = []

    def loop():
        try:
            result.update(sense.run(duration_s=120))
        except BaseException as exc:  # the test asserts the loop never dies
            errors.append(exc)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    r = type("Rig", (), {})()
    r.sense, r.source, r.notify, r.led, r.pins = sense, source, notify, led, pin_factory
    r.frames, r.thread, r.errors, r.run_dir, r.store = (
        frames,
        thread,
        errors,
        tmp_path / "run",
        store,
    )
    wait_for(lambda: len(frames) > 10, 60, "first frames through the loop")
    yield r
    sense.request_stop()
    thread.join(timeout=30)
    notify.close()
    led.close()


def red_pin(rig) -> float:
    return float(rig.pins.pin(17).state)


def shows_fault(rig, what: str) -> bool:
    snap = snapshot.read(rig.run_dir)
    return (
        rig.sense.indicator.state == "fault"
        and snap["state"] == "fault"
        and what in (snap["fault"] or "")
    )


def healthy(rig, since: int) -> bool:
    snap = snapshot.read(rig.run_dir)
    return (
        len(rig.frames) > since + 10
        and rig.sense.indicator.state != "fault"
        and snap["state"] != "fault"
        and snap["fault"] is None
    )


def assert_alive(rig):
    assert not rig.errors, f"the loop died: {rig.errors[0]!r}"
    assert rig.thread.is_alive()


def test_camera_that_raises_shows_fault_and_recovers(rig):
    rig.source.mode = "raise"
    wait_for(lambda: shows_fault(rig, "cable knocked out"), 10, "fault on LED and page")
    # The fault pattern is a fast red blink on the real pins.
    seen = set()
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        seen.add(round(red_pin(rig), 2))
        time.sleep(0.01)
    assert seen >= {0.0} and max(seen) > 0.5, seen
    starts = rig.source.starts
    wait_for(lambda: rig.source.starts > starts, 10, "the capture thread to retry the camera")
    assert_alive(rig)
    rig.source.mode = "ok"
    n = len(rig.frames)
    wait_for(lambda: healthy(rig, n), 20, "recovery without a restart")
    assert_alive(rig)


def test_stalled_camera_stops_the_watchdog_only_while_stuck(rig):
    wait_for(lambda: len(rig.notify.pings) >= 3, 10, "watchdog pings while frames flow")
    t0 = time.monotonic()
    assert rig.notify.pings_between(t0 - 1.0, t0) >= 2  # fed every WATCHDOG_S / 2
    rig.source.mode = "stall"
    stalled = time.monotonic()
    wait_for(lambda: shows_fault(rig, "no frame for"), 10, "a stall shown as a fault")
    time.sleep(2.0)  # hold the stall for several watchdog intervals
    # No ping once the last frame in flight was handled (allow one interval for it).
    assert rig.notify.pings_between(stalled + WATCHDOG_S, time.monotonic()) == 0
    assert_alive(rig)
    rig.source.mode = "ok"
    resumed = time.monotonic()
    n = len(rig.frames)
    wait_for(lambda: healthy(rig, n), 20, "recovery after the stall")
    wait_for(lambda: rig.notify.pings_between(resumed, time.monotonic()) >= 3, 10, "pings again")
    assert_alive(rig)


def test_resolution_change_is_followed(rig):
    wait_for(lambda: rig.frames[-1][1] == (720, 1280), 10, "full-size frames")
    rig.source.mode = "resize"
    wait_for(lambda: rig.frames[-1][1] == (360, 640), 10, "half-size frames")
    t = time.monotonic()
    wait_for(lambda: rig.notify.pings_between(t, time.monotonic()) >= 3, 10, "pings")
    snap = wait_for(
        lambda: (
            (s := snapshot.read(rig.run_dir))["skeleton"] and s["skeleton"]["width"] == 360 and s
        ),
        10,
        "the skeleton in the new frame size",
    )
    assert snap["state"] != "fault" and rig.sense.indicator.state != "fault"
    assert snap["skeleton"]["height"] == 640
    rig.source.mode = "ok"
    wait_for(lambda: rig.frames[-1][1] == (720, 1280), 10, "full-size frames again")
    assert_alive(rig)


def test_garbage_pixels_mean_nobody_in_view(rig):
    rig.source.mode = "garbage"
    n = len(rig.frames)
    wait_for(lambda: len(rig.frames) > n + 15, 20, "noise frames through the loop")
    t = time.monotonic()
    wait_for(lambda: rig.notify.pings_between(t, time.monotonic()) >= 2, 10, "pings")
    rig.source.mode = "ok"
    n = len(rig.frames)
    wait_for(lambda: healthy(rig, n), 20, "frames after the noise")
    assert_alive(rig)


@pytest.mark.parametrize("mode", ["shape", "dtype", "empty"])
def test_corrupt_frames_show_fault_and_recover(rig, mode):
    rig.source.mode = mode
    wait_for(lambda: shows_fault(rig, "camera") or rig.errors, 10, "corrupt frames shown")
    assert_alive(rig)
    assert shows_fault(rig, "camera")
    rig.source.mode = "ok"
    n = len(rig.frames)
    wait_for(lambda: healthy(rig, n) or rig.errors, 20, "recovery after corrupt frames")
    assert_alive(rig)
