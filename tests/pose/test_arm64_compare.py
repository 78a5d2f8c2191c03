"""`make check-arm64`'s comparison: the cut clip holds the very frames, and a landmark drift,
a lost detection or a changed step is caught (the emulated run itself is `make check-arm64`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from device.pose import PoseEstimator
from device.video import VideoReader
from tests.conftest import CLIP, REPO

SCRIPT = REPO / "scripts" / "check-arm64-compare.py"


def _load():
    spec = importlib.util.spec_from_file_location("check_arm64_compare", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compare = _load()


def frames(path: Path, limit: int) -> list[tuple[float, np.ndarray]]:
    with VideoReader(path) as video:
        return [f for f, _ in zip(video.frames(), range(limit), strict=False)]


def test_the_cut_clip_decodes_to_the_same_pixels(tmp_path):
    out = tmp_path / "first8.mkv"
    assert compare.make_clip(CLIP, out, 8) == 8
    ours, source = frames(out, 100), frames(CLIP, 8)
    assert len(ours) == 8
    for (t, rgb), (t0, rgb0) in zip(ours, source, strict=True):
        assert np.array_equal(rgb, rgb0)
        assert abs(t - t0) < 1e-3  # Matroska keeps milliseconds


@pytest.fixture(scope="module")
def real_xy(models_dir) -> np.ndarray:
    """The full model's landmarks on the clip's first 12 frames."""
    est = PoseEstimator("full", models_dir)
    xy = [est.process(rgb, t).xy for t, rgb in frames(CLIP, 12)]
    return np.array(xy, dtype=float)


def test_identical_landmarks_pass(real_xy):
    err = compare.landmark_errors(real_xy, real_xy.copy())
    assert err["detections_differ"] == [] and err["median"] == 0.0 and err["found"] == 12


def test_a_drift_of_one_percent_of_the_torso_fails(real_xy):
    torso = compare.torso_lengths(real_xy)
    moved = real_xy + (0.01 * torso)[:, None, None] * np.array([1.0, 0.0])
    err = compare.landmark_errors(real_xy, moved)
    assert err["median"] == pytest.approx(0.01, rel=1e-6)
    assert err["median"] > compare.MAX_MEDIAN_ERROR


def test_a_lost_or_extra_detection_is_named(real_xy):
    arm = real_xy.copy()
    arm[3] = np.nan
    assert compare.landmark_errors(real_xy, arm)["detections_differ"] == [3]
    assert compare.landmark_errors(arm, real_xy)["detections_differ"] == [3]
    assert compare.landmark_errors(real_xy, real_xy[:-1])["median"] == float("inf")


def test_step_differences():
    steps = [{"leg": "left", "contact_t": 0.1667, "verdict": "good", "lean_deg": 7.9,
              "problems": []}, {"leg": "right", "contact_t": 0.5, "verdict": "warn",
              "lean_deg": None, "problems": ["x"]}]  # fmt: skip
    same = [dict(s) for s in steps]
    same[0]["lean_deg"] = 7.91  # rounding in the report's last digit
    assert compare.step_differences(steps, same) == []
    moved = [dict(s) for s in steps]
    moved[0]["contact_t"] = 0.2
    assert compare.step_differences(steps, moved) == ["step 0 contact_t: 0.2, x86 0.1667"]
    judged = [dict(s) for s in steps]
    judged[1]["verdict"] = "good"
    assert compare.step_differences(steps, judged) == ["step 1 verdict: 'good', x86 'warn'"]
    assert compare.step_differences(steps, steps[:1]) == ["1 steps, x86 found 2"]
