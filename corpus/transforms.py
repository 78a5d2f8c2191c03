"""Trace transforms: another frame rate or other frame times, the other camera side, an
excerpt, a runner speeding up or slowing down, and a runner's form changed.

Each takes a :class:`core.trace.Trace` and returns a new one; the input is never changed.
The form changes (:func:`sit_back`, :func:`bend_at_hips`) move the landmarks of the hips and
everything above them and leave the legs below the hips as recorded, so a good runner's real
motion gets a known fault and the same steps: what the judge must then name. :func:`foot_ahead`
moves one leg's foot instead (a runner sitting back on that leg only).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from core import landmarks
from core.trace import Trace

#: The landmarks that move with the hips: all but the knees, ankles, heels and toes.
UPPER_BODY = np.array([i for i, name in enumerate(landmarks.NAMES)
                       if not name.endswith(("knee", "ankle", "heel", "foot_index"))])  # fmt: skip


def resample_times(duration_s: float, fps: float) -> np.ndarray:
    """Frame times ``k / fps`` covering ``[0, duration_s]`` (the last one at or before its end)."""
    return np.arange(int(np.floor(duration_s * fps + 1e-6)) + 1) / fps


def interpolate(t_new: np.ndarray, t: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` (N, ...) sampled at ``t`` (N,) linearly interpolated at ``t_new`` (M,).

    NaN stays NaN: a new sample next to a missing one is missing (no bridging of gaps).
    """
    flat = values.reshape(len(t), -1)
    out = np.empty((len(t_new), flat.shape[1]))
    k = np.clip(np.searchsorted(t, t_new, side="right") - 1, 0, len(t) - 2)
    w = ((t_new - t[k]) / (t[k + 1] - t[k]))[:, None]
    out[:] = flat[k] * (1 - w) + flat[k + 1] * w
    # A sample exactly on an original frame takes it as it is, even next to a missing one.
    exact = np.isclose(w[:, 0], 0.0)
    out[exact] = flat[k[exact]]
    return out.reshape(len(t_new), *values.shape[1:])


def resample(trace: Trace, fps: float) -> Trace:
    """The trace at another frame rate, times ``k / fps`` from its start (linear in time).

    A landmark missing at either neighbouring original frame is missing (NaN, visibility 0).
    """
    t_new = resample_times(float(trace.t[-1] - trace.t[0]), fps)
    return sample_at(trace, t_new, fps, f"{trace.source} resampled to {fps:g} fps")


def sample_at(trace: Trace, t_new: np.ndarray, fps: float, source: str) -> Trace:
    """The trace sampled at ``t_new`` (seconds from its start, increasing; linear in time),
    with nominal rate ``fps``: :func:`resample` at any times, such as a phone's uneven ones.
    The camera's roll measured on the frames (``Trace.roll``) is not carried over: frames made
    between two have no picture of their own."""
    t = trace.t - float(trace.t[0])
    xy = interpolate(t_new, t, trace.xy)
    vis = interpolate(t_new, t, trace.vis)
    missing = ~np.all(np.isfinite(xy), axis=2)
    xy[missing] = np.nan
    vis[missing] = 0.0
    return Trace(float(fps), trace.width, trace.height, source, np.asarray(t_new, float), xy,
                 np.clip(vis, 0, 1))  # fmt: skip


def mirror(trace: Trace) -> Trace:
    """The trace flipped left-right (the view from the runner's other side, facing reversed).

    Landmark labels stay anatomical: a mirrored right-side view is a left-side view only up to
    which leg is nearer the camera, which a caller states in the truth.
    """
    xy = trace.xy.copy()
    xy[..., 0] = trace.width - xy[..., 0]
    roll = None if trace.roll is None else -trace.roll  # a picture turned the other way
    return Trace(trace.fps, trace.width, trace.height, f"{trace.source} mirrored",
                 trace.t.copy(), xy, trace.vis.copy(), roll=roll)  # fmt: skip


def excerpt(trace: Trace, first: int, end: int | None = None) -> Trace:
    """Frames ``first:end`` of a trace as a recording begun there (its clock restarts at 0)."""
    t = trace.t[first:end] - trace.t[first]
    roll = None if trace.roll is None else trace.roll[first:end]
    return dataclasses.replace(trace, t=t, xy=trace.xy[first:end], vis=trace.vis[first:end],
                               roll=roll)  # fmt: skip


def excerpt_truth(truth: dict, first: int, end: int | None = None) -> dict:
    """The truth of :func:`excerpt`: the events in frames ``first:end``, counted from ``first``
    (without their exact ``t``, which counts from the old start)."""
    events = [{k: v for k, v in e.items() if k != "t"} | {"frame": e["frame"] - first}
              for e in truth["events"]
              if e["frame"] >= first and (end is None or e["frame"] < end)]  # fmt: skip
    doc = {**truth, "events": events}
    if "n_frames" in truth:
        n = truth["n_frames"] if end is None else min(end, truth["n_frames"])
        doc["n_frames"] = n - first
    return doc


def paced(t: np.ndarray, duration_s: float, ratio: float) -> np.ndarray:
    """Times ``t`` (seconds from the start) of a motion whose pace grows steadily from its own
    at the start to ``ratio`` times it at ``duration_s``: each moment comes when the motion,
    played ever faster (slower), reaches it."""
    t = np.asarray(t, float)
    if ratio == 1.0:
        return t.copy()
    k = (ratio - 1.0) / duration_s
    return np.log1p(k * t) / k


def ramp(trace: Trace, ratio: float) -> Trace:
    """The runner speeding up (``ratio`` > 1) or slowing down steadily over the recording, the
    step rate and the belt's speed in the picture alike (a treadmill's speed changed while
    filming): the recorded frames at their :func:`paced` times, unevenly timed as a phone
    times a variable frame rate."""
    t = trace.t - float(trace.t[0])
    return dataclasses.replace(trace, t=paced(t, float(t[-1]), ratio),
                               source=f"{trace.source} paced to x{ratio:g}")  # fmt: skip


def ramp_truth(truth: dict, duration_s: float, ratio: float) -> dict:
    """The truth of :func:`ramp` on a trace lasting ``duration_s``: the same frames, each
    event's exact ``t`` (when it has one) at its new time."""
    events = [e | {"t": float(paced(e["t"], duration_s, ratio))} if "t" in e else e
              for e in truth["events"]]  # fmt: skip
    return {**truth, "events": events}


def leg_length_px(trace: Trace) -> float:
    """The runner's leg (hip-knee + knee-ankle, both sides' median) in pixels."""
    xy, i = trace.xy, landmarks.INDEX
    legs = [
        np.linalg.norm(xy[:, i[f"{side}_hip"]] - xy[:, i[f"{side}_knee"]], axis=1)
        + np.linalg.norm(xy[:, i[f"{side}_knee"]] - xy[:, i[f"{side}_ankle"]], axis=1)
        for side in landmarks.LEGS
    ]
    return float(np.nanmedian(np.concatenate(legs)))


def sit_back(trace: Trace, facing: str, legs: float) -> Trace:
    """The runner "sitting back": the hips and everything above them ``legs`` leg lengths
    further back (away from ``facing``) in every frame, the legs below the hips as they were."""
    xy = trace.xy.copy()
    xy[:, UPPER_BODY, 0] -= _sign(facing) * legs * leg_length_px(trace)
    return _changed(trace, xy, f"sitting back {legs:g} L")


def foot_ahead(trace: Trace, facing: str, side: str, legs: float) -> Trace:
    """One leg landing further ahead: the ``side`` ("left" or "right") ankle, heel and toes
    ``legs`` leg lengths further forward (toward ``facing``) in every frame, so that leg's hip
    sits behind its ankle at midstance by as much more; the rest as it was."""
    xy = trace.xy.copy()
    i = landmarks.INDEX
    feet = [i[f"{side}_{part}"] for part in ("ankle", "heel", "foot_index")]
    xy[:, feet, 0] += _sign(facing) * legs * leg_length_px(trace)
    return _changed(trace, xy, f"{side} foot {legs:g} L ahead")


def bend_at_hips(trace: Trace, facing: str, degrees: float) -> Trace:
    """The runner bent forward at the hips: everything above the hips turned ``degrees``
    toward ``facing`` about the hips' midpoint in every frame (the hips and legs as they were)."""
    xy = trace.xy.copy()
    i = landmarks.INDEX
    hips = (xy[:, i["left_hip"]] + xy[:, i["right_hip"]]) / 2  # (N, 2)
    a = np.radians(degrees) * _sign(facing)
    c, s = np.cos(a), np.sin(a)
    above = [k for k in UPPER_BODY if not landmarks.NAMES[k].endswith("hip")]
    d = xy[:, above] - hips[:, None]
    # y is down: turning "up" (0, -1) toward +x by a is the rotation (x, y) -> (cx - sy, sx + cy)
    xy[:, above] = hips[:, None] + np.stack(
        [c * d[..., 0] - s * d[..., 1], s * d[..., 0] + c * d[..., 1]], axis=-1
    )
    return _changed(trace, xy, f"bent {degrees:g} deg forward at the hips")


def _sign(facing: str) -> int:
    if facing not in ("left", "right"):
        raise ValueError(f"facing must be left or right: {facing!r}")
    return 1 if facing == "right" else -1


def _changed(trace: Trace, xy: np.ndarray, what: str) -> Trace:
    return Trace(trace.fps, trace.width, trace.height, f"{trace.source}, {what}",
                 trace.t.copy(), xy, trace.vis.copy())  # fmt: skip


#: The form faults, by name: (change of a trace, ``(trace, facing, size)``, the reason a
#: verdict gives for it).
FAULTS = {"sit_back": (sit_back, "hip_behind"), "bent": (bend_at_hips, "hip_bend")}
