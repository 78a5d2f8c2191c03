"""What holding a shaken camera still costs beside the pose model: ``python -m bench steady``.

The appliance reads the picture's shake (:mod:`device.steady`: the room beside the runner in a
small greyscale copy, phase-correlated with a key frame) and takes it off the landmarks: on
every frame while the camera shakes, on every third while it is still. Side by side on the
same decoded frames of the real clip, in one run: the time of that per frame, on the clip as
filmed (a still camera) and on the clip jolted at every footfall as the stress set's ``shake``
(~22 px), and the pose model's ``process`` per frame, and their ratios.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from corpus.stress import SHAKES, shake_offsets, shaken
from device.pose import PoseEstimator
from device.steady import Steadier
from device.video import VideoReader

CLIP = Path(__file__).resolve().parent.parent / "device" / "sample" / "treadmill_side_30fps.mp4"

#: Rounds of the side-by-side measurement (the least disturbed one is reported).
ROUNDS = 3
#: The footfalls the shaken copy is jolted at: the clip's runner lands ~2.8 times a second.
STEP_S = 60.0 / 169.0


def main() -> None:
    """Measure and print (see the module docstring)."""
    with VideoReader(CLIP) as video:
        frames = [rgb for _, rgb in list(video.frames())[:150]]
    t = np.arange(len(frames)) / 30.0
    jolts = shake_offsets(t, np.arange(0.1, t[-1], STEP_S), SHAKES["shake"])
    jolted = list(shaken(frames, jolts))
    estimator = PoseEstimator("full", threads=2)
    seen = [estimator.process(rgb, ti) for ti, rgb in zip(t, frames, strict=True)]
    xy = [None if r is None else r.xy for r in seen]
    rounds = []
    for _ in range(ROUNDS):
        pose_ms = []
        for ti, rgb in zip(t[:90], frames[:90], strict=True):
            t0 = time.perf_counter()
            estimator.process(rgb, ti)
            pose_ms.append((time.perf_counter() - t0) * 1e3)
        still, shaking = (_per_frame(fs, t, xy, jolts * k) for fs, k in ((frames, 0), (jolted, 1)))
        rounds.append((still, shaking, float(np.mean(pose_ms))))
    still, shaking, pose = min(rounds, key=lambda r: r[0] + r[1] + r[2])
    print(f"clip: {CLIP.name}, {len(frames)} frames, 720x1280; shaken up to "
          f"{np.abs(jolts[:, 1]).max():.0f} px at every footfall")  # fmt: skip
    print(f"  pose model (full, 2 threads): {pose:.1f} ms a frame")
    for what, ms in (("still camera", still), ("shaken camera", shaking)):
        print(f"  shake read, {what}: {ms:.2f} ms a frame: {100 * ms / pose:.1f} % of the pose "
              f"work (ratio {ms / pose:.3f}, target < 0.10)")  # fmt: skip


def _per_frame(frames: list, t: np.ndarray, xy: list, jolts: np.ndarray) -> float:
    """Mean ms a frame of a fresh Steadier over ``frames`` (landmarks moved with the picture)."""
    steadier = Steadier()
    t0 = time.perf_counter()
    for ti, rgb, pts, move in zip(t, frames, xy, jolts, strict=True):
        steadier.shake(ti, rgb, None if pts is None else pts + move)
    return (time.perf_counter() - t0) * 1e3 / len(frames)


if __name__ == "__main__":
    main()
