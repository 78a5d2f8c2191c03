"""BlazePose's 33 body landmarks: names, order and the skeleton's edges.

A pose frame is two arrays: ``xy`` of shape (33, 2), pixels of the source frame with y down
(NaN where a landmark is missing), and ``vis`` of shape (33,), visibility in 0..1 (0 where
missing). The order is BlazePose's, so index ``i`` always means ``NAMES[i]``. The dozen the
analysis reads each frame, named by side, are in :mod:`core.body`.
"""

from __future__ import annotations

import numpy as np

NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner", "left_eye", "left_eye_outer",
    "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear",
    "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow",
    "left_wrist", "right_wrist",
    "left_pinky", "right_pinky",
    "left_index", "right_index",
    "left_thumb", "right_thumb",
    "left_hip", "right_hip",
    "left_knee", "right_knee",
    "left_ankle", "right_ankle",
    "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)  # fmt: skip

COUNT = len(NAMES)
INDEX: dict[str, int] = {name: i for i, name in enumerate(NAMES)}

LEGS = ("left", "right")

#: Skeleton edges for drawing (setup view, terminal): pairs of indices.
EDGES: tuple[tuple[int, int], ...] = tuple(
    (INDEX[a], INDEX[b])
    for a, b in (
        ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"),
        ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
        ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
        ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
        ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
        ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
        ("left_ankle", "left_heel"), ("left_heel", "left_foot_index"),
        ("left_ankle", "left_foot_index"),
        ("right_ankle", "right_heel"), ("right_heel", "right_foot_index"),
        ("right_ankle", "right_foot_index"),
        ("nose", "left_eye"), ("nose", "right_eye"),
        ("left_eye", "left_ear"), ("right_eye", "right_ear"),
    )
)  # fmt: skip


def empty_pose() -> tuple[np.ndarray, np.ndarray]:
    """Return ``(xy, vis)`` for a frame with no person: all NaN positions, zero visibility."""
    return np.full((COUNT, 2), np.nan), np.zeros(COUNT)
