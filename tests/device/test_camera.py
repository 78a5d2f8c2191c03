"""Frame sources: the video file (paced, looping), picamera2 through a fake Picamera2 object,
YUV420 conversion, and the capture thread's one-slot queue and recovery."""

from __future__ import annotations

import time
from typing import ClassVar

import numpy as np
import pytest

from device.camera import (
    CameraError,
    Capture,
    EndOfSource,
    Frame,
    FrameSource,
    Picamera2Source,
    VideoFileSource,
    yuv420_to_rgb,
)


def rgb_to_yuv420(rgb: np.ndarray, stride: int | None = None) -> np.ndarray:
    """Planar I420 the way picamera2 lays it out (BT.601 full range), for the fake camera."""
    h, w = rgb.shape[:2]
    stride = stride or w
    f = rgb.astype(np.float64)
    y = 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]
    u = -0.168736 * f[..., 0] - 0.331264 * f[..., 1] + 0.5 * f[..., 2] + 128
    v = 0.5 * f[..., 0] - 0.418688 * f[..., 1] - 0.081312 * f[..., 2] + 128
    sub = lambda c: c.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))  # noqa: E731
    out = np.zeros((h * 3 // 2, stride), np.uint8)
    out[:h, :w] = np.clip(np.round(y), 0, 255)
    plane = np.zeros((h // 2, stride // 2), np.uint8)
    chroma = out[h:].reshape(-1)
    q = (h // 2) * (stride // 2)
    plane[:, : w // 2] = np.clip(np.round(sub(u)), 0, 255)
    chroma[:q] = plane.reshape(-1)
    plane[:, : w // 2] = np.clip(np.round(sub(v)), 0, 255)
    chroma[q : 2 * q] = plane.reshape(-1)
    return out


def test_yuv420_round_trip_with_stride():
    rng = np.random.default_rng(1)
    # 2x2 blocks of one colour, so chroma subsampling loses nothing
    blocks = rng.integers(30, 225, size=(8, 12, 3), dtype=np.uint8)
    rgb = np.repeat(np.repeat(blocks, 2, 0), 2, 1)
    back = yuv420_to_rgb(rgb_to_yuv420(rgb, stride=32), 24, 16)
    assert back.shape == (16, 24, 3) and back.dtype == np.uint8
    assert np.abs(back.astype(int) - rgb).max() <= 3


class FakeRequest:
    def __init__(self, array, ts):
        self.array, self.ts, self.released = array, ts, False

    def make_array(self, name):
        assert name == "lores"
        return self.array

    def get_metadata(self):
        return {"SensorTimestamp": self.ts}

    def release(self):
        self.released = True


class FakePicamera2:
    """The calls Picamera2Source makes, recorded; frames are a gradient image."""

    cameras: ClassVar[list] = [{"Model": "imx708_wide"}]
    instances: ClassVar[list] = []

    def __init__(self, index=0):
        self.index = index
        self.config_args = None
        self.started = self.closed = False
        self.requests: list[FakeRequest] = []
        self.fail_after: int | None = None
        FakePicamera2.instances.append(self)

    @classmethod
    def global_camera_info(cls):
        return cls.cameras

    def create_video_configuration(self, **kwargs):
        self.config_args = kwargs
        return {"config": kwargs}

    def configure(self, config):
        self.configured = config

    def start(self):
        self.started = True

    def capture_request(self):
        n = len(self.requests)
        if self.fail_after is not None and n >= self.fail_after:
            raise RuntimeError("Camera frontend has timed out!")
        w, h = self.config_args["lores"]["size"]
        rgb = np.zeros((h, w, 3), np.uint8)
        rgb[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]  # red grows to the right
        rgb[..., 2] = 200
        fmt = self.config_args["lores"]["format"]
        # picamera2's "BGR888" is R, G, B in memory; "YUV420" is planar I420
        array = rgb if fmt == "BGR888" else rgb_to_yuv420(rgb, stride=(w + 63) // 64 * 64)
        req = FakeRequest(array, 5_000_000_000 + n * 16_666_667)  # 60 fps, ns
        self.requests.append(req)
        return req

    def stop(self):
        self.started = False

    def close(self):
        self.closed = True


def test_picamera2_source_configures_a_short_exposure_lores_stream():
    cam = Picamera2Source(
        width=96, height=128, fps=60, exposure_us=1200, analogue_gain=6.0, rotate=90,
        lores_format="YUV420", picamera2_class=FakePicamera2,
    )  # fmt: skip
    cam.start()
    fake = FakePicamera2.instances[-1]
    args = fake.config_args
    assert args["lores"] == {"size": (128, 96), "format": "YUV420"}  # sensor is landscape
    assert args["controls"]["ExposureTime"] == 1200
    assert args["controls"]["AnalogueGain"] == 6.0
    assert args["controls"]["AeEnable"] is False
    assert args["controls"]["FrameDurationLimits"] == (16666, 16666)
    assert args["main"]["size"][0] >= 128 and args["main"]["size"][1] >= 96
    frames = [cam.read() for _ in range(3)]
    assert all(r.released for r in fake.requests)  # buffers go back to the camera
    f = frames[0]
    assert f.rgb.shape == (128, 96, 3)  # portrait after a quarter turn clockwise
    # red grew to the right of the sensor image; after 90 deg clockwise it grows downward
    assert f.rgb[-1, 0, 0] > 200 and f.rgb[0, 0, 0] < 20
    assert abs(int(f.rgb[64, 48, 2]) - 200) <= 4
    assert [round(fr.t, 4) for fr in frames] == [0.0, 0.0167, 0.0333]  # sensor time, seconds
    cam.close()
    assert fake.closed


def test_picamera2_source_rgb_lores_on_pi5():
    cam = Picamera2Source(width=64, height=48, rotate=0, lores_format="BGR888",
                          picamera2_class=FakePicamera2)  # fmt: skip
    cam.start()
    frame = cam.read()
    assert frame.rgb.shape == (48, 64, 3)
    assert frame.rgb[0, -1, 0] == 255 and frame.rgb[0, 0, 2] == 200
    cam.close()


def test_picamera2_missing_camera_and_failure():
    class NoCamera(FakePicamera2):
        cameras: ClassVar[list] = []

    with pytest.raises(CameraError, match="no camera found"):
        Picamera2Source(picamera2_class=NoCamera).start()
    cam = Picamera2Source(width=64, height=48, rotate=0, lores_format="BGR888",
                          picamera2_class=FakePicamera2)  # fmt: skip
    cam.start()
    FakePicamera2.instances[-1].fail_after = 1
    assert cam.read() is not None
    with pytest.raises(CameraError, match="capture failed: Camera frontend has timed out"):
        cam.read()
    cam.close()


def test_picamera2_not_installed_is_a_clear_error():
    with pytest.raises(CameraError, match="python3-picamera2"):
        Picamera2Source().start()


def test_video_file_fast_and_looping(clip):
    src = VideoFileSource(clip, realtime=False, loop=True)
    src.start()
    frames = [src.read() for _ in range(400)]  # the clip has 360 frames
    src.close()
    times = [f.t for f in frames]
    assert np.all(np.diff(times) > 0)
    assert times[360] == pytest.approx(12.0, abs=0.02)
    # the picture jumps where the file starts again: that frame, and only it, says so
    assert [i for i, f in enumerate(frames) if f.cut] == [360]
    once = VideoFileSource(clip, realtime=False)
    once.start()
    for _ in range(360):
        frame = once.read()
    assert frame.rgb.shape == (1280, 720, 3)
    with pytest.raises(EndOfSource):
        once.read()
    once.close()


def test_looped_video_file_reopened_keeps_time_running(clip):
    src = VideoFileSource(clip, realtime=False, loop=True)
    src.start()
    times = [src.read().t for _ in range(10)]
    src.close()
    src.start()  # as the capture thread does after a failure
    again = [src.read() for _ in range(5)]
    times += [f.t for f in again]
    src.close()
    assert np.all(np.diff(times) > 0)
    assert [f.cut for f in again] == [True, False, False, False, False]
    assert times[10] == pytest.approx(10 / 30, abs=1e-3)


def test_video_file_is_not_replayed_after_a_failure(clip):
    """Without loop a file is not a camera that comes back: reopened after a failure it ends
    (replaying it would store the same steps again on the session's clock)."""
    src = VideoFileSource(clip, realtime=False)
    src.start()
    [src.read() for _ in range(10)]
    src.close()
    with pytest.raises(EndOfSource) as end:
        src.start()  # as the capture thread does after a failure
    assert end.value.damage and "stopped after a read error" in end.value.damage


def test_video_file_realtime_pacing(clip):
    src = VideoFileSource(clip, realtime=True)
    src.start()
    start = time.monotonic()
    for _ in range(16):
        src.read()
    elapsed = time.monotonic() - start
    src.close()
    assert elapsed >= 15 / 30 - 0.01  # frames are not handed out before their time


class Sequence(FrameSource):
    """n numbered frames, instantly; optionally failing on read number ``fail_at``."""

    def __init__(self, n, fail_at=None):
        self.n, self.fail_at, self.i, self.starts = n, fail_at, 0, 0

    def start(self):
        self.starts += 1

    def read(self, timeout=1.0):
        if self.i == self.fail_at:
            self.fail_at = None
            raise CameraError("cable pulled")
        if self.i >= self.n:
            raise EndOfSource
        self.i += 1
        return Frame(self.i / 30, np.zeros((2, 2, 3), np.uint8))


def test_capture_keeps_every_frame_when_not_latest():
    with Capture(Sequence(50), latest=False) as cap:
        got = []
        while (frame := cap.get(timeout=1.0)) is not None:
            got.append(frame.t)
            time.sleep(0.001)
    assert len(got) == 50 and cap.dropped == 0 and cap.ended


def test_capture_latest_drops_stale_frames():
    with Capture(Sequence(200), latest=True) as cap:
        time.sleep(0.3)  # a slow consumer
        frame = cap.get(timeout=1.0)
        assert frame.t == pytest.approx(200 / 30)  # the newest, not the oldest
        assert cap.dropped == 199
        assert frame.received > 0


def test_capture_latest_keeps_the_cut_of_a_dropped_frame():
    # the frame that starts a file again may be dropped for a newer one: the newer one then
    # starts the new pass, or the pose model would track across the jump
    class Restarting(Sequence):
        def read(self, timeout=1.0):
            frame = super().read(timeout)
            return Frame(frame.t, frame.rgb, cut=self.i == 100)

    with Capture(Restarting(200), latest=True) as cap:
        time.sleep(0.3)  # a slow consumer: frames 100-200 dropped but the last
        frame = cap.get(timeout=1.0)
    assert frame.t == pytest.approx(200 / 30) and frame.cut


def test_capture_recovers_after_a_failure():
    src = Sequence(20, fail_at=5)
    with Capture(src, latest=False) as cap:
        got = []
        deadline = time.monotonic() + 5
        while not cap.ended and time.monotonic() < deadline:
            frame = cap.get(timeout=0.1)
            if frame is not None:
                got.append(frame.t)
            elif cap.error:
                seen_error = cap.error
    assert seen_error == "cable pulled"
    assert len(got) == 20 and src.starts == 2 and cap.error is None
