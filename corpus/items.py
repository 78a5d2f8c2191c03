"""The corpus's items: what each input is made from and its truth (``python -m corpus`` builds
them, :mod:`corpus.stress` adds the stress set).

An :class:`Item` is a name, a suffix, the files it depends on and a ``build(tmp_path)`` that
writes the input and returns its truth. The trials are found in the data folder.
"""

from __future__ import annotations

import functools
import glob
import json
import math
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.evaluate import uneven_frame_times
from core.legs import other
from core.trace import Trace, write_trace
from corpus import fukuchi, hamner, stance_events, truth
from corpus.mocap import turn
from corpus.rtmpose import rtmpose_trace
from corpus.transforms import resample
from corpus.video import Pan, hflip, keep_top, shrink, transform_video
from midstance.commands.eval import VIDEO_SUFFIXES

CLIP = "treadmill_side_30fps"
CLIP_SOURCE = (
    "zzzhushi/running-gait-analysis tests/data/male_side.mp4 at commit "
    "4823029633fb26126a2ecebb12c0ce067ac24ddb. Licence: MIT, (c) 2026 zzzhushi; the person "
    "filmed gave explicit consent to publish the clip under MIT. Truth: the frame-by-frame "
    "visual annotation treadmill_side_30fps.contacts.json (no pose model), +/- 1 frame."
)
# Keep the top 1040 of 1280 rows: the stance foot and ankle leave the frame all the time and
# the swing foot only peeks in at the top of its arc (checked on rendered frames).
CROP_HEIGHT = 1040
# Bad views made from real footage: a pan of +/-120 px over 2 s, the runner at a quarter size,
# and motion capture seen 50 deg from side-on toward the runner's back.
PAN_PX, PAN_FRAMES = 120, 60
SHRINK = 4
OBLIQUE_DEG = 50.0


@dataclass
class Item:
    """One corpus item: ``build(tmp_input_path)`` writes the input and returns its truth."""

    name: str
    suffix: str  # ".mp4" or ".trace.jsonl"
    deps: list[Path]
    build: Callable[[Path], dict]


def default_data() -> Path:
    """The shared data folder beside the repository root."""
    return Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


# -- the real clip and its variants --------------------------------------------------------


def clip_truth(data: Path) -> dict:
    """The clip's hand annotation as read."""
    return json.loads((data / f"{CLIP}.contacts.json").read_text())


def clip_variant(doc: dict, what: str, **changes) -> dict:
    """The clip's truth for a transformed copy: events (possibly remapped), the rest fresh."""
    events = changes.pop("events", doc["events"])
    fps = changes.pop("fps", doc["fps"])
    return truth(
        fps, changes.pop("facing", doc["facing"]), changes.pop("near_leg", doc["near_leg"]),
        events, f"{what}. {CLIP_SOURCE}", group="clip", **changes,
    )  # fmt: skip


def halve_events(events: list[dict]) -> list[dict]:
    """Events of a 30 fps input mapped to every other frame (15 fps), duplicates dropped.

    New frame j is old frame 2j: ic -> ceil(f/2) (first kept frame in contact), to ->
    floor(f/2) (last kept frame in contact), ms -> nearest kept frame.
    """
    out, seen = [], set()
    for e in events:
        f = e["frame"]
        g = {"ic": math.ceil(f / 2), "to": f // 2, "ms": math.floor(f / 2 + 0.5)}[e["type"]]
        key = (e["leg"], e["type"], g)
        if key not in seen:
            seen.add(key)
            out.append({**e, "frame": g})
    return out


def clip_items(data: Path) -> list[Item]:
    """The real clip, its RTMPose trace and six video transforms of it (none without the clip
    and its annotation)."""
    video = data / f"{CLIP}.mp4"
    ann = data / f"{CLIP}.contacts.json"
    rtm = data / f"{CLIP}.rtmpose26.json"
    if not (video.exists() and ann.exists()):
        return []

    def copy(tmp: Path) -> dict:
        shutil.copyfile(video, tmp)
        return {**clip_truth(data), "group": "clip", "source": CLIP_SOURCE}

    def rtmpose(tmp: Path) -> dict:
        write_trace(tmp, rtmpose_trace(rtm))
        what = "RTMPose-Halpe26 keypoints of the clip (treadmill_side_30fps.rtmpose26.json)"
        return clip_variant(clip_truth(data), what, n_frames=360)

    def mirrored(tmp: Path) -> dict:
        n = transform_video(video, tmp, 30.0, change=hflip)
        # A mirrored left-side view (left leg near) looks exactly like a right-side view of a
        # runner whose right leg is near: the truth says what the image shows.
        return clip_variant(clip_truth(data), "The clip mirrored left-right", n_frames=n,
                            facing="right", near_leg="right")  # fmt: skip

    def fps15(tmp: Path) -> dict:
        n = transform_video(video, tmp, 15.0, step=2)
        doc = clip_truth(data)
        return clip_variant(doc, "Every other frame of the clip (15 fps)", n_frames=n, fps=15,
                            events=halve_events(doc["events"]))  # fmt: skip

    def slowmo(tmp: Path) -> dict:
        n = transform_video(video, tmp, 15.0)
        what = "All frames of the clip written at 15 fps (a half-speed slow-motion export)"
        return clip_variant(clip_truth(data), what, n_frames=n, fps=15, capture_fps=30)

    def cropped(tmp: Path) -> dict:
        n = transform_video(video, tmp, 30.0, change=lambda f: keep_top(f, CROP_HEIGHT))
        what = f"The clip cut to its top {CROP_HEIGHT} of 1280 rows (feet out of frame)"
        expect = {"capture_ok": False, "problem": "feet_out_of_frame"}
        return clip_variant(clip_truth(data), what, n_frames=n, expect=expect)

    def panning(tmp: Path) -> dict:
        n = transform_video(video, tmp, 30.0, change=Pan(PAN_PX, PAN_FRAMES))
        what = (f"The clip panned side to side by {PAN_PX} px over {PAN_FRAMES} frames "
                "(a camera on a wobbly or hand-held mount)")  # fmt: skip
        expect = {"capture_ok": False, "problem": "camera_moving"}
        return clip_variant(clip_truth(data), what, n_frames=n, expect=expect)

    def far_away(tmp: Path) -> dict:
        n = transform_video(video, tmp, 30.0, change=lambda f: shrink(f, SHRINK))
        what = f"The clip scaled down {SHRINK}x inside a frame of the same size (camera too far)"
        expect = {"capture_ok": False, "problem": "runner_too_small"}
        return clip_variant(clip_truth(data), what, n_frames=n, expect=expect)

    deps = [video, ann]
    return [
        Item("clip", ".mp4", deps, copy),
        *([Item("clip_rtmpose", ".trace.jsonl", [rtm, ann], rtmpose)] if rtm.exists() else []),
        Item("clip_mirror", ".mp4", deps, mirrored),
        Item("clip_15fps", ".mp4", deps, fps15),
        Item("clip_slowmo", ".mp4", deps, slowmo),
        Item("clip_feet_cropped", ".mp4", deps, cropped),
        Item("clip_panning", ".mp4", deps, panning),
        Item("clip_far_away", ".mp4", deps, far_away),
    ]


# -- any other annotated video in the data folder ------------------------------------------


def annotated_videos(data: Path) -> list[tuple[str, Path, Path]]:
    """Every video in the data folder, other than the clip, with a truth file beside it:
    ``(stem, video, truth)``, sorted. A clip of the same kind dropped in is measured too."""
    found = []
    for ann in sorted(data.glob("*.contacts.json")):
        stem = ann.name[: -len(".contacts.json")]
        videos = sorted(p for p in data.glob(f"{glob.escape(stem)}.*")
                        if p.suffix.lower() in VIDEO_SUFFIXES)  # fmt: skip
        if stem != CLIP and videos:
            found.append((stem, videos[0], ann))
    return found


def video_items(data: Path) -> list[Item]:
    """Each annotated video (:func:`annotated_videos`) as filmed and mirrored, and its RTMPose
    keypoints when a ``<stem>.rtmpose26.json`` sits beside it; held to the clip's targets
    unless its truth names its own ``group`` or ``expect``."""
    return [item for found in annotated_videos(data) for item in _video_items(data, *found)]


def _video_items(data: Path, stem: str, video: Path, ann: Path) -> list[Item]:
    name = "video_" + re.sub(r"[^A-Za-z0-9_+-]", "_", stem)
    source = f"{video.name}, annotated in {ann.name} (provenance: the data folder's README)"
    rtm = data / f"{stem}.rtmpose26.json"

    def read() -> dict:
        return {"group": "clip", **json.loads(ann.read_text()), "source": source}

    def copy(tmp: Path) -> dict:
        shutil.copyfile(video, tmp)
        return read()

    def mirrored(tmp: Path) -> dict:
        doc = read()
        n = transform_video(video, tmp, float(doc["fps"]), change=hflip)
        # as for the clip: a mirrored view is the other side's view of the other leg
        return {**doc, "n_frames": n, "facing": other(doc["facing"]),
                "near_leg": other(doc["near_leg"]), "source": f"Mirrored: {source}"}  # fmt: skip

    def rtmpose(tmp: Path) -> dict:
        write_trace(tmp, rtmpose_trace(rtm))
        return {**read(), "source": f"RTMPose-Halpe26 keypoints ({rtm.name}) of {source}"}

    deps = [video, ann]
    items = [Item(name, video.suffix.lower(), deps, copy),
             Item(f"{name}_mirror", ".mp4", deps, mirrored)]  # fmt: skip
    if rtm.exists():
        items.append(Item(f"{name}_rtmpose", ".trace.jsonl", [rtm, ann], rtmpose))
    return items


# -- motion capture ------------------------------------------------------------------------


def mocap_item_truth(
    trace: Trace, contacts: dict, t: np.ndarray, pelvis: np.ndarray, facing: str, near: str,
    source: str, **extra,
) -> dict:  # fmt: skip
    """Truth of a motion-capture trace at its own rate from contacts in seconds (a trace
    whose frames are unevenly timed, as a phone drops frames, by its own frame times)."""

    def height(times: np.ndarray) -> np.ndarray:
        return np.interp(times, t, pelvis)

    own = uneven_frame_times(trace.t - trace.t[0], 1.0 / trace.fps)
    events = stance_events(contacts, near, trace.fps, len(trace), height, own)
    return truth(trace.fps, facing, near, events, source, n_frames=len(trace), group="mocap",
                 **extra)  # fmt: skip


def fukuchi_runs(data: Path) -> list[tuple[str, str, Path]]:
    """Every Fukuchi running trial in the data folder: ``(subject, speed, markers file)``, e.g.
    ``("RBDS001", "25", .../RBDS001runT25markers.txt)`` (speed in tenths of m/s)."""
    runs = []
    for path in sorted((data / "fukuchi2017").glob("RBDS*runT*markers.txt")):
        m = re.fullmatch(r"(RBDS\d+)runT(\d+)markers\.txt", path.name)
        if m:
            runs.append((m[1], m[2], path))
    return runs


def fukuchi_build(
    path: Path, change: Callable[[Trace], Trace] | None = None, expect: dict | None = None
) -> Callable[[Path], dict]:
    """The build of one Fukuchi item: the trial seen from the runner's right at its 150 Hz (or
    as ``change`` makes it, e.g. at another rate), with its truth from the markers (and
    ``expect``, when given)."""
    note = ("Markers projected to a side view from the runner's right; truth from the markers "
            "(lowest foot marker within 20 mm of its floor), no force plate")  # fmt: skip

    def build(tmp: Path) -> dict:
        trace = fukuchi.fukuchi_trace(path)
        if change is not None:
            trace = change(trace)
        write_trace(tmp, trace)
        ref = fukuchi.fukuchi_truth_input(path)
        extra = {"expect": expect} if expect else {}
        return mocap_item_truth(trace, ref["contacts"], ref["t"], ref["pelvis"], "right",
                                "right", f"{note}. {fukuchi.SOURCE}", **extra)  # fmt: skip

    return build


def fukuchi_items(data: Path) -> list[Item]:
    """Every Fukuchi trial (the shared data: RBDS001 at 2.5 m/s) at its 150 Hz and resampled to
    30 and 60 fps. Named ``fukuchi_RBDSnnn`` at 2.5 m/s, ``fukuchi_RBDSnnn_T35`` at 3.5."""
    items = []
    for subject, speed, path in fukuchi_runs(data):
        stem = f"fukuchi_{subject}" + ("" if speed == "25" else f"_T{speed}")
        for rate, fps in (("150hz", None), ("30fps", 30.0), ("60fps", 60.0)):
            change = None if fps is None else functools.partial(resample, fps=fps)
            items.append(
                Item(f"{stem}_{rate}", ".trace.jsonl", [path], fukuchi_build(path, change))
            )
    return items


@functools.lru_cache(maxsize=2)
def hamner_trial(data: Path, subject: int, run: int) -> dict:
    """One Hamner trial as :func:`corpus.hamner.load_trial` reads it, kept for the next few
    items made from it (both sides, other rates)."""
    return hamner.load_trial(data, subject, run)


def hamner_trials(data: Path) -> list[tuple[int, int]]:
    """Every Hamner trial in the data folder with its forces and its runner's standing trial:
    ``(subject, run)`` pairs, sorted (the shared data: subjects 1-4, runs 2-5)."""
    trials = []
    for path in (data / "hamner2013").glob("subject*_Run_*.trc"):
        m = re.fullmatch(r"subject(\d+)_Run_(\d+)\.trc", path.name)
        if m and all(p.exists() for p in hamner.trial_paths(data, int(m[1]), int(m[2]))):
            trials.append((int(m[1]), int(m[2])))
    return sorted(trials)


def hamner_items(data: Path) -> list[Item]:
    """Every Hamner trial from both sides at its own rate, at 30 fps from both sides and at
    60 fps from the right; and run 3 of each runner filmed obliquely (a bad view)."""
    items = []

    def oblique(s: int, r: int) -> Callable[[Path], dict]:
        def build(tmp: Path) -> dict:
            trial = hamner_trial(data, s, r)
            seen = {**trial, "points": turn(trial["points"], OBLIQUE_DEG, trial["x0"])}
            xy, vis = hamner.side_view(seen, True)
            what = (f"subject{s:02d} Run_{r}: markers seen from the runner's right, "
                    f"{OBLIQUE_DEG:g} deg from side-on toward the back")  # fmt: skip
            trace = Trace(trial["rate"], hamner.WIDTH, hamner.HEIGHT, f"hamner2013: {what}",
                          trial["t"], xy, vis)  # fmt: skip
            write_trace(tmp, trace)
            expect = {"capture_ok": False, "problem": "not_side_on"}
            return mocap_item_truth(trace, trial["contacts"], trial["t"], trial["pelvis"],
                                    "right", "right", f"{what}. {hamner.SOURCE}",
                                    expect=expect)  # fmt: skip

        return build

    for s, r in hamner_trials(data):
        deps = list(hamner.trial_paths(data, s, r))

        def make(s: int, r: int, fps: float | None, right: bool) -> Callable[[Path], dict]:
            def build(tmp: Path) -> dict:
                trial = hamner_trial(data, s, r)
                xy, vis = hamner.side_view(trial, right)
                side = "right" if right else "left"
                what = (f"subject{s:02d} Run_{r}: markers projected to a side view from the "
                        f"runner's {side}; truth from the force plates (vertical force > "
                        f"{hamner.THRESHOLD_N:g} N)")  # fmt: skip
                trace = Trace(trial["rate"], hamner.WIDTH, hamner.HEIGHT, f"hamner2013: {what}",
                              trial["t"], xy, vis)  # fmt: skip
                if fps is not None:
                    trace = resample(trace, fps)
                write_trace(tmp, trace)
                return mocap_item_truth(trace, trial["contacts"], trial["t"], trial["pelvis"],
                                        side, side, f"{what}. {hamner.SOURCE}")  # fmt: skip

            return build

        stem = f"hamner_s{s:02d}_run{r}"
        if r == 3:
            items.append(Item(f"{stem}_oblique", ".trace.jsonl", deps, oblique(s, r)))
        for fps, sides in ((None, (True, False)), (30.0, (True, False)), (60.0, (True,))):
            for right in sides:
                rate = "" if fps is None else f"_{fps:g}fps"
                name = f"{stem}{rate}_{'right' if right else 'left'}"
                items.append(Item(name, ".trace.jsonl", deps, make(s, r, fps, right)))
    return items


def all_items(data: Path) -> list[Item]:
    """Every item of the corpus, in build order."""
    return clip_items(data) + video_items(data) + fukuchi_items(data) + hamner_items(data)
