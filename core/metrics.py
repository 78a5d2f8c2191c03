"""Per-step running-form metrics (ARCHITECTURE section 3), as plain array functions.

Points are arrays of shape ``(..., 2)`` in image pixels, y down; ``s`` is the facing sign
(+1 runner faces +x, -1 faces -x); ``leg`` is the leg length ``L`` in pixels. Angles are in
degrees, positive = forward; lengths are in leg lengths. NaN in, NaN out.

One point may also be an ``(x, y)`` tuple of floats: the live path judges one step at a time,
and there plain floats and :mod:`math` are an order of magnitude cheaper than numpy scalars.
"""

from __future__ import annotations

import math

import numpy as np


def _xy(p) -> tuple[np.ndarray, np.ndarray]:
    if type(p) is tuple and len(p) == 2:
        return p
    p = np.asarray(p, dtype=float)
    return p[..., 0], p[..., 1]


def _atan2_deg(y, x):
    """``atan2(y, x)`` in degrees, elementwise (math for two floats, numpy otherwise)."""
    if type(y) is float and type(x) is float:
        return math.degrees(math.atan2(y, x))
    return np.degrees(np.arctan2(y, x))


def angle_from_vertical(lower, upper, s: float) -> np.ndarray:
    """Angle of the line ``lower -> upper`` from vertical, degrees, positive = leaning forward."""
    (x0, y0), (x1, y1) = _xy(lower), _xy(upper)
    return _atan2_deg(s * (x1 - x0), y0 - y1)


def hip_ankle_offset(hip, ankle, s: float, leg) -> np.ndarray:
    """``s * (hip_x - ankle_x) / L`` at midstance: negative = hip behind the ankle."""
    return s * (_xy(hip)[0] - _xy(ankle)[0]) / leg


def lean_deg(ankle, shoulders, s: float) -> np.ndarray:
    """Whole-body lean: the stance ankle -> shoulder midpoint line from vertical, degrees."""
    return angle_from_vertical(ankle, shoulders, s)


def trunk_deg(hip, shoulders, s: float) -> np.ndarray:
    """Trunk lean: hip -> shoulder midpoint from vertical, degrees."""
    return angle_from_vertical(hip, shoulders, s)


def hip_bend_deg(ankle, hip, shoulders, s: float) -> np.ndarray:
    """Bend at the hips: trunk angle minus the ankle -> hip angle, degrees (0 = one line)."""
    return trunk_deg(hip, shoulders, s) - angle_from_vertical(ankle, hip, s)


def overstride(hip, ankle, s: float, leg) -> np.ndarray:
    """``s * (ankle_x - hip_x) / L`` at initial contact: how far ahead of the hip the foot lands."""
    return s * (_xy(ankle)[0] - _xy(hip)[0]) / leg


def knee_flexion_deg(hip, knee, ankle) -> np.ndarray:
    """``180 - angle(hip, knee, ankle)``, degrees: 0 = straight knee.

    The angle between the thigh and shank vectors as ``atan2(|cross|, dot)``: as exact near
    0 and 180 deg as anywhere, where ``arccos`` of the cosine loses digits and needs a clip.
    """
    (hx, hy), (kx, ky), (ax, ay) = _xy(hip), _xy(knee), _xy(ankle)
    ux, uy, vx, vy = hx - kx, hy - ky, ax - kx, ay - ky
    return 180.0 - _atan2_deg(abs(ux * vy - uy * vx), ux * vx + uy * vy)


def leg_length(hip, knee, ankle) -> np.ndarray:
    """``|hip - knee| + |knee - ankle|``, pixels (the unit ``L`` of the other metrics)."""
    hip, knee, ankle = (np.asarray(p, dtype=float) for p in (hip, knee, ankle))
    return np.linalg.norm(hip - knee, axis=-1) + np.linalg.norm(knee - ankle, axis=-1)


def bounce(hip_y_low: float, hip_y_high: float, leg) -> float:
    """Vertical travel of the hip over one step (largest minus smallest y) per leg length."""
    return (hip_y_low - hip_y_high) / leg
