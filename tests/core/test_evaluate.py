"""core.evaluate: scoring a report against truth, on small hand-made truth and report dicts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core import evaluate
from core.errors import InputError
from core.trace import Trace, retime


def ev(leg: str, kind: str, frame: int) -> dict:
    return {"leg": leg, "type": kind, "frame": frame}


def truth(events, fps=30, **extra) -> dict:
    return {"fps": fps, "facing": "left", "near_leg": "left", "events": events, **extra}


def step(t: float, leg: str = "left", verdict: str | None = "good", **extra) -> dict:
    return {"leg": leg, "contact_t": t, "midstance_t": None, "toe_off_t": None,
            "verdict": verdict, **extra}  # fmt: skip


def report(steps, cadence=None, facing="left", **extra) -> dict:
    return {"facing": facing, "fps": 30.0, "cadence_spm": cadence, "steps": steps,
            "warnings": [], **extra}  # fmt: skip


def test_matching_is_one_to_one_and_nearest_first():
    # two detections around one contact: only one may count
    assert evaluate.match_contacts([1.0], [0.98, 1.01], 0.1) == [(0, 1)]
    # 1.09 is nearer the contact at 1.1 than the one at 1.0: it goes there, not to the first
    assert evaluate.match_contacts([1.0, 1.1], [1.09], 0.1) == [(1, 0)]
    assert evaluate.match_contacts([], [1.0], 0.1) == []
    item = evaluate.score_item(truth([ev("near", "ic", 30)]), report([step(0.98), step(1.01)]))
    assert item["recall"] == 1.0 and item["precision"] == 0.5 and item["matched"] == 1


@pytest.mark.parametrize(
    ("frames_off", "matched"), [(0, True), (2.9, True), (3, True), (-3, True), (3.1, False)]
)
def test_three_frame_tolerance_edges(frames_off, matched):
    # exactly 3 frames (float-rounded times) is inside; 3.1 frames is a miss
    t = (30 + frames_off) / 30
    item = evaluate.score_item(truth([ev("near", "ic", 30)]), report([step(t)]))
    assert item["recall"] == (1.0 if matched else 0.0)
    assert item["tolerance_ms"] == 100.0


@pytest.mark.parametrize(("fps", "frame", "off"), [(150.002, 6, 3), (150.002, 3350, -3),
                                                   (30, 40, -3), (60, 100, 3)])  # fmt: skip
def test_exactly_three_frames_counts_after_the_reports_rounding(fps, frame, off):
    # Reports give times to 0.1 ms: a contact exactly 3 frames off may read 0.05 ms farther,
    # and must still count (the Fukuchi 150 Hz item lost three such contacts).
    t = round((frame + off) / fps, 4)
    assert abs(t - frame / fps) > 3 / fps  # the rounding pushed it past the bare tolerance
    item = evaluate.score_item(truth([ev("near", "ic", frame)], fps=fps), report([step(t)]))
    assert item["recall"] == 1.0 and item["precision"] == 1.0
    # one tenth of a frame more is still a miss
    late = round((frame + off * 1.1) / fps, 4)
    item = evaluate.score_item(truth([ev("near", "ic", frame)], fps=fps), report([step(late)]))
    assert item["recall"] == 0.0


def test_precision_counts_only_inside_the_annotated_span():
    events = [ev("near", "ic", 30), ev("far", "ic", 40), ev("near", "ic", 50)]
    steps = [step(f / 30) for f in (30, 40, 50)]
    # far outside the annotation (frame 100) and just beyond its 3-frame margin: not counted
    outside = [step(100 / 30), step(26.5 / 30)]
    item = evaluate.score_item(truth(events), report(steps + outside))
    assert item["precision"] == 1.0 and item["steps_in_truth_span"] == 3 and item["steps"] == 5
    # a spurious contact inside the span is counted against precision
    item = evaluate.score_item(truth(events), report([*steps, step(45 / 30)]))
    assert item["precision"] == 0.75


def test_near_far_recall_and_leg_labels():
    events = [ev("near", "ic", 10), ev("far", "ic", 20), ev("near", "ic", 30), ev("far", "ic", 40)]
    # near_leg is left: near contacts should be "left", far ones "right"; one far swapped
    steps = [step(10 / 30, "left"), step(20 / 30, "right"), step(30 / 30, "left"),
             step(40 / 30, "left")]  # fmt: skip
    item = evaluate.score_item(truth(events), report(steps))
    assert item["recall"] == 1.0  # matched by time whatever the label
    assert item["leg_label_accuracy"] == 0.75
    # the far leg missed entirely: its recall is 0, the near leg's stays 1
    item = evaluate.score_item(truth(events), report(steps[::2]))
    assert (item["near_recall"], item["far_recall"], item["recall"]) == (1.0, 0.0, 0.5)
    # no far events annotated at all: far recall is unknown, not zero
    item = evaluate.score_item(truth(events[::2]), report(steps[::2]))
    assert item["far_recall"] is None and item["near_recall"] == 1.0


def test_toe_off_and_midstance_of_the_same_stance():
    events = [ev("near", "ic", 30), ev("near", "ms", 34), ev("near", "to", 38),
              ev("near", "ic", 51), ev("near", "to", 59), ev("far", "to", 45)]  # fmt: skip
    steps = [
        step(30 / 30, toe_off_t=37 / 30, midstance_t=35 / 30),
        step(52 / 30, toe_off_t=59 / 30),  # no truth ms for this stance: not scored
    ]
    item = evaluate.score_item(truth(events), report(steps))
    assert item["ic_error_ms_median"] == pytest.approx(1000 / 60, abs=0.1)  # 0 and 1 frame
    assert item["ic_bias_ms_median"] == pytest.approx(1000 / 60, abs=0.1)
    assert item["to_error_ms_median"] == pytest.approx(1000 / 60, abs=0.1)  # 1 and 0 frames
    assert item["to_bias_ms_median"] == pytest.approx(-1000 / 60, abs=0.1)  # reported early
    assert item["ms_error_ms_median"] == pytest.approx(1000 / 30, abs=0.1)
    assert evaluate.score_item(truth(events[:1]), report(steps[:1]))["to_error_ms_median"] is None


def test_capture_fps_time_base():
    # a 240 fps camera exported at 30 fps: truth frames are 1/240 s of real time apart
    events = [ev("near", "ic", 240), ev("near", "ic", 400), ev("near", "ic", 560)]
    t = truth(events, capture_fps=240)
    item = evaluate.score_item(t, report([step(1.0), step(400 / 240), step(560 / 240 + 0.02)]))
    assert item["tolerance_ms"] == 12.5 and item["capture_fps"] == 240
    assert item["recall"] == pytest.approx(2 / 3, abs=1e-3)  # 20 ms off is > 3 frames at 240
    assert item["truth_cadence_spm"] == pytest.approx(180.0)  # 160 frames a stride at 240 fps
    # the same truth without its capture_fps, re-timed by the caller (eval --capture-fps)
    plain = truth(events)
    same = evaluate.score_item(plain, report([step(1.0), step(400 / 240)]), capture_fps=240)
    assert same["recall"] == pytest.approx(2 / 3, abs=1e-3)
    # and read at the file's rate, the same frames are 8x later
    assert evaluate.score_item(plain, report([step(8.0)]))["recall"] == pytest.approx(1 / 3, 1e-3)


def test_a_variable_frame_rate_is_scored_at_the_inputs_own_frame_times():
    # a phone kept frames 0-9, dropped 10-14, kept 15 on: input frame k is at k/30 up to 9
    # and (k + 5)/30 after, so truth frame 20 (the 21st kept) was filmed at 25/30 s
    kept = np.r_[0:10, 15:60]
    times = kept / 30.0
    events = [ev("near", "ic", 20), ev("far", "ic", 30), ev("near", "ic", 40)]
    steps = [step(25 / 30), step(35 / 30 + 0.01), step(45 / 30)]
    by_fps = evaluate.score_item(truth(events), report(steps))
    assert by_fps["recall"] == 0.0  # frame/fps puts each contact 5 frames early
    own = evaluate.score_item(truth(events), report(steps), frame_times=times)
    assert own["recall"] == 1.0 and own["precision"] == 1.0
    assert own["ic_error_ms_median"] == pytest.approx(0.0)
    assert own["truth_cadence_spm"] == pytest.approx(180.0)  # 10 frames a step, filmed 1/3 s


def test_within_3_frames_counts_the_inputs_frames_across_a_gap():
    # truth on frame 10, the first after 4 dropped frames (at 14/30 s); a contact reported on
    # frame 9 (at 9/30 s, 167 ms earlier) is one frame of the input away: the same contact
    times = np.r_[0:10, 14:40] / 30.0
    item = evaluate.score_item(truth([ev("near", "ic", 10)]), report([step(9 / 30)]),
                               frame_times=times)  # fmt: skip
    assert item["recall"] == 1.0 and item["ic_error_ms_median"] == pytest.approx(166.7, 0.1)
    clock = evaluate.frame_clock(np.array([9 / 30, 14 / 30, 45 / 30]), 1 / 30, times)
    # past the last frame (35, at 39/30 s) the clock runs on at 30 fps: 45/30 s is frame 41
    assert clock * 30 == pytest.approx([9.0, 10.0, 41.0])
    assert evaluate.frame_clock(np.array([0.5]), 1 / 30, None) == pytest.approx([0.5])


def test_truth_cadence_is_robust_to_a_missed_annotation():
    # 20 frames a stride at 30 fps = 0.667 s, 2 steps per stride: 180 steps/min
    near = [ev("near", "ic", f) for f in range(10, 300, 20)]
    far = [ev("far", "ic", f) for f in range(20, 300, 20)]
    full = evaluate.score_item(truth(near + far), report([]))
    del far[5]  # one missed far contact doubles one interval
    missed = evaluate.score_item(truth(near + far), report([]))
    assert full["truth_cadence_spm"] == missed["truth_cadence_spm"] == pytest.approx(180.0)
    assert evaluate.truth_cadence_spm({"near": np.array([1.0])}) is None


def test_truth_cadence_from_the_force_plates_own_times_not_the_rounded_frames():
    # strides of 0.71 s (169.0 spm) that 30 fps frames round to 21 or 22 frames: the frames
    # alone read 168.2 spm, the force plate's own times the real cadence
    t_ic = [0.33 + 0.355 * k for k in range(12)]
    rounded = [ev("near" if k % 2 else "far", "ic", math.ceil(t * 30)) for k, t in enumerate(t_ic)]
    exact = [dict(e, t=round(t, 4)) for e, t in zip(rounded, t_ic, strict=True)]
    by_frames = evaluate.score_item(truth(rounded), report([]))["truth_cadence_spm"]
    by_times = evaluate.score_item(truth(exact), report([]))["truth_cadence_spm"]
    assert by_frames == pytest.approx(168.22, abs=0.01)
    assert by_times == pytest.approx(120.0 / 0.71, abs=0.01)
    assert evaluate.exact_ic_times(truth(rounded)) is None  # no "t": the frames it is
    # "t" on only some contacts: not used at all, no mixing of time bases
    assert evaluate.exact_ic_times(truth([*exact[:-1], rounded[-1]])) is None


def test_verdicts_facing_capture_and_cadence_error():
    steps = [step(1.0, verdict="good"), step(1.3, verdict="warn"), step(1.6, verdict=None),
             step(1.9, verdict="bad"), step(2.2, verdict=None)]  # fmt: skip
    events = [ev("near", "ic", 30), ev("near", "ic", 48), ev("near", "ic", 66)]
    item = evaluate.score_item(truth(events), report(steps, cadence=201.0, facing="right"))
    assert item["verdicts"] == {"good": 1, "warn": 1, "bad": 1, "unjudged": 2}
    assert item["facing_ok"] is False
    assert item["capture_ok"] is None  # a report without a capture judgement
    assert item["cadence_error_spm"] == pytest.approx(1.0)  # truth: 18 frames a stride = 200
    capture = {"ok": False, "problems": [{"code": "feet_out_of_frame", "message": "", "share": 1}]}
    item = evaluate.score_item(truth(events), report(steps, capture=capture))
    assert item["capture_ok"] is False and item["capture_problems"] == ["feet_out_of_frame"]


def test_a_given_fault_is_scored_as_the_share_of_judged_steps_naming_it():
    steps = [step(1.0, verdict="bad", reasons=["hip_behind", "overstride"]),
             step(1.3, verdict="warn", reasons=["overstride"]), step(1.6, verdict=None),
             step(1.9, verdict="good", reasons=[])]  # fmt: skip
    events = [ev("near", "ic", 30), ev("near", "ic", 48)]
    faulted = truth(events, expect={"reason": "hip_behind"})
    assert evaluate.score_item(faulted, report(steps))["fault_share"] == pytest.approx(
        1 / 3, abs=1e-4
    )
    assert evaluate.score_item(truth(events), report(steps))["fault_share"] is None
    # nothing judged: nothing named, which fails the target (a refusal is no answer)
    unjudged = [step(1.0, verdict=None)]
    assert evaluate.score_item(faulted, report(unjudged))["fault_share"] is None


def test_a_runner_given_a_fault_is_held_to_naming_it_not_to_good_verdicts():
    base = {"group": "clip", "near_recall": 1.0, "far_recall": 1.0, "ic_error_frames_median": 0,
            "cadence_error_spm": 0.1, "facing_ok": True}  # fmt: skip
    good = {**base, "name": "a", "expect": {}, "capture_ok": True,
            "verdicts": {"good": 30, "warn": 0, "bad": 0, "unjudged": 2}}  # fmt: skip
    told = {**base, "name": "b", "expect": {"reason": "hip_bend"}, "capture_ok": True,
            "fault_share": 0.95,
            "verdicts": {"good": 1, "warn": 2, "bad": 27, "unjudged": 2}}  # fmt: skip
    missed = {**told, "name": "c", "fault_share": 0.5}
    refused = {**told, "name": "d", "capture_ok": False, "fault_share": None}
    checks = {c["check"]: c for c in evaluate.check_targets([good, told, missed, refused])}
    assert checks["clip every judged step good"]["detail"] == "1 of 1 items"
    named = checks["form fault named on >= 90 % of judged steps"]
    assert not named["ok"] and named["detail"].startswith("1 of 3")
    assert "c (fault_share 0.5)" in named["detail"] and "d (fault_share n/a)" in named["detail"]
    assert "d (capture_ok False)" in checks["form fault: the view judged"]["detail"]


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ([], "JSON object"),
        ({"fps": 0, "events": []}, "'fps'"),
        ({"fps": 30, "events": [], "near_leg": "Left"}, "'near_leg'"),
        ({"fps": 30, "events": [], "capture_fps": 5000}, "'capture_fps'"),
        ({"fps": 30, "events": {}}, "'events'"),
        ({"fps": 30, "events": [{"leg": "left", "type": "ic", "frame": 1}]}, "events[0]: 'leg'"),
        ({"fps": 30, "events": [{"leg": "near", "type": "hs", "frame": 1}]}, "'type'"),
        ({"fps": 30, "events": [{"leg": "near", "type": "ic", "frame": 1.5}]}, "'frame'"),
        ({"fps": 30, "events": [], "expect": True}, "'expect'"),
        ({"fps": 30, "events": [], "expect": {"reason": "slouching"}}, "'expect.reason'"),
        ({"fps": 30, "events": [{"leg": "near", "type": "ic", "frame": 1, "t": -1}]}, "'t'"),
        ({"fps": 30, "events": [{"leg": "near", "type": "ic", "frame": 1, "t": "0.1"}]}, "'t'"),
    ],
)
def test_truth_is_checked_with_one_clear_message(bad, says):
    with pytest.raises(InputError, match=None) as exc:
        evaluate.check_truth(bad, "x.contacts.json")
    assert says in str(exc.value) and str(exc.value).startswith("x.contacts.json")


def test_targets_table():
    good = {"name": "a", "group": "mocap", "fps": 200.0, "recall": 1.0, "precision": 1.0,
            "cadence_error_spm": 0.2, "ic_error_ms_median": 5.0, "to_error_ms_median": 8.0,
            "facing_ok": True, "expect": {}, "verdicts": {}}  # fmt: skip
    low = {**good, "name": "b", "fps": 30.0, "recall": 0.92, "precision": None}
    refused = {"name": "c", "group": "clip", "expect": {"capture_ok": False}, "capture_ok": False,
               "verdicts": {"good": 0, "warn": 1, "bad": 0, "unjudged": 20}}  # fmt: skip
    broken = {"name": "d", "kind": "trace", "group": "mocap", "error": "x: cannot read"}
    checks = {c["check"]: c for c in evaluate.check_targets([good, low, refused, broken])}
    assert checks["mocap recall >= 0.95 at the native rate"]["ok"] is True
    assert checks["mocap recall >= 0.90 below 100 fps"]["detail"].startswith("1 of 1")
    # an unknown value fails: a target is only met when measured
    assert checks["mocap precision >= 0.90 below 100 fps"]["ok"] is False
    assert "b (precision n/a)" in checks["mocap precision >= 0.90 below 100 fps"]["detail"]
    assert checks["bad view: capture.ok false"]["ok"] is True
    assert checks["bad view: no step judged"]["ok"] is False
    assert checks["every item loads and is scored"]["detail"].startswith("3 of 4")
    # the failed mocap item fails the mocap rules; the clip rules do not apply to a refused view
    assert "d (" in checks["mocap cadence within 1.5 spm"]["detail"]
    assert not any(c.startswith("clip ") for c in checks)
    summary = evaluate.summarize([good, low, refused, broken], skipped=2)
    assert (summary["items"], summary["scored"], summary["failed"]) == (4, 3, 1)
    assert summary["recall_min"] == 0.92 and summary["skipped"] == 2


def test_targets_with_someone_else_in_view():
    # another runner in the picture: refusing the view is honest, a wrong verdict is not; where
    # the view is accepted, the runner's own steps must be found (and the clip's targets, made
    # for a clear view, do not apply)
    others = {"group": "clip", "expect": {"others_in_view": True}}
    refused = {**others, "name": "r", "capture_ok": False, "near_recall": 0.5,
               "verdicts": {"good": 2, "warn": 0, "bad": 0, "unjudged": 20}}  # fmt: skip
    right = {**others, "name": "a", "capture_ok": True, "near_recall": 1.0,
             "cadence_error_spm": -0.4, "verdicts": {"good": 25, "warn": 0, "bad": 0}}  # fmt: skip
    lost = {**right, "name": "b", "near_recall": 0.88, "cadence_error_spm": 2.4}
    checks = {c["check"]: c for c in evaluate.check_targets([refused, right, lost])}
    assert checks["others in view: every judged step good"]["ok"] is True
    recall = checks["others in view, ok: near-leg recall >= 0.95"]
    assert recall["ok"] is False and recall["detail"].startswith("1 of 2")  # r not counted
    assert "b (near_recall 0.88" in recall["detail"]
    assert checks["others in view, ok: cadence within 1.5 spm"]["ok"] is False
    assert not any(c.startswith("clip ") for c in checks)
    warned = {**right, "name": "w", "verdicts": {"good": 20, "warn": 1, "bad": 0}}
    checks = {c["check"]: c for c in evaluate.check_targets([refused, warned])}
    assert checks["others in view: every judged step good"]["ok"] is False


def test_retime_gives_real_time_and_is_idempotent():
    n = 10
    t = np.arange(n) / 30.0
    xy, vis = np.zeros((n, 33, 2)), np.ones((n, 33))
    slow = Trace(30.0, 100, 100, "x", t, xy, vis)  # a 240 fps camera exported at 30 fps
    real = retime(slow, 240)
    assert real.fps == 240 and real.t[1] == pytest.approx(1 / 240)
    assert real.header["capture_fps"] == 240 and real.header["file_fps"] == 30
    again = retime(real, 240)
    assert np.array_equal(again.t, real.t) and again.header["file_fps"] == 30
    assert slow.fps == 30 and slow.t[1] == pytest.approx(1 / 30)  # the input is untouched
    for bad in (0, -30, math.nan, math.inf, 0.5, 2400):
        with pytest.raises(InputError, match="capture fps"):
            retime(slow, bad)


def test_timebase_drift():
    assert evaluate.timebase_drift(np.arange(5) / 30, 1 / 30) == pytest.approx(0.0)
    assert evaluate.timebase_drift(np.arange(5) / 30 + 0.5, 1 / 30) == pytest.approx(0.5)
