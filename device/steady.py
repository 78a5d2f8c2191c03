"""A camera shaken by the runner's footfalls, held still: each frame's shake, read from the room.

A camera clamped to a treadmill, or on a light stand on a sprung floor, jolts at every
footfall. The whole picture moves, and with it every landmark: the pelvis seems to sink
where the camera dipped, so midstance is timed off and the hip seems to sit behind the
ankle, and the pelvis seems to bounce out of time with the steps. Motion capture of good
runners shaken by 0.04 leg lengths got warn verdicts, and the clip shaken by 0.08 was refused
as "steps out of rhythm" (docs/eval.md). The landmarks cannot tell a shake from the runner's
own bounce (the pelvis moves only ~0.04 L in a stance), but the room can: it stands still.

:class:`Steadier` reads how far each frame has moved against a key frame: the largest strip
of a small greyscale copy clear of the runner (above, below or beside their box: the room) is
phase-correlated with the same strip of the key frame. Its quick part is the shake: the slow
part (a camera panning, or nudged for good) is left in the landmarks, so a moving camera is
still seen and named ``camera_moving``. A still camera's frames read up to a pixel of noise,
so under :data:`MIN_SHAKE` nothing is taken off: a still camera's landmarks are exactly the
pose model's. The caller takes the shake off the landmarks before the analysis, live and from
a video file alike.

Example::

    steadier = Steadier()
    for t, rgb, xy in frames:
        shake = steadier.shake(t, rgb, xy)   # (dx, dy) pixels the picture moved by this frame
        xy = steadied(xy, shake)             # the landmarks as a still camera saw them
"""

from __future__ import annotations

import functools
from collections import deque

import cv2
import numpy as np

from device.level import runner_box

#: Frames are compared shrunk by a whole step to about this size (longer side, pixels): each
#: pixel there the mean of a square of the frame's (6 x 6 of a 1280-pixel frame, 3 x 3 of the
#: Pi camera's 640), and phase correlation finds a strip's shift to a tenth of one.
SIZE_PX = 192
#: The strip of the picture read must be this wide and tall (pixels of the small copy)...
MIN_STRIP_PX = 40
#: ... have this much texture (standard deviation of its grey levels: a plain wall or a black
#: bar has no shift to read) and a correlation peak this clear (0..1).
MIN_TEXTURE = 4.0
MIN_RESPONSE = 0.05
#: A frame's shift is looked for this near the last frame's (pixels of the small copy; 72 of a
#: 1280-pixel frame): a jolt moves the picture a few of them from one frame to the next.
REACH_PX = 12
#: While the camera has been still (the last STEADY_S's shake under half MIN_SHAKE), only every
#: this many frames is read: a still camera is the usual case, and a shake starting is still
#: seen within a tenth of a second.
QUIET_EVERY = 3
#: Frames in a row that give no shift before the key frame is taken again (a new scene).
MAX_MISSES = 15
#: A new key frame this often (seconds of the stream): the room's light and the runner's
#: place change slowly, and a key frame too old matches less well.
KEY_S = 2.0
#: The shake is the shift less its mean over this long (seconds): a footfall's jolt dies
#: within a step, a pan or a nudge lasts longer and stays in the landmarks.
STEADY_S = 1.0
#: Nothing is taken off while the shake over the last STEADY_S is smaller than this (root mean
#: square, a share of the picture's longer side: 3.2 px of 1280, ~0.01 of the clip's leg): a
#: still camera's frames read up to 2.6 px in noise (a runner behind in the strip read), which
#: taken off would only add to the pose model's own scatter (docs/eval.md).
MIN_SHAKE = 0.0025


class Steadier:
    """The shake of a stream's frames (:meth:`shake`), in the frames' own pixels."""

    def __init__(self, size_px: int = SIZE_PX, key_s: float = KEY_S, steady_s: float = STEADY_S):
        self.size_px, self.key_s, self.steady_s = size_px, key_s, steady_s
        self.reset()

    def reset(self) -> None:
        """Start again (a new file, camera or session): the next frame is the key frame."""
        self._key: np.ndarray | None = None  # the key frame, shrunk
        self._key_size = (0, 0)
        self._key_t = 0.0
        self._key_shift = np.zeros(2)
        self._recent: deque[tuple[float, np.ndarray]] = deque()
        self._shakes: deque[tuple[float, float]] = deque()
        self._misses = 0
        self._moved = (0.0, 0.0)  # the last frame's shift from the key frame (shrunk pixels)
        self._count = 0  # frames since the key frame was first taken
        self._quiet = False  # the camera still: only every QUIET_EVERY-th frame is read

    def shake(self, t: float, rgb: np.ndarray, xy: np.ndarray | None = None) -> tuple[float, float]:
        """How far (pixels, x right and y down) the frame ``rgb`` at time ``t`` (seconds) was
        shaken from where the camera stands: the picture's shift from the key frame less its
        mean over the last second. ``xy``: the runner's landmarks (pixels), whose box is left
        out. ``(0.0, 0.0)`` when the camera is still, and for a frame unlike the key frame."""
        h, w = rgb.shape[:2]
        step = max(1, max(h, w) // self.size_px)
        if self._key is None or self._key_size != (w, h):
            self._start(t, rgb, step)
            return (0.0, 0.0)
        self._count += 1
        if self._quiet and self._count % QUIET_EVERY:
            return (0.0, 0.0)
        size = (w // step, h // step)
        box = runner_box(None if xy is None else np.asarray(xy, float) / step, size)
        strip = room_strip(size, box)
        moved = None
        if strip is not None:
            left, top, right, bottom = strip
            key = self._key[top:bottom, left:right]
            moved = phase_shift(key, shrunk(rgb, step, strip), self._moved)
        if moved is None:
            self._misses += 1
            if self._misses >= MAX_MISSES:
                self._start(t, rgb, step)
            return (0.0, 0.0)
        self._misses, self._moved = 0, (float(moved[0]), float(moved[1]))
        shift = self._key_shift + moved * step
        if t - self._key_t >= self.key_s:
            self._key, self._key_t, self._key_shift = shrunk(rgb, step), t, shift
            self._moved = (0.0, 0.0)
        quick = shift - self._mean(self._recent, t, shift)
        power = self._mean(self._shakes, t, float(quick @ quick))
        floor = (MIN_SHAKE * max(h, w)) ** 2
        self._quiet = power < floor / 4
        if power < floor:
            return (0.0, 0.0)
        return (float(quick[0]), float(quick[1]))

    def _mean(self, window: deque, t: float, value):
        window.append((t, value))
        while t - window[0][0] > self.steady_s:
            window.popleft()
        return sum(v for _, v in window) / len(window)

    def _start(self, t: float, rgb: np.ndarray, step: int) -> None:
        self.reset()
        self._key, self._key_t = shrunk(rgb, step), t
        self._key_size = (rgb.shape[1], rgb.shape[0])
        self._recent.append((t, np.zeros(2)))


def shrunk(
    rgb: np.ndarray, step: int, region: tuple[int, int, int, int] | None = None
) -> np.ndarray:
    """The frame (or its ``region``: left, top, right, bottom in shrunk pixels) in grey, each
    pixel the mean of a ``step`` x ``step`` square of the frame's: float32."""
    if region is None:
        region = (0, 0, rgb.shape[1] // step, rgb.shape[0] // step)
    left, top, right, bottom = region
    part = rgb[top * step : bottom * step, left * step : right * step]
    gray = cv2.cvtColor(part, cv2.COLOR_RGB2GRAY)
    if step > 1:
        gray = cv2.resize(gray, (right - left, bottom - top), interpolation=cv2.INTER_AREA)
    return gray.astype(np.float32)


def room_strip(
    size: tuple[int, int], runner: tuple[float, float, float, float] | None
) -> tuple[int, int, int, int] | None:
    """The largest strip of a picture of ``size`` (width, height) clear of the ``runner`` box,
    above, below or beside it (the whole picture without one), trimmed to sizes the Fourier
    transform is quick on: ``(left, top, right, bottom)``, or None when it is under
    :data:`MIN_STRIP_PX` across."""
    w, h = size
    if runner is None:
        strips = [(0, 0, w, h)]
    else:
        # (landmarks may lie beyond the picture: a foot out of frame, a garbled pose)
        x0, x1 = (min(max(round(v), 0), w) for v in (runner[0], runner[2]))
        y0, y1 = (min(max(round(v), 0), h) for v in (runner[1], runner[3]))
        strips = [(0, 0, w, y0), (0, y1, w, h), (0, 0, x0, h), (x1, 0, w, h)]
    left, top, right, bottom = max(strips, key=lambda r: (r[2] - r[0]) * (r[3] - r[1]))
    if min(right - left, bottom - top) < MIN_STRIP_PX:
        return None
    cols, rows = _quick(right - left), _quick(bottom - top)
    left += (right - left - cols) // 2
    top += (bottom - top - rows) // 2
    return (left, top, left + cols, top + rows)


def _quick(n: int) -> int:
    """The largest even size up to ``n`` with no prime factor above 5."""
    for m in range(n - n % 2, 1, -2):
        k = m
        for p in (2, 3, 5):
            while k % p == 0:
                k //= p
        if k == 1:
            return m
    return n


def phase_shift(
    key: np.ndarray, strip: np.ndarray, near: tuple[float, float] = (0.0, 0.0)
) -> np.ndarray | None:
    """How far ``strip`` moved from ``key`` (two greyscale float32 pictures of one size),
    pixels ``[dx, dy]``, by phase correlation: the highest peak within :data:`REACH_PX` of
    ``near`` (where the last frame was: a wall of panels or a shelf of plates also matches a
    whole period away), to a fraction of a pixel. None when either picture is too plain to say
    (:data:`MIN_TEXTURE`) or that peak is under :data:`MIN_RESPONSE`."""
    if key.std() < MIN_TEXTURE or strip.std() < MIN_TEXTURE:
        return None
    h, w = key.shape
    window = _hanning(w, h)
    cross = np.fft.rfft2(strip * window) * np.conj(np.fft.rfft2(key * window))
    cross /= np.maximum(np.abs(cross), 1e-12)
    surface = np.fft.irfft2(cross, s=(h, w))
    cx, cy = round(near[0]), round(near[1])
    xs = np.arange(cx - REACH_PX, cx + REACH_PX + 1)
    ys = np.arange(cy - REACH_PX, cy + REACH_PX + 1)
    around = surface[np.ix_(ys % h, xs % w)]
    j, i = np.unravel_index(int(np.argmax(around)), around.shape)
    if around[j, i] < MIN_RESPONSE:
        return None
    # the peak's centroid over its 3 x 3 neighbourhood places it between pixels
    one = np.array([-1, 0, 1])
    peak = np.maximum(surface[np.ix_((ys[j] + one) % h, (xs[i] + one) % w)], 0.0)
    total = peak.sum()
    dx = xs[i] + peak.sum(axis=0) @ one / total
    dy = ys[j] + peak.sum(axis=1) @ one / total
    return np.array([dx, dy])


@functools.lru_cache(maxsize=8)
def _hanning(w: int, h: int) -> np.ndarray:
    return cv2.createHanningWindow((w, h), cv2.CV_32F)


def steadied(xy: np.ndarray | None, shake: tuple[float, float]) -> np.ndarray | None:
    """Landmarks ``(33, 2)`` (pixels, or None) with the frame's shake taken off."""
    if xy is None:
        return None
    return np.asarray(xy, dtype=float) - np.asarray(shake, dtype=float)
