"""Video files as RGB frames with their timestamps, decoded by FFmpeg through PyAV.

PyAV rather than OpenCV's ``VideoCapture``: it exposes each frame's presentation timestamp
(exact times for variable-frame-rate phone clips), reports damaged files as exceptions instead
of silently returning no frame, decodes on several threads, and brings no GUI libraries.

Frames come out as a player shows them: a phone filming upright stores its frames sideways and
says so in the file (the display matrix); FFmpeg's library calls leave that to the caller, and
a runner lying on their side has no belt below them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from queue import Full, Queue

import av
import numpy as np

from core.errors import InputError


class VideoReader:
    """Frames of one video file: ``for t, rgb in VideoReader(path).frames(): ...``

    ``t`` is seconds from the first frame; ``rgb`` an HxWx3 uint8 array, upright as a player
    shows it (turned by the file's ``rotation``, degrees counterclockwise, a multiple of 90).
    ``fps``, ``width``, ``height`` (of the upright picture) and ``frame_count`` (None when the
    container does not say) describe the video stream. A missing, empty, unreadable or damaged
    file raises :class:`core.errors.InputError` with a one-line message naming it; a file that
    ends early (cut short after its index) yields what it holds and says so in ``warnings``.
    """

    def __init__(self, path: str | os.PathLike, threads: bool = True):
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"{self.path}: no such file")
        if self.path.is_dir():
            raise InputError(f"{self.path}: is a directory, not a video")
        if self.path.stat().st_size == 0:
            raise InputError(f"{self.path}: empty file (0 bytes), not a video")
        try:
            self._container = av.open(str(self.path))
        except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{self.path}: not a readable video ({_reason(exc)})") from None
        if not self._container.streams.video:
            self._container.close()
            raise InputError(f"{self.path}: no video stream in the file")
        self._stream = self._container.streams.video[0]
        if threads:
            self._stream.thread_type = "AUTO"
        ctx = self._stream.codec_context
        rate = self._stream.average_rate or self._stream.guessed_rate
        self.fps: float = float(rate) if rate else 30.0
        self.width: int = int(ctx.width)
        self.height: int = int(ctx.height)
        self.frame_count: int | None = int(self._stream.frames) or None
        self.warnings: list[str] = []
        if self.width <= 0 or self.height <= 0:
            self.close()
            raise InputError(f"{self.path}: video stream has no picture size")
        self.rotation = _rotation(self.path)
        self._turns = self.rotation // 90 % 4  # quarter turns counterclockwise (np.rot90)
        if self._turns % 2:
            self.width, self.height = self.height, self.width

    def frames(self) -> Iterator[tuple[float, np.ndarray]]:
        """Decode every frame in order: (t seconds from the first frame, HxWx3 uint8 RGB)."""
        start = None
        index = 0
        try:
            for frame in self._container.decode(self._stream):
                t = frame.time
                if t is None:
                    t = index / self.fps
                if start is None:
                    start = t
                index += 1
                rgb = frame.to_ndarray(format="rgb24")
                if self._turns:
                    rgb = np.ascontiguousarray(np.rot90(rgb, self._turns))
                yield t - start, rgb
        except av.error.FFmpegError as exc:
            raise InputError(
                f"{self.path}: damaged video, decoding stopped after frame {index} ({_reason(exc)})"
            ) from None
        if index == 0:
            raise InputError(f"{self.path}: no frame could be decoded (empty or truncated video)")
        if self.frame_count and index < self.frame_count:
            self.warnings.append(
                f"{self.path}: video ends after {index} of its {self.frame_count} frames "
                "(truncated file?)"
            )

    def close(self) -> None:
        """Release the file."""
        self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _rotation(path: Path) -> int:
    """The turn a player gives the file's frames, degrees counterclockwise, to the nearest
    quarter turn (0 when the file says none, or its first frame cannot be read: the caller's
    own decoding then says what is wrong)."""
    try:
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0), None)
    except (av.error.FFmpegError, OSError, UnicodeDecodeError):
        return 0
    return 0 if frame is None else round(frame.rotation / 90) * 90 % 360


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.strip().splitlines()[0]


def prefetched(frames: Iterator[tuple[float, np.ndarray]], depth: int = 4) -> Iterator:
    """Run a frame iterator in a background thread, ``depth`` frames ahead.

    FFmpeg decodes and converts with the GIL released, so on a 2-core Pi the next frame is
    decoded while the pose model runs on this one. Errors reach the consumer in order.
    """
    done = object()
    queue: Queue = Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in frames:
                while not stop.is_set():
                    try:
                        queue.put(item, timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(done)
        except BaseException as exc:  # handed to the consumer, raised there
            queue.put(exc)

    worker = threading.Thread(target=produce, name="video-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = queue.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)
