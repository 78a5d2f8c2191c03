"""Our landmarks against an independent pose model, and lite/full/heavy against each other."""

from __future__ import annotations

import json

import numpy as np
import pytest

from device.pose import PoseEstimator
from tests.conftest import shared_data
from tests.pose.conftest import run_estimators, torso_lengths

#: RTMPose-Halpe26 name -> BlazePose index, for the joints both models define
RTM_TO_BLAZE = {
    "l_shoulder": 11, "r_shoulder": 12, "l_hip": 23, "r_hip": 24,
    "l_knee": 25, "r_knee": 26, "l_ankle": 27, "r_ankle": 28,
}  # fmt: skip
NEAR = ("l_shoulder", "l_hip", "l_knee", "l_ankle")  # the runner faces left: the near side


def rtmpose() -> tuple[np.ndarray, list[str]]:
    data = json.loads((shared_data() / "treadmill_side_30fps.rtmpose26.json").read_text())
    return np.array(data["frames"], dtype=float), data["keypoint_names"]


@pytest.mark.slow
def test_near_side_joints_agree_with_rtmpose(ours):
    frames, names = rtmpose()
    xy = ours["smooth"]["xy"]
    n = min(len(frames), len(xy))
    torso = torso_lengths(xy[:n])
    for name in NEAR:
        theirs = frames[:n, names.index(name), :2]
        d = np.linalg.norm(xy[:n, RTM_TO_BLAZE[name]] - theirs, axis=1) / torso
        # two different models, different joint definitions: within a fifth of a torso
        assert np.nanmedian(d) < 0.2, f"{name}: median {np.nanmedian(d):.3f} torso lengths"


@pytest.mark.slow
def test_lite_and_full_stay_close_to_heavy(models_dir):
    ests = {m: PoseEstimator(m, models_dir) for m in ("lite", "full", "heavy")}
    out = run_estimators(ests, limit=120)
    heavy = out["heavy"]["xy"]
    torso = torso_lengths(heavy)[:, None]
    legs = [23, 24, 25, 26, 27, 28, 29, 30, 31, 32]
    med = {}
    for m in ("lite", "full"):
        assert out[m]["found"].all()
        d = np.linalg.norm(out[m]["xy"] - heavy, axis=2) / torso
        med[m] = float(np.median(d[:, legs]))
    assert med["full"] < 0.08 and med["lite"] < 0.12, med
