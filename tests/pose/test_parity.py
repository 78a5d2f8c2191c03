"""Our BlazePose pipeline against MediaPipe 0.10.14's own Pose solution, on the real clip.

Same model files (full), same decoded frames; landmark error in units of torso length.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.pose.conftest import torso_lengths


def errors(ours: dict, ref: dict) -> np.ndarray:
    """Per-landmark error / reference torso length over frames where both found a person."""
    both = ours["found"] & ref["found"]
    d = np.linalg.norm(ours["xy"][both] - ref["xy"][both], axis=2)
    return d / torso_lengths(ref["xy"][both])[:, None]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["smooth", "raw"])
def test_landmarks_match_mediapipe(ours, reference, mode):
    e = errors(ours[mode], reference[mode])
    assert e.shape[0] >= 300  # most of the 360 frames are compared
    median, p95 = np.median(e), np.percentile(e, 95)
    assert median <= 0.02, f"median error {median:.4f} torso lengths"
    assert p95 <= 0.06, f"95th percentile {p95:.4f} torso lengths"


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["smooth", "raw"])
def test_finds_the_runner_in_as_many_frames(ours, reference, mode):
    assert ours[mode]["found"].sum() >= reference[mode]["found"].sum()
    assert ours[mode]["found"].sum() >= 350  # the runner is in view all clip long


@pytest.mark.slow
def test_first_frame_is_exact(ours, reference):
    # Frame 0 has no tracking history: detector -> ROI -> landmarks must agree to a pixel.
    e = errors(
        {k: v[:1] for k, v in ours["raw"].items() if k != "detector_runs"},
        {k: v[:1] for k, v in reference["raw"].items() if k != "raw"},
    )
    assert np.median(e) < 0.002 and e.max() < 0.02


@pytest.mark.slow
def test_detector_runs_only_when_tracking_is_lost(ours):
    found = ours["smooth"]["found"]
    # one run to start, one more after each frame without a pose
    lost = int((~found[:-1]).sum())
    assert ours["smooth"]["detector_runs"] <= 1 + lost + 1
    assert ours["smooth"]["detector_runs"] < 10


@pytest.mark.slow
def test_smoothing_steadies_the_landmarks_without_lag(ours):
    # jitter: frame-to-frame second difference of the head (nearly still on a treadmill)
    def jitter(xy):
        return np.nanmedian(np.linalg.norm(np.diff(xy[:, 0], n=2, axis=0), axis=1))

    assert jitter(ours["smooth"]["xy"]) < jitter(ours["raw"]["xy"])
    # no lag: the smoothed ankle stays close to the raw one (in torso lengths)
    d = np.linalg.norm(ours["smooth"]["xy"][:, 27] - ours["raw"]["xy"][:, 27], axis=1)
    assert np.nanmedian(d / torso_lengths(ours["raw"]["xy"])) < 0.05
