"""The pipeline's pieces: anchors, ROI geometry, heatmap refinement, smoothing, the detector."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InputError
from device.pose import PoseEstimator, landmarker, roi
from device.pose.detector import Detector, ssd_anchors
from device.pose.smoothing import OneEuro
from device.pose.tflite import Model
from device.video import VideoReader
from tests.conftest import CLIP, shared_data


def test_anchors_match_the_model_output():
    a = ssd_anchors()
    assert a.shape == (2254, 2)  # 28*28*2 + 14*14*2 + 7*7*6
    assert np.allclose(a[0], [0.5 / 28, 0.5 / 28]) and np.allclose(a[1], a[0])
    assert np.allclose(a[-1], [6.5 / 7, 6.5 / 7])


def test_roi_from_alignment_points():
    # scale point straight above the hips: no rotation, side = 2 * distance * 1.25
    r = roi.from_alignment_points(np.array([100.0, 300.0]), np.array([100.0, 200.0]))
    assert r == pytest.approx((100, 300, 250, 0))
    # body leaning to the right on screen: rotated clockwise (positive)
    r = roi.from_alignment_points(np.array([0.0, 0.0]), np.array([10.0, -10.0]))
    assert r.rotation == pytest.approx(math.pi / 4)


@settings(max_examples=50, deadline=None)
@given(
    x=st.floats(0, 500), y=st.floats(0, 500), side=st.floats(20, 800),
    rot=st.floats(-math.pi, math.pi), u=st.floats(0, 1), v=st.floats(0, 1),
)  # fmt: skip
def test_project_inverts_the_crop(x, y, side, rot, u, v):
    r = roi.Roi(x, y, side, rot)
    src = roi.project(np.array([[u, v]]), r)[0]
    m = roi.crop_matrix(r, 256)
    dst = m[:, :2] @ src + m[:, 2]
    assert dst == pytest.approx([u * 256, v * 256], abs=1e-2)


def naive_refine(xy, heatmap, kernel):
    h, w, _ = heatmap.shape
    out, half = xy.copy(), (kernel - 1) // 2
    for i, (x, y) in enumerate(xy):
        col, row = int(x * w), int(y * h)
        if not (0 <= col < w and 0 <= row < h):
            continue
        r0, r1, c0, c1 = (
            max(0, row - half),
            min(h, row + half + 1),
            max(0, col - half),
            min(w, col + half + 1),
        )
        conf = landmarker.sigmoid(heatmap[r0:r1, c0:c1, i].astype(float))
        if conf.sum() > 0 and conf.max() >= 0.5:
            out[i] = [(conf.sum(0) @ np.arange(c0, c1)) / w / conf.sum(),
                      (conf.sum(1) @ np.arange(r0, r1)) / h / conf.sum()]  # fmt: skip
    return out


def test_heatmap_refinement_matches_the_reference_loop():
    rng = np.random.default_rng(3)
    for _ in range(10):
        xy = rng.uniform(-0.1, 1.1, (39, 2))
        heat = rng.normal(0, 2, (64, 64, 39)).astype(np.float32)
        got = landmarker.refine_from_heatmap(xy, heat)
        assert np.allclose(got, naive_refine(xy, heat, landmarker.REFINE_KERNEL))


def test_one_euro_steadies_a_still_point_and_follows_a_moving_one():
    rng = np.random.default_rng(1)
    f = OneEuro(0.05, 80.0, 1.0)
    still = np.array([f.filter(i / 30, np.array([[100.0, 100.0]]) + rng.normal(0, 2, (1, 2)), 500)
                      for i in range(90)])  # fmt: skip
    assert still[30:].std() < 1.0  # raw jitter was 2 px: at least halved
    f.reset()
    moving = [f.filter(i / 30, np.array([[10.0 * i, 0.0]]), 500)[0, 0] for i in range(30)]
    assert abs(moving[-1] - 290) < 15  # a fast limb is not held back by more than a few px
    # time that does not advance passes the value through
    assert f.filter(0.5, np.array([[1.0, 1.0]]), 500).tolist() == [[1.0, 1.0]]


def test_detector_finds_the_runner_on_a_real_frame(models_dir):
    with VideoReader(CLIP) as v:
        _, rgb = next(iter(v.frames()))
    found = Detector(Model(models_dir / "pose_detection.tflite"))(rgb)
    assert found is not None and found.score > 0.9
    rtm = json.loads((shared_data() / "treadmill_side_30fps.rtmpose26.json").read_text())
    mid_hip = np.array(rtm["frames"][0][rtm["keypoint_names"].index("mid_hip")][:2])
    # keypoint 0 is the hip centre: within 40 px of an independent model's mid-hip
    assert np.linalg.norm(found.keypoints[0] - mid_hip) < 40


def test_process_rejects_bad_frames_and_finds_nobody_in_a_blank_one(models_dir):
    est = PoseEstimator("lite", models_dir)
    with pytest.raises(InputError, match="HxWx3"):
        est.process(np.zeros((10, 10), np.uint8))
    with pytest.raises(InputError, match="uint8"):
        est.process(np.zeros((10, 10, 3), np.float32))
    assert est.process(np.full((480, 320, 3), 128, np.uint8), 0.0) is None
    assert set(est.timings) == {"detect", "crop", "infer", "post"}
    assert est.detector_runs == 1


def test_segment_gives_the_runners_silhouette(models_dir):
    # the landmark model's segmentation output, warped back to the frame: the runner's leg and
    # trunk inside, the ceiling and the far wall outside; off by default (the appliance has no
    # use for it, the stress set draws a second runner with it)
    est, plain = PoseEstimator("full", models_dir, segment=True), PoseEstimator("full", models_dir)
    with VideoReader(CLIP) as video:
        for i, (t, rgb) in enumerate(video.frames()):
            res, other = est.process(rgb, t), plain.process(rgb, t)
            if i == 30:
                break
    assert other.mask is None and np.array_equal(res.xy, other.xy)
    mask = res.mask
    assert mask.shape == rgb.shape[:2] and mask.dtype == np.float32
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    for part in (11, 23, 25):  # left shoulder, hip, knee: the near side
        x, y = res.xy[part].round().astype(int)
        assert mask[y, x] > 0.9, part
    assert mask[:300].max() < 0.1  # the ceiling
    assert 0.05 < (mask > 0.5).mean() < 0.3  # a runner, not the frame
