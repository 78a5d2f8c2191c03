"""The region of interest: a rotated square around the body, and cropping it from a frame.

MediaPipe's pose graph derives it from two alignment points (the hip centre and a point whose
distance and direction encode the body's size and tilt), whether they come from the detector
or from the previous frame's auxiliary landmarks: centre on the first point, side twice their
distance, rotated so the second point is straight up, then enlarged by 1.25 (the training
margin). All in source pixels.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

#: MediaPipe pose_detection_to_roi / pose_landmarks_to_roi: RectTransformation scale
SCALE = 1.25
#: the rotation that puts the second alignment point straight above the first
TARGET_ANGLE = math.pi / 2


class Roi(NamedTuple):
    """A rotated square: centre (x, y) and side in pixels, rotation in radians (clockwise on
    screen, y down)."""

    x: float
    y: float
    side: float
    rotation: float


def normalize_radians(angle: float) -> float:
    """``angle`` wrapped into [-pi, pi)."""
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def from_alignment_points(center: np.ndarray, scale_point: np.ndarray) -> Roi:
    """The ROI from the hip centre and the size/rotation point, both (x, y) in pixels."""
    dx = float(scale_point[0] - center[0])
    dy = float(scale_point[1] - center[1])
    side = 2.0 * math.hypot(dx, dy) * SCALE
    rotation = normalize_radians(TARGET_ANGLE - math.atan2(-dy, dx))
    return Roi(float(center[0]), float(center[1]), side, rotation)


def crop_matrix(roi: Roi, size: int) -> np.ndarray:
    """The 2x3 affine map from source pixels to a ``size`` x ``size`` crop of ``roi``.

    The ROI's corners map to the crop's outer corners, as MediaPipe's OpenCV image-to-tensor
    converter does it (``boxPoints`` -> (0, size), (0, 0), (size, 0)).
    """
    box = cv2.boxPoints(((roi.x, roi.y), (roi.side, roi.side), math.degrees(roi.rotation)))
    dst = np.array([[0, size], [0, 0], [size, 0]], dtype=np.float32)
    return cv2.getAffineTransform(box[:3].astype(np.float32), dst)


def crop(rgb: np.ndarray, roi: Roi, size: int, out: np.ndarray) -> None:
    """Write the ``roi`` of ``rgb`` (HxWx3 uint8) as a (size, size, 3) float32 image in 0..1
    into ``out``; pixels outside the frame repeat the edge (MediaPipe's default border)."""
    # warpPerspective (not warpAffine) because it rounds exactly as MediaPipe's converter does
    patch = cv2.warpPerspective(
        rgb, np.vstack([crop_matrix(roi, size), [0, 0, 1]]), (size, size),
        flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE,
    )  # fmt: skip
    np.multiply(patch, np.float32(1 / 255), out=out, casting="unsafe")


def project(points: np.ndarray, roi: Roi) -> np.ndarray:
    """Map (N, 2) points in crop units (0..1 across the crop) back to source pixels."""
    c, s = math.cos(roi.rotation), math.sin(roi.rotation)
    u = points[:, 0] - 0.5
    v = points[:, 1] - 0.5
    out = np.empty_like(points, dtype=np.float64)
    out[:, 0] = (c * u - s * v) * roi.side + roi.x
    out[:, 1] = (s * u + c * v) * roi.side + roi.y
    return out
