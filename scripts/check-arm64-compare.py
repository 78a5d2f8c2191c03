"""`make check-arm64`'s comparisons: the reference runs, and the arm64 results held against x86.

Run by ``scripts/check-arm64.sh`` (``clip``, ``frames``, ``compare``, ``table`` with the x86
``.venv``; ``pose-frames`` on both sides)::

    check-arm64-compare.py clip SRC DST --frames 90     # the first 90 frames, losslessly
    check-arm64-compare.py frames CLIP OUT.npy          # x86's decoded RGB frames
    check-arm64-compare.py pose-frames IN.npy OUT.jsonl --models-dir DIR
    check-arm64-compare.py compare X86_DIR ARM_DIR --seconds S --out ROW.json
    check-arm64-compare.py table ROW.json ...           # the summary table

``clip`` re-encodes the first frames with FFV1 (lossless, colour tags kept), so both machines
decode the very same YUV pixels. FFmpeg's YUV -> RGB conversion is not the same on both CPUs
(its NEON code rounds differently), so the pose pipeline is also run on x86's decoded RGB
frames (``pose-frames``): the same pixels in, only the CPU's arithmetic differs. ``compare``
holds the arm64 traces against the x86 ones (the same frames with a person; the landmarks'
median distance as a share of the torso length, shoulder midpoint to hip midpoint, under 0.5 %
on the same pixels) and the arm64 analysis of the whole clip's x86 trace against the x86
analysis: the same steps (leg, contact time, verdict, every measured number).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from core import landmarks
from core.trace import read_trace

#: the pass mark: median landmark distance, as a share of the torso length
MAX_MEDIAN_ERROR = 0.005
#: step times and measures are rounded in the report; two runs agree within this
STEP_TOLERANCE = 0.011


def make_clip(src: Path, dst: Path, frames: int) -> int:
    """Write the first ``frames`` frames of ``src`` to ``dst`` (FFV1 in Matroska: the same
    decoded pixels, timestamps to the millisecond); returns how many were written."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w", format="matroska") as out:
        vin = inp.streams.video[0]
        vout = out.add_stream("ffv1", rate=vin.average_rate)
        vout.width, vout.height = vin.codec_context.width, vin.codec_context.height
        vout.pix_fmt = vin.codec_context.pix_fmt
        vout.time_base = vin.time_base
        # the colour tags choose FFmpeg's YUV -> RGB matrix and range: keep the source's
        for tag in ("colorspace", "color_range", "color_primaries", "color_trc"):
            setattr(vout.codec_context, tag, getattr(vin.codec_context, tag))
        written = 0
        for frame in inp.decode(vin):
            if written == frames:
                break
            frame.pict_type = av.video.frame.PictureType.NONE
            for packet in vout.encode(frame):
                out.mux(packet)
            written += 1
        for packet in vout.encode():
            out.mux(packet)
    return written


def decoded_frames(path: Path) -> np.ndarray:
    """Every frame of a video as RGB, decoded the way ``midstance pose`` decodes it."""
    from device.video import VideoReader

    with VideoReader(path) as video:
        return np.stack([rgb for _, rgb in video.frames()])


def pose_frames(frames: np.ndarray, out: Path, models_dir: str | None, fps: float = 30.0) -> None:
    """The full model's pose pipeline (as ``midstance pose`` runs it) over decoded frames,
    written as a trace with times ``i / fps``."""
    from core.trace import TraceWriter
    from device.pose import PoseEstimator

    est = PoseEstimator("full", models_dir, threads=2)
    height, width = frames.shape[1:3]
    with TraceWriter(out, fps, width, height, "decoded frames") as writer:
        for i, rgb in enumerate(frames):
            res = est.process(np.ascontiguousarray(rgb), i / fps)
            writer.write(i / fps, *((None, None) if res is None else (res.xy, res.vis)))


def torso_lengths(xy: np.ndarray) -> np.ndarray:
    """Per frame: shoulder midpoint to hip midpoint, in pixels (NaN without a person)."""
    i = landmarks.INDEX
    shoulders = (xy[:, i["left_shoulder"]] + xy[:, i["right_shoulder"]]) / 2
    hips = (xy[:, i["left_hip"]] + xy[:, i["right_hip"]]) / 2
    return np.linalg.norm(shoulders - hips, axis=1)


def landmark_errors(ref_xy: np.ndarray, xy: np.ndarray) -> dict:
    """How far ``xy`` lies from ``ref_xy`` (both N x 33 x 2): which frames have a person in
    only one of them, and each landmark's distance as a share of the reference torso length."""
    if ref_xy.shape != xy.shape:
        return {"frames_ref": len(ref_xy), "frames": len(xy), "detections_differ": None,
                "median": math.inf, "p95": math.inf, "max": math.inf}  # fmt: skip
    ref_found = np.isfinite(ref_xy).any(axis=(1, 2))
    found = np.isfinite(xy).any(axis=(1, 2))
    both = ref_found & found
    dist = np.linalg.norm(xy[both] - ref_xy[both], axis=2) / torso_lengths(ref_xy[both])[:, None]
    dist = dist[np.isfinite(dist)]
    stat = (lambda f: float(f(dist))) if dist.size else (lambda f: math.inf)
    return {
        "frames_ref": len(ref_xy),
        "frames": len(xy),
        "found_ref": int(ref_found.sum()),
        "found": int(found.sum()),
        "detections_differ": [int(k) for k in np.flatnonzero(ref_found != found)],
        "median": stat(np.median),
        "p95": stat(lambda d: np.percentile(d, 95)),
        "max": stat(np.max),
    }


def step_differences(ref_steps: list[dict], steps: list[dict]) -> list[str]:
    """Every way ``steps`` differ from ``ref_steps`` (both from ``midstance-report/1``)."""
    if len(ref_steps) != len(steps):
        return [f"{len(steps)} steps, x86 found {len(ref_steps)}"]
    problems = []
    for k, (a, b) in enumerate(zip(ref_steps, steps, strict=True)):
        for key in sorted(set(a) | set(b)):
            va, vb = a.get(key), b.get(key)
            numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (va, vb))
            if numbers and abs(va - vb) <= STEP_TOLERANCE:
                continue
            if va != vb:
                problems.append(f"step {k} {key}: {vb!r}, x86 {va!r}")
    return problems


def compare(x86: Path, arm: Path, seconds: float) -> dict:
    """The row for one arm64 root: its versions and timings, and how it compares with x86."""
    row = json.loads((arm / "result.json").read_text())
    row["seconds"] = seconds
    problems = list(row.get("problems", []))
    # end to end (`midstance pose` on the clip: FFmpeg's decoding included), then the same
    # pixels in; the 0.5 % mark holds for the second (see the module docstring)
    runs = [
        ("landmarks_end_to_end", "clip90.trace.jsonl", math.inf),
        ("landmarks", "clip90.pixels.trace.jsonl", MAX_MEDIAN_ERROR),
    ]
    for key, name, limit in runs:
        got = arm / name
        if not got.is_file():
            problems.append(f"pose: no arm64 {name}")
            continue
        err = landmark_errors(read_trace(x86 / name).xy, read_trace(got).xy)
        row[key] = err
        if err["detections_differ"] != []:
            problems.append(f"pose ({name}): frames with a person differ from x86: {err}")
        if not err["median"] <= limit:
            problems.append(
                f"pose ({name}): median landmark error {100 * err['median']:.3f} % of the "
                f"torso length (limit {100 * limit:.1f} %)"
            )
    report = arm / "clip.report.json"
    if report.is_file():
        ref_steps = json.loads((x86 / "clip.report.json").read_text())["steps"]
        steps = json.loads(report.read_text())["steps"]
        row["steps"], row["steps_x86"] = len(steps), len(ref_steps)
        problems += [f"analyze: {p}" for p in step_differences(ref_steps, steps)]
    else:
        problems.append("analyze: no arm64 report")
    row["problems"] = problems
    return row


def table(rows: list[dict]) -> str:
    """The summary table (Markdown), one line a root."""
    head = ("release", "Python", "numpy", "TFLite runtime",
            "landmarks vs x86, same pixels: median (p95)", "end to end incl. decoding: median",
            "decoded RGB vs x86", "same detections", "steps (x86)", "checks", "time")  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        err = r.get("landmarks") or {}
        e2e = r.get("landmarks_end_to_end") or {}
        decode = r.get("decode_diff") or {}
        same = [e.get("detections_differ") for e in (err, e2e)] == [[], []]
        lines.append("| " + " | ".join([
            r["release"],
            r["python"],
            f"{r['numpy']} ({r['numpy_from']})",
            r["runtime"],
            f"{100 * err.get('median', math.inf):.3f} % ({100 * err.get('p95', math.inf):.1f} %)",
            f"{100 * e2e.get('median', math.inf):.3f} %",
            f"max {decode.get('max', '?')}, mean {decode.get('mean', '?')} levels",
            "yes" if same else "NO",
            f"{r.get('steps', '?')} ({r.get('steps_x86', '?')})",
            "pass" if not r["problems"] else f"FAIL ({len(r['problems'])})",
            f"{r['seconds'] / 60:.0f} min",
        ]) + " |")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """The command line; see the module docstring."""
    parser = argparse.ArgumentParser(prog="check-arm64-compare")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("clip")
    p.add_argument("src", type=Path)
    p.add_argument("dst", type=Path)
    p.add_argument("--frames", type=int, default=90)
    p = sub.add_parser("frames")
    p.add_argument("clip", type=Path)
    p.add_argument("out", type=Path)
    p = sub.add_parser("pose-frames")
    p.add_argument("frames", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--models-dir", default=None)
    p = sub.add_parser("compare")
    p.add_argument("x86", type=Path)
    p.add_argument("arm", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seconds", type=float, required=True, help="the root's wall time")
    p = sub.add_parser("table")
    p.add_argument("rows", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.cmd == "clip":
        n = make_clip(args.src, args.dst, args.frames)
        print(f"{args.dst}: first {n} frames of {args.src}, lossless")
        return 0 if n == args.frames else 1
    if args.cmd == "frames":
        np.save(args.out, decoded_frames(args.clip))
        return 0
    if args.cmd == "pose-frames":
        pose_frames(np.load(args.frames, mmap_mode="r"), args.out, args.models_dir)
        return 0
    if args.cmd == "compare":
        row = compare(args.x86, args.arm, args.seconds)
        args.out.write_text(json.dumps(row, indent=1) + "\n")
        for problem in row["problems"]:
            print(f"check-arm64: {row['release']}: {problem}", file=sys.stderr)
        return 1 if row["problems"] else 0
    rows = [json.loads(p.read_text()) for p in args.rows]
    print(table(rows))
    return 1 if any(r["problems"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
