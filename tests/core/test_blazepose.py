"""End to end on the real clip: our own BlazePose pipeline (`midstance pose`), then the core.

Needs the model files that `make test` provisions (`make models`); fails loudly without them.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.analysis import analyze_trace
from core.trace import read_trace
from corpus.stress import FORM_FAULTS
from corpus.video import transform_video
from tests.conftest import CLIP, midstance, shared_data

from .conftest import CLIP_NAME
from .test_realdata import CADENCE_GT, hit_rate


@pytest.fixture(scope="module")
def blazepose_trace(tmp_path_factory):
    out = tmp_path_factory.mktemp("bp") / "clip.jsonl"
    r = midstance("pose", CLIP, "--out", out, timeout=600)
    assert r.returncode == 0, r.stderr
    return read_trace(out)


@pytest.fixture(scope="module")
def blazepose_report(blazepose_trace):
    return analyze_trace(blazepose_trace)


def test_blazepose_landmarks_give_the_clip_cadence(blazepose_report):
    report = blazepose_report
    assert report["facing"] == "left"
    assert abs(report["cadence_spm"] - CADENCE_GT) <= 1.5
    # BlazePose now and then swaps or loses the feet for a frame: fewer steps than RTMPose's
    # 31-32, but none invented (checked against the annotation below).
    assert len(report["steps"]) >= 18
    assert report["summary"]["steps_by_leg"]["left"] >= 10
    # The rate shown at each step (the page, the session) from the first one shown: a far
    # contact a frame or two late among only three strides read 161 (core.analysis.SHOWN_STRIDES)
    shown = [s["cadence_spm"] for s in report["steps"] if s["cadence_spm"] is not None]
    assert len(shown) >= len(report["steps"]) - 8
    assert max(abs(c - CADENCE_GT) for c in shown) <= 6.0


def test_blazepose_near_leg_events_match_the_annotation(blazepose_report, contacts):
    steps, events = blazepose_report["steps"], contacts["events"]
    rate_ic = hit_rate(steps, events, "near", "left", "ic", "contact_t")
    rate_ms = hit_rate(steps, events, "near", "left", "ms", "midstance_t")
    print(f"BlazePose near-leg hit rates +/-1 frame: IC {rate_ic:.2f}, MS {rate_ms:.2f}")
    assert rate_ic >= 0.6 and rate_ms >= 0.5
    ic_frames = [e["frame"] for e in events if e["type"] == "ic"]
    for step in steps:  # every contact found is a real one (either foot, +/- 3 frames: eval's
        f = round(step["contact_t"] * 30)  # tolerance; a far foot hidden at landing is late)
        assert min(abs(f - r) for r in ic_frames) <= 3, step


def test_blazepose_every_contact_of_either_leg_is_found(blazepose_report, contacts):
    # While the warm-up's frames are kept, the foot tracks know no foot on the belt. Here
    # BlazePose garbles the feet at frames 6-9 (both labels on one foot, then a jump) and those
    # tracks swapped there for the rest of the warm-up, while the replay's did not: belt levels
    # learnt on them were crossed, the far foot read 0.1 L above its belt as it landed at frame
    # 91, and that contact was missed. The levels are learnt by the labels during the warm-up.
    ics = [e["frame"] for e in contacts["events"] if e["type"] == "ic"]
    found = [round(s["contact_t"] * 30) for s in blazepose_report["steps"]]
    assert [f for f in ics if min(abs(f - g) for g in found) > 3] == []
    assert {s["verdict"] for s in blazepose_report["steps"]} <= {"good", None}


def test_blazepose_metrics_match_the_joints_marked_by_eye(blazepose_report):
    # The near (left) leg's joint centres marked by eye at every near midstance and contact
    # (treadmill_side_30fps.joints.json, no pose model): our medians over the judged near steps
    # within 0.04 L (hip-ankle offset, overstride) and 2 deg (lean); the knee, below.
    joints = json.loads((shared_data() / f"{CLIP_NAME}.joints.json").read_text())["derived"]
    eye = {
        "hip_ankle_offset": joints["summary"]["hip_ankle_offset_ms"]["median"],
        "overstride": joints["summary"]["overstride_ic"]["median"],
        "lean_deg": joints["summary"]["lean_deg_ms"]["median"],
        "knee_flexion_ic_deg": joints["knee_flexion_ic_deg"]["median"],
    }
    near = [s for s in blazepose_report["steps"] if s["leg"] == "left" and s["verdict"]]
    assert len(near) >= 14
    ours = {k: float(np.median([s[k] for s in near if s[k] is not None])) for k in eye}
    print("near-leg medians, ours vs by eye:", ours, eye)
    assert abs(ours["hip_ankle_offset"] - eye["hip_ankle_offset"]) <= 0.04
    assert abs(ours["overstride"] - eye["overstride"]) <= 0.04
    assert abs(ours["lean_deg"] - eye["lean_deg"]) <= 2.0
    # Knee at contact: issue 10 asks for 4 deg, not met. At the eye's own 17 contact frames
    # BlazePose's hip, knee and ankle read the knee 4.1 deg straighter (median difference), a
    # bias of the landmarks (its hip sits ~23 px above the eye's), not of our timing
    # (docs/eval.md); this bound only keeps it from getting worse.
    assert abs(ours["knee_flexion_ic_deg"] - eye["knee_flexion_ic_deg"]) <= 5.0


def test_blazepose_midstance_is_not_held_back(blazepose_report, contacts):
    # The lowest pelvis, read off our pipeline's hips, against the eye's midstance frames (the
    # trunk at its lowest). MediaPipe's landmark filter held the slow hips back ~0.6 frames
    # behind the fast feet, so the stance ankle had ridden on and the hip read ~0.05 L further
    # ahead of it; the hips now come unfiltered (device.pose.smoothing).
    eye = [e["frame"] for e in contacts["events"] if e["type"] == "ms" and e["leg"] == "near"]
    late = []
    for step in blazepose_report["steps"]:
        f = step["midstance_t"] * 30
        nearest = min(eye, key=lambda e: abs(e - f))
        if step["leg"] == "left" and abs(nearest - f) <= 2:
            late.append(f - nearest)
    print(f"near-leg midstance after the eye's: median {np.median(late):+.2f} frames")
    assert len(late) >= 14
    assert abs(np.median(late)) <= 0.3


def test_blazepose_hip_reads_the_same_at_half_the_frame_rate(blazepose_report, tmp_path):
    # A filter's delay is a time that the frame rate and the runner's speed change, and with it
    # the offset the hip read: the clip at 15 fps (every other frame) read 0.131 L against 0.164
    # at 30. The hips as the model gives them read the same runner the same.
    video = tmp_path / "clip15.mp4"
    transform_video(CLIP, video, 15.0, step=2)
    r = midstance("pose", video, "--out", tmp_path / "clip15.jsonl", timeout=600)
    assert r.returncode == 0, r.stderr
    half = analyze_trace(read_trace(tmp_path / "clip15.jsonl"))

    def near_offset(report):
        return np.median([s["hip_ankle_offset"] for s in report["steps"]
                          if s["leg"] == "left" and s["verdict"]])  # fmt: skip

    at30, at15 = near_offset(blazepose_report), near_offset(half)
    print(f"near-leg hip-ankle offset: {at30:.3f} L at 30 fps, {at15:.3f} at 15")
    assert abs(at30 - at15) <= 0.015


@pytest.mark.parametrize("kind", ["sit_back", "bent"])
def test_blazepose_landmarks_of_a_runner_given_a_fault_name_it(blazepose_trace, kind):
    # The clip's runner runs well (every judged step good, above). Given a fault well past its
    # "bad" limit by the joints marked by eye (hips 0.3 L back: the eye's +0.13 L becomes
    # -0.17; bent 40 deg at the hips: -6 deg becomes 34), no judged step is good and nearly
    # every one names the fault. BlazePose places this runner's hip ~0.035 L further forward
    # than the eye does, so the hip reads ~0.10 L behind: warn more often than bad.
    change, reason = FORM_FAULTS[kind]
    report = analyze_trace(change(blazepose_trace, "left"))
    judged = [s for s in report["steps"] if s["verdict"] is not None]
    assert report["capture"]["ok"] and len(judged) >= 25
    assert not any(s["verdict"] == "good" for s in judged)
    named = sum(reason in s["reasons"] for s in judged) / len(judged)
    print(f"BlazePose, {kind}: {reason} named on {named:.2f} of {len(judged)} judged steps")
    assert named >= 0.85
