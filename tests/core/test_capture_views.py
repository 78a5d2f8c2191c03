"""The capture judge on real footage and motion capture made into bad views (the corpus
builder's transforms): no verdict where the view cannot support one, and the installer is told
why. The same inputs with a good view are judged, so the judge is not simply refusing."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from core.analysis import RunAnalyzer, analyze_trace
from core.trace import read_trace, retime
from corpus.__main__ import main as build_corpus
from midstance.cli import main as midstance
from tests.core.conftest import resample, run_live


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Builds the named corpus items (from ../shared/data) into one folder, once each."""
    out = tmp_path_factory.mktemp("corpus")

    def item(name: str, suffix: str):
        if not (out / f"{name}{suffix}").exists():
            assert build_corpus([str(out), "--only", name]) == 0
        return out / f"{name}{suffix}", json.loads((out / f"{name}.contacts.json").read_text())

    return item


def judged(report: dict) -> list[dict]:
    return [s for s in report["steps"] if s["verdict"] is not None]


def test_mocap_seen_obliquely_is_not_judged(corpus):
    path, truth = corpus("hamner_s01_run3_oblique", ".trace.jsonl")
    assert truth["expect"] == {"capture_ok": False, "problem": "not_side_on"}
    report = analyze_trace(read_trace(path))
    codes = [p["code"] for p in report["capture"]["problems"]]
    assert report["capture"]["ok"] is False and "not_side_on" in codes
    assert judged(report) == []
    # still timed: the steps are there, with their problem named
    assert len(report["steps"]) >= 12
    assert all("not_side_on" in s["problems"] for s in report["steps"])
    assert any("square to the belt" in w for w in report["warnings"])


def test_the_same_run_side_on_is_judged_good(corpus):
    path, _ = corpus("hamner_s01_run3_right", ".trace.jsonl")
    report = analyze_trace(read_trace(path))
    assert report["capture"] == {"ok": True, "problems": []}
    steps = judged(report)
    # (its first 5 steps are timed while the view is checked: view_unchecked)
    assert len(steps) >= 8 and all(s["verdict"] == "good" for s in steps)
    assert [s["problems"] for s in report["steps"][:5]] == [["view_unchecked"]] * 5


@pytest.mark.parametrize(
    "name, code, words",
    [
        ("clip_panning", "camera_moving", "fix it firmly"),
        ("clip_feet_cropped", "feet_out_of_frame", "move the camera back"),
        ("clip_far_away", "runner_too_small", "move the camera closer"),
    ],
)
def test_bad_views_of_the_real_clip_are_not_judged(corpus, models_dir, tmp_path, capsys, name,
                                                   code, words):  # fmt: skip
    video, truth = corpus(name, ".mp4")
    assert truth["expect"]["problem"] == code
    out = tmp_path / "report.json"
    rc = midstance(["analyze", str(video), "--json", str(out), "--models-dir", str(models_dir)])
    printed = capsys.readouterr().out
    assert rc == 0
    report = json.loads(out.read_text())
    assert report["capture"]["ok"] is False
    assert code in [p["code"] for p in report["capture"]["problems"]]
    assert judged(report) == [] and report["summary"]["good_share"] is None
    assert words in printed and "keep it up" not in printed


@pytest.mark.parametrize("fps", [8, 10])
def test_too_few_frames_a_second_are_not_judged_and_the_installer_is_told(rtm, fps):
    # the real clip's keypoints at the rate a slow Pi analyses them: at 8 a second the steps
    # read 110 a minute for a runner at 169 and good steps warn, so nothing may be judged
    report = analyze_trace(resample(rtm, fps))
    codes = [p["code"] for p in report["capture"]["problems"]]
    assert report["capture"]["ok"] is False and "frame_rate_too_low" in codes
    assert judged(report) == []
    assert any(f"({fps}, judging needs 13)" in w and "Pi 5" in w for w in report["warnings"])
    # nor is a step rate given: it read 110 a minute at 8 frames a second
    assert report["cadence_spm"] is None and report["summary"]["cadence_spm"] is None
    assert any(w.startswith("step rate not given: the step times are wrong") for w in report[
        "warnings"])  # fmt: skip


def test_a_pi_that_analyses_8_frames_of_a_30_fps_camera_shows_not_judging(rtm):
    # live: the analyzer is set up for the camera's 30 fps, the frames come at 8 a second
    analyzer = RunAnalyzer(fps=30)
    steps, leds = run_live(resample(rtm, 8), analyzer)
    assert steps and all(s["verdict"] is None for s in steps)
    assert all("frame_rate_too_low" in s["problems"] for s in steps)
    assert leds[-1] == "not_judging"
    # the page shows no step rate while the step times are wrong
    assert analyzer.cadence_spm is None and all(s["cadence_spm"] is None for s in steps)


@pytest.mark.parametrize("fps", [15, 24])
def test_15_frames_a_second_and_more_are_judged(rtm, fps):
    report = analyze_trace(resample(rtm, fps))
    assert "frame_rate_too_low" not in [p["code"] for p in report["capture"]["problems"]]
    assert len(judged(report)) >= 20


def test_a_slow_motion_file_under_13_fps_is_pointed_to_capture_fps(rtm):
    # the clip played 4x slower (7.5 frames a second of file time): too few frames a second
    # and slow motion, and both say how to read it; with its real rate it is judged
    slow = dataclasses.replace(rtm, t=rtm.t * 4, fps=7.5)
    report = analyze_trace(slow)
    words = {p["code"]: p["message"] for p in report["capture"]["problems"]}
    assert all("--capture-fps" in words[c] for c in ("frame_rate_too_low", "slow_motion"))
    assert judged(report) == []
    # the quarter-speed step rate is named as timed, never given as the runner's
    assert report["cadence_spm"] is None
    assert any("steps/min as timed" in w for w in report["warnings"])
    real = analyze_trace(retime(slow, 30.0))
    assert real["capture"]["ok"] and len(judged(real)) >= 20
    assert abs(real["cadence_spm"] - 168.9) <= 1.5


@pytest.mark.parametrize(
    "turns, where", [(1, "on its side"), (3, "on its side"), (2, "upside down")]
)
def test_a_turned_picture_is_named_and_not_judged(corpus, turns, where):
    # a camera mounted on its side without camera.rotate (or a file read as stored): the
    # runner lies across the picture; the heights, side-on and feet checks would name the
    # wrong fault ("camera too low"), so only the turn is named
    path, _ = corpus("hamner_s01_run3_right", ".trace.jsonl")
    tr = read_trace(path)
    w, h = tr.width, tr.height
    x, y = tr.xy[..., 0], tr.xy[..., 1]
    xy = tr.xy.copy()
    if turns == 1:  # a quarter turn counterclockwise: (x, y) -> (y, w - x)
        xy[..., 0], xy[..., 1], size = y, w - x, (h, w)
    elif turns == 3:
        xy[..., 0], xy[..., 1], size = h - y, x, (h, w)
    else:
        xy[..., 0], xy[..., 1], size = w - x, h - y, (w, h)
    turned = dataclasses.replace(tr, xy=xy, width=size[0], height=size[1])
    report = analyze_trace(turned)
    problems = report["capture"]["problems"]
    assert report["capture"]["ok"] is False and judged(report) == []
    assert [p["code"] for p in problems] == ["picture_turned"]
    assert f"turned {where}" in problems[0]["message"] and "camera.rotate" in problems[0]["message"]
    # no facing read across a picture on its side (the belt runs up or down there), and no hint
    # to set one: turning the picture comes first
    assert report["facing"] is None
    assert not any(w.startswith("facing not determined") for w in report["warnings"])
    live = RunAnalyzer(fps=tr.fps, frame_size=size)
    _, leds = run_live(turned, live)
    assert [p.code for p in live.problems] == ["picture_turned"] and leds[-1] == "not_judging"


def measured_roll(trace, degrees: float):
    """The trace with the camera's roll measured at ``degrees`` on the frames
    :class:`device.level.LevelMeter` measures (a second apart, then 5 s)."""
    from device import level

    roll = np.full(len(trace), np.nan)
    next_t, count = trace.t[0], 0
    for i, t in enumerate(trace.t):
        if t >= next_t:
            count += 1
            roll[i] = degrees
            next_t = t + (level.EVERY_S if count < level.FIRST else level.LATER_S)
    return dataclasses.replace(trace, roll=roll)


def test_a_camera_off_level_is_named_and_not_judged(rtm):
    # the clip's own keypoints (another pose model's): 3.4 deg is where the clip rolled 5 deg
    # clockwise on its mount is (it is 1.6 deg the other way as filmed)
    level = analyze_trace(rtm)
    report = analyze_trace(measured_roll(rtm, 3.4))
    problems = report["capture"]["problems"]
    assert report["capture"]["ok"] is False and judged(report) == []
    assert [p["code"] for p in problems] == ["camera_not_level"]
    message = problems[0]["message"]
    assert "turned 3 deg clockwise" in message and "spirit level" in message
    # the steps are still timed, the same ones, each naming why it was not judged
    assert [s["contact_t"] for s in report["steps"]] == [s["contact_t"] for s in level["steps"]]
    assert report["cadence_spm"] == level["cadence_spm"]
    assert all("camera_not_level" in s["problems"] for s in report["steps"][2:])
    # anticlockwise is named so, and live the LED says it is not judging once two
    # measurements agree (two seconds)
    other = analyze_trace(measured_roll(rtm, -6.6))
    assert "turned 7 deg anticlockwise" in other["capture"]["problems"][0]["message"]
    steps, leds = run_live(measured_roll(rtm, 3.4))
    assert all(s["verdict"] is None for s in steps)
    assert set(leds[round(2.1 * rtm.fps) :]) <= {"not_judging"}


@pytest.mark.parametrize("degrees", [-2.4, -1.6, 0.0, 2.4])
def test_a_camera_within_a_few_degrees_of_level_is_judged_as_before(rtm, degrees):
    level = analyze_trace(rtm)
    report = analyze_trace(measured_roll(rtm, degrees))
    assert report == level
