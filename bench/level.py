"""What the level check costs beside the pose model: ``python -m bench level``.

The appliance measures the camera's roll (:mod:`device.level`) on a frame a second for the
first 5 s of a stream or session, then on one every 5 s. Side by side on the same decoded
frames of the real clip, in one run: the time of one measurement (640-pixel frame: line
segments, then their vanishing point) and of the pose model's ``process`` per frame, and what
the level check adds to the pose work at the clip's 30 frames a second, in those first
seconds and after.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from device.level import LATER_S, LevelMeter
from device.pose import PoseEstimator
from device.video import VideoReader

CLIP = Path(__file__).resolve().parent.parent / "device" / "sample" / "treadmill_side_30fps.mp4"

#: Rounds of the side-by-side measurement (the least disturbed one is reported).
ROUNDS = 3


def main() -> None:
    """Measure and print (see the module docstring)."""
    with VideoReader(CLIP) as video:
        frames = list(video.frames())
    fps = 30.0
    seconds = [rgb for i, (_, rgb) in enumerate(frames) if i % round(fps) == 0]
    estimator = PoseEstimator("full", threads=2)
    rounds = []
    for _ in range(ROUNDS):
        level_ms = []
        for rgb in seconds:
            meter = LevelMeter()
            t0 = time.perf_counter()
            meter.measure(0.0, rgb)
            level_ms.append((time.perf_counter() - t0) * 1e3)
        pose_ms = []
        for t, rgb in frames[: 3 * round(fps)]:
            t0 = time.perf_counter()
            estimator.process(rgb, t)
            pose_ms.append((time.perf_counter() - t0) * 1e3)
        rounds.append((float(np.median(level_ms)), float(np.percentile(level_ms, 95)),
                       float(np.mean(pose_ms))))  # fmt: skip
    level, level_p95, pose = min(rounds, key=lambda r: r[0] + r[2])
    first, later = level / (pose * fps), level / (pose * fps * LATER_S)
    print(f"clip: {CLIP.name}, {len(seconds)} measured frames (one a second of {len(frames)})")
    print(f"  level check: {level:.1f} ms a measurement (p95 {level_p95:.1f})")
    print(f"  pose model (full, 2 threads): {pose:.1f} ms a frame, {pose * fps:.0f} ms a second "
          f"at {fps:g} frames/s")  # fmt: skip
    print(f"  the level check adds {100 * first:.1f} % to the pose work in a stream's first 5 s "
          f"(one a second), {100 * later:.1f} % after (one in {LATER_S:g} s; ratio "
          f"{later:.3f}, target < 0.02)")  # fmt: skip


if __name__ == "__main__":
    main()
