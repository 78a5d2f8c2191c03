"""Motion-capture markers: reading them, rebuilding hidden joint centres, and a side view.

Everything here takes and returns plain arrays: times ``(N,)`` in seconds and marker
trajectories ``(N, 3)`` in millimetres (NaN where the marker was not seen).

- ``read_trc``: an OpenSim TRC file (Hamner & Delp 2013).
- ``read_fukuchi``: a Fukuchi 2017 tab-separated marker file.
- ``rigid_fit`` / ``carry``: a joint centre measured in the standing trial, carried through a
  running trial by the rigid motion of a marker cluster (Kabsch / SVD least squares).
- ``project_side``: a side view in pixels, y down, seen from either side of the runner.
- ``project_camera``: the same seen by a pinhole camera at a given distance and lens height
  (perspective: the far side smaller, and seen from above or below unless at hip height).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core import landmarks


def _floats(cells: list[str]) -> list[float]:
    # Missing samples are empty cells (TRC) or "NaN" (Fukuchi).
    return [float(c) if c.strip() not in ("", "NaN", "nan") else np.nan for c in cells]


def read_trc(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray], float]:
    """An OpenSim TRC file: ``(time_s, {marker: (N, 3) mm}, data_rate_hz)``.

    Row 3 holds the rate, row 4 the marker names (each spanning three columns), row 5 the
    X/Y/Z labels; data follow. Empty cells are missing samples (NaN).
    """
    lines = Path(path).read_text().splitlines()
    rate = float(lines[2].split("\t")[0])
    names = [c.strip() for c in lines[3].split("\t")]
    rows = [ln.split("\t") for ln in lines[5:] if ln.strip()]
    width = max(len(names), max(len(r) for r in rows))
    data = np.array([_floats(r + [""] * (width - len(r)))[:width] for r in rows])
    markers = {}
    for j, name in enumerate(names):
        if j >= 2 and name:
            markers[name] = data[:, j : j + 3]
    return data[:, 1], markers, rate


def read_fukuchi(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A Fukuchi 2017 marker file: ``(time_s, {marker: (N, 3) mm})``."""
    lines = Path(path).read_text().splitlines()
    cols = lines[0].split("\t")
    data = np.array([_floats(ln.split("\t")) for ln in lines[1:] if ln.strip()])
    markers = {}
    for j, c in enumerate(cols):
        if c.endswith("X") and j + 2 < len(cols) and cols[j + 2] == c[:-1] + "Z":
            markers[c[:-1]] = data[:, j : j + 3]
    return data[:, 0], markers


def rigid_fit(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotation ``R`` (3, 3) and shift ``d`` (3,) with ``dst ~= src @ R.T + d`` (Kabsch).

    ``src`` and ``dst`` are (K, 3) corresponding points, K >= 3 and not collinear.
    """
    cs, cd = src.mean(axis=0), dst.mean(axis=0)
    u, _, vt = np.linalg.svd((src - cs).T @ (dst - cd))
    # Guard against a reflection when the points are nearly planar.
    sign = np.sign(np.linalg.det(vt.T @ u.T)) or 1.0
    r = vt.T @ np.diag([1.0, 1.0, sign]) @ u.T
    return r, cd - r @ cs


def carry(static_cluster: np.ndarray, static_point: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    """A point fixed to a marker cluster, followed through a trial.

    ``static_cluster`` (K, 3): the cluster's markers in the standing trial (mean pose);
    ``static_point`` (3,): the point in that same trial; ``cluster`` (N, K, 3): the markers
    in the trial. Returns (N, 3), NaN for frames with fewer than three cluster markers.
    """
    out = np.full((cluster.shape[0], 3), np.nan)
    for i, frame in enumerate(cluster):
        ok = np.all(np.isfinite(frame), axis=1) & np.all(np.isfinite(static_cluster), axis=1)
        if ok.sum() < 3:
            continue
        r, d = rigid_fit(static_cluster[ok], frame[ok])
        out[i] = r @ static_point + d
    return out


def project_side(
    points: dict[str, np.ndarray],
    from_right: bool,
    px_per_mm: float,
    width: int,
    height: int,
    x0: float,
    forward: int = 0,
    up: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Landmark trajectories (mm) as a side view: ``(xy (N, 33, 2) px, vis (N, 33))``.

    ``points`` maps BlazePose landmark names to (N, 3) trajectories. The camera looks along the
    mediolateral axis; seen from the runner's right the runner faces image-right (forward =
    +x), seen from the left the image is mirrored and the runner faces image-left. ``x0`` (mm
    along ``forward``) lands on the image's centre column; the ground (0 mm) sits 40 px above
    the bottom edge. Present landmarks get visibility 1, missing ones NaN and 0.
    """
    sign = 1.0 if from_right else -1.0
    return _drawn(points, lambda p: (width / 2 + sign * (p[:, forward] - x0) * px_per_mm,
                                     height - 40 - p[:, up] * px_per_mm))  # fmt: skip


def _drawn(points: dict[str, np.ndarray], place) -> tuple[np.ndarray, np.ndarray]:
    """``(xy (N, 33, 2), vis (N, 33))`` of the named trajectories, each placed in the picture
    by ``place((N, 3) mm) -> (x, y)`` pixels; landmarks not given or not seen are NaN, vis 0."""
    n = len(next(iter(points.values())))
    xy = np.full((n, landmarks.COUNT, 2), np.nan)
    vis = np.zeros((n, landmarks.COUNT))
    for name, p in points.items():
        i = landmarks.INDEX[name]
        xy[:, i, 0], xy[:, i, 1] = place(p)
        ok = np.all(np.isfinite(xy[:, i]), axis=1)
        xy[~ok, i] = np.nan
        vis[ok, i] = 1.0
    return xy, vis


def project_camera(
    points: dict[str, np.ndarray],
    from_right: bool,
    distance_mm: float,
    lens_mm: float,
    focal_px: float,
    width: int,
    height: int,
    x0: float,
    aim_mm: float = 1000.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Landmark trajectories (mm; X forward, Y up from the belt, Z lateral) as a pinhole camera
    sees them: ``(xy (N, 33, 2) px, vis (N, 33))``, like :func:`project_side`.

    The lens stands ``distance_mm`` to the runner's side (from the mean lateral position of
    the points) at ``lens_mm`` above the belt, level with ``x0``, and is tilted to aim at the
    point ``aim_mm`` above the belt there, which lands on the image's centre. Seen from the
    runner's right the runner faces image-right; from the left image-left.
    """
    lateral = float(np.nanmean([p[:, 2] for p in points.values()]))
    side = 1.0 if from_right else -1.0
    lens = np.array([x0, lens_mm, lateral + side * distance_mm])
    ahead = np.array([x0, aim_mm, lateral]) - lens
    ahead /= np.linalg.norm(ahead)
    across = np.array([side, 0.0, 0.0])  # image x: the runner's forward, seen from this side
    down = np.cross(ahead, across)  # image y, pointing down
    if down[1] > 0:
        down = -down

    def place(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rel = p - lens
        depth = rel @ ahead
        x = width / 2 + focal_px * (rel @ across) / depth
        return x, height / 2 + focal_px * (rel @ down) / depth

    return _drawn(points, place)


def turn(points: dict[str, np.ndarray], yaw_deg: float, x0: float) -> dict[str, np.ndarray]:
    """The trajectories as a camera turned ``yaw_deg`` from side-on toward the runner's back
    would see them (X forward, Y up, Z lateral): the forward axis becomes
    ``cos(yaw) * forward + sin(yaw) * lateral`` about ``x0``, so the hips and shoulders spread
    across the image and the belt's travel shortens, as in a clip filmed obliquely."""
    a = np.radians(yaw_deg)
    lateral = np.nanmean([p[:, 2] for p in points.values()])
    out = {}
    for name, p in points.items():
        q = p.copy()
        q[:, 0] = x0 + np.cos(a) * (p[:, 0] - x0) + np.sin(a) * (p[:, 2] - lateral)
        out[name] = q
    return out
