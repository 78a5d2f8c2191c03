"""`midstance analyze INPUT [--json OUT] [--facing auto|left|right] [--capture-fps F]`: judge a
recorded run.

INPUT is a landmark trace (``midstance-trace/1``, usually ``.jsonl``) or a video, which goes
through the pose model first (``--model``, ``--threads``). ``--capture-fps F`` re-times a
slow-motion export (filmed at F, played slower) to real time before anything is measured.
Prints a short summary and writes the ``midstance-report/1`` JSON with ``--json``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from core.analysis import analyze_trace
from core.errors import InputError
from core.trace import Trace, is_trace_header, read_trace, retime
from midstance.commands import atomic_output, refuse_input_as_output

HELP = "judge every step of a recorded run (a landmark trace) and print or save the report"


def add_arguments(parser) -> None:
    """Register this command's options."""
    parser.add_argument(
        "input", metavar="INPUT", help="a midstance trace (.jsonl) or a video of the run"
    )
    parser.add_argument("--json", metavar="OUT", help="write the midstance-report/1 JSON here")
    parser.add_argument(
        "--facing",
        choices=("auto", "left", "right"),
        default="auto",
        help="which way the runner faces in the image (default: detect)",
    )
    from midstance.commands.pose import add_capture_fps_argument, add_model_arguments

    add_model_arguments(parser)  # --model, --threads, --models-dir for a video INPUT
    add_capture_fps_argument(parser)


def _first_line(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.readline(1 << 20)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None


def load_input(path: str | os.PathLike, args=None, capture_fps: float | None = None) -> Trace:
    """Load INPUT as a :class:`Trace`: a trace file as it is; anything else is a video.

    ``capture_fps`` (already checked): a slow-motion export filmed at that rate; the trace
    comes back in real time (:func:`core.trace.retime`)."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a trace")
    if is_trace_header(_first_line(path)):
        trace = read_trace(path)
        return retime(trace, capture_fps) if capture_fps else trace
    # Not a trace: a video goes through the pose model first (device/commands/pose.py).
    from device.video import VideoReader
    from midstance.commands.pose import DEFAULT_MODEL, trace_from_video

    try:
        VideoReader(path).close()
    except InputError as exc:
        raise InputError(
            f"{path}: not a midstance trace, nor a readable video ({str(exc).split(': ', 1)[-1]})"
        ) from None
    return trace_from_video(
        path,
        model=getattr(args, "model", DEFAULT_MODEL),
        threads=getattr(args, "threads", 2),
        models_dir=getattr(args, "models_dir", None),
        capture_fps=capture_fps,
    )


def _fmt(value, spec: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def summary_lines(report: dict) -> list[str]:
    """The short human summary printed on stdout."""
    s = report["summary"]
    judged = s["good"] + s["warn"] + s["bad"]
    if judged:
        main_cue = s["cue"] or "none: keep it up"
    else:
        main_cue = "none: no step was judged (see the warnings)"
    unjudged = s.get("unjudged", 0)
    lines = [
        f"facing {report['facing'] or 'unknown'}, {report['duration_s']:.1f} s at "
        f"{report['fps']:g} fps",
        f"cadence        {_fmt(report['cadence_spm'], '.1f', ' steps/min')}",
        f"steps          {s['steps']} (left {s['steps_by_leg']['left']}, "
        f"right {s['steps_by_leg']['right']})",
        f"good steps     {_fmt(None if s['good_share'] is None else 100 * s['good_share'], '.0f')}"
        f"% (warn {s['warn']}, bad {s['bad']}"
        + (f", not judged {unjudged}" if unjudged else "")
        + ")",
        f"lean           {_fmt(s['lean_deg']['median'], '.1f', ' deg')} (median at midstance)",
        f"hip vs ankle   {_fmt(s['hip_ankle_offset']['median'], '+.3f', ' leg lengths')}"
        " (median at midstance, negative = hip behind)",
        f"main cue       {main_cue}",
    ]
    capture = report.get("capture") or {"ok": True, "problems": []}
    if not capture["ok"]:
        lines.append("view           poor: no verdicts where the view could not support them")
        lines += [f"  - {p['message']}" for p in capture["problems"]]
    lines += [f"warning: {w}" for w in report["warnings"]]
    return lines


def run(args) -> int:
    """Run the command; returns the exit code."""
    from midstance.commands.pose import check_capture_fps

    # checked before a long video goes through the pose model
    capture_fps = check_capture_fps(getattr(args, "capture_fps", None))
    if args.json:
        refuse_input_as_output(args.json, args.input, "--json")
    trace = load_input(args.input, args, capture_fps=capture_fps)
    report = analyze_trace(trace, facing=args.facing)
    if args.json:
        with atomic_output(args.json, "report") as tmp:
            tmp.write_text(json.dumps(report, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    print("\n".join(summary_lines(report)))
    return 0
