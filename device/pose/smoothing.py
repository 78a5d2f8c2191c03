"""Causal landmark smoothing as in MediaPipe's ``pose_landmark_filtering`` graph.

A one-euro filter per coordinate (Casiez et al. 2012): a low-pass whose cutoff rises with
speed, so a still runner's landmarks stop jittering while a swinging foot is not held back.
Speeds are measured in body sizes per second (twice the hip-centre to scale-point distance of
this frame's raw auxiliary landmarks, as mediapipe 0.10.14 does), so the same settings suit
any distance from the camera. Visibility gets a plain exponential filter.

The hips are passed on as the model gives them (:data:`RAW`): the filter's cutoff follows
speed, so it holds back most what moves least, and the pelvis's slow rise and fall, whose
lowest point is the step's midstance, came out about half a frame late at 30 fps while the
feet, fast on the belt, were not held back. The stance ankle rides the belt ~0.09 leg lengths
a frame, so the hip-ankle offset then read ~0.04 leg lengths ahead of the hip's true place
(docs/eval.md). The analysis fits its own curve through each stance's hip points.
"""

from __future__ import annotations

import math

import numpy as np

from core.landmarks import INDEX

#: mediapipe 0.10.14's settings: body landmarks (min_cutoff Hz, beta, derivative cutoff Hz)
BODY = (0.05, 80.0, 1.0)
#: the two auxiliary points that steer the next frame's crop are smoothed harder
AUX = (0.01, 10.0, 1.0)
#: Landmarks passed on unfiltered (module docstring): the hips.
RAW = (INDEX["left_hip"], INDEX["right_hip"])
#: VisibilitySmoothingCalculator low_pass_filter alpha (weight of the new value)
VISIBILITY_ALPHA = 0.1
DEFAULT_RATE_HZ = 30.0
MIN_OBJECT_SCALE = 1e-6


def _alpha(cutoff: np.ndarray | float, rate: float) -> np.ndarray | float:
    tau = 1.0 / (2 * math.pi * cutoff)
    return 1.0 / (1.0 + tau * rate)


class OneEuro:
    """One-euro filter over an (N, 2) array of pixel positions sharing one clock.

    ``filter(t, xy, scale)`` returns the smoothed (N, 2); ``t`` in seconds, strictly
    increasing (a repeated or earlier time passes the value through, as MediaPipe does);
    ``scale`` the object size in pixels that speeds are measured in.
    """

    def __init__(self, min_cutoff: float, beta: float, d_cutoff: float):
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.reset()

    def reset(self) -> None:
        """Forget all state."""
        self.rate = DEFAULT_RATE_HZ
        self.last_t: float | None = None
        self.raw: np.ndarray | None = None
        self.value: np.ndarray | None = None
        self.speed: np.ndarray | None = None

    def filter(self, t: float, xy: np.ndarray, scale: float) -> np.ndarray:
        """Smooth one frame of positions (pixels) taken at time ``t`` (seconds)."""
        if scale < MIN_OBJECT_SCALE or (self.last_t is not None and t <= self.last_t):
            return xy
        if self.last_t is not None:
            self.rate = 1.0 / (t - self.last_t)
        self.last_t = t
        speed = np.zeros_like(xy) if self.raw is None else (xy - self.raw) / scale * self.rate
        self.raw = xy
        a_d = _alpha(self.d_cutoff, self.rate)
        self.speed = speed if self.speed is None else a_d * speed + (1 - a_d) * self.speed
        a = _alpha(self.min_cutoff + self.beta * np.abs(self.speed), self.rate)
        self.value = xy if self.value is None else a * xy + (1 - a) * self.value
        return self.value


class LowPass:
    """Exponential smoothing of an array: ``y = alpha * x + (1 - alpha) * y_prev``."""

    def __init__(self, alpha: float):
        self.alpha = alpha
        self.value: np.ndarray | None = None

    def reset(self) -> None:
        """Forget all state."""
        self.value = None

    def filter(self, x: np.ndarray) -> np.ndarray:
        """Smooth one frame."""
        self.value = x if self.value is None else self.alpha * x + (1 - self.alpha) * self.value
        return self.value
