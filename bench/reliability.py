"""Long run: an accelerated 8-hour session through the real appliance loop, with memory and
database growth measured side by side, hour by hour.

The full pose pipeline cannot make 8 h of frames (864,000) in a benchmark's time on a 2-core
machine, so the pose model (``full``) runs once over the sample clip and its landmarks are
looped through everything after it: the real ``Sense`` loop with the analysis core, the LED on
gpiozero mock PWM pins, the SQLite store (WAL, batched step writes) and the live snapshot, as
fast as the loop goes. Frame times run on as if a camera filmed one runner for 8 hours, so it
is one session of about 80,000 steps.

Figures: RSS at start and end (and each hour), database bytes per hour of running (the store
file plus its WAL), steps per hour, and the loop's speed-up over real time.

``python -m bench reliability`` (part of ``make bench``); ``python -m bench.reliability 0.5``
runs a shorter session (hours as the argument).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.appliance import ReplayEstimator, rss_mib
from common.store import FILENAME, Store
from device.camera import EndOfSource, Frame, FrameSource
from device.config import load_config
from device.indicator import RGBIndicator, mock_pin_factory
from device.pose import PoseEstimator
from device.runtime import Sense
from device.video import VideoReader

CLIP = Path(__file__).resolve().parents[1] / "device" / "sample" / "treadmill_side_30fps.mp4"
FPS = 30.0


class Clock(FrameSource):
    """``n`` frames at ``FPS`` of media time; the pixels are never looked at (replayed poses)."""

    def __init__(self, n: int, size: tuple[int, int]):
        self.n, self.i = n, 0
        self.rgb = np.zeros((size[1], size[0], 3), np.uint8)

    def read(self, timeout: float = 1.0) -> Frame | None:
        if self.i >= self.n:
            raise EndOfSource("8 h done")
        self.i += 1
        return Frame((self.i - 1) / FPS, self.rgb)


def db_bytes(state: Path) -> int:
    """The store file plus its write-ahead log."""
    return sum(p.stat().st_size for p in state.glob(FILENAME + "*") if p.is_file())


def main(hours: float = 8.0) -> None:
    """Run the accelerated session and print the figures."""
    with VideoReader(CLIP) as reader:
        size = (reader.width, reader.height)
        est = PoseEstimator(model="full")
        results = [est.process(rgb, t=t) for t, rgb in reader.frames()]
    frames_per_hour = int(3600 * FPS)
    n = int(hours * frames_per_hour)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "run").mkdir()
        cfg = load_config(None, {"session": {"timeout_s": 20.0}})
        led = RGBIndicator(17, 27, 22, pin_factory=mock_pin_factory())
        store = Store.in_dir(tmp / "state")
        sense = Sense(
            cfg,
            Clock(n, size),
            led,
            store,
            tmp / "run",
            ReplayEstimator(results),
            latest=False,
            fps=FPS,
        )
        marks: list[tuple[float, float, int, int, float]] = []
        t0 = time.perf_counter()

        def observe(s, upd):
            if s.frames in (1000, n) or s.frames % frames_per_hour == 0:
                s.sessions.flush(force=True)  # count what is due, not what waits in the batch
                marks.append(
                    (s.frames / frames_per_hour, rss_mib(), db_bytes(tmp / "state"), s.steps,
                     time.perf_counter() - t0)
                )  # fmt: skip

        sense.observers.append(observe)
        result = sense.run()
        sessions = Store.in_dir(tmp / "state").sessions()
        integrity = Store.in_dir(tmp / "state").integrity_check()
        led.close()

    wall = time.perf_counter() - t0
    print(f"Accelerated {hours:g} h session: pose (full) once over the clip, its landmarks")
    print(f"looped through the real loop (core, mock-PWM LED, SQLite, snapshot): {n} frames")
    print(f"in {wall:.0f} s = {n / FPS / wall:.0f}x real time; {result['steps']} steps;")
    print(f"{len(sessions)} session(s), integrity {integrity}")
    print("   hour   RSS MiB   db bytes     steps   wall s")
    for h, rss, size_b, steps, w in marks:
        print(f"  {h:5.2f}  {rss:8.1f}  {size_b:10d}  {steps:8d}  {w:7.0f}")
    (_, rss0, db0, _, _), (h1, rss1, db1, steps, _) = marks[0], marks[-1]
    per_hour = np.diff([m[2] for m in marks[1:]]) if len(marks) > 2 else np.array([db1 - db0])
    print(f"RSS start {rss0:.1f} MiB, end {rss1:.1f} MiB (end/start {rss1 / rss0:.3f})")
    print(
        f"database growth per hour of running: mean {(db1 - db0) / h1:.0f} bytes"
        f" ({(db1 - db0) / max(steps, 1):.0f} bytes/step), hourly median"
        f" {np.median(per_hour):.0f}, max {per_hour.max():.0f} (the WAL file grows in jumps);"
        f" total {db1} bytes after {h1:g} h"
    )


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 8.0)
