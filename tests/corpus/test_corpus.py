"""The corpus builder on the real shared data: readers, truth, trace and video transforms."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from core import landmarks
from core.trace import Trace, read_trace
from corpus import cadence_spm, contact_frames, contact_times, hamner, stance_events
from corpus.__main__ import main
from corpus.items import all_items, default_data, halve_events
from corpus.rtmpose import rtmpose_trace
from corpus.transforms import UPPER_BODY, bend_at_hips, leg_length_px, mirror, resample, sit_back
from corpus.video import hflip, keep_top, transform_video, video_info
from midstance.cli import main as cli

DATA = default_data()
pytestmark = pytest.mark.skipif(not DATA.exists(), reason="shared data not present")


@pytest.fixture(scope="module")
def trial() -> dict:
    """subject01 Run_3 (about 3 m/s, 100 Hz)."""
    return hamner.load_trial(DATA, 1, 3)


def _events(trial: dict, fps: float, n: int, near: str = "right") -> list[dict]:
    return stance_events(
        trial["contacts"], near, fps, n, lambda t: np.interp(t, trial["t"], trial["pelvis"])
    )


def test_hamner_truth_is_physiological(trial):
    events = _events(trial, trial["rate"], len(trial["t"]))
    assert 150 <= cadence_spm(events, trial["rate"]) <= 200
    times = contact_times(events, trial["rate"])
    assert len(times) >= 10 and all(0.18 <= c <= 0.36 for c in times)
    legs = [e["leg"] for e in events if e["type"] == "ic"]
    assert all(a != b for a, b in itertools.pairwise(legs))  # running: legs alternate
    for e in events:  # midstance lies inside its stance
        if e["type"] == "ms":
            same = [f for f in events if f["leg"] == e["leg"] and f["type"] == "ic"]
            ic = max(f["frame"] for f in same if f["frame"] <= e["frame"])
            assert e["frame"] - ic <= 0.36 * trial["rate"]


def test_hamner_axes_and_landmarks(trial):
    p = trial["points"]
    # Y up: shoulders above hips above knees above ankles; X forward: toe ahead of the heel.
    for side in ("left", "right"):
        heights = [
            np.nanmedian(p[f"{side}_{k}"][:, 1]) for k in ("shoulder", "hip", "knee", "ankle")
        ]
        assert heights == sorted(heights, reverse=True)
        thigh = np.linalg.norm(p[f"{side}_hip"] - p[f"{side}_knee"], axis=1)
        assert 330 <= np.median(thigh) <= 500 and np.ptp(thigh) < 40  # a rigid segment
        foot = p[f"{side}_foot_index"][:, 0] - p[f"{side}_heel"][:, 0]
        assert np.median(foot) > 100


def test_both_facings_project_the_same_events(trial):
    right_xy, _ = hamner.side_view(trial, from_right=True)
    left_xy, vis = hamner.side_view(trial, from_right=False)
    seen = np.isfinite(right_xy[..., 0])
    assert np.array_equal(seen, np.isfinite(left_xy[..., 0])) and seen.any()
    assert np.allclose(right_xy[seen][:, 0] + left_xy[seen][:, 0], hamner.WIDTH)
    assert np.allclose(right_xy[seen][:, 1], left_xy[seen][:, 1])
    # Facing right: the toe is to the right of the heel while the foot is down.
    i_toe, i_heel = landmarks.INDEX["right_foot_index"], landmarks.INDEX["right_heel"]
    assert np.median(right_xy[:, i_toe, 0] - right_xy[:, i_heel, 0]) > 0
    assert vis[:, landmarks.INDEX["nose"]].max() == 0
    n = len(trial["t"])
    strip = lambda evs: [(e["type"], e["frame"]) for e in evs]  # noqa: E731
    assert strip(_events(trial, 100, n, "right")) == strip(_events(trial, 100, n, "left"))


def test_force_contacts_drop_blips_and_keep_cut_ends():
    t = np.arange(0, 1.0, 0.001)
    fy = np.zeros_like(t)
    fy[:100] = 800  # already in contact at the start
    fy[300:560] = 900
    fy[400:405] = 0  # a dip mid-stance
    fy[700:720] = 500  # a 20 ms blip
    fy[900:] = 700  # still in contact at the end
    c = hamner.contacts_from_force(t, fy)
    assert c == [(None, 0.099), (0.3, 0.559), (0.9, None)]


def test_contact_frames_at_any_rate():
    assert contact_frames(0.30, 0.559, 100, 1000) == (30, 55)
    assert contact_frames(0.301, 0.559, 30, 1000) == (10, 16)
    assert contact_frames(0.301, 0.559, 30, 12) == (10, None)  # ended after the last frame
    assert contact_frames(None, 0.1, 30, 100) == (None, 3)


def test_resampling_maps_events():
    # A point that dips below a level between 0.2037 s and 0.5012 s, sampled at 150 Hz.
    fps = 150.0
    t = np.arange(300) / fps
    y = np.where((t >= 0.2037) & (t <= 0.5012), 0.0, 50.0)
    xy = np.full((len(t), landmarks.COUNT, 2), np.nan)
    vis = np.zeros((len(t), landmarks.COUNT))
    xy[:, landmarks.INDEX["right_heel"]] = np.stack([t * 10, y], axis=1)
    vis[:, landmarks.INDEX["right_heel"]] = 1
    trace = Trace(fps, 640, 480, "test", t, xy, vis)
    for rate in (30.0, 60.0):
        r = resample(trace, rate)
        assert r.fps == rate and np.allclose(np.diff(r.t), 1 / rate)
        assert r.t[-1] <= t[-1] + 1e-9 and len(r) == math.floor(t[-1] * rate + 1e-6) + 1
        heel = r.xy[:, landmarks.INDEX["right_heel"]]
        assert np.allclose(heel[:, 0], r.t * 10)
        assert np.all(np.isnan(r.xy[:, landmarks.INDEX["left_heel"]])) and r.vis[:, 0].max() == 0
        ic, to = contact_frames(0.2037, 0.5012, rate, len(r))
        assert r.t[ic] >= 0.2037 > r.t[ic - 1] and r.t[to] <= 0.5012 < r.t[to + 1]
    m = mirror(trace)
    assert np.allclose(m.xy[:, landmarks.INDEX["right_heel"], 0], 640 - t * 10)


@pytest.mark.skipif(not default_data().exists(), reason="shared data not present")
def test_form_faults_move_only_the_body_above_the_hips():
    # the clip's real keypoints (the runner faces left): sitting back moves the hips and all
    # above them further right by the asked share of the leg, bending turns all above the
    # hips forward (left) about their midpoint; the legs below the hips stay as recorded
    trace = rtmpose_trace(default_data() / "treadmill_side_30fps.rtmpose26.json")
    before = trace.xy.copy()
    i, legs = landmarks.INDEX, leg_length_px(trace)
    assert 150 < legs < 600  # a runner ~1000 px tall in a 1280 px picture
    lower = [k for k in range(landmarks.COUNT) if k not in UPPER_BODY]
    sat = sit_back(trace, "left", 0.3)
    moved = sat.xy[:, UPPER_BODY] - before[:, UPPER_BODY]
    assert np.allclose(moved[..., 0][np.isfinite(moved[..., 0])], 0.3 * legs)
    assert np.allclose(moved[..., 1][np.isfinite(moved[..., 1])], 0.0)
    assert np.array_equal(sat.xy[:, lower], before[:, lower], equal_nan=True)
    assert np.array_equal(trace.xy, before, equal_nan=True)  # the input is left alone

    bent = bend_at_hips(trace, "left", 40.0)
    hips = (before[:, i["left_hip"]] + before[:, i["right_hip"]]) / 2
    for name in ("left_shoulder", "right_shoulder", "nose"):
        was, now = before[:, i[name]] - hips, bent.xy[:, i[name]] - hips
        ok = np.isfinite(was).all(axis=1)
        assert np.allclose(np.linalg.norm(was[ok], axis=1), np.linalg.norm(now[ok], axis=1))
        # y is down, facing left is -x: the angle forward from up grew by 40 deg
        ahead = np.degrees(
            np.arctan2(-now[ok, 0], -now[ok, 1]) - np.arctan2(-was[ok, 0], -was[ok, 1])
        )
        assert np.allclose((ahead + 180) % 360 - 180, 40.0)
    kept = [*lower, i["left_hip"], i["right_hip"]]
    assert np.array_equal(bent.xy[:, kept], before[:, kept], equal_nan=True)
    with pytest.raises(ValueError, match="facing"):
        sit_back(trace, "auto", 0.3)


def test_halving_the_frame_rate_maps_events():
    kinds = [("near", "ic", 17), ("near", "ms", 21), ("near", "to", 25), ("far", "ic", 28),
             ("far", "ic", 28)]  # fmt: skip
    events = [{"leg": leg, "type": k, "frame": f} for leg, k, f in kinds]
    out = [(e["type"], e["frame"]) for e in halve_events(events)]
    assert out == [("ic", 9), ("ms", 11), ("to", 12), ("ic", 14)]


def test_video_transforms(tmp_path):
    src = DATA / "treadmill_side_30fps.mp4"
    n = transform_video(src, tmp_path / "a.mp4", 15.0, step=2, change=hflip, max_frames=20)
    assert n == 10 and video_info(tmp_path / "a.mp4") == (10, 720, 1280, 15.0)
    crop = lambda f: keep_top(f, 1040)  # noqa: E731
    n = transform_video(src, tmp_path / "b.mp4", 15.0, change=crop, max_frames=20)
    assert n == 20 and video_info(tmp_path / "b.mp4") == (20, 720, 1040, 15.0)
    frame = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    assert np.array_equal(hflip(frame)[:, 0], frame[:, -1])


def test_build_items_idempotently(tmp_path, capsys):
    assert main([str(tmp_path), "--only", "hamner_s01_run3_30fps_left"]) == 0
    assert main([str(tmp_path), "--only", "hamner_s01_run3_30fps_left"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("built") and lines[1].startswith("ok")
    trace = read_trace(tmp_path / "hamner_s01_run3_30fps_left.trace.jsonl")
    doc = json.loads((tmp_path / "hamner_s01_run3_30fps_left.contacts.json").read_text())
    assert doc["fps"] == trace.fps == 30 and doc["facing"] == doc["near_leg"] == "left"
    assert "Hamner" in doc["source"] and max(e["frame"] for e in doc["events"]) < len(trace)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "hamner_s01_run3_30fps_left.contacts.json", "hamner_s01_run3_30fps_left.trace.jsonl",
    ]  # fmt: skip


def test_missing_data_exits_2(tmp_path, capsys):
    assert main([str(tmp_path / "out"), "--data", str(tmp_path / "nope")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_trials_are_found_in_the_data_folder(tmp_path, capsys):
    # More trials of the same kinds dropped into a data folder are scored like the shared ones:
    # here one Hamner trial and a Fukuchi file named as a 3.5 m/s run, and no clip.
    data = tmp_path / "data"
    (data / "hamner2013").mkdir(parents=True)
    (data / "fukuchi2017").mkdir()
    for name in (
        "subject02_Run_4.trc",
        "subject02_Run_4_grf.mot",
        "subject02_static.trc",
        "subject03_Run_2.trc",
    ):  # fmt: skip  (subject03 has no forces: not a trial)
        (data / "hamner2013" / name).symlink_to(DATA / "hamner2013" / name)
    (data / "fukuchi2017" / "RBDS001runT35markers.txt").symlink_to(
        DATA / "fukuchi2017" / "RBDS001runT25markers.txt"
    )
    assert [i.name for i in all_items(data)] == [
        "fukuchi_RBDS001_T35_150hz", "fukuchi_RBDS001_T35_30fps", "fukuchi_RBDS001_T35_60fps",
        "hamner_s02_run4_right", "hamner_s02_run4_left", "hamner_s02_run4_30fps_right",
        "hamner_s02_run4_30fps_left", "hamner_s02_run4_60fps_right",
    ]  # fmt: skip
    out = tmp_path / "out"
    assert main([str(out), "--data", str(data), "--only", "fukuchi_RBDS001_T35_30fps"]) == 0
    doc = json.loads((out / "fukuchi_RBDS001_T35_30fps.contacts.json").read_text())
    assert doc["fps"] == 30 and doc["group"] == "mocap" and len(doc["events"]) > 100


def test_other_annotated_videos_are_measured_too(tmp_path, capsys):
    # A clip of the same kind dropped into the data folder with its annotation (a phone's .MOV
    # here, with RTMPose keypoints) is measured as filmed, mirrored and through RTMPose, and
    # held to the clip's targets; a video without truth, or truth without video, is no item.
    data = tmp_path / "data"
    data.mkdir()
    (data / "gym_side.MOV").symlink_to(DATA / "treadmill_side_30fps.mp4")
    (data / "gym_side.contacts.json").symlink_to(DATA / "treadmill_side_30fps.contacts.json")
    (data / "gym_side.rtmpose26.json").symlink_to(DATA / "treadmill_side_30fps.rtmpose26.json")
    (data / "unlabelled.mp4").symlink_to(DATA / "treadmill_side_30fps.mp4")
    (data / "lost.contacts.json").symlink_to(DATA / "treadmill_side_30fps.contacts.json")
    assert [i.name for i in all_items(data)] == [
        "video_gym_side", "video_gym_side_mirror", "video_gym_side_rtmpose",
    ]  # fmt: skip
    out = tmp_path / "out"
    assert main([str(out), "--data", str(data)]) == 0
    assert (out / "video_gym_side.mov").stat().st_size == (
        DATA / "treadmill_side_30fps.mp4"
    ).stat().st_size
    doc = json.loads((out / "video_gym_side_rtmpose.contacts.json").read_text())
    assert doc["group"] == "clip" and doc["facing"] == "left" and "gym_side.MOV" in doc["source"]
    capsys.readouterr()
    assert cli(["eval", str(out), "--json", str(tmp_path / "eval.json")]) == 0
    stdout = capsys.readouterr().out
    items = {i["name"]: i for i in json.loads((tmp_path / "eval.json").read_text())["items"]}
    rtm = items["video_gym_side_rtmpose.trace.jsonl"]
    assert rtm["near_recall"] >= 0.95 and rtm["verdicts"]["good"] > 25
    mirror = items["video_gym_side_mirror.mp4"]
    assert mirror["facing_ok"] and mirror["near_recall"] >= 0.95 and mirror["capture_ok"]
    assert "target met: clip every judged step good (3 of 3 items)" in stdout


def test_a_data_folder_with_nothing_known_exits_2(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    assert main([str(tmp_path / "out"), "--data", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no clip, Fukuchi or Hamner trial" in err[0]


def test_a_damaged_trial_costs_only_its_own_items(tmp_path, capsys):
    data = tmp_path / "data"
    (data / "hamner2013").mkdir(parents=True)
    for name in ("subject02_Run_4_grf.mot", "subject02_static.trc", "subject02_Run_5.trc",
                 "subject02_Run_5_grf.mot"):  # fmt: skip
        (data / "hamner2013" / name).symlink_to(DATA / "hamner2013" / name)
    good = (DATA / "hamner2013" / "subject02_Run_4.trc").read_text().splitlines()
    (data / "hamner2013" / "subject02_Run_4.trc").write_text("\n".join(good[:4]) + "\n")  # cut
    out = tmp_path / "out"
    assert main([str(out), "--data", str(data), "--only", "*_30fps_right"]) == 1
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("corpus: hamner_s02_run4_30fps_right: cannot build")
    assert "built hamner_s02_run5_30fps_right" in captured.out
    assert sorted(p.name for p in out.iterdir()) == [
        "hamner_s02_run5_30fps_right.contacts.json", "hamner_s02_run5_30fps_right.trace.jsonl",
    ]  # fmt: skip


def test_trials_with_markers_missing_or_gaps_still_convert(tmp_path, capsys):
    # Held-out subjects of the same studies may lack a marker or lose one for a while: the
    # landmark is then unseen (NaN, visibility 0) where it is missing, never placed at NaN with
    # visibility 1, and the truth still comes from the markers that are there.
    data = tmp_path / "data"
    (data / "hamner2013").mkdir(parents=True)
    (data / "fukuchi2017").mkdir()
    lines = (DATA / "fukuchi2017" / "RBDS001runT25markers.txt").read_text().splitlines()
    cols = lines[0].split("\t")
    drop = {j for j, c in enumerate(cols) if c.startswith("L.Thigh.Bottom.Lateral")}
    gap = range(1000, 1040)  # R.MT1 lost for 40 frames (0.27 s)
    mt1 = [j for j, c in enumerate(cols) if c.startswith("R.MT1")]
    rows = []
    for i, line in enumerate(lines):
        cells = line.split("\t")
        if i - 1 in gap:
            for j in mt1:
                cells[j] = "NaN"
        rows.append("\t".join(c for j, c in enumerate(cells) if j not in drop))
    (data / "fukuchi2017" / "RBDS002runT25markers.txt").write_text("\n".join(rows) + "\n")
    for name in ("subject02_Run_4_grf.mot", "subject02_static.trc"):
        (data / "hamner2013" / name).symlink_to(DATA / "hamner2013" / name)
    trc = (DATA / "hamner2013" / "subject02_Run_4.trc").read_text().split("\n")
    for name in ("RLEL", "LFAulna", "LPSI"):  # an arm marker each side, one of the pelvis's 4
        trc[3] = trc[3].replace(f"\t{name}\t", f"\t{name}_lost\t")
    (data / "hamner2013" / "subject02_Run_4.trc").write_text("\n".join(trc))
    out = tmp_path / "out"
    assert main([str(out), "--data", str(data), "--only", "fukuchi_RBDS002_150hz"]) == 0
    assert main([str(out), "--data", str(data), "--only", "hamner_s02_run4_right"]) == 0
    fuk = read_trace(out / "fukuchi_RBDS002_150hz.trace.jsonl")
    knee, toe = landmarks.INDEX["left_knee"], landmarks.INDEX["right_foot_index"]
    assert (fuk.vis[:, knee] == 0).all() and np.isnan(fuk.xy[:, knee]).all()
    assert (fuk.vis[1000:1040, toe] == 0).all() and (fuk.vis[:1000, toe] == 1).all()
    truth = json.loads((out / "fukuchi_RBDS002_150hz.contacts.json").read_text())
    ics = [e for e in truth["events"] if e["type"] == "ic"]
    assert len(ics) == 79  # as many as the whole file gives (docs/eval.md)
    ham = read_trace(out / "hamner_s02_run4_right.trace.jsonl")
    elbow, wrist = landmarks.INDEX["right_elbow"], landmarks.INDEX["left_wrist"]
    assert (ham.vis[:, elbow] == 0).all() and (ham.vis[:, wrist] == 0).all()
    assert (ham.vis[:, landmarks.INDEX["left_elbow"]] == 1).all()
    hips = [landmarks.INDEX[f"{side}_hip"] for side in ("left", "right")]
    assert (ham.vis[:, hips] == 1).all()  # carried by the other three pelvis markers
    doc = json.loads((out / "hamner_s02_run4_right.contacts.json").read_text())
    assert len([e for e in doc["events"] if e["type"] == "ms"]) >= 10  # pelvis heights too
