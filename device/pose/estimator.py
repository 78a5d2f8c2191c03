"""BlazePose on the CPU: an RGB frame in, 33 landmarks in the frame's pixels out.

The detector runs only when there is no pose to follow; otherwise the crop for this frame is
taken from the previous frame's (smoothed) auxiliary landmarks, as MediaPipe's Pose solution
does in video mode. Typical use::

    est = PoseEstimator(model="full")
    for t, rgb in VideoReader("run.mp4").frames():
        res = est.process(rgb, t)      # None when nobody is in view
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from core.errors import InputError
from device.pose import models
from device.pose.detector import Detector
from device.pose.landmarker import AUX, BODY, Landmarker, person_mask
from device.pose.roi import Roi, from_alignment_points
from device.pose.smoothing import AUX as AUX_FILTER
from device.pose.smoothing import BODY as BODY_FILTER
from device.pose.smoothing import RAW, VISIBILITY_ALPHA, LowPass, OneEuro
from device.pose.tflite import Model


@dataclass
class PoseResult:
    """One frame's pose: ``xy`` (33, 2) pixels of the given frame (y down), ``vis`` (33,)
    visibility 0..1, ``score`` pose presence 0..1, ``roi`` the crop it was found in
    (centre x, y and side in pixels, rotation in radians); ``mask`` the person's silhouette
    in the frame (:func:`device.pose.landmarker.person_mask`), only when the estimator was
    made with ``segment=True``."""

    xy: np.ndarray
    vis: np.ndarray
    score: float
    roi: Roi
    mask: np.ndarray | None = None


class PoseEstimator:
    """BlazePose detector + landmark model with tracking and smoothing.

    ``model`` is ``"lite"``, ``"full"`` or ``"heavy"``; ``models_dir`` None means
    ``$MIDSTANCE_MODELS_DIR`` or ``~/.cache/midstance/models``; ``threads`` is the
    interpreter's CPU thread count; ``smooth`` turns the one-euro landmark filter on (every
    landmark but the hips, :mod:`device.pose.smoothing`);
    ``segment`` adds the person's silhouette to each result (``mask``: the appliance does not
    need it; the stress set draws a second runner with it).
    Raises :class:`device.pose.models.ModelError` when a model file is missing, truncated or
    not the pinned one. ``timings`` holds the last frame's milliseconds per stage
    (``detect``, ``crop``, ``infer``, ``post``); ``detector_runs`` counts the frames the
    detector had to run on (tracking lost).
    """

    def __init__(
        self,
        model: str = "full",
        models_dir: str | os.PathLike | None = None,
        threads: int = 2,
        smooth: bool = True,
        segment: bool = False,
    ):
        if model not in models.LANDMARK_MODELS:
            raise models.ModelError(
                f"unknown landmark model {model!r} (choose {', '.join(models.LANDMARK_MODELS)})"
            )
        self.model = model
        self.smooth = smooth
        self.segment = segment
        self.detector = Detector(Model(models.model_path(models.DETECTOR, models_dir), threads))
        self.landmarker = Landmarker(
            Model(models.model_path(f"pose_landmark_{model}", models_dir), threads)
        )
        self.body_filter = OneEuro(*BODY_FILTER)
        self.aux_filter = OneEuro(*AUX_FILTER)
        self.body_vis = LowPass(VISIBILITY_ALPHA)
        self.timings: dict[str, float] = {}
        self.detector_runs = 0
        self.reset()

    def reset(self) -> None:
        """Forget the tracked region and the filters' state (a new runner, a new clip)."""
        self.reset_tracking()
        self.frame_index = 0

    def process(self, rgb: np.ndarray, t: float | None = None) -> PoseResult | None:
        """Find the pose in one HxWx3 uint8 RGB frame taken at ``t`` seconds (None: assume
        30 frames/s); None when no person is found."""
        if not (isinstance(rgb, np.ndarray) and rgb.ndim == 3 and rgb.shape[2] == 3):
            raise InputError(f"pose: expected an HxWx3 RGB frame, got shape {np.shape(rgb)}")
        if rgb.dtype != np.uint8:
            raise InputError(f"pose: expected uint8 pixels, got {rgb.dtype}")
        if t is None:
            t = self.frame_index / 30.0
        self.frame_index += 1
        clock = time.perf_counter
        t0 = clock()
        roi = self.tracked
        if roi is None:
            self.detector_runs += 1
            found = self.detector(rgb)
            if found is not None:
                roi = from_alignment_points(found.keypoints[0], found.keypoints[1])
        t1 = clock()
        outputs = None
        if roi is not None:
            self.landmarker.crop(rgb, roi)
            t2 = clock()
            outputs = self.landmarker.infer()
            t3 = clock()
        else:
            t2 = t3 = t1
        landmarks = None if outputs is None else self.landmarker.decode(outputs, roi)
        result = self._follow(landmarks, roi, t)
        if result is not None and self.segment:
            # outputs[2]: the segmentation, read before the next frame overwrites it
            result.mask = person_mask(outputs[2], roi, rgb.shape[1], rgb.shape[0])
        t4 = clock()
        self.timings = {
            "detect": (t1 - t0) * 1e3,
            "crop": (t2 - t1) * 1e3,
            "infer": (t3 - t2) * 1e3,
            "post": (t4 - t3) * 1e3,
        }
        return result

    def _follow(self, landmarks, roi: Roi | None, t: float) -> PoseResult | None:
        if landmarks is None:
            # lost: the detector runs on the next frame, and the filters start afresh
            self.reset_tracking()
            return None
        raw_aux = landmarks.xy[AUX]
        # the body's size in pixels: the side of the un-enlarged ROI from the raw aux points
        scale = 2.0 * float(np.hypot(*(raw_aux[1] - raw_aux[0])))
        aux = self.aux_filter.filter(t, raw_aux, scale)
        self.tracked = from_alignment_points(aux[0], aux[1])
        xy = landmarks.xy[:BODY]
        vis = landmarks.vis[:BODY]
        if self.smooth:
            vis = self.body_vis.filter(vis)
            # the filter keeps its state in the array it returns: the result gets its own copy
            xy = self.body_filter.filter(t, xy, scale).copy()
            xy[RAW, :] = landmarks.xy[RAW, :]
        else:
            xy = xy.copy()
        return PoseResult(xy, vis.copy(), landmarks.score, roi)

    def reset_tracking(self) -> None:
        """Drop the tracked region and filter state but keep the frame clock."""
        self.tracked: Roi | None = None
        for f in (self.body_filter, self.aux_filter, self.body_vis):
            f.reset()
