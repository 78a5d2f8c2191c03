"""Turn the shared real data into midstance traces (used by the tests and bench/core.py).

- ``rtmpose_trace``: RTMPose-Halpe26 keypoints of the real treadmill clip (``gaitlab.pose/v1``)
  mapped onto BlazePose names (``l_big_toe`` -> ``left_foot_index``, ...); the model's score
  becomes the visibility (clipped to 0..1).
- ``fukuchi_trace``: 150 Hz treadmill motion capture (mm, X anteroposterior = running
  direction, Y vertical) projected to a side view in pixels, y down, seen from the runner's
  right side, runner facing image-right, 1 mm = ``px_per_mm`` pixels. Markers -> landmarks:
  hip = mean of ASIS and PSIS of that side; knee = mean of the thigh-bottom and shank-top
  lateral markers; ankle = mean of the shank-bottom markers; heel = heel bottom;
  foot_index = MT1. Motion capture has no trunk markers, so shoulders are absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core import landmarks
from core.trace import Trace

RTM_MAP = {
    "nose": "nose",
    "l_shoulder": "left_shoulder", "r_shoulder": "right_shoulder",
    "l_elbow": "left_elbow", "r_elbow": "right_elbow",
    "l_wrist": "left_wrist", "r_wrist": "right_wrist",
    "l_hip": "left_hip", "r_hip": "right_hip",
    "l_knee": "left_knee", "r_knee": "right_knee",
    "l_ankle": "left_ankle", "r_ankle": "right_ankle",
    "l_heel": "left_heel", "r_heel": "right_heel",
    "l_big_toe": "left_foot_index", "r_big_toe": "right_foot_index",
}  # fmt: skip


def rtmpose_trace(path: Path) -> Trace:
    """The RTMPose keypoints file as a :class:`Trace` (times from its timestamps or fps)."""
    d = json.loads(Path(path).read_text())
    names = d["keypoint_names"]
    frames = np.asarray(d["frames"], dtype=float)  # (N, K, 3): x, y, score
    n = len(frames)
    xy = np.full((n, landmarks.COUNT, 2), np.nan)
    vis = np.zeros((n, landmarks.COUNT))
    for k, name in enumerate(names):
        if name in RTM_MAP:
            i = landmarks.INDEX[RTM_MAP[name]]
            xy[:, i] = frames[:, k, :2]
            vis[:, i] = np.clip(frames[:, k, 2], 0.0, 1.0)
    fps = float(d["fps"])
    t = np.arange(n) / fps
    return Trace(fps, int(d["width"]), int(d["height"]), "rtmpose26:" + Path(path).name, t, xy, vis)


def read_markers(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A Fukuchi 2017 marker file: ``(time_s, {marker: (N, 3) mm})``."""
    lines = Path(path).read_text().splitlines()
    cols = lines[0].split("\t")
    data = np.array([[float(v) if v not in ("", "NaN") else np.nan for v in ln.split("\t")]
                     for ln in lines[1:] if ln.strip()])  # fmt: skip
    markers = {}
    for j, c in enumerate(cols):
        if c.endswith("X") and j + 2 < len(cols) and cols[j + 2] == c[:-1] + "Z":
            markers[c[:-1]] = data[:, j : j + 3]
    return data[:, 0], markers


def fukuchi_trace(path: Path, px_per_mm: float = 0.5, width: int = 1280, height: int = 1280):
    """Project a Fukuchi running trial to a side-view trace (runner faces image-right)."""
    t, m = read_markers(path)
    n = len(t)
    xy = np.full((n, landmarks.COUNT, 2), np.nan)
    vis = np.zeros((n, landmarks.COUNT))
    x0 = np.nanmean(m["R.ASIS"][:, 0])

    def put(name: str, points: list[str]) -> None:
        p = np.mean([m[k] for k in points], axis=0)
        xy[:, landmarks.INDEX[name], 0] = width / 2 + (p[:, 0] - x0) * px_per_mm
        xy[:, landmarks.INDEX[name], 1] = height - 40 - p[:, 1] * px_per_mm
        vis[:, landmarks.INDEX[name]] = 1.0

    for side, s in (("left", "L"), ("right", "R")):
        put(f"{side}_hip", [f"{s}.ASIS", f"{s}.PSIS"])
        put(f"{side}_knee", [f"{s}.Thigh.Bottom.Lateral", f"{s}.Shank.Top.Lateral"])
        put(f"{side}_ankle", [f"{s}.Shank.Bottom.Lateral", f"{s}.Shank.Bottom.Medial"])
        put(f"{side}_heel", [f"{s}.Heel.Bottom"])
        put(f"{side}_foot_index", [f"{s}.MT1"])
    # The file's times are rounded to the millisecond (0, 0.007, 0.013, ...): take the rate
    # from the whole span and regenerate exact times.
    fps = round((n - 1) / float(t[-1] - t[0]), 3)
    t = np.arange(n) / fps
    return Trace(fps, width, height, "fukuchi2017:" + Path(path).name, t, xy, vis)
