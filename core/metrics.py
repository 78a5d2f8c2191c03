"""Per-step running-form metrics (ARCHITECTURE section 3), one step's points at a time.

Points are ``(x, y)`` tuples of floats in image pixels, y down (NaN where not seen); ``s`` is
the facing sign (+1 runner faces +x, -1 faces -x); ``leg`` is the leg length ``L`` in pixels.
Angles are in degrees, positive = forward; lengths are in leg lengths. NaN in, NaN out.

Plain floats and :mod:`math`: the live path judges one step at a time from a handful of
points, where numpy's per-call cost would be an order of magnitude more than the arithmetic.
"""

from __future__ import annotations

import math

Point = tuple[float, float]


def angle_from_vertical(lower: Point, upper: Point, s: int) -> float:
    """Angle of the line ``lower -> upper`` from vertical, degrees, positive = leaning forward."""
    return math.degrees(math.atan2(s * (upper[0] - lower[0]), lower[1] - upper[1]))


def hip_ankle_offset(hip: Point, ankle: Point, s: int, leg: float) -> float:
    """``s * (hip_x - ankle_x) / L`` at midstance: negative = hip behind the ankle."""
    return s * (hip[0] - ankle[0]) / leg


def lean_deg(ankle: Point, shoulders: Point, s: int) -> float:
    """Whole-body lean: the stance ankle -> shoulder midpoint line from vertical, degrees."""
    return angle_from_vertical(ankle, shoulders, s)


def trunk_deg(hip: Point, shoulders: Point, s: int) -> float:
    """Trunk lean: hip -> shoulder midpoint from vertical, degrees."""
    return angle_from_vertical(hip, shoulders, s)


def hip_bend_deg(ankle: Point, hip: Point, shoulders: Point, s: int) -> float:
    """Bend at the hips: trunk angle minus the ankle -> hip angle, degrees (0 = one line)."""
    return trunk_deg(hip, shoulders, s) - angle_from_vertical(ankle, hip, s)


def overstride(hip: Point, ankle: Point, s: int, leg: float) -> float:
    """``s * (ankle_x - hip_x) / L`` at initial contact: how far ahead of the hip the foot lands."""
    return s * (ankle[0] - hip[0]) / leg


def knee_flexion_deg(hip: Point, knee: Point, ankle: Point) -> float:
    """``180 - angle(hip, knee, ankle)``, degrees: 0 = straight knee.

    The angle between the thigh and shank vectors as ``atan2(|cross|, dot)``: as exact near
    0 and 180 deg as anywhere, where ``arccos`` of the cosine loses digits and needs a clip.
    """
    (hx, hy), (kx, ky), (ax, ay) = hip, knee, ankle
    ux, uy, vx, vy = hx - kx, hy - ky, ax - kx, ay - ky
    return 180.0 - math.degrees(math.atan2(abs(ux * vy - uy * vx), ux * vx + uy * vy))


def leg_length(hip: Point, knee: Point, ankle: Point) -> float:
    """``|hip - knee| + |knee - ankle|``, pixels (the unit ``L`` of the other metrics)."""
    (hx, hy), (kx, ky), (ax, ay) = hip, knee, ankle
    return math.hypot(hx - kx, hy - ky) + math.hypot(kx - ax, ky - ay)


def bounce(hip_y_low: float, hip_y_high: float, leg: float) -> float:
    """Vertical travel of the hip over one step (largest minus smallest y) per leg length."""
    return (hip_y_low - hip_y_high) / leg
