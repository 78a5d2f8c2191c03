"""The stress set: the real clip and motion capture changed the ways other setups differ.

``python -m corpus build/stress --set stress`` (``make stress``) builds it; ``midstance eval``
scores it like the corpus. The corpus holds what issue 10's targets are measured on; this set
asks how far the judgement carries beyond it, on the same real recordings:

- the clip (video, through the pose model) with the camera rolled 5 deg either way (the clip is
  1.6 deg off level as filmed, so 3.4 and 6.6 deg: must be refused as ``camera_not_level``),
  filmed in landscape at 720p, zoomed in on the runner, from 2 and 2.5 times further back
  (``distant_2x``, ``distant_2_5x``: smaller in the picture, still large enough to be judged),
  in a dim room, out of focus, at half resolution, through a wide lens (barrel distortion),
  behind a treadmill's side handrail across the hips (``rail_5cm``, ``rail_9cm``: a tube, and a
  rail with a side panel), at 20, 24 and 25 frames a second, with a phone's variable frame rate
  (``vfr``: a tenth of the frames dropped, the rest at their own slightly uneven times), stored
  sideways with the display matrix that turns it upright (``sideways``: how a phone filming
  upright writes its file), turned a quarter with no such flag (``turned``: a camera mounted on
  its side without ``camera.rotate``; must be refused as ``picture_turned``), and smeared
  (``smeared``: each frame the mean of the last three, the feet doubled and lost between
  contacts; must be refused as ``steps_missed``), and with a runner on the next treadmill of a
  row behind (``behind_*``: the clip's own runner, cut out by BlazePose's segmentation, drawn
  smaller behind the near runner at a slower cadence: the judge may refuse the view, but every
  step it judges must be judged right), with someone passing between the camera and the runner
  (``passing_*``: the same cut-out drawn larger, crossing the picture in 1 or 2.5 s; the
  contacts they hide are left out of the truth), and at 60 frames a second (``60fps``: a frame
  made between each pair of the original's from their optical flow), and from a camera jolted
  at every footfall (``shake_mild``, ``shake``: a damped 9 Hz swing of the picture, up to ~11
  and ~22 px, 0.04 and 0.08 leg lengths; :mod:`device.steady` takes it off the landmarks);
- every Hamner trial re-timed to 15, 24, 25, 50 and 240 Hz, with the runner at half the size in
  the picture, with the camera rolled 4 deg either way, through the same wide lens, filmed by
  a phone at a variable frame rate; and each runner's slowest run played slower to 140 steps a
  minute, the fastest faster to 220 (``spm140``, ``spm220``: the ends of the issue's cadence
  range; the same gait in more or less time, filmed at 30 fps);
- every Hamner trial seen by a pinhole camera (a phone's lens, ~65 deg across the picture)
  2 m to the runner's side, aimed at hip height, with the lens at hip height (``cam_hip``: the
  perspective of a real camera, the far leg smaller), at 2 m (``cam_high``) and at the belt's
  height (``cam_low``); the last two must be refused as ``camera_too_high`` and
  ``camera_too_low``;
- every Fukuchi trial (another lab's runner, a forefoot striker, truth from the markers) at 15
  and 24 Hz and through a phone's clock;
- the other side of trust, a fault the judge must name: every Hamner trial, the Fukuchi trial
  and the clip's RTMPose keypoints with the runner "sitting back" (``sit_back``: the hips and
  all above them :data:`SIT_BACK_L` leg lengths further back, the legs as recorded; the thigh
  stretches, so the leg the judge measures grows 13-14 % and the hip ends 0.15-0.22 of it
  behind the ankle at midstance, past the 0.12 of a bad step) and bent forward at the hips
  (``bent``: all above the hips turned :data:`BENT_DEG` forward; a hip bend of 34-48 deg, past
  the 25 of a bad step; not Fukuchi, which has no shoulder markers). Their truth says
  ``expect: {"reason": ...}``: the reason every judged step should give.

No noise is added to the landmarks and nothing is synthesised: each item is a real recording
seen differently (the phone's clock is a seeded draw, the same at every build), or with a
known change of form.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from core.trace import Trace, write_trace
from corpus import hamner
from corpus.items import (
    CLIP,
    Item,
    clip_truth,
    clip_variant,
    fukuchi_build,
    fukuchi_runs,
    hamner_trial,
    hamner_trials,
    mocap_item_truth,
)
from corpus.mocap import project_camera, project_side
from corpus.rtmpose import rtmpose_trace
from corpus.transforms import FAULTS, resample, sample_at
from corpus.video import on_canvas, read_frames, write_video

#: A wide lens's barrel distortion: the picture's corners drawn this share nearer its centre.
BARREL_K = 0.15
#: Camera roll of the rolled clips and mocap (deg; positive turns the picture clockwise).
CLIP_ROLL_DEG = 5.0
MOCAP_ROLL_DEG = 4.0
#: The truth of the rolled clips: the view must be refused, the camera's roll named.
NOT_LEVEL = {"capture_ok": False, "problem": "camera_not_level"}
#: Video rates the clip is re-timed to (nearest frame of the 30 fps original).
CLIP_RATES = (20.0, 24.0, 25.0)
MOCAP_RATES = (15.0, 24.0, 25.0, 50.0, 240.0)
FUKUCHI_RATES = (15.0, 24.0)
#: The runner at about half the size in the picture.
SMALL_PX_PER_MM = 0.30
#: The camera further away: the clip this many times smaller inside a frame of its own size,
#: still over the ``runner_too_small`` limits (leg ~145 and ~116 px, 11 and 9 % of the
#: picture's height; the corpus's ``clip_far_away``, 4x, is under them and refused).
DISTANT = (2.0, 2.5)
#: Frames averaged into each frame of the smeared clip: the feet lost between contacts.
SMEAR = 3
#: x264 quality of the clip re-encoded as a messaging app shares it: about 260 kbit/s for its
#: 720x1280 at 30 fps (the original ~1,250), blocks on the moving legs.
COMPRESSED_CRF = 38
#: A runner on the next treadmill of a row, seen past the near runner: ``(dx, dy, scale,
#: rate, start)``. Drawn at ``scale`` about the near runner's hip (:data:`CLIP_HIP_PX`; the
#: next belt about 1 m further from a camera 2 m away: 0.67, rows closer together: 0.8),
#: shifted ``dx`` px along the belt (negative: ahead of the near runner, who faces image-left)
#: and ``dy`` px up the picture (negative: higher, as a lens below hip height shows them),
#: played at ``rate`` x real time (a slower cadence of their own) from frame ``start``. Level
#: with the near runner and centred on them they would be hidden: every one shows beside them.
BEHIND = {
    "behind_ahead": (-150, 0, 0.67, 0.9, 5),
    "behind_higher": (120, -120, 0.67, 0.9, 5),
    "behind_back": (150, 0, 0.67, 0.85, 9),
    "behind_far_back": (250, 0, 0.67, 0.9, 14),
    "behind_close_ahead": (-150, 0, 0.8, 0.95, 3),
    "behind_close_back": (100, 0, 0.8, 0.9, 30),
}
#: Someone passing between the camera and the runner: ``(scale, dy, first, frames, start)``.
#: The clip's own runner, cut out as for :data:`BEHIND`, drawn at ``scale`` about
#: :data:`CLIP_HIP_PX` and ``dy`` px lower (nearer the camera than the treadmill), crossing the
#: picture from right to left (the way they face) in ``frames`` frames from frame ``first``,
#: their own frames from ``start``: across in 1 s (a jog past) and in 2.5 s (a slow walk past).
PASSING = {"passing_jog": (1.3, 60, 150, 30, 100), "passing_slow": (1.3, 60, 150, 75, 100)}
#: A contact is hidden by the passer (and left out of the truth: nobody can time it) when the
#: passer covers this share of the runner's silhouette below the hips at the contact's frame.
HIDDEN_SHARE = 0.25
#: The clip's hip centre at its first frame (px; the pose detector's, by eye rows 891-926):
#: with the lens near hip height, a runner further away shrinks about the hips' height.
CLIP_HIP_PX = (320.0, 890.0)
#: The zoomed clip keeps rows 520-1280 of 1280 (the runner's head to below the belt).
ZOOM_TOP = 520
#: A treadmill's side handrail between the camera and the runner, across the clip's hips (their
#: joint centres are at rows 891-926 by eye): (top row, rows) of a 5 cm tube and of a 9 cm one
#: (a rail with a side panel), at the clip's ~3.3 px a cm.
RAILS = {"rail_5cm": (896, 16), "rail_9cm": (890, 30)}
#: A phone's variable frame rate: this share of the 30 fps frames dropped at random, and the
#: timestamps of the rest off their 30 fps ticks by this much (seconds, standard deviation).
PHONE_DROP = 0.10
PHONE_JITTER_S = 0.0015
#: The cadences (steps/min) the runners are re-timed to: the ends of the issue's range.
RETIMED_SPM = (140.0, 220.0)
#: The pinhole camera of the ``cam_*`` items: its distance from the runner (mm), focal length
#: (px: a phone's ~65 deg across 1280 px), the height it aims at (mm above the belt) and the
#: lens height of each kind, with the capture problem the judge must report.
CAMERA_MM = 2000.0
CAMERA_FOCAL_PX = 1000.0
CAMERA_AIM_MM = 1000.0
CAMERA_LENS_MM = {"cam_hip": (1000.0, None), "cam_high": (2000.0, "camera_too_high"),
                  "cam_low": (0.0, "camera_too_low")}  # fmt: skip
#: A camera jolted at every footfall (clamped to the treadmill, or on a light stand on a sprung
#: floor): each contact of the truth starts a damped swing of the picture, SHAKE_HZ, dying
#: away over SHAKE_TAU_S, up and down with a third of it across. The kinds' amplitudes
#: (pixels): the swings' peaks as the 30 fps frames catch them are ~11 and ~22 px, 0.04 and
#: 0.08 of the clip's leg length.
SHAKE_HZ = 9.0
SHAKE_TAU_S = 0.1
SHAKES = {"shake_mild": 16.0, "shake": 32.0}
#: The form faults given to good runners: how far the hips sit back (leg lengths) and how far
#: the trunk bends forward at the hips (deg), each well past its "bad" limit for every runner
#: in the data (their own hips are 0.05-0.13 L ahead of the ankle at midstance, their hip bend
#: -6 to +8 deg).
SIT_BACK_L = 0.3
BENT_DEG = 40.0
FAULT_SIZES = {"sit_back": SIT_BACK_L, "bent": BENT_DEG}


def _form_fault(kind: str) -> tuple[Callable[[Trace, str], Trace], str]:
    change, reason = FAULTS[kind]
    return (lambda trace, facing: change(trace, facing, FAULT_SIZES[kind])), reason


#: kind: (change of a Trace given the facing, the reason every judged step should give)
FORM_FAULTS = {kind: _form_fault(kind) for kind in FAULT_SIZES}


def phone_clock(
    n: int, fps: float, seed: int, drop: float = PHONE_DROP
) -> tuple[np.ndarray, np.ndarray]:
    """A phone filming ``n`` frames at a nominal ``fps``: ``(kept, times)``, the frame indices
    it kept (a ``drop`` share dropped at random, never the first) and their timestamps
    (seconds: ``k / fps`` off by :data:`PHONE_JITTER_S`, still increasing)."""
    rng = np.random.default_rng(seed)
    keep = rng.random(n) >= drop
    keep[0] = True
    kept = np.flatnonzero(keep)
    jitter = np.clip(rng.normal(0.0, PHONE_JITTER_S, len(kept)), -0.3 / fps, 0.3 / fps)
    jitter[0] = 0.0
    return kept, kept / fps + jitter


def runner_masks(frames: Sequence[np.ndarray], fps: float) -> list[np.ndarray]:
    """Each frame's runner silhouette (0..1 float32, frame size) from BlazePose full's
    segmentation output, the landmark model tracking the runner as in the appliance."""
    from device.pose.estimator import PoseEstimator

    est = PoseEstimator("full", segment=True)
    masks = []
    for i, rgb in enumerate(frames):
        found = est.process(rgb, i / fps)  # with segment=True a pose found has its mask
        masks.append(np.zeros(rgb.shape[:2], np.float32) if found is None else found.mask)
    return masks


def runner_at(
    frame: np.ndarray, mask: np.ndarray, scale: float, x: float, y: float
) -> tuple[np.ndarray, np.ndarray]:
    """A frame and its runner's mask, scaled about :data:`CLIP_HIP_PX` with the hips moved
    to ``(x, y)``: the clip's runner drawn elsewhere in the picture (behind, or passing)."""
    hx, hy = CLIP_HIP_PX
    h, w = frame.shape[:2]
    to = np.float32([[scale, 0, x - scale * hx], [0, scale, y - scale * hy]])
    return (
        cv2.warpAffine(frame, to, (w, h), flags=cv2.INTER_AREA),
        cv2.warpAffine(mask, to, (w, h), flags=cv2.INTER_LINEAR),
    )


def behind(
    frames: Sequence[np.ndarray], masks: Sequence[np.ndarray], dx: float, dy: float,
    scale: float, rate: float, start: int,
) -> Iterator[np.ndarray]:  # fmt: skip
    """The frames with their own runner drawn again behind the near one (see :data:`BEHIND`):
    frame ``start + i * rate`` scaled about :data:`CLIP_HIP_PX`, shifted ``(dx, dy)``, laid in
    where its runner's mask is and the near runner's is not."""
    n = len(frames)
    if int(start + (n - 1) * rate) >= n:
        raise ValueError(f"behind: start {start} at rate {rate} runs past the {n} frames")
    hx, hy = CLIP_HIP_PX
    for i, near in enumerate(frames):
        j = int(start + i * rate)
        far, far_mask = runner_at(frames[j], masks[j], scale, hx + dx, hy + dy)
        alpha = (far_mask * (1.0 - masks[i]))[..., None]
        yield (near * (1.0 - alpha) + far * alpha).astype(np.uint8)


def _sample(frame: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The frame read at (``xs``, ``ys``) for every output pixel (bilinear; black outside)."""
    h, w = frame.shape[:2]
    x0 = np.clip(np.floor(xs).astype(int), 0, w - 2)
    y0 = np.clip(np.floor(ys).astype(int), 0, h - 2)
    fx = np.clip(xs - x0, 0, 1)[..., None]
    fy = np.clip(ys - y0, 0, 1)[..., None]
    img = frame.astype(float)
    top = img[y0, x0] * (1 - fx) + img[y0, x0 + 1] * fx
    bottom = img[y0 + 1, x0] * (1 - fx) + img[y0 + 1, x0 + 1] * fx
    out = top * (1 - fy) + bottom * fy
    out[(xs < 0) | (xs > w - 1) | (ys < 0) | (ys > h - 1)] = 0
    return out.astype(np.uint8)


def roll(degrees: float) -> Callable[[np.ndarray], np.ndarray]:
    """A frame change: the picture turned ``degrees`` about its centre (bilinear, black
    corners), as a camera rolled on its mount."""

    def change(frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w].astype(float)
        c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
        xs = c * (xx - w / 2) + s * (yy - h / 2) + w / 2
        ys = -s * (xx - w / 2) + c * (yy - h / 2) + h / 2
        return _sample(frame, xs, ys)

    return change


def barrelled(xy: np.ndarray, k: float, width: int, height: int) -> np.ndarray:
    """Points (..., 2) as a wide lens draws them: pulled toward the centre by ``1 - k r^2``
    (``r`` = distance from the centre, 1 at the corners), so straight lines bow outward."""
    c = np.array([width / 2, height / 2])
    d = (xy - c) / np.hypot(*c)
    r2 = (d**2).sum(axis=-1, keepdims=True)
    return c + (xy - c) * (1 - k * r2)


def barrel(k: float) -> Callable[[np.ndarray], np.ndarray]:
    """A frame change: a wide lens's barrel distortion (:func:`barrelled` of every pixel)."""

    maps: dict[tuple[int, int], np.ndarray] = {}  # one per frame size: every frame the same

    def change(frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        if (h, w) not in maps:
            yy, xx = np.mgrid[0:h, 0:w].astype(float)
            out = np.stack([xx, yy], axis=-1)
            src = out.copy()  # the undistorted point each output pixel shows, by iteration
            for _ in range(8):
                src = src + (out - barrelled(src, k, w, h))
            # Where the lens would see beyond the frame, the frame's edge is repeated: a real
            # wide lens fills its picture (black bands at the feet moved BlazePose's points).
            maps[h, w] = np.clip(src, 0, [w - 1, h - 1])
        src = maps[h, w]
        return _sample(frame, src[..., 0], src[..., 1])

    return change


def half(frame: np.ndarray) -> np.ndarray:
    """The frame at half its width and height (2x2 means), even sizes."""
    h, w = frame.shape[0] // 4 * 4, frame.shape[1] // 4 * 4
    a = frame[:h, :w].astype(float)
    return ((a[0::2, 0::2] + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2]) / 4).astype(np.uint8)


def landscape(frame: np.ndarray) -> np.ndarray:
    """A portrait frame inside a 16:9 landscape one (black sides), at half size: a phone
    held sideways at 720p."""
    h, w = frame.shape[:2]
    wide = round(h * 16 / 9) // 2 * 2
    out = np.zeros((h, wide, 3), np.uint8)
    x = (wide - w) // 2
    out[:, x : x + w] = frame
    return half(out)


def distant(factor: float) -> Callable[[np.ndarray], np.ndarray]:
    """A frame change: the frame ``factor`` times smaller (area-averaged, any factor: unlike
    :func:`corpus.video.shrink`'s whole blocks), as a camera that far back sees the runner."""

    def change(frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        size = (round(w / factor), round(h / factor))
        return on_canvas(frame, cv2.resize(frame, size, interpolation=cv2.INTER_AREA))

    return change


def rail(top: int, rows: int) -> Callable[[np.ndarray], np.ndarray]:
    """A frame change: a metal handrail drawn across the picture, rows ``top`` to ``top + rows``
    (lit from above: light grey at its top edge, darker below)."""
    shade = np.linspace(200, 140, rows).astype(np.uint8)[:, None, None]

    def change(frame: np.ndarray) -> np.ndarray:
        out = frame.copy()
        out[top : top + rows] = shade
        return out

    return change


def zoom(frame: np.ndarray) -> np.ndarray:
    """The runner filling the frame: rows from :data:`ZOOM_TOP` down."""
    return np.ascontiguousarray(frame[ZOOM_TOP:])


def dim(frame: np.ndarray) -> np.ndarray:
    """A dim room: darker, flatter and grainier (a fixed grain pattern per frame size)."""
    grain = np.random.default_rng(0).normal(0.0, 6.0, frame.shape)
    out = (frame.astype(float) / 255) ** 1.6 * 255 * 0.6 + grain
    return np.clip(out, 0, 255).astype(np.uint8)


def defocus(frame: np.ndarray, k: int = 5) -> np.ndarray:
    """The frame out of focus: a ``k`` x ``k`` box blur."""
    a = frame.astype(float)
    for axis in (0, 1):
        pad = [(0, 0)] * 3
        pad[axis] = (k // 2 + 1, k // 2)
        c = np.cumsum(np.pad(a, pad, mode="edge"), axis=axis)
        n = c.shape[axis] - k
        a = (np.take(c, range(k, n + k), axis) - np.take(c, range(n), axis)) / k
    return np.clip(a, 0, 255).astype(np.uint8)


def shake_offsets(t: np.ndarray, kicks: np.ndarray, amplitude: float) -> np.ndarray:
    """The picture's shift (pixels, ``(len(t), 2)``: x right, y down) at times ``t`` of a camera
    jolted at times ``kicks`` (seconds; see :data:`SHAKES`)."""
    dt = np.asarray(t, float)[:, None] - np.asarray(kicks, float)[None, :]
    swing = np.where(dt >= 0, np.exp(-np.maximum(dt, 0) / SHAKE_TAU_S), 0.0)
    phase = 2 * math.pi * SHAKE_HZ * dt
    dy = amplitude * (swing * np.sin(phase)).sum(axis=1)
    dx = amplitude / 3 * (swing * np.sin(phase + 1.0)).sum(axis=1)
    return np.stack([dx, dy], axis=1)


def clip_shake(doc: dict, n: int, kind: str) -> np.ndarray:
    """The shift (:func:`shake_offsets`) of each of ``n`` frames of the 30 fps clip whose truth
    is ``doc``, jolted at every contact of it as the stress set's ``kind`` (:data:`SHAKES`)."""
    kicks = np.sort([e["frame"] for e in doc["events"] if e["type"] == "ic"]) / 30.0
    return shake_offsets(np.arange(n) / 30.0, kicks, SHAKES[kind])


def shaken(frames: Sequence[np.ndarray], shifts: np.ndarray) -> Iterator[np.ndarray]:
    """The frames moved by ``shifts`` (:func:`shake_offsets`), the edge repeated beyond them."""
    for frame, (dx, dy) in zip(frames, shifts, strict=True):
        h, w = frame.shape[:2]
        move = np.float32([[1, 0, dx], [0, 1, dy]])
        yield cv2.warpAffine(frame, move, (w, h), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE)  # fmt: skip


def in_between(frames: Sequence[np.ndarray]) -> Iterator[np.ndarray]:
    """The frames with one made between each pair, as a camera filming at twice the rate
    would have caught it: each pair's dense optical flow (OpenCV's DIS) both ways, each frame
    carried half way along it, the two blended. ``2n - 1`` frames from ``n``."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    h, w = frames[0].shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    for i, a in enumerate(frames[:-1]):
        yield a
        b = frames[i + 1]
        ab, ba = dis.calc(grey[i], grey[i + 1], None), dis.calc(grey[i + 1], grey[i], None)
        # the middle frame's pixel p came from a at p - ab/2 and goes to b at p - ba/2
        half_a = cv2.remap(a, gx - ab[..., 0] / 2, gy - ab[..., 1] / 2, cv2.INTER_LINEAR)
        half_b = cv2.remap(b, gx - ba[..., 0] / 2, gy - ba[..., 1] / 2, cv2.INTER_LINEAR)
        yield ((half_a.astype(np.uint16) + half_b) // 2).astype(np.uint8)
    yield frames[-1]


def passing(
    frames: Sequence[np.ndarray], masks: Sequence[np.ndarray], scale: float, dy: float,
    first: int, across: int, start: int,
) -> Iterator[tuple[np.ndarray, float]]:  # fmt: skip
    """The frames with someone passing in front of the runner (see :data:`PASSING`), each
    with the share of the runner's silhouette below the hips the passer covers there."""
    hy = CLIP_HIP_PX[1]
    w = frames[0].shape[1]
    below = int(hy)
    for i, near in enumerate(frames):
        k = (i - first) / across  # 0 -> 1 while the passer's hips cross the picture
        x = w * 1.25 - k * w * 1.5
        if not -0.2 <= k <= 1.2:
            yield near, 0.0
            continue
        j = (start + i) % len(frames)
        them, alpha = runner_at(frames[j], masks[j], scale, x, hy + dy)
        legs = masks[i][below:]
        hidden = float((alpha[below:] * legs).sum() / max(float(legs.sum()), 1.0))
        yield (near * (1.0 - alpha[..., None]) + them * alpha[..., None]).astype(np.uint8), hidden


def unhidden_events(events: Sequence[dict], hidden: Sequence[float]) -> list[dict]:
    """The truth events but the stances whose contact the passer hides (a share of the
    runner's legs of :data:`HIDDEN_SHARE` or more at the contact's frame): the contact, and
    the same leg's midstance and toe-off that follow it before its next contact."""
    out, dropping = [], {}
    for e in sorted(events, key=lambda e: e["frame"]):
        if e["type"] == "ic":
            f = e["frame"]
            dropping[e["leg"]] = f < len(hidden) and hidden[f] >= HIDDEN_SHARE
        if not dropping.get(e["leg"]):
            out.append(e)
    return out


def retime_events(events: Sequence[dict], source: Sequence[float]) -> list[dict]:
    """Truth events of a video re-timed by picking frames: new frame ``j`` shows original
    frame ``source[j]`` (a fraction for a frame made between two). ic -> first new frame at or
    after it, to -> last at or before it, ms -> nearest; duplicates dropped, events outside
    the new frames dropped."""
    src = np.asarray(source)
    out, seen = [], set()
    for e in events:
        f = e["frame"]
        if e["type"] == "ic":
            after = np.flatnonzero(src >= f)
            g = int(after[0]) if len(after) else None
        elif e["type"] == "to":
            before = np.flatnonzero(src <= f)
            g = int(before[-1]) if len(before) else None
        else:
            g = int(np.argmin(np.abs(src - f)))
        key = (e["leg"], e["type"], g)
        if g is not None and key not in seen:
            seen.add(key)
            out.append({**e, "frame": g})
    return out


def rolled(xy: np.ndarray, degrees: float, width: int, height: int) -> np.ndarray:
    """Landmarks (N, 33, 2) turned ``degrees`` about the picture's centre, as :func:`roll`
    turns a frame."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    x, y = xy[..., 0] - width / 2, xy[..., 1] - height / 2
    return np.stack([c * x - s * y + width / 2, s * x + c * y + height / 2], axis=-1)


def phone_trace(trace: Trace, seed: int, drop: float = PHONE_DROP) -> Trace:
    """The trace as a phone filming it at 30 fps would time it (:func:`phone_clock`)."""
    duration = float(trace.t[-1] - trace.t[0])
    _, clock = phone_clock(int(duration * 30.0) + 1, 30.0, seed, drop)
    clock = clock[clock <= duration]
    return sample_at(trace, clock, 30.0, f"{trace.source}: a phone's 30 fps clock")


def seen_by_camera(trial: dict, distance_mm: float, lens_mm: float) -> tuple:
    """A Hamner trial (:func:`corpus.items.hamner_trial`) as the ``cam_*`` items' phone lens
    sees it from the runner's right, ``distance_mm`` away, the lens ``lens_mm`` above the belt:
    ``(xy, vis)`` (:func:`corpus.mocap.project_camera`)."""
    return project_camera(trial["points"], True, distance_mm, lens_mm, CAMERA_FOCAL_PX,
                          hamner.WIDTH, hamner.HEIGHT, trial["x0"], CAMERA_AIM_MM)  # fmt: skip


def trial_cadence(contacts: dict) -> float:
    """Steps per minute of a trial from its contacts in seconds (every leg's onsets)."""
    on = sorted(a for spans in contacts.values() for a, _ in spans if a is not None)
    return 60.0 * (len(on) - 1) / (on[-1] - on[0])


def played_at(trial: dict, spm: float) -> tuple[np.ndarray, float, dict]:
    """A Hamner trial (:func:`corpus.items.hamner_trial`) played at ``spm`` steps a minute, the
    same gait in more or less time: ``(times, rate, contacts)``, every time scaled alike."""
    k = trial_cadence(trial["contacts"]) / spm
    contacts = {leg: [(_scaled(a, k), _scaled(b, k)) for a, b in spans]
                for leg, spans in trial["contacts"].items()}  # fmt: skip
    return trial["t"] * k, trial["rate"] / k, contacts


def _scaled(t: float | None, k: float) -> float | None:
    return None if t is None else t * k


def stress_items(data: Path) -> list:
    """Every item of the stress set, in build order (:class:`corpus.items.Item`)."""
    video = data / f"{CLIP}.mp4"
    deps = [video, data / f"{CLIP}.contacts.json"]
    have_clip = all(p.exists() for p in deps)
    items = []

    def changed(what: str, change: Callable[[np.ndarray], np.ndarray], **extra) -> Callable:
        def build(tmp: Path) -> dict:
            n = write_video(tmp, (change(f) for f in read_frames(video)), 30.0)
            return clip_variant(clip_truth(data), f"The clip {what}", n_frames=n, **extra)

        return build

    def retimed(fps: float) -> Callable:
        def build(tmp: Path) -> dict:
            frames = list(read_frames(video))
            k = np.arange(int(len(frames) * fps / 30.0))
            source = np.minimum(np.round(k * 30.0 / fps).astype(int), len(frames) - 1)
            n = write_video(tmp, (frames[i] for i in source), fps)
            doc = clip_truth(data)
            return clip_variant(doc, f"The clip at {fps:g} fps (nearest frames)", n_frames=n,
                                fps=fps, events=retime_events(doc["events"], source))  # fmt: skip

        return build

    def stored_sideways(tmp: Path) -> dict:
        n = write_video(tmp, read_frames(video), 30.0, rotation=270)
        what = "The clip stored sideways with the flag that turns it upright, as a phone writes it"
        return clip_variant(clip_truth(data), what, n_frames=n)

    def turned(tmp: Path) -> dict:
        n = write_video(tmp, (np.ascontiguousarray(np.rot90(f)) for f in read_frames(video)), 30.0)
        what = "The clip turned a quarter with no flag to turn it back (a camera on its side)"
        expect = {"capture_ok": False, "problem": "picture_turned"}
        return clip_variant(clip_truth(data), what, n_frames=n, expect=expect)

    def smeared(tmp: Path) -> dict:
        # each frame the mean of the last SMEAR: the feet drawn two and three times over
        frames = [f.astype(np.float32) for f in read_frames(video)]
        mean = (
            sum(frames[max(0, i - k)] for k in range(SMEAR)) / SMEAR for i in range(len(frames))
        )
        n = write_video(tmp, (m.astype(np.uint8) for m in mean), 30.0)
        what = (f"The clip with each frame the mean of the last {SMEAR} (an exposure three frames"
                " long: the feet smeared and doubled)")  # fmt: skip
        expect = {"capture_ok": False, "problem": "steps_missed"}
        return clip_variant(clip_truth(data), what, n_frames=n, expect=expect)

    def compressed(tmp: Path) -> dict:
        n = write_video(tmp, read_frames(video), 30.0, crf=COMPRESSED_CRF)
        what = f"The clip re-encoded at x264 CRF {COMPRESSED_CRF} (~260 kbit/s: shared by an app)"
        return clip_variant(clip_truth(data), what, n_frames=n)

    def phone(tmp: Path) -> dict:
        frames = list(read_frames(video))
        kept, times = phone_clock(len(frames), 30.0, seed=1)
        n = write_video(tmp, (frames[i] for i in kept), 30.0, times)
        doc = clip_truth(data)
        what = f"The clip filmed by a phone at a variable rate ({len(frames) - n} frames dropped)"
        return clip_variant(doc, what, n_frames=n, events=retime_events(doc["events"], kept))

    cut_out: dict[str, list] = {}  # the clip's frames and runner masks, made once

    def clip_and_masks() -> tuple[list, list]:
        if not cut_out:
            cut_out["frames"] = list(read_frames(video))
            cut_out["masks"] = runner_masks(cut_out["frames"], 30.0)
        return cut_out["frames"], cut_out["masks"]

    def shaking(name: str) -> Callable:
        def build(tmp: Path) -> dict:
            frames = list(read_frames(video))
            doc = clip_truth(data)
            shifts = clip_shake(doc, len(frames), name)
            n = write_video(tmp, shaken(frames, shifts), 30.0)
            peak = np.abs(shifts[:, 1]).max()
            what = (f"The clip from a camera jolted at every footfall (a {SHAKE_HZ:g} Hz swing,"
                    f" up to {peak:.0f} px)")  # fmt: skip
            return clip_variant(doc, what, n_frames=n)

        return build

    def twice_the_rate(tmp: Path) -> dict:
        frames = list(read_frames(video))
        n = write_video(tmp, in_between(frames), 60.0)
        doc = clip_truth(data)
        source = np.arange(n) / 2.0  # new frame j shows the original's time j / 2
        what = "The clip at 60 fps, a frame made between each pair from their optical flow"
        return clip_variant(doc, what, n_frames=n, fps=60.0,
                            events=retime_events(doc["events"], source))  # fmt: skip

    def passed(name: str) -> Callable:
        def build(tmp: Path) -> dict:
            scale, dy, first, across, start = PASSING[name]
            made = list(passing(*clip_and_masks(), scale, dy, first, across, start))
            n = write_video(tmp, (f for f, _ in made), 30.0)
            doc = clip_truth(data)
            events = unhidden_events(doc["events"], [hid for _, hid in made])
            what = (f"The clip with someone passing in front ({scale:g} the size, across the"
                    f" picture in {across / 30.0:g} s; {len(doc['events']) - len(events)} events"
                    " they hide left out)")  # fmt: skip
            return clip_variant(doc, what, n_frames=n, events=events,
                                expect={"others_in_view": True})  # fmt: skip

        return build

    def crowded(name: str) -> Callable:
        def build(tmp: Path) -> dict:
            dx, dy, scale, rate, start = BEHIND[name]
            frames = behind(*clip_and_masks(), dx, dy, scale, rate, start)
            n = write_video(tmp, frames, 30.0)
            what = (f"The clip with a runner on the next treadmill behind ({scale:g} the size,"
                    f" {dx:+g} px along the belt, {-dy:+g} px up, {rate:g}x the rate)")  # fmt: skip
            return clip_variant(clip_truth(data), what, n_frames=n, expect={"others_in_view": True})

        return build

    if have_clip:
        for name, what, change in (
            (f"roll+{CLIP_ROLL_DEG:g}", f"rolled {CLIP_ROLL_DEG:g} deg", roll(CLIP_ROLL_DEG)),
            (f"roll-{CLIP_ROLL_DEG:g}", f"rolled -{CLIP_ROLL_DEG:g} deg", roll(-CLIP_ROLL_DEG)),
            ("landscape", "in a 16:9 landscape frame at 720p", landscape),
            ("zoom", "zoomed in on the runner", zoom),
            ("dim", "in a dim room", dim),
            ("defocus", "out of focus", defocus),
            ("half_res", "at half resolution", half),
            ("wide", "through a wide lens (barrel distortion)", barrel(BARREL_K)),
        ):
            # The clip as filmed is 1.6 deg off level (its room's uprights, device.level):
            # rolled 5 deg either way it is 3.4 and 6.6 deg off, past capture.LEVEL_DEG.
            extra = {"expect": NOT_LEVEL} if name.startswith("roll") else {}
            items.append(Item(f"stress_clip_{name}", ".mp4", deps, changed(what, change, **extra)))
        for factor in DISTANT:
            name = f"distant_{factor:g}x".replace(".", "_")
            what = f"{factor:g} times smaller in the picture (the camera further back)"
            items.append(Item(f"stress_clip_{name}", ".mp4", deps, changed(what, distant(factor))))
        for name, (top, rows) in RAILS.items():
            what = f"behind a treadmill handrail {rows} px thick across the hips"
            items.append(Item(f"stress_clip_{name}", ".mp4", deps, changed(what, rail(top, rows))))
        for fps in CLIP_RATES:
            items.append(Item(f"stress_clip_{fps:g}fps", ".mp4", deps, retimed(fps)))
        items.append(Item("stress_clip_vfr", ".mp4", deps, phone))
        items.append(Item("stress_clip_smeared", ".mp4", deps, smeared))
        items.append(Item("stress_clip_compressed", ".mp4", deps, compressed))
        items.append(Item("stress_clip_sideways", ".mp4", deps, stored_sideways))
        items.append(Item("stress_clip_turned", ".mp4", deps, turned))
        for name in BEHIND:
            items.append(Item(f"stress_clip_{name}", ".mp4", deps, crowded(name)))
        for name in PASSING:
            items.append(Item(f"stress_clip_{name}", ".mp4", deps, passed(name)))
        items.append(Item("stress_clip_60fps", ".mp4", deps, twice_the_rate))
        for name in SHAKES:
            items.append(Item(f"stress_clip_{name}", ".mp4", deps, shaking(name)))
    rtm = data / f"{CLIP}.rtmpose26.json"
    if have_clip and rtm.exists():
        for kind, (change, reason) in FORM_FAULTS.items():
            items.append(Item(f"stress_clip_rtmpose_{kind}", ".trace.jsonl", [rtm, *deps],
                              clip_fault(rtm, data, kind, change, reason)))  # fmt: skip

    def trial(s: int, r: int, kind: str) -> Callable:
        def build(tmp: Path) -> dict:
            t = hamner_trial(data, s, r)
            px = SMALL_PX_PER_MM if kind == "small" else hamner.PX_PER_MM
            xy, vis = project_side(t["points"], True, px, hamner.WIDTH, hamner.HEIGHT, t["x0"])
            expect = {}
            if kind in CAMERA_LENS_MM:
                lens, problem = CAMERA_LENS_MM[kind]
                xy, vis = seen_by_camera(t, CAMERA_MM, lens)
                if problem:
                    expect = {"capture_ok": False, "problem": problem}
            elif kind.startswith("roll"):
                xy = rolled(xy, float(kind[4:]), hamner.WIDTH, hamner.HEIGHT)
            elif kind == "wide":
                xy = barrelled(xy, BARREL_K, hamner.WIDTH, hamner.HEIGHT)
            times, contacts, rate = t["t"], t["contacts"], t["rate"]
            if kind.startswith("spm"):
                times, rate, contacts = played_at(t, float(kind[3:]))
            what = f"subject{s:02d} Run_{r} from the runner's right, {kind}"
            trace = Trace(rate, hamner.WIDTH, hamner.HEIGHT, f"hamner2013: {what}", times, xy,
                          vis)  # fmt: skip
            if kind.endswith("hz"):
                trace = resample(trace, float(kind[:-2]))
            elif kind.startswith("spm"):
                trace = resample(trace, 30.0)
            elif kind == "vfr":
                trace = phone_trace(trace, seed=100 * s + r)
            elif kind in FORM_FAULTS:
                change, reason = FORM_FAULTS[kind]
                trace, expect = change(trace, "right"), {"reason": reason}
            write_trace(tmp, trace)
            extra = {"expect": expect} if expect else {}
            return mocap_item_truth(trace, contacts, times, t["pelvis"], "right", "right",
                                    f"{what}. {hamner.SOURCE}", **extra)  # fmt: skip

        return build

    kinds = [f"{fps:g}hz" for fps in MOCAP_RATES]
    kinds += ["small", f"roll+{MOCAP_ROLL_DEG:g}", f"roll-{MOCAP_ROLL_DEG:g}", "wide", "vfr"]
    kinds += list(CAMERA_LENS_MM) + list(FORM_FAULTS)
    trials = hamner_trials(data)
    for s, r in trials:
        # Each runner's slowest run slowed to 140 steps/min and fastest sped up to 220 (Hamner's
        # runs go up in speed): a slow run's long stances played at 220 would leave no flight
        # phase, a gait no runner has at that cadence.
        runs = [run for subject, run in trials if subject == s]
        retimed = []
        if r == min(runs):
            retimed.append(f"spm{RETIMED_SPM[0]:g}")
        if r == max(runs):
            retimed.append(f"spm{RETIMED_SPM[1]:g}")
        paths = list(hamner.trial_paths(data, s, r))
        for kind in kinds + retimed:
            items.append(Item(f"stress_hamner_s{s:02d}_run{r}_{kind}", ".trace.jsonl", paths,
                              trial(s, r, kind)))  # fmt: skip
    # Another lab's runner (a forefoot striker, marker truth): the rates and the phone's clock.
    for i, (subject, speed, path) in enumerate(fukuchi_runs(data)):
        stem = f"stress_fukuchi_{subject}" + ("" if speed == "25" else f"_T{speed}")
        changes = {f"{fps:g}hz": functools.partial(resample, fps=fps) for fps in FUKUCHI_RATES}
        changes["vfr"] = functools.partial(phone_trace, seed=1000 + i)
        for kind, change in changes.items():
            items.append(Item(f"{stem}_{kind}", ".trace.jsonl", [path],
                              fukuchi_build(path, change)))  # fmt: skip
        change, reason = FORM_FAULTS["sit_back"]  # no shoulder markers: no trunk to bend
        items.append(Item(f"{stem}_sit_back", ".trace.jsonl", [path],
                          fukuchi_build(path, functools.partial(change, facing="right"),
                                        expect={"reason": reason})))  # fmt: skip
    return items


def clip_fault(rtm: Path, data: Path, kind: str, change: Callable, reason: str) -> Callable:
    """The build of the clip's RTMPose keypoints with a form fault (:data:`FORM_FAULTS`)."""

    def build(tmp: Path) -> dict:
        doc = clip_truth(data)
        write_trace(tmp, change(rtmpose_trace(rtm), doc["facing"]))
        what = f"RTMPose-Halpe26 keypoints of the clip, {kind.replace('_', ' ')}"
        return clip_variant(doc, what, n_frames=360, expect={"reason": reason})

    return build
