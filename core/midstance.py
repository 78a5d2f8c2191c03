"""The runner's pose at midstance, normalised, and the typical one of a session.

A step keeps its midstance pose as ``{"xy": [[x, y] | None] x 33, "vis": [v] x 33}`` in
BlazePose order (:mod:`core.landmarks`): lengths in leg lengths, the stance ankle at the origin,
x positive in the running direction, y up. So poses of different runners, camera distances and
facings line up, and a median over the steps is the session's typical midstance. Keypoints
only: no image is ever kept.

Example::

    pose = normalise(xy33, vis33, ankle=(412.0, 610.5), s=-1, leg_px=230.0)
    figure = typical([pose, ...])          # {"xy", "vis"} per-landmark median
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from core import landmarks
from core.fields import finite

#: Decimals kept per coordinate: 0.001 leg lengths is about 1 mm, far below the model's error.
DIGITS = 3
#: A landmark below this visibility is stored as None (it would only mislead the drawing).
MIN_VIS = 0.3


def normalise(
    xy: Sequence[Sequence[float]],
    vis: Sequence[float],
    ankle: Sequence[float],
    s: int,
    leg_px: float,
) -> dict[str, list] | None:
    """The pose ``xy`` (33 image points, pixels, y down) relative to the stance ``ankle``.

    ``s`` is the facing sign (+1: the runner faces +x in the image), ``leg_px`` the leg length in
    pixels. Returns None when the ankle or the leg length is unknown.
    """
    ax, ay = float(ankle[0]), float(ankle[1])
    if not (math.isfinite(ax + ay) and s and leg_px and math.isfinite(leg_px) and leg_px > 0):
        return None
    # Plain floats, rounded by scaling (``round(x, n)`` is exact but costs ~20x more), in list
    # comprehensions: this runs for every step, inside the core's per-frame budget.
    k = 10.0**DIGITS
    scale = k / leg_px
    floor = math.floor
    # NaN and out-of-range visibilities: clipped to 0..1, NaN as 0.
    vis = [v if 0.0 <= v <= 1.0 else 1.0 if v > 1.0 else 0.0 for v in vis]
    points = [
        None  # x - x is 0.0 unless x is NaN or infinite
        if v < MIN_VIS or x - x or y - y
        else [floor(s * (x - ax) * scale + 0.5) / k, floor((ay - y) * scale + 0.5) / k]
        for (x, y), v in zip(xy, vis, strict=True)
    ]
    return {"xy": points, "vis": [floor(v * 100.0 + 0.5) / 100.0 for v in vis]}


def is_pose(value: Any) -> bool:
    """True for a well-formed pose dict (33 points of None or two finite numbers, 33 vis)."""
    if not isinstance(value, Mapping):
        return False
    xy, vis = value.get("xy"), value.get("vis")
    if not (isinstance(xy, list) and isinstance(vis, list)):
        return False
    if len(xy) != landmarks.COUNT or len(vis) != landmarks.COUNT:
        return False
    return all(
        p is None or (isinstance(p, list) and len(p) == 2 and all(finite(c) is not None for c in p))
        for p in xy
    ) and all(finite(v) is not None for v in vis)


def typical(poses: Iterable[Mapping[str, list]]) -> dict[str, list]:
    """Per-landmark median of ``poses`` (x and y separately, over the poses where it was seen).

    A landmark seen in fewer than half of the poses is None: a median of a few stray points
    would draw a limb the runner did not show. ``vis`` is the median visibility.
    """
    poses = list(poses)
    xy: list[list[float] | None] = []
    vis: list[float] = []
    for i in range(landmarks.COUNT):
        seen = [p["xy"][i] for p in poses if p["xy"][i] is not None]
        if poses and len(seen) * 2 >= len(poses):
            xy.append([round(_median([q[0] for q in seen]), DIGITS) + 0.0,
                       round(_median([q[1] for q in seen]), DIGITS) + 0.0])  # fmt: skip
        else:
            xy.append(None)
        vis.append(round(_median([p["vis"][i] for p in poses]), 2) if poses else 0.0)
    return {"xy": xy, "vis": vis}


def _median(values: list[float]) -> float:
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def empty() -> dict[str, list]:
    """The pose of nothing seen: 33 None points, zero visibility."""
    return {"xy": [None] * landmarks.COUNT, "vis": [0.0] * landmarks.COUNT}
