"""How much the pose pipeline's own chaos moves the judgement:
``python -m corpus.clock DIR [--shifts S ...] [--only PATTERN]``.

The pose pipeline is chaotic in its input: the one-euro filter's rate comes from the time
between frames, the filtered points steer the next frame's crop, and a crop a pixel off lets
BlazePose put a foot it is unsure of somewhere else. A clock moved by a ten-millionth of a
second, which no camera could tell apart, moves the feet tens of pixels on a tenth of the
frames (docs/eval.md, stop 37). Held-out footage differs from ours by far more, so a figure
that moves under such a shift is a draw, not a property of the judgement.

For every video item of a built corpus (``python -m corpus DIR``) the video is posed again
with every third frame's time moved by each of ``--shifts`` seconds (0 is the unmoved run),
and each run is analysed and scored like ``midstance eval`` does. One row per item: the
lowest and highest near and far recall, run rate and good steps over the runs, the runs whose
view was refused and the warn or bad verdicts (every runner in the shared data runs with good
form, so each is a false alarm; items given a fault on purpose are left out).
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from pathlib import Path

from core import evaluate
from core.analysis import analyze_trace

#: Seconds added to the time of every third frame (frames 1, 4, 7, ...; twice that to frames
#: 2, 5, 8, ...): far below a camera's timestamp jitter.
SHIFTS = (0.0, 1e-7, 3e-7, 1e-6, 3e-6, 1e-5)
#: A larger shift is no longer the same recording (a millisecond is 3 % of a frame at 30 fps).
MAX_SHIFT = 1e-3


def shifted_trace(path: Path, shift: float, capture_fps: float | None):
    """The trace of the video at ``path`` through our pose pipeline, its clock moved by
    ``shift`` seconds on frames 1, 4, ... and twice that on frames 2, 5, ..."""
    import midstance.commands.pose as pose

    unmoved = pose.prefetched

    def moved(frames):
        for i, (t, rgb) in enumerate(unmoved(frames)):
            yield t + shift * (i % 3), rgb

    pose.prefetched = moved
    try:
        return pose.trace_from_video(path, capture_fps=capture_fps)
    finally:
        pose.prefetched = unmoved


def span(values: list, digits: int = 2) -> str:
    """``lowest-highest`` of the values that are known, ``-`` when none is."""
    known = [v for v in values if v is not None]
    return f"{min(known):.{digits}f}-{max(known):.{digits}f}" if known else "-"


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 2 on a bad DIR."""
    from midstance.commands.eval import TRUTH_SUFFIX, find_items, load_truth

    parser = argparse.ArgumentParser(prog="python -m corpus.clock", description=__doc__)
    parser.add_argument("dir", type=Path, help="a corpus built by python -m corpus")
    parser.add_argument("--shifts", type=float, nargs="+", default=list(SHIFTS), metavar="S")
    parser.add_argument("--only", default="*", metavar="PATTERN", help="item names to take")
    args = parser.parse_args(argv)
    if not args.dir.is_dir():
        print(f"python -m corpus.clock: {args.dir}: no such folder", file=sys.stderr)
        return 2
    if not all(0.0 <= s <= MAX_SHIFT for s in args.shifts):  # NaN fails too
        print(f"python -m corpus.clock: --shifts must be from 0 to {MAX_SHIFT:g} s (a clock's"
              " last digits, not a frame's time)", file=sys.stderr)  # fmt: skip
        return 2
    items = [
        (truth_path.name[: -len(TRUTH_SUFFIX)], path, truth_path)
        for path, kind, truth_path in find_items(args.dir)
        if kind == "video" and truth_path.exists()
    ]
    items = [item for item in items if fnmatch.fnmatch(item[0], args.only)]
    if not items:
        print(f"python -m corpus.clock: {args.dir}: no video with its truth", file=sys.stderr)
        return 2
    print(f"{'item':28s} {'near':>9s} {'far':>9s} {'rate':>11s} {'good':>6s} {'refused':>7s}"
          f" {'alarms':>6s}   ({len(args.shifts)} clocks)")  # fmt: skip
    for name, path, truth_path in items:
        truth = load_truth(truth_path)
        if truth.get("expect", {}).get("reason"):
            continue  # a fault given on purpose: its warn and bad verdicts are no false alarms
        capture_fps = truth.get("capture_fps")
        scores = []
        for shift in args.shifts:
            trace = shifted_trace(path, shift, capture_fps)
            report = analyze_trace(trace)
            score = evaluate.score_input(truth, report, trace.t, capture_fps)
            score["alarms"] = sum(s["verdict"] in ("warn", "bad") for s in report["steps"])
            scores.append(score)
        print(
            f"{name:28s} {span([s['near_recall'] for s in scores]):>9s}"
            f" {span([s['far_recall'] for s in scores]):>9s}"
            f" {span([s['cadence_spm'] for s in scores], 1):>11s}"
            f" {span([s['verdicts']['good'] for s in scores], 0):>6s}"
            f" {sum(not s['capture_ok'] for s in scores):7d} {sum(s['alarms'] for s in scores):6d}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
