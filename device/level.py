"""Is the camera level? Its roll, read from the upright edges in the picture.

A camera rolled on its mount turns everything the judge measures against the picture's
upright: a 4 deg roll moves a foot 0.9 L below the hip by 0.06 L, and good runners get warn
verdicts (docs/capture.md). The landmarks cannot show it (a runner's pelvis path is no plumb
line), but the room can: door frames, wall corners, shelves, racks and the treadmill's posts
are upright, and their edges meet at the vertical vanishing point, which lies straight up or
down the picture from its centre when the camera is level, whatever its pitch. So the roll is
the angle between the picture's up and the direction from the centre to that point.

:func:`roll_deg` measures one frame; :class:`LevelMeter` measures a frame a second for the
first few seconds of a stream, then one every few seconds (the live camera and a video file
alike, so live and offline see the same measurements) and its values go into the trace and to
:meth:`core.analysis.RunAnalyzer.push`, where the capture judge weighs them
(``camera_not_level``).

Example::

    meter = LevelMeter()
    for t, rgb, xy in frames:
        roll = meter.measure(t, rgb, xy)     # degrees (+ = turned clockwise), or None
"""

from __future__ import annotations

import math

import cv2
import numpy as np

#: Seconds between two measurements of a stream: one a second for the first FIRST of them,
#: so the judge knows before a runner's first verdicts (after 4 strides, about 3 s), then
#: LATER_S apart: the roll is a fault of the mount, not of a moment, and a measurement costs
#: ~16 ms on a 640-pixel frame (x86; a few times that on a Pi: docs/figures.md).
EVERY_S = 1.0
FIRST = 5
LATER_S = 5.0
#: Frames are measured at this size (longer side, pixels): a door frame is still tens of
#: pixels long, and line detection costs four times less than at 1280.
SIZE_PX = 640
#: Edges tilted further than this from the picture's up are not taken for upright ones.
MAX_TILT_DEG = 20.0
#: Shortest edge taken, a share of the picture's longer side (shorter ones are texture).
MIN_EDGE = 0.04
#: An edge agrees with a vanishing point when it points at it within this angle.
AGREE_DEG = 1.0
#: A measurement needs this many edges agreeing, and this much of their length (a share of
#: the picture's longer side): a plain wall gives no answer rather than a guess.
MIN_EDGES = 6
MIN_LENGTH = 0.6
#: ... and the agreeing edges must be this share (by length) of all near-upright edges.
MIN_AGREEMENT = 0.5
#: Hypotheses tried: the meeting points of every pair of this many longest edges
#: (deterministic, so live and offline agree).
LONGEST = 16
#: An edge with a flat field (grey levels within FLAT of each other) 4 to 8 pixels to one side
#: along its length is a border of the picture's own (:func:`_beside_flat`), not the room's.
BORDER_PX = 4
FLAT = 2
#: The runner's own limbs are lines too: edges within the landmarks' box, grown by this share
#: of its size, are left out.
RUNNER_MARGIN = 0.1


Box = tuple[float, float, float, float]


def roll_deg(gray: np.ndarray, runner: Box | None = None) -> float | None:
    """The camera's roll from one greyscale frame, degrees: positive when the picture is
    turned clockwise (its verticals lean right at the top), 0 for a level camera. ``runner``
    is ``(x0, y0, x1, y1)`` in the frame's pixels, a region whose edges are not the room's.
    None when the picture holds too few upright edges that agree (:data:`MIN_EDGES`,
    :data:`MIN_LENGTH`, :data:`MIN_AGREEMENT`) or they meet inside the picture (a camera
    aimed steeply up or down)."""
    h, w = gray.shape[:2]
    found = cv2.createLineSegmentDetector(cv2.LSD_REFINE_STD).detect(gray)[0]
    if found is None:
        return None
    x1, y1, x2, y2 = found[:, 0, :].astype(float).T
    dx, dy = x2 - x1, y2 - y1
    length = np.hypot(dx, dy)
    tilt = (np.degrees(np.arctan2(dx, dy)) + 90.0) % 180.0 - 90.0  # from the picture's up
    keep = (length > MIN_EDGE * max(h, w)) & (np.abs(tilt) < MAX_TILT_DEG)
    keep &= ~_beside_flat(gray, x1, y1, x2, y2)
    if runner is not None:
        rx0, ry0, rx1, ry1 = runner
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        keep &= ~((mx > rx0) & (mx < rx1) & (my > ry0) & (my < ry1))
    if keep.sum() < MIN_EDGES:
        return None
    scale = float(max(h, w))
    a = np.stack([(x1 - w / 2) / scale, (y1 - h / 2) / scale, np.ones_like(x1)], 1)[keep]
    b = np.stack([(x2 - w / 2) / scale, (y2 - h / 2) / scale, np.ones_like(x2)], 1)[keep]
    weight = length[keep] / scale
    vp = _vanishing_point(a, b, weight)
    agree = _angles_to(vp[None], a, b)[0] < AGREE_DEG
    if agree.sum() < MIN_EDGES or weight[agree].sum() < MIN_LENGTH:
        return None
    if weight[agree].sum() < MIN_AGREEMENT * weight.sum():
        return None
    up = vp[:2] if abs(vp[2]) < 1e-9 else vp[:2] / vp[2]
    if abs(vp[2]) >= 1e-9 and np.hypot(*up) < 0.5:
        return None  # the verticals meet inside the picture: no side view of a room
    # The direction from the centre to the vanishing point, folded to within 90 deg of "down"
    # (the point may lie above or below). A picture turned clockwise carries its downward
    # direction toward the left: x negative.
    angle = math.degrees(math.atan2(-up[0], up[1]))
    return float((angle + 90.0) % 180.0 - 90.0)


def _beside_flat(gray: np.ndarray, x1, y1, x2, y2) -> np.ndarray:
    """Edges with a flat field on one side: the bars of a portrait video in a landscape file,
    the corners an editor's turn leaves, a picture laid on a plain canvas. They are the
    picture's own borders, not the room's (a wall beside a door frame has light, texture and
    noise that no bar has)."""
    h, w = gray.shape[:2]
    dx, dy = x2 - x1, y2 - y1
    norm = np.hypot(dx, dy) + 1e-12
    nx, ny = -dy / norm, dx / norm  # across the edge, one pixel
    flat = np.zeros_like(x1, dtype=bool)
    for side in (1.0, -1.0):
        samples = []
        for f in (0.2, 0.35, 0.5, 0.65, 0.8):
            for off in (BORDER_PX, 2 * BORDER_PX):
                x = np.clip(np.round(x1 + f * dx + side * off * nx), 0, w - 1).astype(int)
                y = np.clip(np.round(y1 + f * dy + side * off * ny), 0, h - 1).astype(int)
                samples.append(gray[y, x].astype(int))
        values = np.stack(samples)
        flat |= values.max(axis=0) - values.min(axis=0) <= FLAT
    return flat


def _lines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Homogeneous lines through the edges' end points, normalised."""
    lines = np.cross(a, b)
    return lines / np.linalg.norm(lines[:, :2], axis=1, keepdims=True)


def _angles_to(vps: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Degrees between each edge and the direction from its middle to each point of ``vps``
    (homogeneous, ``(P, 3)``): ``(P, edges)``."""
    mid = (a + b)[:, :2] / 2
    along = (b - a)[:, :2]
    w = vps[:, 2:3, None]
    far = np.abs(w) < 1e-9  # a point at infinity: the direction itself
    to = np.where(far, vps[:, None, :2], vps[:, None, :2] - w * mid[None])  # x w: any sign
    dot = np.abs((to * along[None]).sum(-1))
    lengths = np.linalg.norm(to, axis=-1) * np.linalg.norm(along, axis=-1)[None] + 1e-12
    return np.degrees(np.arccos(np.clip(dot / lengths, 0.0, 1.0)))


def _vanishing_point(a: np.ndarray, b: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Where most of the edges' length points (homogeneous, unit): the best of the meeting
    points of pairs of the longest edges, then a least-squares fit to the edges that agree
    with it."""
    lines = _lines(a, b)
    longest = np.argsort(-weight)[:LONGEST]
    i, j = np.triu_indices(len(longest), 1)
    vps = np.cross(lines[longest[i]], lines[longest[j]])
    norm = np.linalg.norm(vps, axis=1)
    vps = vps[norm > 1e-12] / norm[norm > 1e-12, None]
    if len(vps) == 0:
        return np.array([0.0, 1.0, 0.0])
    agree = _angles_to(vps, a, b) < AGREE_DEG
    best = int(np.argmax(agree @ weight))
    fit = (lines[agree[best]] * weight[agree[best], None]).T @ lines[agree[best]]
    vp = np.linalg.eigh(fit)[1][:, 0]
    return vp if np.isfinite(vp).all() else vps[best]


def runner_box(xy: np.ndarray | None, size: tuple[int, int]) -> Box | None:
    """The box around the landmarks ``xy`` (33, 2) grown by :data:`RUNNER_MARGIN`, clipped to
    the picture ``size`` (width, height); None when there are none."""
    if xy is None:
        return None
    pts = xy[np.isfinite(xy).all(axis=1)]
    if len(pts) == 0:
        return None
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    mx, my = RUNNER_MARGIN * (x1 - x0), RUNNER_MARGIN * (y1 - y0)
    return (max(0.0, x0 - mx), max(0.0, y0 - my), min(size[0], x1 + mx), min(size[1], y1 + my))


class LevelMeter:
    """The roll of a stream's frames: one measurement every ``every_s`` seconds of its time for
    the first ``first``, then every ``later_s`` (:data:`FIRST`, :data:`LATER_S`).

    :meth:`measure` takes each frame (RGB, ``(h, w, 3)`` uint8) with its time and the
    runner's landmarks (pixels, or None) and returns the roll (:func:`roll_deg`) on the
    frames it measures, None on the others and when a frame gives no answer.
    """

    def __init__(
        self, every_s: float = EVERY_S, first: int = FIRST, later_s: float = LATER_S,
        size_px: int = SIZE_PX,
    ):  # fmt: skip
        self.every_s, self.first, self.later_s, self.size_px = every_s, first, later_s, size_px
        self.reset()

    def reset(self) -> None:
        """Start again (a new file, camera or session): the next frame is measured, and the
        ``first`` after it a second apart."""
        self._next: float | None = None
        self._count = 0

    def measure(self, t: float, rgb: np.ndarray, xy: np.ndarray | None = None) -> float | None:
        """The roll at this frame when it is time to measure, else None."""
        if self._next is not None and t < self._next:
            return None
        self._count += 1
        self._next = t + (self.every_s if self._count < self.first else self.later_s)
        h, w = rgb.shape[:2]
        k = min(1.0, self.size_px / max(h, w))
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        if k < 1.0:
            gray = cv2.resize(gray, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
        size = (gray.shape[1], gray.shape[0])
        roll = roll_deg(gray, runner_box(None if xy is None else np.asarray(xy, float) * k, size))
        # rounded as a trace stores it, so a report from the trace sees what the live run saw
        return None if roll is None else round(roll, 2)
