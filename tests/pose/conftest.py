"""Fixtures for the pose tests: our pipeline and MediaPipe's reference on the real clip."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from device.pose import PoseEstimator
from device.video import VideoReader
from tests.conftest import CLIP, REPO

REF_PYTHON = REPO / ".venv-ref" / "bin" / "python"


def torso_lengths(xy: np.ndarray) -> np.ndarray:
    """Shoulder-midpoint to hip-midpoint distance per frame of an (N, 33, 2) array."""
    shoulders = (xy[:, 11] + xy[:, 12]) / 2
    hips = (xy[:, 23] + xy[:, 24]) / 2
    return np.linalg.norm(shoulders - hips, axis=1)


def run_estimators(estimators: dict[str, PoseEstimator], limit: int | None = None) -> dict:
    """Decode the clip once and feed every frame to each estimator.

    Returns ``{name: {"xy": (N, 33, 2) NaN where no pose, "vis": (N, 33), "found": (N,)}}``.
    """
    out = {name: {"xy": [], "vis": [], "found": []} for name in estimators}
    with VideoReader(CLIP) as video:
        for i, (t, rgb) in enumerate(video.frames()):
            if limit is not None and i >= limit:
                break
            for name, est in estimators.items():
                res = est.process(rgb, t)
                o = out[name]
                o["found"].append(res is not None)
                o["xy"].append(np.full((33, 2), np.nan) if res is None else res.xy)
                o["vis"].append(np.zeros(33) if res is None else res.vis)
    return {n: {k: np.array(v) for k, v in o.items()} for n, o in out.items()}


@pytest.fixture(scope="session")
def ours(models_dir) -> dict:
    """Our full-model pipeline over all 360 frames, smoothed and unsmoothed."""
    ests = {
        "smooth": PoseEstimator("full", models_dir, smooth=True),
        "raw": PoseEstimator("full", models_dir, smooth=False),
    }
    result = run_estimators(ests)
    for name, est in ests.items():
        result[name]["detector_runs"] = est.detector_runs
    return result


def run_reference(out: Path, smooth: bool) -> dict:
    """MediaPipe 0.10.14's Pose solution (model_complexity=1) on the clip, in ``.venv-ref``."""
    if not REF_PYTHON.exists():
        pytest.fail(f"{REF_PYTHON} missing: run `make refenv` (MediaPipe reference environment)")
    script = Path(__file__).with_name("reference_mediapipe.py")
    cmd = [str(REF_PYTHON), str(script), str(CLIP), str(out), "--complexity", "1"]
    cmd += [] if smooth else ["--no-smooth"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"reference run failed: {done.stderr.strip().splitlines()[-1:]}")
    data = json.loads(out.read_text())
    frames = data["frames"]
    xy = np.array([np.full((33, 2), np.nan) if f["xy"] is None else f["xy"] for f in frames])
    return {"xy": xy, "found": np.array([f["xy"] is not None for f in frames]), "raw": data}


@pytest.fixture(scope="session")
def reference(tmp_path_factory) -> dict:
    """The reference landmarks, smoothed and unsmoothed, for the same decoded frames."""
    tmp = tmp_path_factory.mktemp("reference")
    return {
        "smooth": run_reference(tmp / "smooth.json", smooth=True),
        "raw": run_reference(tmp / "raw.json", smooth=False),
    }
