"""On-device pose: MediaPipe BlazePose through a TFLite interpreter.

``PoseEstimator(model="full").process(rgb, t)`` -> :class:`PoseResult` or None;
:mod:`device.pose.models` provisions and verifies the pinned model files.
"""

from device.pose.estimator import PoseEstimator, PoseResult
from device.pose.models import ModelError

__all__ = ["ModelError", "PoseEstimator", "PoseResult"]
