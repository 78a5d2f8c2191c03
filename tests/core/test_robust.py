"""The core on awkward input: missing landmarks, nobody in frame, a hidden far leg, standing,
walking, frame rates from 10 to 240 fps, either facing, any image size."""

from __future__ import annotations

import numpy as np
import pytest

from core import landmarks
from core.analysis import analyze_trace
from core.trace import Trace
from corpus.transforms import excerpt
from tests.conftest import shared_data
from tests.core.convert import fukuchi_trace

from .conftest import resample, transform
from .conftest import run_live as run

IX = landmarks.INDEX
GT = 168.9


def copy(trace: Trace) -> Trace:
    return transform(trace)


def hide(trace: Trace, names, frames=slice(None)) -> Trace:
    out = copy(trace)
    for name in names:
        out.xy[frames, IX[name]] = np.nan
        out.vis[frames, IX[name]] = 0.0
    return out


def test_no_face_and_no_arms_changes_nothing_that_matters(rtm):
    face_and_arms = [n for n in landmarks.NAMES if not n.endswith(
        ("shoulder", "hip", "knee", "ankle", "heel", "foot_index"))]  # fmt: skip
    steps, _ = run(hide(rtm, face_and_arms))
    full, _ = run(rtm)
    assert [s["contact_t"] for s in steps] == [s["contact_t"] for s in full]


def test_frames_with_nobody_invent_no_steps_and_show_no_runner(rtm):
    gone = slice(150, 225)  # 2.5 s with nobody in the frame
    trace = copy(rtm)
    trace.xy[gone] = np.nan
    trace.vis[gone] = 0
    steps, leds = run(trace)
    t0, t1 = rtm.t[150], rtm.t[224]
    assert not [s for s in steps if t0 <= s["contact_t"] <= t1 or t0 <= s["toe_off_t"] <= t1]
    assert sum(s["contact_t"] > t1 for s in steps) >= 8  # steps resume when the runner is back
    assert leds[200] == "no_runner"
    assert leds[-1] in ("good", "warn", "bad")


def test_hidden_far_leg_judges_the_near_leg_only(rtm):
    far = [f"right_{p}" for p in ("knee", "ankle", "heel", "foot_index")]
    report = analyze_trace(hide(rtm, far))
    legs = {s["leg"] for s in report["steps"]}
    assert legs == {"left"} and len(report["steps"]) >= 14
    assert abs(report["cadence_spm"] - GT) <= 1.5  # strides of one leg still give cadence
    assert any("right-leg" in w for w in report["warnings"])


def test_far_leg_hidden_in_front_of_the_body_never_invents_a_step(rtm, contacts):
    # The console hides the far foot whenever it is ahead of the hip (the front of the stride).
    trace = copy(rtm)
    s = -1  # the runner faces image-left
    ahead = s * (trace.xy[:, IX["right_ankle"], 0] - trace.xy[:, IX["right_hip"], 0]) > 0
    for p in ("knee", "ankle", "heel", "foot_index"):
        trace.xy[ahead, IX[f"right_{p}"]] = np.nan
        trace.vis[ahead, IX[f"right_{p}"]] = 0
    steps, _ = run(trace)
    far_ic = np.array([e["frame"] for e in contacts["events"] if e["leg"] == "far"
                       and e["type"] == "ic"])  # fmt: skip
    for step in steps:
        if step["leg"] == "right":
            assert np.min(np.abs(far_ic - round(step["contact_t"] * 30))) <= 2
    assert sum(s["leg"] == "left" for s in steps) >= 14


def _standing_trace() -> Trace:
    """Ten seconds of the real standing trial (1 s of motion capture, played back and forth)."""
    still = fukuchi_trace(shared_data() / "fukuchi2017" / "RBDS001static.txt")
    idx = np.concatenate([np.arange(len(still)), np.arange(len(still))[::-1]] * 5)
    t = np.arange(len(idx)) / still.fps
    return Trace(still.fps, still.width, still.height, "static", t, still.xy[idx], still.vis[idx])


def test_standing_still_gives_no_steps():
    trace = _standing_trace()
    for facing in ("auto", "right"):
        steps, leds = run(trace, facing=facing)
        assert steps == []
        assert leds[-1] == "not_judging"  # somebody is there, nothing to judge
    report = analyze_trace(trace)
    assert report["steps"] == []
    assert [p["code"] for p in report["capture"]["problems"]] == ["not_running"]
    assert report["capture"]["problems"][0]["message"].endswith("walking or standing")
    assert any("no running steps found" in w for w in report["warnings"])


def test_a_recording_too_short_to_tell_says_so_not_walking(fukuchi):
    # A third of a second of real running: no step can be told yet, and "walking or standing"
    # would be a guess; the report says how long the runner was seen instead.
    n = round(0.3 * fukuchi.fps)
    report = analyze_trace(excerpt(fukuchi, 0, n))
    assert report["steps"] == []
    [problem] = report["capture"]["problems"]
    assert problem["code"] == "not_running"
    assert problem["message"] == (
        "no running steps found: the runner is seen for only 0.3 s, too short to tell"
        " (record 4 s or more)"
    )


def synthetic_gait(duty: float, cadence: float, fps: float = 30.0, seconds: float = 12.0):
    """A side-view stick runner/walker on a belt (faces image-right, 1 px = 2 mm).

    Each foot is on the belt for ``duty`` of its stride, moving back at belt speed, then
    swings forward in an arc. Running (duty < 0.5) has the pelvis lowest at midstance;
    walking (duty > 0.5) has it highest there, as an inverted pendulum.
    """
    stride = 120.0 / cadence
    t = np.arange(0, seconds, 1 / fps)
    xy = np.full((len(t), landmarks.COUNT, 2), np.nan)
    vis = np.zeros((len(t), landmarks.COUNT))
    hip_x, leg = 600.0, 450.0
    reach = 0.35 * leg  # the foot travels +/- reach around the hip
    for side, phase0 in (("left", 0.0), ("right", 0.5)):
        ph = (t / stride + phase0) % 1.0
        stance = ph < duty
        u = np.where(stance, ph / duty, (ph - duty) / (1 - duty))
        x = np.where(stance, reach - 2 * reach * u, -reach + 2 * reach * u)
        lift = np.where(stance, 0.0, 0.12 * leg * np.sin(np.pi * u))
        ground = 1100.0
        ankle = np.stack([hip_x + x, ground - 20 - lift], 1)
        xy[:, IX[f"{side}_ankle"]] = ankle
        xy[:, IX[f"{side}_heel"]] = ankle + np.array([-25, 18])
        xy[:, IX[f"{side}_foot_index"]] = ankle + np.array([45, 20])
        vis[:, [IX[f"{side}_{p}"] for p in ("ankle", "heel", "foot_index")]] = 0.95
    # The pelvis: lowest at midstance when running, highest when walking.
    mid = np.cos(2 * np.pi * 2 * t / stride)  # two steps per stride
    bob = (1 if duty < 0.5 else -1) * 20.0 * mid
    for side in ("left", "right"):
        hip = np.stack([np.full_like(t, hip_x), 1100 - 20 - leg + bob], 1)
        ankle = xy[:, IX[f"{side}_ankle"]]
        xy[:, IX[f"{side}_hip"]] = hip
        xy[:, IX[f"{side}_knee"]] = (hip + ankle) / 2 + np.array([20, 0])
        xy[:, IX[f"{side}_shoulder"]] = hip + np.array([40, -380])
        vis[:, [IX[f"{side}_{p}"] for p in ("hip", "knee", "shoulder")]] = 0.95
    return Trace(fps, 1280, 1280, f"synthetic duty={duty}", t, xy, vis)


def test_synthetic_running_is_counted_but_walking_is_not():
    run_steps, _ = run(synthetic_gait(duty=0.35, cadence=170))
    assert len(run_steps) >= 28  # the same generator, running: steps found (test not vacuous)
    walk_steps, walk_leds = run(synthetic_gait(duty=0.62, cadence=110))
    assert walk_steps == []
    assert walk_leds[-1] == "not_judging"


@pytest.mark.parametrize("fps", [10, 15, 24, 60, 120, 240])
def test_any_frame_rate_from_10_to_240(rtm, fps):
    trace = resample(rtm, fps)
    report = analyze_trace(trace)
    if fps < 13:  # frame_rate_too_low: steps timed, but no step rate given (docs/capture.md)
        assert report["cadence_spm"] is None
        assert any(w.startswith("step rate not given") for w in report["warnings"])
    else:
        assert abs(report["cadence_spm"] - GT) <= 1.5, report["cadence_spm"]
    assert 24 <= len(report["steps"]) <= 34
    # (a stance cut off by the end of the input has no toe-off, so no contact time)
    contact = [s["contact_time_s"] for s in report["steps"] if s["toe_off_t"] is not None]
    if fps < 25:
        assert all(c is None for c in contact)
        assert any("contact time not measured" in w for w in report["warnings"])
    else:
        assert 0.18 <= np.median(contact) <= 0.32


@pytest.mark.parametrize("fps", [10, 30, 60])
def test_mocap_at_lower_frame_rates(fukuchi, fps):
    full = analyze_trace(fukuchi)
    report = analyze_trace(resample(fukuchi, fps))
    if fps < 13:  # frame_rate_too_low: no step rate given (it read up to 3 spm off)
        assert report["cadence_spm"] is None
    else:
        assert abs(report["cadence_spm"] - full["cadence_spm"]) <= 1.5
    assert len(report["steps"]) >= 0.9 * len(full["steps"])


@pytest.mark.parametrize("fps", [30, 60, 120])
def test_mocap_contacts_are_the_same_at_any_frame_rate(fukuchi, fps):
    # The 150 Hz run scores lower against its marker truth than the same run at 60 or 30 fps
    # (recall 0.77 vs 0.99) only because three frames, the matching tolerance, are 20 ms at
    # 150 Hz: the contacts are the same ones at every rate, each within one frame of the
    # lower rate, so no rule of the core depends on the frame rate (docs/eval.md).
    full = analyze_trace(fukuchi)["steps"]
    low = analyze_trace(resample(fukuchi, fps))["steps"]
    assert len(full) >= 76 and len(low) == len(full)
    assert [s["leg"] for s in low] == [s["leg"] for s in full]
    for a, b in zip(full, low, strict=True):
        assert abs(a["contact_t"] - b["contact_t"]) <= 1.0 / fps
        if a["toe_off_t"] is not None and b["toe_off_t"] is not None:
            assert abs(a["toe_off_t"] - b["toe_off_t"]) <= 1.5 / fps


def test_mirror_image_gives_the_same_steps_facing_right(rtm):
    base = analyze_trace(rtm)
    mirrored = analyze_trace(transform(rtm, mirror=True))
    assert base["facing"] == "left" and mirrored["facing"] == "right"
    keys = ("leg", "contact_t", "toe_off_t", "hip_ankle_offset", "lean_deg", "overstride")
    assert [[s[k] for k in keys] for s in mirrored["steps"]] == [
        [s[k] for k in keys] for s in base["steps"]
    ]


@pytest.mark.parametrize("scale", [0.25, 3.0])
def test_image_size_does_not_matter(rtm, scale):
    base = analyze_trace(rtm)
    scaled = analyze_trace(transform(rtm, scale=scale))
    assert [s["contact_t"] for s in scaled["steps"]] == [s["contact_t"] for s in base["steps"]]
    for a, b in zip(scaled["steps"], base["steps"], strict=True):
        assert a["hip_ankle_offset"] == pytest.approx(b["hip_ankle_offset"], abs=2e-4)
        assert a["lean_deg"] == pytest.approx(b["lean_deg"], abs=0.02)


def test_fixed_facing_matches_detection_and_wrong_facing_finds_little(rtm):
    auto = analyze_trace(rtm)
    fixed = analyze_trace(rtm, facing="left")
    assert len(fixed["steps"]) >= len(auto["steps"])
    assert not any("facing" in w for w in fixed["warnings"])
    wrong = analyze_trace(rtm, facing="right")
    assert any("seems to face left" in w for w in wrong["warnings"])


def test_led_judges_without_shoulders_and_ignores_one_bad_frame(fukuchi, rtm):
    _, leds = run(fukuchi)  # motion capture: no shoulder markers, the hip-vs-ankle still counts
    assert leds[-1] == "good"
    near = [f"left_{p}" for p in ("hip", "knee", "ankle", "heel", "foot_index")]
    _, clean = run(rtm)
    _, blink = run(hide(rtm, near, frames=slice(200, 201)))
    assert blink[195:230] == clean[195:230] and clean[200] == "good"
    _, gone = run(hide(rtm, near, frames=slice(200, 260)))  # the near leg hidden for 2 s
    assert "not_judging" in gone[200:260]


def test_a_garbled_frame_that_looks_like_a_landing_costs_no_step(rtm, contacts):
    # BlazePose now and then puts the swing foot's points on the stance foot for one frame,
    # a little ahead of it: the swing foot seems to land and ride the belt back. Here that
    # frame is put into the real keypoints mid-stance of every near (left) contact, the far
    # (right) foot's points copied from the stance foot 0.14 leg lengths forward.
    hip_ankle = rtm.xy[:, IX["left_hip"]] - rtm.xy[:, IX["left_ankle"]]
    leg = np.nanmedian(np.linalg.norm(hip_ankle, axis=1))
    trace = copy(rtm)
    near_ic = [e["frame"] for e in contacts["events"] if e["leg"] == "near" and e["type"] == "ic"]
    for f in near_ic[1:-1]:
        for p in ("ankle", "heel", "foot_index"):
            trace.xy[f + 3, IX[f"right_{p}"]] = trace.xy[f + 3, IX[f"left_{p}"]] - (0.14 * leg, 0)
            trace.vis[f + 3, IX[f"right_{p}"]] = trace.vis[f + 3, IX[f"left_{p}"]]
    garbled, clean = analyze_trace(trace)["steps"], analyze_trace(rtm)["steps"]
    assert len(garbled) == len(clean) >= 30
    for a, b in zip(clean, garbled, strict=True):  # the same legs, within the eval's 3 frames
        assert a["leg"] == b["leg"] and abs(a["contact_t"] - b["contact_t"]) <= 3.01 / rtm.fps
    verdicts = [s["verdict"] for s in garbled]
    assert verdicts.count("good") >= 24 and not {"warn", "bad"} & set(verdicts)


def stances(contacts: dict, leg: str) -> list[tuple[int, int]]:
    """(ic, to) frames of each annotated stance of the near or far leg."""
    ev = sorted((e["frame"], e["type"]) for e in contacts["events"] if e["leg"] == leg)
    ics = [f for f, k in ev if k == "ic"]
    return [(ic, min(f for f, k in ev if k == "to" and f > ic)) for ic in ics
            if any(f > ic and k == "to" for f, k in ev)]  # fmt: skip


def test_steps_lost_between_the_steps_found_give_no_step_rate(rtm, contacts):
    # The feet lost for two of every three stances of each leg (blurred in a dim room, hidden
    # by a passer-by): the steps found are real, but each stride between them spans steps never
    # found, so strides and the rate are wrong (~56 steps/min for 169). The pelvis sank at
    # every step all the same: the judge names it and gives no step rate.
    trace = rtm
    for leg, side in (("near", "left"), ("far", "right")):
        foot = [f"{side}_{p}" for p in ("ankle", "heel", "foot_index")]
        for k, (ic, to) in enumerate(stances(contacts, leg)):
            if k % 3:
                trace = hide(trace, foot, slice(ic - 1, to + 2))
    report = analyze_trace(trace)
    assert 6 <= len(report["steps"]) <= 14  # a third of the 34, and none invented
    codes = {p["code"]: p["share"] for p in report["capture"]["problems"]}
    assert codes.get("steps_missed", 0) >= 0.2 and report["capture"]["ok"] is False
    assert report["cadence_spm"] is None
    # the long step times are the missed steps', not a slow-motion file's: no --capture-fps
    assert "slow_motion" not in codes and not any("--capture-fps" in w for w in report["warnings"])
    assert any(w.startswith("step rate not given") and "steps are being missed" in w
               for w in report["warnings"])  # fmt: skip
    late = [s for s in report["steps"] if s["contact_t"] > 6.0]
    assert late and all(s["verdict"] is None and "steps_missed" in s["problems"] for s in late)
    # live, the same: no rate shown, the LED not judging once it is in force
    steps, leds = run(trace)
    assert steps[-1]["cadence_spm"] is None and leds[-1] == "not_judging"


def test_a_far_leg_never_seen_is_no_step_missed(rtm):
    # Every stride of the near leg holds its two pelvis troughs: a far leg hidden throughout
    # (a console, a rail) costs its own steps, not the near leg's strides or the rate.
    far = [f"right_{p}" for p in ("knee", "ankle", "heel", "foot_index")]
    report = analyze_trace(hide(rtm, far))
    assert report["capture"] == {"ok": True, "problems": []}
    assert abs(report["cadence_spm"] - GT) <= 1.5
    assert all(s["verdict"] == "good" for s in report["steps"] if s["verdict"] is not None)


def test_a_far_foot_hidden_early_in_its_swing_still_lands(rtm, contacts):
    # The far foot goes behind the near leg as it swings through: here its points are lost
    # from 3 frames after each toe-off for 0.3 s, so only the end of each swing is seen. Its
    # swing is measured from where its stance left it, not from where it came back into view:
    # every far contact is found, each with the same verdicts as the near foot's steps.
    foot = [f"right_{p}" for p in ("knee", "ankle", "heel", "foot_index")]
    trace = rtm
    far = stances(contacts, "far")
    for _, to in far:
        trace = hide(trace, foot, slice(to + 3, to + 12))
    steps = analyze_trace(trace)["steps"]
    far_ic = np.array([ic for ic, _ in far])
    right = [round(s["contact_t"] * rtm.fps) for s in steps if s["leg"] == "right"]
    assert len(right) == len(far) == 17
    assert all(np.min(np.abs(far_ic - f)) <= 3 for f in right)
    assert {s["verdict"] for s in steps} <= {"good", None}


@pytest.mark.parametrize("fps", [30, 15])
def test_a_foot_lost_for_one_frame_mid_stance_keeps_its_step(rtm, contacts, fps):
    # The pose model loses a foot for a frame now and then (a flicker of its keypoints, the
    # far foot behind the near leg): here each foot's points are lost for one frame, two
    # frames after each of its contacts. The frames either side of the gap are read as
    # consecutive: every step of the clean run is found, on the same leg, within a frame.
    trace = rtm if fps == 30 else resample(rtm, fps)
    clean = analyze_trace(trace)["steps"]
    for leg, side in (("near", "left"), ("far", "right")):
        foot = [f"{side}_{p}" for p in ("ankle", "heel", "foot_index")]
        for ic, _ in stances(contacts, leg):
            f = round(ic * fps / rtm.fps) + 2
            trace = hide(trace, foot, slice(f, f + 1))
    steps = analyze_trace(trace)["steps"]
    assert len(steps) == len(clean) >= 33
    for a, b in zip(clean, steps, strict=True):
        assert a["leg"] == b["leg"] and abs(a["contact_t"] - b["contact_t"]) < 1.01 / fps
    assert {s["verdict"] for s in steps} <= {"good", None}
    assert [s["verdict"] for s in steps].count("good") >= 20


def test_a_leg_found_again_after_steps_lost_is_timed_not_judged(rtm):
    # One foot's points lost from 4 to 9 s (a smeared picture, a rail): the first step of that
    # foot after it ends a stride that spans contacts of its leg never found, so its track was
    # lost for steps and the step is not judged, even before the view-level problem can come
    # in force (it needs 4 strides: the other leg's strides, all whole, keep it out). The
    # steps after it are judged again.
    foot = [f"right_{p}" for p in ("ankle", "heel", "foot_index")]
    lost = (rtm.t >= 4.0) & (rtm.t < 9.0)
    report = analyze_trace(hide(rtm, foot, lost))
    after = [s for s in report["steps"] if s["contact_t"] >= 9.0]
    missed = [s for s in after if s["problems"] == ["steps_missed"]]
    assert len(missed) == 1
    first_back = next(s for s in after if s["leg"] == missed[0]["leg"])
    assert first_back is missed[0] and first_back["verdict"] is None
    assert [s["verdict"] for s in after if s["contact_t"] > 10.3 and not s["problems"]]
    assert {s["verdict"] for s in report["steps"]} <= {"good", None}
    assert report["capture"]["ok"] and abs(report["cadence_spm"] - GT) <= 1.5


def test_a_stance_foot_far_from_where_this_runners_stances_put_it_is_not_judged(rtm, contacts):
    # Someone else's foot taken for this runner's for one stance (a runner on the next
    # treadmill): the near foot's points drawn 0.35 leg lengths further back through one
    # mid-run stance, so at its midstance the hip is far ahead of "its" ankle, which no step of
    # this runner has (theirs spread about 0.1 L). That step is timed, not judged; the others
    # are judged as before.
    from corpus.transforms import leg_length_px

    ic, to = stances(contacts, "near")[8]
    foot = [IX[f"left_{p}"] for p in ("ankle", "heel", "foot_index")]
    moved = copy(rtm)
    moved.xy[ic : to + 1, foot, 0] += 0.35 * leg_length_px(rtm)  # facing left: back is +x
    before, after = analyze_trace(rtm)["steps"], analyze_trace(moved)["steps"]
    assert len(after) == len(before)
    t = ic / rtm.fps

    def at(steps):
        return next(s for s in steps if abs(s["contact_t"] - t) <= 0.1)

    was, now = at(before), at(after)
    assert was["verdict"] == "good" and now["hip_ankle_offset"] - was["hip_ankle_offset"] > 0.3
    assert now["verdict"] is None and now["problems"] == ["landmarks_unreliable"]
    others = [(a["verdict"], b["verdict"]) for a, b in zip(before, after, strict=True)
              if abs(a["contact_t"] - t) > 0.1]  # fmt: skip
    assert all(a == b for a, b in others)
