"""MediaPipe 0.10.14's own Pose solution on a video: the reference our pipeline is checked against.

Runs in the separate ``.venv-ref`` environment (``make refenv``: numpy < 2, protobuf < 5)::

    .venv-ref/bin/python tests/pose/reference_mediapipe.py VIDEO OUT.json [--no-smooth]
        [--complexity 0|1|2] [--threads N]

Frames are decoded with PyAV exactly as ``device.video.VideoReader`` does (rgb24, every frame
in order), so both pipelines see the same pixels. OUT.json holds, per frame, the landmarks in
source pixels (null when no pose) and visibility, plus the per-frame wall time of
``Pose.process`` in milliseconds; ``cpu_s`` the CPU time of all its threads over the frames;
``wall_s`` is the whole run (decoding included), and with
``--stream`` frames are decoded one by one as a live pipeline would (for the benchmark).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import types

import av


def _without_matplotlib() -> None:
    # mediapipe.solutions imports matplotlib for drawing only; the reference env leaves it out.
    if "matplotlib" not in sys.modules:
        mpl = types.ModuleType("matplotlib")
        mpl.pyplot = types.ModuleType("matplotlib.pyplot")
        sys.modules["matplotlib"] = mpl
        sys.modules["matplotlib.pyplot"] = mpl.pyplot


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("video")
    ap.add_argument("out")
    ap.add_argument("--complexity", type=int, default=1)
    ap.add_argument("--no-smooth", action="store_true")
    ap.add_argument(
        "--stream", action="store_true",
        help="decode and process frame by frame (end-to-end wall time) instead of decoding first",
    )  # fmt: skip
    args = ap.parse_args()
    _without_matplotlib()
    import mediapipe as mp

    container = av.open(args.video)
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    decoded = (f.to_ndarray(format="rgb24") for f in container.decode(stream))
    t_start = time.perf_counter()
    frames = decoded if args.stream else list(decoded)
    width, height = stream.codec_context.width, stream.codec_context.height
    out = {"mediapipe": mp.__version__, "width": width, "height": height, "frames": []}
    if not args.stream:
        out["decode_s"] = time.perf_counter() - t_start
    with mp.solutions.pose.Pose(
        static_image_mode=False,
        model_complexity=args.complexity,
        smooth_landmarks=not args.no_smooth,
        enable_segmentation=False,
        min_detection_confidence=0.5,
        min_tracking_confidence=0.5,
    ) as pose:
        cpu0 = time.process_time()
        for rgb in frames:
            t0 = time.perf_counter()
            res = pose.process(rgb)
            ms = (time.perf_counter() - t0) * 1e3
            if res.pose_landmarks is None:
                out["frames"].append({"xy": None, "vis": None, "ms": ms})
                continue
            lms = res.pose_landmarks.landmark
            out["frames"].append(
                {
                    "xy": [[lm.x * width, lm.y * height] for lm in lms],
                    "vis": [lm.visibility for lm in lms],
                    "ms": ms,
                }
            )
        out["cpu_s"] = time.process_time() - cpu0
    out["wall_s"] = time.perf_counter() - t_start
    container.close()
    with open(args.out, "w") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
