"""The person detector (``pose_detection.tflite``): frame in, alignment points out.

Follows MediaPipe's ``pose_detection_cpu`` graph: the whole frame letterboxed to 224x224
(zero border, values in -1..1), 2254 SSD anchors, sigmoid scores >= 0.5, weighted non-maximum
suppression, letterbox removed. A detection's keypoint 0 is the hip centre and keypoint 1
encodes the full body's size and rotation; they seed the landmark model's ROI.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

from device.pose.tflite import Model, sigmoid

SIZE = 224
#: min_score_thresh; the Pose solution sets it to min_detection_confidence (0.5 by default)
MIN_SCORE = 0.5
NMS_IOU = 0.3  # NonMaxSuppression min_suppression_threshold
SCORE_CLIP = 100.0


class Detection(NamedTuple):
    """The best person in a frame: score 0..1 and its 4 keypoints (4, 2) in source pixels."""

    score: float
    keypoints: np.ndarray


def ssd_anchors() -> np.ndarray:
    """The detector's (2254, 2) anchor centres in 0..1 (SsdAnchorsCalculator with
    pose_detection_cpu's options: strides 8, 16, 32, 32, 32, two anchors per layer (aspect
    ratio 1 plus the interpolated scale), fixed anchor size so only centres matter)."""
    strides = [8, 16, 32, 32, 32]
    centres = []
    layer = 0
    while layer < len(strides):
        # consecutive layers with the same stride share one feature map
        last = layer
        while last < len(strides) and strides[last] == strides[layer]:
            last += 1
        per_cell = 2 * (last - layer)
        n = math.ceil(SIZE / strides[layer])
        grid = (np.arange(n, dtype=np.float32) + 0.5) / n
        ys, xs = np.meshgrid(grid, grid, indexing="ij")
        cell = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(cell, per_cell, axis=0))
        layer = last
    return np.concatenate(centres)


def letterbox(width: int, height: int) -> tuple[np.ndarray, float, float, float]:
    """The 2x3 map from a frame to the 224x224 letterboxed input, the padded square's side in
    pixels, and the left/top padding in pixels."""
    side = float(max(width, height))
    pad_x = (side - width) / 2
    pad_y = (side - height) / 2
    k = SIZE / side
    matrix = np.array([[k, 0, k * pad_x], [0, k, k * pad_y]], dtype=np.float64)
    return matrix, side, pad_x, pad_y


class Detector:
    """Finds the most likely person in an RGB frame; None when nobody scores >= 0.2."""

    def __init__(self, model: Model):
        self.model = model
        self.anchors = ssd_anchors()
        self.input = np.empty((1, SIZE, SIZE, 3), dtype=np.float32)

    def __call__(self, rgb: np.ndarray) -> Detection | None:
        """Detect on one HxWx3 uint8 RGB frame."""
        height, width = rgb.shape[:2]
        matrix, side, pad_x, pad_y = letterbox(width, height)
        small = cv2.warpAffine(
            rgb, matrix, (SIZE, SIZE), flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0),
        )  # fmt: skip
        # 0..255 -> -1..1, the model's input range
        np.multiply(small, np.float32(2 / 255), out=self.input[0], casting="unsafe")
        self.input -= 1.0
        raw_boxes, raw_scores = self.model(self.input)[:2]
        found = decode(raw_boxes[0], raw_scores[0, :, 0], self.anchors)
        if found is None:
            return None
        score, keypoints = found
        # letterboxed 0..1 -> source pixels
        keypoints = keypoints * side - np.array([pad_x, pad_y])
        return Detection(score, keypoints)


def decode(
    raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray
) -> tuple[float, np.ndarray] | None:
    """The top detection after weighted NMS: (score, keypoints (4, 2) in 0..1 of the input).

    ``raw_boxes`` (2254, 12): x, y, w, h then 4 keypoints (x, y), in input pixels relative to
    the anchor centre; ``raw_scores`` (2254,) logits.
    """
    logits = np.clip(raw_scores.astype(np.float64), -SCORE_CLIP, SCORE_CLIP)
    scores = sigmoid(logits)
    keep = np.flatnonzero(scores >= MIN_SCORE)
    if keep.size == 0:
        return None
    keep = keep[np.argsort(-scores[keep], kind="stable")]
    raw = raw_boxes[keep].astype(np.float64) / SIZE
    centre = anchors[keep].astype(np.float64)
    cx = raw[:, 0] + centre[:, 0]
    cy = raw[:, 1] + centre[:, 1]
    boxes = np.stack([cx - raw[:, 2] / 2, cy - raw[:, 3] / 2,
                      cx + raw[:, 2] / 2, cy + raw[:, 3] / 2], axis=1)  # fmt: skip
    keypoints = raw[:, 4:12].reshape(-1, 4, 2) + centre[:, None, :]
    s = scores[keep]
    # Weighted NMS as MediaPipe: the best box and every box overlapping it by IoU > 0.3 are
    # averaged, weighted by score; the pose graph only uses the first (best) detection.
    iou = _iou(boxes[0], boxes)
    group = iou > NMS_IOU
    group[0] = True
    w = s[group]
    merged = (keypoints[group] * w[:, None, None]).sum(axis=0) / w.sum()
    return float(s[0]), merged


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)
