"""`midstance pose VIDEO --out TRACE [--capture-fps F]`: find the runner's landmarks in every
frame of a video.

Writes a ``midstance-trace/1`` file (one JSON line per frame, null where nobody is in view).
With ``--capture-fps`` (a slow-motion export) the trace carries real times and ``fps = F``,
so a later ``analyze`` of it needs no option.
The model files come from ``midstance models fetch``; nothing is downloaded here.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np

from core import landmarks
from core.errors import InputError
from core.trace import Trace, TraceWriter, retime, roll_field
from device.level import LevelMeter
from device.pose import PoseEstimator
from device.pose.models import LANDMARK_MODELS
from device.steady import Steadier, steadied
from device.video import VideoReader, prefetched
from midstance.commands import atomic_output, refuse_input_as_output

HELP = "find the body landmarks in every frame of a video and write a landmark trace"

#: chosen from measured speed and accuracy: see docs/pose.md
DEFAULT_MODEL = "full"


def add_arguments(parser) -> None:
    """Register this command's options."""
    parser.add_argument("video", metavar="VIDEO", help="a video file (mp4, mov, mkv, ...)")
    parser.add_argument("--out", metavar="TRACE", required=True, help="the trace to write")
    add_model_arguments(parser)
    add_capture_fps_argument(parser)


def add_capture_fps_argument(parser) -> None:
    """The ``--capture-fps F`` option (shared with ``analyze`` and ``eval``)."""
    parser.add_argument(
        "--capture-fps",
        metavar="F",
        default=None,
        help="the rate the camera filmed at, for a slow-motion export that plays slower "
        "(e.g. 240): times become real time",
    )


def check_capture_fps(value) -> float | None:
    """``--capture-fps`` as a float (None when not given); raises InputError with one line
    unless it is a finite rate from 1 to 1000 frames per second."""
    if value is None:
        return None
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = math.nan
    # a slip such as 2400 or 0.24 would rescale every step and cadence without a word
    if not (math.isfinite(rate) and 1.0 <= rate <= 1000.0):
        raise InputError(
            f"--capture-fps: must be the camera's frame rate, from 1 to 1000, got {value!r}"
        )
    return rate


def add_model_arguments(parser) -> None:
    """The pose model options (shared with ``analyze``)."""
    parser.add_argument(
        "--model", choices=LANDMARK_MODELS, default=DEFAULT_MODEL,
        help=f"landmark model (default: {DEFAULT_MODEL})",
    )  # fmt: skip
    parser.add_argument(
        "--threads", type=int, default=2, help="CPU threads for the model (default: 2)"
    )
    parser.add_argument("--models-dir", default=None, help="where the model files are")


def trace_from_video(
    path: str | os.PathLike,
    model: str = DEFAULT_MODEL,
    threads: int = 2,
    models_dir: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    capture_fps: float | None = None,
) -> Trace:
    """Run the pose estimator over every frame of a video; the landmarks as a :class:`Trace`
    (also written to ``out`` when given, frame by frame). Frames without a person are NaN
    with visibility 0; a video with nobody in it gives a trace with a warning.

    ``capture_fps``: the video is a slow-motion export filmed at that rate; the trace (and
    the file) get real times, as :func:`core.trace.retime` makes them."""
    if threads < 1:
        raise InputError(f"--threads: must be at least 1, got {threads}")
    capture_fps = check_capture_fps(capture_fps)
    ts, xys, viss, rolls = [], [], [], []
    empty_xy, empty_vis = landmarks.empty_pose()
    level = LevelMeter()  # the camera's roll, as the appliance measures it live
    steadier = Steadier()  # the camera's shake, taken off the landmarks as live
    with VideoReader(path) as video:
        estimator = PoseEstimator(model=model, models_dir=models_dir, threads=threads)
        # the file is written frame by frame (a long run keeps what it did if stopped), so it
        # gets the real times here; the same scaling as core.trace.retime below
        scale = video.fps / capture_fps if capture_fps else 1.0
        out_fps = capture_fps or video.fps
        writer = TraceWriter(out, out_fps, video.width, video.height, str(path)) if out else None
        try:
            for t, rgb in prefetched(video.frames()):
                # real times for the estimator too: its one-euro filter is tuned to a runner's
                # real speed, so it then smooths as it would a live camera at capture_fps
                res = estimator.process(rgb, t * scale)
                xy, vis = (None, None) if res is None else (res.xy, res.vis)
                roll = level.measure(t * scale, rgb, xy)
                xy = steadied(xy, steadier.shake(t * scale, rgb, xy))
                if writer:
                    writer.write(t * scale, xy, vis, roll)
                rolls.append(math.nan if roll is None else roll)
                ts.append(t)
                xys.append(empty_xy if xy is None else xy)
                viss.append(empty_vis if vis is None else vis)
        finally:
            if writer:
                writer.close()
        found = sum(np.isfinite(xy).any() for xy in xys)
        warnings = list(video.warnings)
        if found == 0:
            warnings.append(f"{path}: no person found in any of the {len(ts)} frames")
        trace = Trace(
            fps=video.fps,
            width=video.width,
            height=video.height,
            source=str(path),
            t=np.asarray(ts, dtype=float),
            xy=np.array(xys, dtype=float).reshape(len(ts), landmarks.COUNT, 2),
            vis=np.array(viss, dtype=float).reshape(len(ts), landmarks.COUNT),
            roll=roll_field(rolls),
            warnings=warnings,
        )
        return retime(trace, capture_fps) if capture_fps else trace


def run(args) -> int:
    """Run the command; returns the exit code (2 with a warning when nobody was found or the
    video ended early; the trace is written either way)."""
    out = Path(args.out)
    if out.is_dir():
        raise InputError(f"{out}: is a directory; --out needs a file name")
    refuse_input_as_output(out, args.video, "--out")
    capture_fps = check_capture_fps(args.capture_fps)
    # written beside the output and renamed at the end: a stopped or failed run leaves any
    # earlier trace at --out whole
    with atomic_output(out, "trace") as tmp:
        trace = trace_from_video(
            args.video, args.model, args.threads, args.models_dir, tmp, capture_fps=capture_fps
        )
    found = int(np.isfinite(trace.xy).any(axis=(1, 2)).sum())
    print(f"midstance pose: {found} of {len(trace)} frames with a person -> {out}")
    for w in trace.warnings:
        print(f"midstance pose: warning: {w}", file=sys.stderr)
    # nobody found, or the video was cut short: the trace holds what there was, but say so
    return 2 if trace.warnings else 0
