"""Hamner & Delp 2013 treadmill running: markers to a side-view trace, force plates to truth.

Data: ``hamner2013/subjectNN_Run_K.trc`` (markers, mm, 100 or 120 Hz), ``..._grf.mot``
(ground reaction forces of each foot, 960-2000 Hz) and ``subjectNN_static.trc`` (standing).

Axes (checked on every trial): X forward (the ASIS markers are 155-180 mm ahead of the PSIS in
X), Y up, Z to the runner's right (RASI has the larger Z). The TRC and GRF files share one time
base (both ``Time`` columns start at the same instant, e.g. 0.09 s for subject01 Run_2); a
trace's ``t`` starts at 0 at the TRC's first row, and the force times are shifted by the same.

Landmarks (BlazePose names) from the markers:

- shoulder = acromion marker (``ACR``) of that side;
- hip = the hip joint centre the standing trial carries (``RHJC``/``LHJC``, placed by the data's
  authors), followed through the run by the rigid motion of the four pelvis markers;
- knee = midpoint of the femoral epicondyle markers (``LFC``/``MFC``) of the standing trial,
  followed by the thigh cluster (``TH1-3``); ankle = midpoint of the malleoli (``LMAL``/``MMAL``)
  followed by the shank cluster (``TB1-3``). The running trials carry only the clusters;
- elbow = midpoint of the epicondyle markers (``LEL``/``MEL``); wrist = midpoint of the
  ``FAradius``/``FAulna`` markers at the wrist;
- heel = calcaneus (``CAL``), foot_index = toe (``TOE``); the face has no markers (null).

Truth: each foot's vertical force above 30 N is contact (gaps under 20 ms closed, runs under
50 ms dropped: treadmill vibration), kept only when that foot's markers are on the floor
(``foot_down``: a foot crossing onto the other belt loads the wrong plate); midstance =
lowest pelvis (mean height of the four ASIS/PSIS markers) inside the stance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from corpus.mocap import carry, project_side, read_trc

THRESHOLD_N = 30.0
MIN_GAP_S = 0.020
MIN_CONTACT_S = 0.050
PX_PER_MM = 0.55
WIDTH = HEIGHT = 1280
PELVIS = ("RASI", "LASI", "RPSI", "LPSI")
SOURCE = (
    "Hamner SR, Delp SL (2013) J Biomech 46(4):780-787, public on SimTK (nmbl_running); files "
    "as redistributed in aaronsfox/zmp-opensim datasets/HamnerDelp2013 at commit "
    "45c579cab52865425a875d7c151eeff4795bc174 (Fox A (2024) R Soc Open Sci 11:231909). "
    "Released publicly for research use; cite both papers. Test data only: not shipped."
)


def read_mot(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """An OpenSim .mot file: ``(time_s, {column: (N,)})``; the header ends at ``endheader``."""
    lines = Path(path).read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "endheader") + 1
    cols = lines[start].split()
    data = np.loadtxt(lines[start + 1 :], ndmin=2)
    return data[:, 0], {c: data[:, j] for j, c in enumerate(cols)}


def contacts_from_force(t: np.ndarray, fy: np.ndarray) -> list[tuple[float | None, float | None]]:
    """``(t_on, t_off)`` of each contact from a vertical force (N): first and last sample over
    the threshold. None where the contact runs past the start or end of the recording."""
    on = fy > THRESHOLD_N
    edges = np.flatnonzero(np.diff(on.astype(int)))
    starts = list(edges[on[edges + 1]] + 1)
    ends = list(edges[~on[edges + 1]])
    if on[0]:
        starts.insert(0, 0)
    if on[-1]:
        ends.append(len(on) - 1)
    runs = [[s, e] for s, e in zip(starts, ends, strict=True)]
    merged: list[list[int]] = []
    for s, e in runs:  # close short gaps (a dip of the force under the threshold mid-stance)
        if merged and t[s] - t[merged[-1][1]] < MIN_GAP_S:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    out = []
    for s, e in merged:
        if s > 0 and e < len(t) - 1 and t[e] - t[s] < MIN_CONTACT_S:
            continue  # a blip, not a foot
        out.append((None if s == 0 else float(t[s]), None if e == len(t) - 1 else float(t[e])))
    return out


def foot_down(t: np.ndarray, m: dict[str, np.ndarray], side: str, contact) -> bool:
    """True when the foot's markers are on the floor in the middle of a force contact.

    A foot that crosses onto the other foot's belt loads that plate while the other foot
    swings (subject03 Run_2 does it twice); the swinging foot is then >= 50 mm above its floor.
    Each marker's floor is its own 5th-percentile height; the foot is down when its lowest
    marker (over CAL, TOE, MT5) is within 30 mm of its floor.
    """
    t_on = t[0] if contact[0] is None else contact[0]
    t_off = t[-1] if contact[1] is None else contact[1]
    mid = (t_on + t_off) / 2
    heights = []
    for k in (f"{side}CAL", f"{side}TOE", f"{side}MT5"):
        if k in m:
            y = m[k][:, 1]
            heights.append(np.interp(mid, t, y) - np.nanpercentile(y, 5))
    return bool(min(heights) <= 30.0)


def joint_centres(trial: Path, static: Path) -> dict[str, np.ndarray]:
    """BlazePose landmark name -> (N, 3) mm trajectory of one running trial (see module doc)."""
    t, m, _ = read_trc(trial)
    _, s, _ = read_trc(static)
    mid = len(next(iter(s.values()))) // 2  # one standing frame: the subject sways a little

    def follow(cluster: list[str], point: np.ndarray) -> np.ndarray:
        # Any three of a cluster's markers carry the point (a marker missing from one
        # subject's files is left out; :func:`carry` skips the frames where fewer are seen).
        cluster = [k for k in cluster if k in m and k in s]
        if len(cluster) < 3:
            return np.full((len(t), 3), np.nan)
        ref = np.array([s[k][mid] for k in cluster])
        return carry(ref, point, np.stack([m[k] for k in cluster], axis=1))

    out = {}
    for side, p in (("right", "R"), ("left", "L")):
        if f"{p}ACR" in m:  # (without it the lean is not measured; the steps still are)
            out[f"{side}_shoulder"] = m[f"{p}ACR"]
        out[f"{side}_hip"] = follow(list(PELVIS), s[f"{p}HJC"][mid])
        knee = (s[f"{p}LFC"][mid] + s[f"{p}MFC"][mid]) / 2
        out[f"{side}_knee"] = follow([f"{p}TH1", f"{p}TH2", f"{p}TH3"], knee)
        ankle = (s[f"{p}LMAL"][mid] + s[f"{p}MMAL"][mid]) / 2
        out[f"{side}_ankle"] = follow([f"{p}TB1", f"{p}TB2", f"{p}TB3"], ankle)
        # The arms are not read by the analysis: a subject without their markers still runs.
        if all(k in m for k in (f"{p}LEL", f"{p}MEL")):
            out[f"{side}_elbow"] = (m[f"{p}LEL"] + m[f"{p}MEL"]) / 2
        if all(k in m for k in (f"{p}FAradius", f"{p}FAulna")):
            out[f"{side}_wrist"] = (m[f"{p}FAradius"] + m[f"{p}FAulna"]) / 2
        out[f"{side}_heel"] = m[f"{p}CAL"]
        out[f"{side}_foot_index"] = m[f"{p}TOE"]
    return out


def trial_paths(data: Path, subject: int, run: int) -> tuple[Path, Path, Path]:
    """``(markers.trc, forces_grf.mot, static.trc)`` of one trial."""
    d = Path(data) / "hamner2013"
    stem = f"subject{subject:02d}_Run_{run}"
    return d / f"{stem}.trc", d / f"{stem}_grf.mot", d / f"subject{subject:02d}_static.trc"


def load_trial(data: Path, subject: int, run: int) -> dict:
    """One trial as arrays: ``t`` (s from its first frame), ``rate``, ``points`` (landmark ->
    (N, 3) mm), ``pelvis`` (N,) mm height, ``contacts`` {leg: [(t_on, t_off)] s from the first
    frame}, ``x0`` (mean forward position of the pelvis, mm)."""
    trc, mot, static = trial_paths(data, subject, run)
    t, m, rate = read_trc(trc)
    tf, f = read_mot(mot)
    t0 = float(t[0])
    contacts = {}
    for leg, p in (("right", "R"), ("left", "L")):
        shifted = [
            (None if a is None else a - t0, None if b is None else b - t0)
            for a, b in contacts_from_force(tf, f[f"{p}_ground_force_vy"])
        ]
        contacts[leg] = shifted
    for leg, p in (("right", "R"), ("left", "L")):
        contacts[leg] = [c for c in contacts[leg] if foot_down(t - t0, m, p, c)]
    pelvic = [m[k] for k in PELVIS if k in m]
    pelvis = np.nanmean([p[:, 1] for p in pelvic], axis=0)
    points = joint_centres(trc, static)
    x0 = float(np.nanmean([p[:, 0] for p in pelvic]))
    return {"t": t - t0, "rate": rate, "points": points, "pelvis": pelvis,
            "contacts": contacts, "x0": x0}  # fmt: skip


def side_view(trial: dict, from_right: bool) -> tuple[np.ndarray, np.ndarray]:
    """The trial's landmarks in pixels seen from the runner's right (or left, mirrored)."""
    return project_side(trial["points"], from_right, PX_PER_MM, WIDTH, HEIGHT, trial["x0"])
