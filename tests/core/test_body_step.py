"""The named view of the body, the step's metrics, the view checks and the analyzer's public
read-outs, on the real clip's keypoints (RTMPose, 30 fps, the runner faces image-left)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core import body, landmarks, metrics
from core.analysis import RunAnalyzer, analyze_trace
from core.capture import CaptureJudge
from core.gait import FootFrame, Stance, cadence_spm
from core.step import STEP_FIELDS, Step, measure
from core.view import ViewChecks


@pytest.mark.parametrize("side", body.BOTH, ids=lambda s: s.name)
def test_each_side_names_its_own_landmarks(side):
    attrs = ("shoulder", "hip", "knee", "ankle", "heel", "toe")
    names = [landmarks.NAMES[body.POINTS[getattr(side, attr)]] for attr in attrs]
    assert names == [f"{side.name}_{part}" for part in body.PARTS]
    assert side.other.name != side.name and side.other.other is side
    assert body.SIDES[side.name] is side


def test_the_face_points_follow_the_legs():
    face = [landmarks.NAMES[body.POINTS[i]] for i in (body.NOSE, body.LEFT_EAR, body.RIGHT_EAR)]
    assert face == ["nose", "left_ear", "right_ear"]
    assert body.POINTS[:12] == body.LEG_POINTS and len(set(body.POINTS)) == len(body.POINTS)


def test_leg_length_and_bounce_in_pixels_and_leg_lengths():
    # thigh 3-4-5, shank 6-8-10: 15 px of leg
    assert metrics.leg_length((0.0, 0.0), (3.0, 4.0), (9.0, 12.0)) == 15.0
    assert metrics.leg_length((0.0, 0.0), (math.nan, 4.0), (9.0, 12.0)) != 15.0  # NaN out
    assert metrics.bounce(530.0, 500.0, 300.0) == pytest.approx(0.1)


def test_metrics_sign_follows_the_facing():
    hip, ankle, shoulders = (100.0, 0.0), (90.0, 100.0), (110.0, -100.0)
    # facing +x: the hip 10 px ahead of the ankle, leaning forward
    assert metrics.hip_ankle_offset(hip, ankle, 1, 100.0) == pytest.approx(0.1)
    assert metrics.lean_deg(ankle, shoulders, 1) == pytest.approx(math.degrees(math.atan(0.1)))
    # the same picture for a runner facing -x: behind, leaning back
    assert metrics.hip_ankle_offset(hip, ankle, -1, 100.0) == pytest.approx(-0.1)
    assert metrics.lean_deg(ankle, shoulders, -1) < 0
    assert metrics.knee_flexion_deg((0.0, 0.0), (0.0, 50.0), (0.0, 100.0)) == 0.0


def _stance_of_frames(rtm, start: int, stop: int, side: body.Side) -> Stance:
    frames = []
    idx = np.array(body.POINTS)
    for i in range(start, stop):
        xy, vis = rtm.xy[i], rtm.vis[i]
        p, v = xy.take(idx, axis=0).tolist(), vis.take(idx).tolist()
        frames.append(FootFrame(float(rtm.t[i]), 0.0, 0.0, 0.0, 0.0, True, (p, v, xy, vis)))
    mid = frames[len(frames) // 2].t
    return Stance(side.name, tuple(frames), mid, 0.6)


def test_measure_reads_the_stance_ankle_and_the_near_hip(rtm):
    # A real stretch of the clip measured as a stance of each foot: the two feet differ, and the
    # midstance pose has the measured foot's ankle at the origin.
    leg_px = 200.0
    left = measure(_stance_of_frames(rtm, 60, 68, body.LEFT), body.LEFT, body.LEFT, -1, leg_px)
    right = measure(_stance_of_frames(rtm, 60, 68, body.RIGHT), body.RIGHT, body.LEFT, -1, leg_px)
    assert left["hip_ankle_offset"] != right["hip_ankle_offset"]
    assert set(left) <= set(STEP_FIELDS)
    for m, side in ((left, "left"), (right, "right")):
        pose = m["midstance_pose"]
        assert pose["xy"][landmarks.INDEX[f"{side}_ankle"]] == [0.0, 0.0]
        assert all(isinstance(m[k], float) for k in ("lean_deg", "trunk_deg", "overstride"))


def test_the_live_analyzer_shows_the_latest_frame_and_learns_the_facing(rtm):
    analyzer = RunAnalyzer(fps=rtm.fps, facing="right")
    xy, vis = analyzer.pose
    assert np.isnan(xy).all() and not vis.any()  # nothing seen yet
    for t, xy, vis in zip(rtm.t, rtm.xy, rtm.vis, strict=True):
        analyzer.push(t, xy, vis)
    assert analyzer.pose[0] is xy and analyzer.pose[1] is vis
    assert analyzer.facing == "right"  # the setting
    assert analyzer.seen_facing == "left"  # what the runner showed
    assert analyzer.run_cadence_spm is None  # live: only the recent strides are kept


def test_a_whole_run_cadence_is_the_reports(rtm):
    # the analyzer as analyze_trace builds it: every stride kept, the frame size known
    analyzer = RunAnalyzer(fps=rtm.fps, frame_size=(rtm.width, rtm.height), whole_run=True)
    steps: list[Step] = []
    for t, xy, vis in zip(rtm.t, rtm.xy, rtm.vis, strict=True):
        steps += analyzer.push(t, xy, vis).steps
    steps += analyzer.finish()
    report = analyze_trace(rtm)
    assert round(analyzer.run_cadence_spm, 1) == report["cadence_spm"]
    assert [s.as_dict() for s in steps] == report["steps"]


def _points(rtm, i: int) -> tuple[list, list]:
    idx = np.array(body.POINTS)
    return rtm.xy[i].take(idx, axis=0).tolist(), rtm.vis[i].take(idx).tolist()


def test_the_view_checks_see_the_feet_leave_the_bottom_of_the_picture(rtm):
    seen, cropped = CaptureJudge(10.0), CaptureJudge(10.0)
    checks = ViewChecks()
    lowest = max(
        y for i in range(0, len(rtm.t), 3) for y in (p[1] for p in _points(rtm, i)[0][:12])
    )
    for i in range(0, len(rtm.t), 3):
        p, v = _points(rtm, i)
        checks.feet(seen, p, v, (rtm.width, rtm.height))
        checks.feet(cropped, p, v, (rtm.width, round(lowest) - 60))  # the picture ends above
    assert "feet_out_of_frame" not in seen.codes
    assert "feet_out_of_frame" in cropped.codes
    assert "at the bottom" in cropped.in_force[0].message


def test_label_swaps_between_steps_put_labels_unstable_in_force(rtm):
    stance = _stance_of_frames(rtm, 60, 68, body.LEFT)
    p, v = _points(rtm, 100)
    ok = [x >= body.MIN_VIS for x in v]
    la, ra = body.LEFT.ankle, body.RIGHT.ankle
    assert ok[la] and ok[ra] and math.dist(p[la], p[ra]) > 0.3 * 200.0  # two feet apart
    swapped = list(p)
    swapped[la], swapped[ra] = p[ra], p[la]
    in_force = {}
    for frames in ((p, p), (p, swapped)):
        checks, judge = ViewChecks(), CaptureJudge(10.0)
        for _ in range(4):  # the fewest steps the judge decides on
            for frame in frames:
                checks.count_swaps(frame, ok, 200.0)
            checks.stance(judge, stance, 200.0)
        in_force[frames[1] is swapped] = "labels_unstable" in judge.codes
    assert in_force == {False: False, True: True}


def test_a_missed_contact_keeps_its_time_in_the_run_cadence():
    # a stride twice the usual is two strides around a contact the pose model lost: dropping
    # it would drop a stretch of the run (at 15 fps the 6 s clip read 1.6 steps/min high)
    assert cadence_spm([0.70, 0.72, 0.72, 1.48]) == pytest.approx(120 / (3.62 / 5))
    # a stride off by anything else is an error, not a step: left out
    assert cadence_spm([0.70, 0.72, 0.72, 1.10]) == pytest.approx(120 / (2.14 / 3))
