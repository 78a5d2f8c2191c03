"""Trace transforms: another frame rate or other frame times, the other camera side.

Both take a :class:`core.trace.Trace` and return a new one; the input is never changed.
"""

from __future__ import annotations

import numpy as np

from core.trace import Trace


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
    with nominal rate ``fps``: :func:`resample` at any times, such as a phone's uneven ones."""
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
    return Trace(trace.fps, trace.width, trace.height, f"{trace.source} mirrored",
                 trace.t.copy(), xy, trace.vis.copy())  # fmt: skip
