"""Where frames come from: the Pi camera (picamera2) or a video file, behind one interface.

A :class:`FrameSource` has ``start()``, ``read(timeout) -> Frame | None`` (None: no frame yet)
and ``close()``. ``read`` raises :class:`CameraError` when the source fails (the runtime closes
it, waits with backoff and starts it again) and :class:`EndOfSource` when a file ends.

:class:`Capture` runs a source in its own thread and keeps only the newest frame (a one-slot
queue), so slow inference never starves the camera and the loop always judges the freshest
frame; for a file read as fast as possible it hands over every frame instead.

Example::

    with Capture(VideoFileSource("run.mp4", realtime=False)) as cap:
        frame = cap.get(timeout=1.0)          # Frame(t=0.0, rgb=HxWx3 uint8)
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import InputError, MidstanceError


@dataclass(frozen=True)
class Frame:
    """One picture: ``t`` seconds (sensor or media time, monotonic), ``rgb`` HxWx3 uint8;
    ``received`` is the ``time.perf_counter()`` when the capture thread got it (0 if unknown);
    ``cut`` is True when the picture jumps here (a file started again: the demo's loop), so
    what the pose model tracked in the frame before is not in this one."""

    t: float
    rgb: np.ndarray
    received: float = 0.0
    cut: bool = False


class CameraError(MidstanceError):
    """The camera is missing or failed (the message says which and why)."""


class EndOfSource(Exception):
    """A video file ended (never raised by a camera or a looping file).

    ``damage`` is None at the file's real end, else the one-line reason it could not go on."""

    def __init__(self, path: str = "", damage: str | None = None):
        super().__init__(damage or path)
        self.damage = damage


class FrameSource:
    """The interface every frame source implements."""

    def start(self) -> None:
        """Open the device or file (again, after a failure). Raises CameraError."""

    def read(self, timeout: float = 1.0) -> Frame | None:
        """The next frame, or None if none came within ``timeout`` seconds."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the device or file (safe to call twice)."""

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()


class VideoFileSource(FrameSource):
    """Frames of a video file, paced in real time (as a camera would give them) or not.

    ``loop=True`` starts again at the end with times that keep increasing (the demo);
    ``realtime=False`` gives frames as fast as they are asked for (tests, benchmarks).

    Example::

        src = VideoFileSource("device/sample/treadmill_side_30fps.mp4", loop=True)
        src.start(); frame = src.read()
    """

    def __init__(self, path: str | Path, realtime: bool = True, loop: bool = False):
        self.path = Path(path)
        self.realtime = realtime
        self.loop = loop
        self.fps: float | None = None
        self._reader = None
        self._frames = None
        self._offset = 0.0  # media time added on each loop
        self._last_t = -1.0
        self._t0_wall: float | None = None
        self._cut = False  # the next frame starts the file again

    def start(self) -> None:
        """Open the file (raises InputError for a missing or unreadable file)."""
        from device.video import VideoReader

        if self._last_t >= 0 and not self.loop:
            # Opened again after a failure: a file is not a camera that comes back, and
            # replaying it would store the same steps again on the session's clock.
            raise EndOfSource(str(self.path), f"{self.path}: stopped after a read error")
        self.close()
        self._reader = VideoReader(self.path)
        self.fps = float(self._reader.fps)
        self._frames = iter(self._reader.frames())
        if self._last_t >= 0:
            # Opened again (a loop, or after a failure): time runs on, never backwards, and
            # the real-time pacing starts afresh instead of rushing to catch up.
            self._offset = self._last_t + 1.0 / (self.fps or 30.0)
            self._t0_wall = None
            self._cut = True

    def read(self, timeout: float = 1.0) -> Frame | None:
        """The next frame (waits until its time when real-time); EndOfSource at the end."""
        if self._frames is None:
            raise CameraError(f"{self.path}: the video source is not started")
        try:
            item = next(self._frames, None)
        except InputError as exc:  # damaged part-way: the file ends here, looped or not
            if not self.loop or self._last_t < 0:
                raise EndOfSource(str(self.path), str(exc)) from None
            item = None
        if item is None:
            if not self.loop or self._last_t < 0:
                raise EndOfSource(str(self.path))
            self.start()
            item = next(self._frames, None)
            if item is None:
                raise EndOfSource(str(self.path))
        t, rgb = item
        t = float(t) + self._offset
        self._last_t = t
        if self.realtime:
            now = time.monotonic()
            if self._t0_wall is None:
                self._t0_wall = now - t
            delay = self._t0_wall + t - now
            if delay > 0:
                time.sleep(delay)
        cut, self._cut = self._cut, False
        return Frame(t, rgb, cut=cut)

    def close(self) -> None:
        """Close the file."""
        if self._reader is not None:
            self._reader.close()
        self._reader = self._frames = None


def yuv420_to_rgb(yuv: np.ndarray, width: int, height: int) -> np.ndarray:
    """Convert picamera2's planar YUV420 array to RGB (BT.601 full range, what libcamera's
    "sYCC" JPEG colour space uses for the lores stream).

    ``yuv`` has shape (height * 3 // 2, stride): ``height`` rows of Y, then the U plane and the
    V plane, each (height/2) x (width/2) packed two rows per array row. Returns (H, W, 3) uint8.
    """
    stride = yuv.shape[1]
    y = yuv[:height, :width].astype(np.float32)
    chroma = yuv[height:].reshape(-1)
    quarter = (height // 2) * (stride // 2)
    u = chroma[:quarter].reshape(height // 2, stride // 2)[:, : width // 2]
    v = chroma[quarter : 2 * quarter].reshape(height // 2, stride // 2)[:, : width // 2]
    u = np.repeat(np.repeat(u.astype(np.float32) - 128.0, 2, 0), 2, 1)
    v = np.repeat(np.repeat(v.astype(np.float32) - 128.0, 2, 0), 2, 1)
    rgb = np.empty((height, width, 3), np.float32)
    rgb[..., 0] = y + 1.402 * v
    rgb[..., 1] = y - 0.344136 * u - 0.714136 * v
    rgb[..., 2] = y + 1.772 * u
    return np.clip(rgb, 0, 255, out=rgb).astype(np.uint8)


class Picamera2Source(FrameSource):
    """The Pi camera through picamera2: a short manual exposure to freeze the feet, the sensor
    at a high frame rate, and the ISP scaling a ``lores`` stream to the size the model wants.

    The lores stream is RGB (``BGR888``, which picamera2 lays out as R, G, B) on a Pi 5 and
    YUV420 on a Pi 4 (whose ISP cannot give RGB lores), converted here with numpy. Frame
    times are the sensor timestamps (start of exposure, nanoseconds of CLOCK_BOOTTIME).
    ``width`` x ``height`` are the size after ``rotate`` (degrees clockwise, for a portrait
    mount; 180 is done by the ISP, 90/270 by numpy on the small lores frame).

    Example::

        cam = Picamera2Source(width=480, height=640, fps=60, rotate=90)
        cam.start(); frame = cam.read(); cam.close()
    """

    def __init__(
        self,
        index: int = 0,
        width: int = 480,
        height: int = 640,
        fps: float = 60.0,
        exposure_us: int = 1500,
        analogue_gain: float = 4.0,
        rotate: int = 0,
        sensor_size: tuple[int, int] | None = None,
        lores_format: str | None = None,
        picamera2_class=None,
    ):
        self.index = index
        self.size = (width, height)
        self.fps = float(fps)
        self.exposure_us = int(exposure_us)
        self.analogue_gain = float(analogue_gain)
        self.rotate = rotate
        self.sensor_size = sensor_size
        self._lores_format = lores_format  # None: BGR888 on a Pi 5, YUV420 elsewhere
        self._cls = picamera2_class
        self.cam = None
        self.lores_format: str | None = None
        self._t0_ns: int | None = None

    def _picamera2(self):
        if self._cls is None:
            try:
                from picamera2 import Picamera2
            except ImportError as exc:
                raise CameraError(
                    f"picamera2 is not installed ({exc}); on the Pi: apt install"
                    " python3-picamera2 and a venv with --system-site-packages"
                ) from None
            self._cls = Picamera2
        return self._cls

    def _lores_size(self) -> tuple[int, int]:
        w, h = self.size
        return (h, w) if self.rotate in (90, 270) else (w, h)

    def start(self) -> None:
        """Open and configure the camera and start streaming (CameraError if it fails)."""
        self.close()
        cls = self._picamera2()
        try:
            info = cls.global_camera_info()
            if len(info) <= self.index:
                raise CameraError(f"camera {self.index}: no camera found ({len(info)} attached)")
            cam = cls(self.index)
            self.cam = cam
            # The Pi 5 ISP (PiSP) can give RGB lores; the Pi 4's (VC4) only YUV420.
            self.lores_format = self._lores_format or ("BGR888" if _is_pi5() else "YUV420")
            frame_us = int(1e6 / self.fps)
            controls = {
                "FrameDurationLimits": (frame_us, frame_us),
                "AeEnable": False,
                "ExposureTime": self.exposure_us,
                "AnalogueGain": self.analogue_gain,
            }
            kwargs = dict(
                main={"size": self._main_size(), "format": "YUV420"},
                lores={"size": self._lores_size(), "format": self.lores_format},
                controls=controls,
                buffer_count=4,
                queue=False,  # a request is the newest frame, never a stale queued one
            )
            if self.sensor_size:
                kwargs["sensor"] = {"output_size": tuple(self.sensor_size)}
            if self.rotate == 180:
                from libcamera import Transform

                kwargs["transform"] = Transform(hflip=1, vflip=1)
            config = cam.create_video_configuration(**kwargs)
            cam.configure(config)
            cam.start()
        except CameraError:
            self.close()
            raise
        except Exception as exc:  # libcamera raises RuntimeError and friends
            self.close()
            raise CameraError(f"camera {self.index}: cannot start: {exc}") from None

    def _main_size(self) -> tuple[int, int]:
        # The main stream must be at least as large as lores; it is never read.
        lw, lh = self._lores_size()
        return (max(lw, 640), max(lh, 480)) if lw >= lh else (max(lw, 480), max(lh, 640))

    def read(self, timeout: float = 1.0) -> Frame | None:
        """The newest frame as RGB with its sensor time in seconds."""
        if self.cam is None:
            raise CameraError(f"camera {self.index}: not started")
        try:
            # Blocks until the next frame; a camera that hangs here stops the watchdog
            # pings, and systemd restarts the service.
            request = self.cam.capture_request()
        except Exception as exc:
            raise CameraError(f"camera {self.index}: capture failed: {exc}") from None
        try:
            array = request.make_array("lores")
            ts = request.get_metadata().get("SensorTimestamp")
        finally:
            request.release()
        w, h = self._lores_size()
        rgb = array[:h, :w, :3] if self.lores_format == "BGR888" else yuv420_to_rgb(array, w, h)
        if self.rotate in (90, 270):
            # np.rot90 turns counter-clockwise; k=-1 is a quarter turn clockwise.
            rgb = np.rot90(rgb, k=-1 if self.rotate == 90 else 1)
        rgb = np.ascontiguousarray(rgb)
        if ts is None:
            ts = time.monotonic_ns()
        if self._t0_ns is None:
            self._t0_ns = int(ts)
        return Frame((int(ts) - self._t0_ns) / 1e9, rgb)

    def close(self) -> None:
        """Stop and release the camera."""
        cam, self.cam = self.cam, None
        if cam is not None:
            for call in (cam.stop, cam.close):
                with contextlib.suppress(Exception):
                    call()


def _is_pi5() -> bool:
    try:
        model = Path("/proc/device-tree/model").read_text(errors="replace")
    except OSError:
        return False
    return "Raspberry Pi 5" in model or "Compute Module 5" in model


def open_source(
    camera_cfg: dict, source: str | None = None, realtime: bool = True, loop: bool = False
) -> FrameSource:
    """The frame source for ``--source camera|FILE`` with the ``[camera]`` config section."""
    source = source or camera_cfg["source"]
    if source == "camera":
        sensor = (camera_cfg["sensor_width"], camera_cfg["sensor_height"])
        return Picamera2Source(
            index=camera_cfg["index"],
            width=camera_cfg["width"],
            height=camera_cfg["height"],
            fps=camera_cfg["fps"],
            exposure_us=camera_cfg["exposure_us"],
            analogue_gain=camera_cfg["analogue_gain"],
            rotate=camera_cfg["rotate"],
            sensor_size=sensor if all(sensor) else None,
        )
    return VideoFileSource(source, realtime=realtime, loop=loop)


class Capture:
    """Runs a :class:`FrameSource` in a thread and hands frames to the loop.

    ``latest=True`` (a camera, a real-time file) keeps only the newest frame: older ones are
    dropped and counted in :attr:`dropped`. ``latest=False`` (a file read as fast as
    possible) blocks the reader until the loop took the frame, so no frame is lost.

    A failing source is closed, retried after a backoff (0.5 s doubling to 8 s) and its error
    kept in :attr:`error` until frames flow again; the thread never dies of it.
    """

    def __init__(self, source: FrameSource, latest: bool = True, backoff_max_s: float = 8.0):
        self.source = source
        self.latest = latest
        self.backoff_max_s = backoff_max_s
        self.error: str | None = None
        self.ended = False
        #: why a file source stopped before its end (a damaged video), else None
        self.damage: str | None = None
        self.dropped = 0
        self.frames = 0
        self._slot: Frame | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="midstance-capture", daemon=True)

    def start(self) -> Capture:
        """Start the capture thread."""
        self._thread.start()
        return self

    def _put(self, frame: Frame) -> None:
        with self._cond:
            if not self.latest:
                while self._slot is not None and not self._stop.is_set():
                    self._cond.wait(0.1)
            elif self._slot is not None:
                self.dropped += 1
                if self._slot.cut:  # the frame dropped started a new pass: this one does now
                    frame = dataclasses.replace(frame, cut=True)
            self._slot = dataclasses.replace(frame, received=time.perf_counter())
            self.frames += 1
            self._cond.notify_all()

    def _run(self) -> None:
        backoff = 0.5
        started = False
        while not self._stop.is_set():
            try:
                if not started:
                    self.source.start()
                    started = True
                frame = self.source.read(timeout=0.5)
            except EndOfSource as end:
                # after a failed read the failure itself says more than "stopped"
                self.damage = (self.error or end.damage) if end.damage else None
                self.ended = True
                with self._cond:
                    self._cond.notify_all()
                return
            except Exception as exc:  # any source failure: report, back off, retry
                self.error = str(exc) or type(exc).__name__
                started = False
                with contextlib.suppress(Exception):
                    self.source.close()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.backoff_max_s)
                continue
            if frame is not None:
                self.error = None
                backoff = 0.5
                self._put(frame)
        with contextlib.suppress(Exception):
            self.source.close()

    def get(self, timeout: float = 0.2) -> Frame | None:
        """The next frame, or None after ``timeout`` s (or when the source has ended)."""
        with self._cond:
            if self._slot is None and not self.ended:
                self._cond.wait(timeout)
            frame, self._slot = self._slot, None
            self._cond.notify_all()
            return frame

    def close(self) -> None:
        """Stop the thread and close the source."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5.0)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
