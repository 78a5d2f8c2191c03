"""Live analysis core: frames per second through ``RunAnalyzer.push`` and memory over 8 hours.

Feeds the real treadmill clip's landmarks (RTMPose keypoints of the shared sample, converted to
a trace) in a loop with continuous time, as the appliance would, and measures side by side:
throughput with and without the one-euro display filter, and traced Python memory at the
start and after a simulated 8-hour session at 30 fps (864,000 frames).
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from pathlib import Path

from core.analysis import RunAnalyzer

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def _frames():
    from tests.core.convert import rtmpose_trace

    trace = rtmpose_trace(DATA / "treadmill_side_30fps.rtmpose26.json")
    return trace.fps, list(zip(trace.xy, trace.vis, strict=True))


def _throughput(fps: float, frames, n: int, smooth: bool) -> tuple[float, int]:
    analyzer = RunAnalyzer(fps=fps, smooth=smooth)
    steps = 0
    k = len(frames)
    t0 = time.perf_counter()
    for i in range(n):
        xy, vis = frames[i % k]
        steps += len(analyzer.push(i / fps, xy, vis).steps)
    return n / (time.perf_counter() - t0), steps


def main() -> None:
    """Print throughput (frames/s, target >= 20,000) and memory after 8 h (flat)."""
    fps, frames = _frames()
    n = 36_000  # 20 minutes at 30 fps
    for smooth in (False, True):
        rate, steps = _throughput(fps, frames, n, smooth)
        print(
            f"RunAnalyzer.push, smooth={smooth!s:5}: {rate:10,.0f} frames/s "
            f"({1e6 / rate:5.1f} us/frame, {rate / 20_000:4.2f}x the 20,000 target; "
            f"{rate / fps:,.0f}x real time at {fps:g} fps; {steps} steps in {n} frames)"
        )
    total = int(8 * 3600 * fps)
    analyzer = RunAnalyzer(fps=fps)
    k = len(frames)
    gc.collect()
    tracemalloc.start()
    marks = {}
    t0 = time.perf_counter()
    steps = 0
    for i in range(total):
        xy, vis = frames[i % k]
        steps += len(analyzer.push(i / fps, xy, vis).steps)
        if i + 1 in (int(60 * fps), total // 8, total // 2, total):
            gc.collect()
            marks[i + 1] = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    elapsed = time.perf_counter() - t0
    print(f"8-hour session: {total:,} frames, {steps:,} steps, {elapsed:.0f} s (with tracemalloc)")
    for frame, mem in marks.items():
        print(f"  traced memory after {frame / fps / 3600:5.2f} h: {mem / 1024:8.1f} KiB")
    first, last = marks[int(60 * fps)], marks[total]
    print(f"  growth from 1 min to 8 h: {(last - first) / 1024:+.1f} KiB (flat = bounded)")
