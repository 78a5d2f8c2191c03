"""How much a pixel of landmark noise, where the recording starts, or a runner changing pace
moves the judgement:
``python -m corpus.noise DIR [--sigma PX ...] [--seeds N] [--only PATTERN]``.

The same video gives landmarks a fraction of a pixel apart on another CPU (XNNPACK's AVX2,
AVX-512 and NEON kernels round differently), a re-encode moves them more, and BlazePose's own
scatter is several pixels. A judgement that flips on such differences would not hold on
held-out footage. For every video item of a built corpus (``python -m corpus DIR``), its
landmarks are found once through our pipeline, then Gaussian noise of each ``--sigma`` (pixels,
each coordinate) is added with ``--seeds`` seeds and every noisy copy is analysed and scored
like ``midstance eval`` does. One row per item and sigma: the worst and mean recall of each
leg, the worst precision and leg labels, and the warn or bad verdicts over all seeds (every
runner in the shared data runs with good form, so each is a false alarm).

Then every good item, video or trace (motion capture, other pose models' keypoints), started
later, every ``START_STEP_S`` over the first ``START_SPAN_S`` (a recording begins at any phase
of the stride, and held-out footage will not begin where ours does): one row per item, the
worst and mean recall and leg labels over the starts, the starts whose view was refused and
the false alarms.

Last, every good item with the runner's pace changing steadily over the recording to each of
``PACES`` times its own (a treadmill sped up or slowed down while filming: the step rate and
the belt's speed in the picture change together): one row per item, the worst recall and leg
labels, the runs whose view was refused, the false alarms and the run's step rate's worst
error against the truth's. Slowing by more than a tenth takes the slower runners under
140 steps/min, where ``low_cadence`` warns rightly: not asked here.
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import math
import sys
from pathlib import Path

import numpy as np

from core import evaluate
from core.analysis import analyze_trace
from corpus.transforms import excerpt, excerpt_truth, ramp, ramp_truth

#: Start the landmarks this much later each time (seconds of the file), up to this span: a
#: stride or so, in steps of about three frames at 30 fps.
START_STEP_S = 0.1
START_SPAN_S = 2.5
#: The pace at a recording's end, a multiple of its pace at the start (:func:`ramp`).
PACES = (0.9, 1.1, 1.2)


def noisy_scores(trace, truth: dict, sigma: float, seeds: int, capture_fps=None) -> list[dict]:
    """The eval scores of ``seeds`` copies of ``trace`` with Gaussian landmark noise of
    ``sigma`` pixels (seeds 0..seeds-1), each with its count of warn or bad verdicts."""
    scores = []
    for seed in range(seeds):
        noise = np.random.default_rng(seed).normal(0.0, sigma, trace.xy.shape)
        report = analyze_trace(dataclasses.replace(trace, xy=trace.xy + noise))
        score = evaluate.score_input(truth, report, trace.t, capture_fps)
        score["false_alarms"] = sum(s["verdict"] in ("warn", "bad") for s in report["steps"])
        scores.append(score)
    return scores


def late_start_scores(trace, truth: dict, capture_fps=None) -> list[dict]:
    """The eval scores of ``trace`` started 0, ``START_STEP_S``, ... ``START_SPAN_S`` seconds
    later (whole frames), each against the truth's events from its first frame on; with its
    warn or bad verdicts as ``false_alarms``."""
    fps = float(truth["fps"])
    step = max(1, round(fps * START_STEP_S))
    scores = []
    for first in range(0, min(len(trace), round(fps * START_SPAN_S)), step):
        cut = excerpt(trace, first)
        report = analyze_trace(cut)
        score = evaluate.score_input(excerpt_truth(truth, first), report, cut.t, capture_fps)
        score["false_alarms"] = sum(s["verdict"] in ("warn", "bad") for s in report["steps"])
        scores.append(score)
    return scores


def pace_scores(trace, truth: dict, capture_fps=None) -> list[dict]:
    """The eval scores of ``trace`` with the runner's pace changed steadily to each of
    :data:`PACES` (:func:`corpus.transforms.ramp`), each with its warn or bad verdicts as
    ``false_alarms``."""
    duration = float(trace.t[-1] - trace.t[0])
    scores = []
    for ratio in PACES:
        paced = ramp(trace, ratio)
        report = analyze_trace(paced)
        score = evaluate.score_input(ramp_truth(truth, duration, ratio), report, paced.t,
                                     capture_fps)  # fmt: skip
        score["false_alarms"] = sum(s["verdict"] in ("warn", "bad") for s in report["steps"])
        scores.append(score)
    return scores


def pace_row(name: str, scores: list[dict]) -> str:
    """One row of the pace table: worst over the paces."""
    recall = [s["recall"] for s in scores if s["recall"] is not None]
    labels = [s["leg_label_accuracy"] for s in scores if s["leg_label_accuracy"] is not None]
    cadence = [abs(s["cadence_error_spm"]) for s in scores if s["cadence_error_spm"] is not None]
    return (
        f"{name:32s} {len(scores):5d} {min(recall, default=0):6.2f} {min(labels, default=0):6.2f}"
        f" {sum(not s['capture_ok'] for s in scores):7d}"
        f" {sum(s['false_alarms'] for s in scores):6d} {max(cadence, default=math.nan):7.2f}"
    )


def start_row(name: str, scores: list[dict]) -> str:
    """One row of the late-start table: worst and mean over the starts."""
    recall = [s["recall"] for s in scores if s["recall"] is not None]
    labels = [s["leg_label_accuracy"] for s in scores if s["leg_label_accuracy"] is not None]
    refused = sum(not s["capture_ok"] for s in scores)
    return (
        f"{name:32s} {len(scores):6d} {min(recall, default=0):5.2f} {np.mean(recall or [0]):5.2f}"
        f" {min(labels, default=0):6.2f} {np.mean(labels or [0]):5.2f} {refused:7d}"
        f" {sum(s['false_alarms'] for s in scores):6d}"
    )


def row(name: str, sigma: float, scores: list[dict]) -> str:
    """One table row: worst and mean of each figure over the seeds."""

    def worst_mean(key: str) -> str:
        values = [s[key] for s in scores if s[key] is not None]
        return f"{min(values):.2f} {np.mean(values):.2f}" if values else "-    -   "

    labels = [s["leg_label_accuracy"] for s in scores if s["leg_label_accuracy"] is not None]
    return (
        f"{name:32s} {sigma:5.2f} {worst_mean('near_recall'):>10s} {worst_mean('far_recall'):>10s}"
        f" {worst_mean('precision'):>10s} {min(labels) if labels else 0:6.2f}"
        f" {sum(not s['capture_ok'] for s in scores):7d}"
        f" {sum(s['false_alarms'] for s in scores):6d}"
    )


def main(argv: list[str] | None = None) -> int:
    """Print the noise table for the video items of a built corpus and the late-start table
    for its good items; exit 2 on a bad DIR."""
    from midstance.commands.analyze import load_input
    from midstance.commands.eval import TRUTH_SUFFIX, find_items, load_truth
    from midstance.commands.pose import DEFAULT_MODEL

    parser = argparse.ArgumentParser(prog="python -m corpus.noise", description=__doc__)
    parser.add_argument("dir", type=Path, help="a corpus built by python -m corpus")
    parser.add_argument("--sigma", type=float, nargs="+", default=[0.5, 1.0], metavar="PX")
    parser.add_argument("--seeds", type=int, default=8, metavar="N")
    parser.add_argument("--only", default="*", metavar="PATTERN", help="item names to take")
    args = parser.parse_args(argv)
    if not args.dir.is_dir():
        print(f"python -m corpus.noise: {args.dir}: no such folder", file=sys.stderr)
        return 2
    if args.seeds < 1 or min(args.sigma) < 0:
        print("python -m corpus.noise: --seeds must be >= 1 and --sigma >= 0", file=sys.stderr)
        return 2
    items = [
        (truth_path.name[: -len(TRUTH_SUFFIX)], path, kind, truth_path)
        for path, kind, truth_path in find_items(args.dir)
        if truth_path.exists()
    ]
    items = [item for item in items if fnmatch.fnmatch(item[0], args.only)]
    if not items:
        print(f"python -m corpus.noise: {args.dir}: no video or trace with its truth",
              file=sys.stderr)  # fmt: skip
        return 2
    head = ("item", "sigma", "near min mean", "far min mean", "precision", "labels", "refused",
            "alarms")  # fmt: skip
    print(f"{head[0]:32s} {head[1]:>5s} " + " ".join(f"{h:>10s}" for h in head[2:5])
          + f" {head[5]:>6s} {head[6]:>7s} {head[7]:>6s}   ({args.seeds} seeds)")  # fmt: skip
    pose_args = argparse.Namespace(model=DEFAULT_MODEL, threads=2, models_dir=None)
    starts, paces = [], []
    for name, path, kind, truth_path in items:
        truth = load_truth(truth_path)
        expect = truth.get("expect", {})
        if not expect.get("capture_ok", True) or expect.get("others_in_view"):
            continue  # a view made bad on purpose, or shared with another runner: no good view
        if expect.get("reason"):
            continue  # a fault given on purpose: its warn and bad verdicts are no false alarms
        capture_fps = truth.get("capture_fps")
        trace = load_input(path, pose_args, capture_fps=capture_fps)
        if kind == "video":
            for sigma in args.sigma:
                scores = noisy_scores(trace, truth, sigma, args.seeds, capture_fps)
                print(row(name, sigma, scores), flush=True)
        starts.append(start_row(name, late_start_scores(trace, truth, capture_fps)))
        paces.append(pace_row(name, pace_scores(trace, truth, capture_fps)))
    span = f"started 0-{START_SPAN_S:g} s later, every ~{START_STEP_S:g} s"
    print(f"\n{'item':32s} {'starts':>6s} {'recall min mean':>17s} {'labels min mean':>12s}"
          f" {'refused':>7s} {'alarms':>6s}   ({span})")  # fmt: skip
    print("\n".join(starts))
    ends = ", ".join(f"x{p:g}" for p in PACES)
    print(
        f"\n{'item':32s} {'paces':>5s} {'recall':>6s} {'labels':>6s} {'refused':>7s}"
        f" {'alarms':>6s} {'rate':>7s}   (the pace changed steadily to {ends} by the end)"
    )
    print("\n".join(paces))
    return 0


if __name__ == "__main__":
    sys.exit(main())
