"""The landmark model (``pose_landmark_lite|full|heavy.tflite``) on a 256x256 ROI crop.

Follows MediaPipe's ``pose_landmark_by_roi_cpu`` and
``tensors_to_pose_landmarks_and_segmentation`` graphs: 39 landmarks (33 body + 2 auxiliary
alignment points + 4 unused) with sigmoid visibility, refined on the 64x64 heatmap (9x9
kernel, confidence >= 0.5), projected back to source pixels; a pose-presence score < 0.5
means nobody is there.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from device.pose import roi as roi_mod
from device.pose.roi import Roi
from device.pose.tflite import Model, sigmoid

SIZE = 256
NUM_LANDMARKS = 39
BODY = 33
AUX = slice(33, 35)
PRESENCE_THRESHOLD = 0.5
#: RefineLandmarksFromHeatmapCalculator in mediapipe 0.10.14 runs with its default kernel (9)
REFINE_KERNEL = 9
REFINE_MIN_CONFIDENCE = 0.5


class Landmarks(NamedTuple):
    """One frame's raw landmark output: ``xy`` (35, 2) source pixels (33 body + 2 auxiliary),
    ``vis`` (35,) visibility 0..1, ``score`` pose presence 0..1."""

    xy: np.ndarray
    vis: np.ndarray
    score: float


def refine_from_heatmap(xy: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """Landmarks (N, 2) in crop units moved to the confidence-weighted centre of their
    heatmap (H, W, N logits) window, where the heatmap is confident (MediaPipe's
    RefineLandmarksFromHeatmapCalculator, all landmarks at once)."""
    h, w, n = heatmap.shape
    half = (REFINE_KERNEL - 1) // 2
    col = np.trunc(xy[:, 0] * w).astype(int)  # truncation toward zero, as C++ does
    row = np.trunc(xy[:, 1] * h).astype(int)
    inside = (col >= 0) & (col < w) & (row >= 0) & (row < h)
    # A -inf border has zero confidence: the same as MediaPipe shrinking the kernel at edges.
    padded = np.pad(heatmap, ((half, half), (half, half), (0, 0)), constant_values=-np.inf)
    offsets = np.arange(REFINE_KERNEL)
    rows = np.clip(row, 0, h - 1)[:, None] + offsets  # padded index = row - half + k + half
    cols = np.clip(col, 0, w - 1)[:, None] + offsets
    window = padded[rows[:, :, None], cols[:, None, :], np.arange(n)[:, None, None]]
    conf = sigmoid(window.astype(np.float64))
    total = conf.sum(axis=(1, 2))
    refine = inside & (total > 0) & (conf.max(axis=(1, 2)) >= REFINE_MIN_CONFIDENCE)
    safe = np.where(total > 0, total, 1.0)
    out = xy.copy()
    grid = offsets - half
    x = ((conf.sum(axis=1) * (col[:, None] + grid)).sum(axis=1)) / w / safe
    y = ((conf.sum(axis=2) * (row[:, None] + grid)).sum(axis=1)) / h / safe
    out[refine, 0] = x[refine]
    out[refine, 1] = y[refine]
    return out


class Landmarker:
    """Runs the landmark model on one ROI of an RGB frame."""

    def __init__(self, model: Model):
        self.model = model
        self.input = np.empty((1, SIZE, SIZE, 3), dtype=np.float32)

    def crop(self, rgb: np.ndarray, roi: Roi) -> None:
        """Prepare the model input from ``roi`` of the frame."""
        roi_mod.crop(rgb, roi, SIZE, self.input[0])

    def infer(self) -> list[np.ndarray]:
        """Run the model on the prepared input."""
        return self.model(self.input)

    @staticmethod
    def decode(outputs: list[np.ndarray], roi: Roi) -> Landmarks | None:
        """Turn the model outputs for ``roi`` into landmarks; None when no pose is present."""
        raw, flag, _segmentation, heatmap = outputs[:4]
        score = float(flag.reshape(-1)[0])
        if score < PRESENCE_THRESHOLD:
            return None
        raw = raw.reshape(NUM_LANDMARKS, 5).astype(np.float64)
        xy = raw[:, :2] / SIZE
        xy = refine_from_heatmap(xy, heatmap[0])
        vis = sigmoid(raw[:, 3])
        keep = slice(0, AUX.stop)
        return Landmarks(roi_mod.project(xy[keep], roi), vis[keep], score)


def person_mask(segmentation: np.ndarray, roi: Roi, width: int, height: int) -> np.ndarray:
    """The landmark model's segmentation output (logits over the ROI's 256x256 crop) as the
    person's silhouette in the frame: (height, width) float32, 0 (not the person) .. 1."""
    logits = np.asarray(segmentation, dtype=np.float32).reshape(SIZE, SIZE)
    inside = sigmoid(np.clip(logits, -30.0, 30.0))  # (clipped: no overflow warning)
    to_crop = np.vstack([roi_mod.crop_matrix(roi, SIZE), [0, 0, 1]])
    return cv2.warpPerspective(
        inside, to_crop, (width, height), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=0.0,
    )  # fmt: skip
