"""The appliance loop: LED latency, sustained frame rate and memory over a long run.

Three figures, each measured side by side with its reference in the same run:

1. Memory: RSS over a long accelerated run (the clip's landmarks replayed through the real
   loop: core, LED, SQLite, snapshot, for many minutes of running), start vs end.
2. LED latency: from the moment the capture thread receives the frame that decides a step to
   the LED being set for it, with the sample clip paced in real time like a camera (30 fps).
   Target: at most one frame interval + 5 ms.
3. Sustained frame rate of the whole loop (pose + core + LED + store + snapshot) on the clip
   read as fast as possible, next to the pose model alone on the same frames: the ratio is
   what the loop costs on top of inference.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from common.store import Store
from device import appliance
from device.camera import Frame, FrameSource
from device.config import load_config
from device.pose import PoseEstimator
from device.runtime import FrameObserver, Sense
from device.video import VideoReader

CLIP = Path(__file__).resolve().parents[1] / "device" / "sample" / "treadmill_side_30fps.mp4"


def rss_mib() -> float:
    """This process's resident memory, MiB (from /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class LedTiming(FrameObserver):
    """For each frame that decides a step: capture -> LED and pose result -> LED, in ms."""

    def __init__(self):
        self.latencies_ms: list[float] = []
        self.decide_ms: list[float] = []
        self._posed = 0.0

    def posed(self, frame):
        """Note when the pose model was done with the frame."""
        self._posed = time.perf_counter()

    def shown(self, frame, update):
        """How long the LED waited for the frame that decided a step, and how much of it was
        the core and the LED after the pose model."""
        if update.steps:
            done = time.perf_counter()
            self.latencies_ms.append((done - frame.received) * 1e3)
            self.decide_ms.append((done - self._posed) * 1e3)


def make_sense(tmp: Path, realtime: bool, observer=None, **parts) -> Sense:
    """The appliance as ``midstance sense --led mock`` builds it, on the clip (or ``parts``:
    ``source``, ``estimator``, ``fps``) with the bench's state and run dirs."""
    cfg = load_config(
        None,
        {
            "session": {"timeout_s": 5.0},
            "camera": {"source": str(CLIP)},
            "pose": {"model": "full"},
            "paths": {"state_dir": str(tmp / "state"), "run_dir": str(tmp / "run")},
        },
    )
    return appliance.build(cfg, "mock", realtime=realtime, observer=observer, **parts)


def latency(tmp: Path) -> None:
    est = PoseEstimator(model="full")
    timing = LedTiming()
    sense = make_sense(tmp, realtime=True, observer=timing, estimator=est)
    pose_ms = []
    sense.observers.append(lambda s, u: pose_ms.append(sum(est.timings.values())))
    result = sense.run()
    sense.close()
    lat = np.array(timing.latencies_ms)
    frame_ms = 1000 / 30
    print("2. LED latency after the frame that decides a step (clip paced at 30 fps, full model)")
    print(f"   frames deciding a step: {len(lat)}; stale frames dropped: {result['dropped']}")
    if len(lat):
        print(
            f"   frame received -> LED: median {np.median(lat):.1f} ms, p95"
            f" {np.percentile(lat, 95):.1f} ms, max {lat.max():.1f} ms"
        )
    print(f"   pose model per frame: median {np.median(pose_ms):.1f} ms")
    dec = np.array(timing.decide_ms)
    if len(dec):
        print(
            f"   pose result -> LED (core + LED): median {np.median(dec):.2f} ms,"
            f" max {dec.max():.2f} ms"
        )
    print(f"   target <= 1 frame + 5 ms = {frame_ms + 5:.1f} ms", end="")
    if len(lat):
        print(f"; p95 / target = {np.percentile(lat, 95) / (frame_ms + 5):.2f}")
    else:
        print()


def frame_rate(tmp: Path) -> None:
    est = PoseEstimator(model="full")
    start = time.perf_counter()
    with VideoReader(CLIP) as reader:
        n = sum(1 for t, rgb in reader.frames() if est.process(rgb, t=t) or True)
    pose_fps = n / (time.perf_counter() - start)

    sense = make_sense(tmp, realtime=False)
    result = sense.run()
    sense.close()
    print("3. Sustained frame rate on the clip, as fast as possible (full model, 2 threads)")
    print(f"   decode + pose, one thread:     {pose_fps:6.1f} frames/s")
    print(
        f"   whole loop (pose+core+LED+db): {result['fps']:6.1f} frames/s"
        f"  (ratio {result['fps'] / pose_fps:.2f}; camera needs 30-60)"
    )


class Replay(FrameSource):
    """The clip's frames as tiny images with times running on for ``n`` frames."""

    def __init__(self, n: int, fps: float = 30.0):
        self.n, self.fps, self.i = n, fps, 0
        self.rgb = np.zeros((1280, 720, 3), np.uint8)[:1, :1]

    def read(self, timeout: float = 1.0) -> Frame | None:
        if self.i >= self.n:
            from device.camera import EndOfSource

            raise EndOfSource
        self.i += 1
        return Frame((self.i - 1) / self.fps, self.rgb)


class ReplayEstimator:
    """The pose results of the clip's frames, in a loop (the model's work done once)."""

    def __init__(self, results):
        self.results, self.i = results, 0

    def process(self, rgb, t=None):
        """The next frame's landmarks."""
        result = self.results[self.i % len(self.results)]
        self.i += 1
        return result

    def reset(self):
        """Nothing to forget: the results are fixed (the replay goes on where it was)."""


def memory(tmp: Path, minutes: float = 20.0) -> None:
    est = PoseEstimator(model="full")
    with VideoReader(CLIP) as reader:
        results = [est.process(rgb, t=t) for t, rgb in reader.frames()]
    n = int(minutes * 60 * 30)
    sense = make_sense(
        tmp, realtime=False, source=Replay(n), estimator=ReplayEstimator(results), fps=30.0
    )
    marks = {}

    def observe(s, upd):
        if s.frames in (n // 10, n // 2, n):
            marks[s.frames] = rss_mib()

    sense.observers.append(observe)
    start = time.perf_counter()
    result = sense.run()
    sense.close()
    elapsed = time.perf_counter() - start
    store = Store.in_dir(tmp / "state")
    steps = sum(s["steps"] for s in store.sessions(limit=1000))
    print(f"1. Memory over {minutes:.0f} min of running replayed ({n} frames in {elapsed:.0f} s)")
    print(f"   steps judged and stored: {result['steps']} / {steps}")
    first, mid, last = (marks.get(k, float("nan")) for k in (n // 10, n // 2, n))
    print(f"   RSS at 10 %: {first:.1f} MiB, at 50 %: {mid:.1f} MiB, at the end: {last:.1f} MiB")
    print(f"   growth from 10 % to the end: {last - first:+.1f} MiB (flat is the target)")


def main() -> None:
    """Print the three figures."""
    # Memory first, before the other runs' decoded frames inflate the heap.
    with tempfile.TemporaryDirectory() as c:
        memory(Path(c))
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        latency(Path(a))
        frame_rate(Path(b))


if __name__ == "__main__":
    main()
