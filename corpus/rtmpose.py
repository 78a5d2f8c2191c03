"""RTMPose-Halpe26 keypoints (``gaitlab.pose/v1``) of the real treadmill clip as a trace.

Keypoints map onto BlazePose names (``l_big_toe`` -> ``left_foot_index``, ...); the model's
score becomes the visibility (clipped to 0..1). Keypoints with no BlazePose counterpart (head,
neck, small toes) are dropped.
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
    """The RTMPose keypoints file as a :class:`Trace` (frame times ``k / fps``)."""
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
