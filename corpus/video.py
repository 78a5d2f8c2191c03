"""Video transforms of real footage: decode, change the frames or their timing, re-encode.

Used to make variants of the real clip that a phone or a careless setup would produce: a
mirrored camera, a lower frame rate, a slow-motion export, a camera that cuts the feet off.
Frames are RGB arrays (H, W, 3) uint8; the encoder is libx264 at near-lossless quality (CRF
16) when PyAV has it, else MPEG-4 part 2 at high quality, always yuv420p (even sizes).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

#: The MPEG clock (ticks a second): a phone's variable-rate timestamps are kept to it.
MPEG_CLOCK = Fraction(1, 90_000)


def hflip(frame: np.ndarray) -> np.ndarray:
    """The frame mirrored left-right."""
    return np.ascontiguousarray(frame[:, ::-1])


def keep_top(frame: np.ndarray, height: int) -> np.ndarray:
    """The top ``height`` rows of the frame (a camera aimed too high)."""
    return np.ascontiguousarray(frame[:height])


class Pan:
    """A camera panning side to side: frame ``i`` shifted ``amplitude`` pixels times
    ``sin(2 pi i / period)``, the uncovered edge filled with the edge column (a callable
    ``change`` for :func:`transform_video`, stateful: one instance per video)."""

    def __init__(self, amplitude: int, period: int):
        self.amplitude, self.period, self.i = amplitude, period, 0

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        shift = round(self.amplitude * np.sin(2 * np.pi * self.i / self.period))
        self.i += 1
        cols = np.clip(np.arange(frame.shape[1]) - shift, 0, frame.shape[1] - 1)
        return np.ascontiguousarray(frame[:, cols])


def shrink(frame: np.ndarray, factor: int) -> np.ndarray:
    """The frame scaled down ``factor`` times (whole blocks' means), on a canvas of its own size
    (:func:`on_canvas`: a camera far too far away)."""
    h, w = frame.shape[:2]
    small = frame[: h - h % factor, : w - w % factor]
    small = small.reshape(h // factor, factor, w // factor, factor, 3).mean(axis=(1, 3))
    return on_canvas(frame, small.astype(np.uint8))


def on_canvas(frame: np.ndarray, small: np.ndarray) -> np.ndarray:
    """``small`` (a smaller picture of ``frame``) bottom-centre on a canvas of the frame's size
    in its mean colour: the runner seen from further back, still on the belt at the bottom."""
    h, w = frame.shape[:2]
    out = np.empty_like(frame)
    out[:] = frame.reshape(-1, 3).mean(axis=0).astype(np.uint8)
    y0, x0 = h - small.shape[0], (w - small.shape[1]) // 2
    out[y0:, x0 : x0 + small.shape[1]] = small
    return out


def read_frames(path: Path, max_frames: int | None = None) -> Iterator[np.ndarray]:
    """The video's frames as RGB arrays, in order."""
    with av.open(str(path)) as box:
        for i, frame in enumerate(box.decode(video=0)):
            if max_frames is not None and i >= max_frames:
                break
            yield frame.to_ndarray(format="rgb24")


def video_info(path: Path) -> tuple[int, int, int, float]:
    """``(frames, width, height, fps)`` of a video, counting decoded frames."""
    with av.open(str(path)) as box:
        stream = box.streams.video[0]
        n = sum(1 for _ in box.decode(video=0))
        return n, stream.width, stream.height, float(stream.average_rate or stream.guessed_rate)


def _encoder() -> str:
    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def write_video(
    path: Path,
    frames: Iterator[np.ndarray],
    fps: float,
    times: Sequence[float] | None = None,
    rotation: int = 0,
    crf: int = 16,
) -> int:
    """Encode RGB frames to an .mp4 at ``fps`` (constant rate); returns the frame count.

    ``times`` (seconds, increasing, one per frame): each frame's own timestamp instead, as a
    phone writes a variable frame rate (to 1/90,000 s, the MPEG clock); ``fps`` is then the
    nominal rate. ``rotation`` (degrees counterclockwise, a multiple of 90): frames are stored
    turned back by it and the file's display matrix tells a player to turn them upright, as a
    phone filming upright writes them. ``crf``: x264's constant rate factor (16: visually
    lossless; higher is smaller and blockier; the MPEG-4 fallback ignores it). ``path`` is
    written in place; callers wanting atomicity pass a temporary name.
    """
    rate = Fraction(fps).limit_denominator(1001)
    turns = rotation // 90 % 4
    frames = iter(frames)
    if turns:
        frames = (np.ascontiguousarray(np.rot90(f, -turns)) for f in frames)
    first = next(frames)
    count = 0
    with av.open(str(path), mode="w", format="mp4") as box:
        name = _encoder()
        stream = box.add_stream(name, rate=rate)
        # The size must be known before the encoder opens (at the first frame).
        stream.width, stream.height = first.shape[1], first.shape[0]
        stream.pix_fmt = "yuv420p"
        if times is not None:
            stream.codec_context.time_base = stream.time_base = MPEG_CLOCK
        if turns:
            if not hasattr(stream, "set_display_rotation"):
                raise RuntimeError("writing a display rotation needs PyAV 18 or newer")
            stream.set_display_rotation(90 * turns)
        if name == "libx264":
            stream.options = {"crf": str(crf), "preset": "medium"}
        else:
            stream.bit_rate = 20_000_000
            stream.options = {"qscale": "2"}
        for i, frame in enumerate(itertools.chain([first], frames)):
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            if times is not None:
                vf.pts, vf.time_base = round(times[i] / MPEG_CLOCK), MPEG_CLOCK
            box.mux(stream.encode(vf))
            count += 1
        box.mux(stream.encode(None))
    return count


def transform_video(
    src: Path,
    dst: Path,
    fps: float,
    step: int = 1,
    change: Callable[[np.ndarray], np.ndarray] | None = None,
    max_frames: int | None = None,
) -> int:
    """Every ``step``-th frame of ``src`` (first included), changed by ``change``, written to
    ``dst`` at ``fps``. Returns the number of frames written."""
    frames = (
        f if change is None else change(f)
        for i, f in enumerate(read_frames(src, max_frames))
        if i % step == 0
    )
    os.makedirs(Path(dst).parent, exist_ok=True)
    return write_video(dst, frames, fps)
