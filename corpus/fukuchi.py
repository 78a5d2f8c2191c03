"""Fukuchi 2017 treadmill running (150 Hz markers) as a side-view trace, with marker truth.

Projection: X anteroposterior (the running direction), Y vertical, millimetres; seen from the
runner's right side, runner facing image-right, 1 mm = ``px_per_mm`` pixels, y down.
Markers -> landmarks: hip = mean of ASIS and PSIS of that side; knee = mean of the thigh-bottom
and shank-top lateral markers; ankle = mean of the shank-bottom markers; heel = heel bottom;
foot_index = MT1. There are no trunk markers, so shoulders are absent.

Truth (no force plate in this file): a foot is in contact while its lowest marker (heel bottom
or MT1) is within 20 mm of its lowest level (5th percentile); the contact's start and end
times are where that height crosses the threshold, interpolated between frames, so the first
and last frames in contact come out at any frame rate. Midstance = lowest pelvis (mean height
of both ASIS and PSIS) inside the stance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.trace import Trace
from corpus.mocap import project_side, read_fukuchi

CONTACT_MM = 20.0
SOURCE = (
    "Fukuchi RK, Fukuchi CA, Duarte M (2017) PeerJ 5:e3298; regifukuchi/BMC-RIC-running-"
    "biomechanics data/ at commit ebe9c5c7bcaa33b0761e4db36f5ab8316e35c749. Licence: CC BY 4.0."
)


def _rate(t: np.ndarray) -> float:
    # The file's times are rounded to the millisecond (0, 0.007, 0.013, ...): take the rate
    # from the whole span.
    return round((len(t) - 1) / float(t[-1] - t[0]), 3)


def fukuchi_trace(path: Path, px_per_mm: float = 0.5, width: int = 1280, height: int = 1280):
    """Project a Fukuchi running trial to a side-view trace (runner faces image-right).

    A landmark whose markers are missing from the file, or not seen at a frame, is NaN with
    visibility 0 there (:func:`corpus.mocap.project_side`), as a pose model reports it."""
    t, m = read_fukuchi(path)
    points = {}
    for side, s in (("left", "L"), ("right", "R")):
        for name, markers in (
            ("hip", ("ASIS", "PSIS")),
            ("knee", ("Thigh.Bottom.Lateral", "Shank.Top.Lateral")),
            ("ankle", ("Shank.Bottom.Lateral", "Shank.Bottom.Medial")),
            ("heel", ("Heel.Bottom",)),
            ("foot_index", ("MT1",)),
        ):
            if all(f"{s}.{k}" in m for k in markers):
                points[f"{side}_{name}"] = np.mean([m[f"{s}.{k}"] for k in markers], axis=0)
    x0 = float(np.nanmean(m["R.ASIS"][:, 0])) if "R.ASIS" in m else 0.0
    xy, vis = project_side(points, True, px_per_mm, width, height, x0)
    fps = _rate(t)
    t = np.arange(len(t)) / fps
    return Trace(fps, width, height, "fukuchi2017:" + Path(path).name, t, xy, vis)


def crossings(
    height: np.ndarray, level: float, fps: float
) -> list[tuple[float | None, float | None]]:
    """``(t_on, t_off)`` in seconds of each run of ``height < level`` (frame k at ``k / fps``).

    Times are interpolated where the height crosses the level; None where a run touches the
    start or end of the data.
    """
    below = height < level
    out: list[tuple[float | None, float | None]] = []
    start: float | None = None  # None: the first run began before the data
    for k in range(1, len(height)):
        if below[k] and not below[k - 1]:
            a, b = height[k - 1], height[k]
            start = (k - 1 + (a - level) / (a - b)) / fps
        elif below[k - 1] and not below[k]:
            a, b = height[k - 1], height[k]
            end = (k - 1 + (level - a) / (b - a)) / fps
            out.append((start, end))
    if below[-1]:
        out.append((start, None))
    return out


def fukuchi_truth_input(path: Path) -> dict:
    """Arrays for the truth of one trial: ``t`` (s), ``fps``, ``pelvis`` (N,) mm height and
    ``contacts`` {leg: [(t_on, t_off)]} in seconds from the first frame."""
    t, m = read_fukuchi(path)
    fps = _rate(t)
    contacts = {}
    for side, leg in (("L", "left"), ("R", "right")):
        # (fmin: a marker missing at a frame leaves the other one's height)
        low = np.fmin(m[f"{side}.Heel.Bottom"][:, 1], m[f"{side}.MT1"][:, 1])
        contacts[leg] = crossings(low, np.nanpercentile(low, 5) + CONTACT_MM, fps)
    pelvis = np.nanmean([m[k][:, 1] for k in ("R.ASIS", "L.ASIS", "R.PSIS", "L.PSIS")], axis=0)
    return {"t": np.arange(len(t)) / fps, "fps": fps, "pelvis": pelvis, "contacts": contacts}
