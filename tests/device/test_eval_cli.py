"""`midstance eval` and `--capture-fps` through the real entry point, on the real clip's
RTMPose keypoints and its hand annotation; plus the careless user's slips."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.trace import retime, write_trace
from corpus.__main__ import main as build_corpus
from corpus.noise import main as noise
from midstance.cli import main
from tests.conftest import camera_rolled, shared_data
from tests.core.convert import rtmpose_trace

TRUTH = shared_data() / "treadmill_side_30fps.contacts.json"


@pytest.fixture(scope="module")
def trace():
    """The real clip's RTMPose keypoints as a 30 fps trace."""
    return rtmpose_trace(shared_data() / "treadmill_side_30fps.rtmpose26.json")


@pytest.fixture(scope="module")
def slow(trace):
    """The clip as a slow-motion export: the same frames played at 15 fps (times doubled)."""
    return dataclasses.replace(trace, t=trace.t * 2.0, fps=15.0)


@pytest.fixture()
def corpus(tmp_path, trace, slow) -> Path:
    """A folder: the clip trace and its truth; the slow-motion copy whose truth says it was
    filmed at 30 fps; a trace without truth."""
    d = tmp_path / "corpus"
    d.mkdir()
    write_trace(d / "clip_rtmpose.trace.jsonl", trace)
    shutil.copy(TRUTH, d / "clip_rtmpose.contacts.json")
    write_trace(d / "clip_slowmo.trace.jsonl", slow)
    truth = json.loads(TRUTH.read_text())
    (d / "clip_slowmo.contacts.json").write_text(json.dumps({**truth, "capture_fps": 30}))
    write_trace(d / "unlabelled.trace.jsonl", trace)
    return d


def run_eval(capsys, *args) -> tuple[int, str, str]:
    rc = main(["eval", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_eval_scores_the_clip_and_its_slow_motion_copy(corpus, tmp_path, capsys):
    out = tmp_path / "eval.json"
    rc, stdout, _ = run_eval(capsys, corpus, "--json", out)
    assert rc == 0
    result = json.loads(out.read_text())
    assert result["format"] == "midstance-eval/1"
    items = {it["name"]: it for it in result["items"]}
    assert set(items) == {"clip_rtmpose.trace.jsonl", "clip_slowmo.trace.jsonl"}
    clip = items["clip_rtmpose.trace.jsonl"]
    for key in ("kind", "fps", "truth_cadence_spm", "cadence_spm", "recall", "precision",
                "near_recall", "far_recall", "ic_error_ms_median", "to_error_ms_median",
                "ms_error_ms_median", "facing_ok", "capture_ok", "verdicts",
                "leg_label_accuracy", "steps", "truth_contacts"):  # fmt: skip
        assert key in clip, key
    assert clip["kind"] == "trace" and clip["fps"] == 30.0 and clip["truth_contacts"] == 34
    assert clip["recall"] > 0.8 and clip["precision"] > 0.8
    assert clip["cadence_spm"] == pytest.approx(168.9, abs=1.5)
    assert clip["truth_cadence_spm"] == pytest.approx(168.9, abs=1.5)
    assert clip["facing_ok"] is True and clip["ic_error_ms_median"] <= 34
    assert set(clip["verdicts"]) == {"good", "warn", "bad", "unjudged"}
    assert sum(clip["verdicts"].values()) == clip["steps"]
    # the slow-motion export, re-timed by its truth's capture_fps, scores the same
    slow = items["clip_slowmo.trace.jsonl"]
    assert slow["fps"] == 30.0 and slow["file_fps"] == 15.0 and slow["capture_fps"] == 30
    for key in ("recall", "precision", "near_recall", "far_recall", "cadence_spm",
                "ic_error_ms_median", "leg_label_accuracy", "verdicts"):  # fmt: skip
        assert slow[key] == clip[key], key
    assert result["skipped"] == [
        {"name": "unlabelled.trace.jsonl", "kind": "trace", "reason": "no unlabelled.contacts.json"}
    ]
    s = result["summary"]
    assert (s["items"], s["scored"], s["failed"], s["skipped"]) == (2, 2, 0, 1)
    assert any(t["check"] == "every item loads and is scored" and t["ok"] for t in s["targets"])
    # the table: a header, one row per item, the skipped input and the summary
    lines = stdout.splitlines()
    assert lines[0].split()[:3] == ["item", "kind", "fps"]
    assert lines[1].startswith("clip_rtmpose.trace.jsonl") and "error" not in lines[1]
    assert "skipped: unlabelled.trace.jsonl" in stdout and "2 scored, 0 failed" in stdout
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]  # atomic write


def test_command_line_capture_fps_for_items_without_it(corpus, tmp_path, capsys):
    truth = corpus / "clip_slowmo.contacts.json"
    plain = {k: v for k, v in json.loads(truth.read_text()).items() if k != "capture_fps"}
    truth.write_text(json.dumps(plain))
    out = tmp_path / "eval.json"
    # without it, the export's steps are twice as long: contacts miss, and the halved step
    # rate is only named as timed, never given as the runner's (slow_motion)
    assert run_eval(capsys, corpus, "--json", out)[0] == 0
    slow = {it["name"]: it for it in json.loads(out.read_text())["items"]}[
        "clip_slowmo.trace.jsonl"
    ]
    assert slow["cadence_spm"] is None
    assert any("slow motion" in w and "steps/min as timed" in w for w in slow["warnings"])
    # with it, both items score as the original (re-timing a 30 fps trace to 30 is a no-op)
    assert run_eval(capsys, corpus, "--json", out, "--capture-fps", "30")[0] == 0
    items = json.loads(out.read_text())["items"]
    assert items[0]["recall"] == items[1]["recall"] > 0.8
    assert items[0]["cadence_spm"] == items[1]["cadence_spm"]


def test_analyze_capture_fps_gives_the_original_cadence(slow, trace, tmp_path, capsys):
    write_trace(tmp_path / "clip.jsonl", trace)
    write_trace(tmp_path / "slow.jsonl", slow)
    reports = {}
    for name, extra in (("clip", []), ("slow", ["--capture-fps", "30"]), ("raw", [])):
        src = tmp_path / ("clip.jsonl" if name == "clip" else "slow.jsonl")
        out = tmp_path / f"{name}.json"
        assert main(["analyze", str(src), "--json", str(out), *extra]) == 0
        reports[name] = json.loads(out.read_text())
    capsys.readouterr()
    assert reports["slow"]["cadence_spm"] == pytest.approx(reports["clip"]["cadence_spm"], abs=0.05)
    assert reports["slow"]["fps"] == 30.0
    assert len(reports["slow"]["steps"]) == len(reports["clip"]["steps"])
    # the export read at face value is the half cadence the option exists for: never silent
    raw = reports["raw"]
    assert raw["cadence_spm"] is None or raw["cadence_spm"] < 100
    assert "slow_motion" in [p["code"] for p in raw["capture"]["problems"]]
    assert any("--capture-fps" in w for w in raw["warnings"])


@pytest.mark.parametrize("value", ["0", "-30", "nan", "inf", "2400", "fast"])
def test_bad_capture_fps_is_one_line(value, corpus, tmp_path, capsys):
    trace = corpus / "clip_rtmpose.trace.jsonl"
    pose = ["pose", str(tmp_path / "missing.mp4"), "--out", str(tmp_path / "t.jsonl")]
    for argv in (["analyze", str(trace)], ["eval", str(corpus)], pose):
        assert main([*argv, f"--capture-fps={value}"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--capture-fps" in err, err
    assert not (tmp_path / "t.jsonl").exists()


def test_missing_and_empty_dir(tmp_path, capsys):
    rc, _, err = run_eval(capsys, tmp_path / "nope")
    assert rc == 2 and "no such folder" in err and err.count("\n") == 1
    (tmp_path / "empty").mkdir()
    rc, _, err = run_eval(capsys, tmp_path / "empty")
    assert rc == 2 and "nothing to evaluate" in err
    (tmp_path / "empty" / "a.trace.jsonl").write_text("")
    rc, _, err = run_eval(capsys, tmp_path / "empty")
    assert rc == 2 and "1 inputs but none has" in err
    rc, _, err = run_eval(capsys, tmp_path / "empty" / "a.trace.jsonl")
    assert rc == 2 and "not a folder" in err


@pytest.mark.parametrize(
    "target", ["clip_rtmpose.trace.jsonl", "clip_rtmpose.contacts.json", "unlabelled.trace.jsonl"]
)
def test_json_onto_an_input_is_refused(corpus, target, capsys):
    path = corpus / target
    before = path.read_bytes()
    rc, stdout, err = run_eval(capsys, corpus, "--json", path)
    assert rc == 2 and "is an input of this evaluation" in err and stdout == ""
    assert path.read_bytes() == before
    # spelled another way (a relative path through ..) it is still the same file
    rc, _, err = run_eval(capsys, corpus, "--json", corpus / ".." / corpus.name / target)
    assert rc == 2 and path.read_bytes() == before


def test_json_into_a_missing_folder_is_refused_before_the_run(corpus, tmp_path, capsys):
    rc, stdout, err = run_eval(capsys, corpus, "--json", tmp_path / "no" / "eval.json")
    assert rc == 2 and "does not exist" in err and stdout == ""


def test_broken_items_are_error_rows_and_the_rest_is_scored(corpus, tmp_path, capsys):
    (corpus / "clip_slowmo.contacts.json").write_text('{"fps": 30, "events": [')
    (corpus / "phone.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    shutil.copy(TRUTH, corpus / "phone.contacts.json")
    (corpus / "bad_leg.trace.jsonl").write_bytes((corpus / "clip_rtmpose.trace.jsonl").read_bytes())
    truth = json.loads(TRUTH.read_text())
    truth["events"][0]["leg"] = "left"
    (corpus / "bad_leg.contacts.json").write_text(json.dumps(truth))
    out = tmp_path / "eval.json"
    rc, stdout, _ = run_eval(capsys, corpus, "--json", out)
    assert rc == 1
    items = {it["name"]: it for it in json.loads(out.read_text())["items"]}
    assert "not valid JSON" in items["clip_slowmo.trace.jsonl"]["error"]
    assert "events[0]: 'leg'" in items["bad_leg.trace.jsonl"]["error"]
    assert "phone.mp4" in items["phone.mp4"]["error"] and items["phone.mp4"]["kind"] == "video"
    assert items["clip_rtmpose.trace.jsonl"]["recall"] > 0.8
    assert "3 failed" in stdout and stdout.count(" error: ") == 3


def test_typo_in_an_option_is_a_usage_error(corpus, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["eval", str(corpus), "--jsno", "x.json"])
    assert exc.value.code == 2 and "--jsno" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["eval", str(corpus), "--model", "huge"])
    assert exc.value.code == 2


def test_retime_keeps_landmarks(slow, trace):
    real = retime(slow, 30)
    assert real.fps == 30 and real.t == pytest.approx(trace.t)
    assert np.array_equal(real.xy, trace.xy, equal_nan=True) and real.header["file_fps"] == 15


def test_eval_runs_a_real_video_through_the_pose_model(tmp_path, clip, models_dir, capsys):
    # the one video in these tests: the committed clip (12 s, ~5 s through the full model)
    d = tmp_path / "videos"
    d.mkdir()
    (d / "clip.mp4").symlink_to(clip)
    shutil.copy(TRUTH, d / "clip.contacts.json")
    out = tmp_path / "eval.json"
    rc, stdout, _ = run_eval(capsys, d, "--json", out, "--models-dir", models_dir)
    assert rc == 0, stdout
    result = json.loads(out.read_text())
    (item,) = result["items"]
    assert item["kind"] == "video" and item["group"] == "clip" and item["file_fps"] == 30.0
    assert item["recall"] > 0.8 and item["precision"] > 0.9
    assert item["cadence_spm"] == pytest.approx(168.9, abs=1.5)
    # a video is held to the clip targets of issue 10 (whether met or not is the core's job)
    checks = {t["check"] for t in result["summary"]["targets"]}
    assert {"clip near-leg recall >= 0.95", "clip every judged step good"} <= checks
    assert "target" in stdout


def eval_stress_item(name: str, tmp_path, models_dir, capsys) -> dict:
    """One stress-set item built from ../shared/data and scored by `midstance eval` through
    the real pose model: its item dict."""
    (item,) = eval_stress_items(name, tmp_path, models_dir, capsys).values()
    return item


def eval_stress_items(pattern: str, tmp_path, models_dir, capsys) -> dict[str, dict]:
    """The stress-set items matching ``pattern`` (``--only``), built and scored in one go (a
    build shares its costly parts between items): their item dicts by file stem."""
    d = tmp_path / "stress"
    assert build_corpus([str(d), "--set", "stress", "--only", pattern]) == 0
    out = tmp_path / "eval.json"
    rc, stdout, _ = run_eval(capsys, d, "--json", out, "--models-dir", models_dir)
    assert rc == 0, stdout
    return {Path(item["name"]).stem: item for item in json.loads(out.read_text())["items"]}


def test_eval_scores_a_phone_clip_at_its_own_frame_times(tmp_path, models_dir, capsys, monkeypatch):
    # the real clip as a phone would write it: a tenth of the frames dropped, the rest at their
    # own uneven times (corpus/stress.py); its truth names frames of this file
    item = eval_stress_item("stress_clip_vfr", tmp_path, models_dir, capsys)
    assert item["file_fps"] < 28  # 320 frames in 12 s: the container's average rate
    assert any("variable frame rate" in w for w in item["warnings"])
    assert item["precision"] == 1.0 and item["far_recall"] == 1.0 and item["near_recall"] > 0.9
    assert abs(item["cadence_error_spm"]) <= 1.5 and item["ic_error_frames_median"] <= 1
    assert item["verdicts"]["warn"] == item["verdicts"]["bad"] == 0
    # Its landmarks with a pixel of noise (4 seeds): a contact timed late off a dropped frame
    # broke the chain of alternating steps, the next step took the pose model's wrong name,
    # and two seeds' good views were refused as steps out of rhythm with the bounce. The legs
    # are now told apart by sight across such a break (core/legs.py): none refused.
    monkeypatch.setenv("MIDSTANCE_MODELS_DIR", str(models_dir))
    assert noise([str(tmp_path / "stress"), "--sigma", "1", "--seeds", "4"]) == 0
    row = capsys.readouterr().out.splitlines()[1].split()
    name, sigma, *_, labels, refused, alarms = row
    assert (name, sigma, refused, alarms) == ("stress_clip_vfr", "1.00", "0", "0")
    assert float(labels) >= 0.9


def test_eval_reads_a_phone_clip_stored_sideways_upright(tmp_path, models_dir, capsys):
    # a phone filming upright stores its frames on their side with a flag to turn them (the
    # display matrix); read as stored, the runner lay on their side: no step found, and the
    # view called "camera too low"
    item = eval_stress_item("stress_clip_sideways", tmp_path, models_dir, capsys)
    assert item["capture_ok"] and item["facing_ok"] and item["precision"] == 1.0
    assert item["near_recall"] >= 0.95 and item["far_recall"] >= 0.8
    assert abs(item["cadence_error_spm"]) <= 1.5 and item["ic_error_frames_median"] <= 1
    assert item["verdicts"]["warn"] == item["verdicts"]["bad"] == 0


def test_eval_names_a_picture_turned_on_its_side(tmp_path, models_dir, capsys):
    # the same clip turned a quarter with no flag: a camera mounted on its side without
    # camera.rotate. BlazePose still finds the runner, lying across the picture; the judge
    # must say to turn the picture, not "camera too low", and judge nothing
    item = eval_stress_item("stress_clip_turned", tmp_path, models_dir, capsys)
    assert item["capture_ok"] is False and item["capture_problems"] == ["picture_turned"]
    assert item["verdicts"]["good"] == item["verdicts"]["warn"] == item["verdicts"]["bad"] == 0
    assert any("turned on its side" in w for w in item["warnings"])
    assert item["facing"] is None  # it read "right" (for a runner facing left) before


def test_eval_sees_the_runner_behind_a_treadmill_handrail(tmp_path, models_dir, capsys):
    # a 5 cm side handrail between the camera and the runner, across the hips (most treadmills
    # have one at about that height): the hips are half hidden, and still every judged step is
    # good, the contacts found and the cadence right
    item = eval_stress_item("stress_clip_rail_5cm", tmp_path, models_dir, capsys)
    assert item["capture_ok"] and item["facing_ok"] and item["precision"] == 1.0
    assert item["near_recall"] >= 0.95 and item["far_recall"] >= 0.8
    assert abs(item["cadence_error_spm"]) <= 1.5
    assert item["verdicts"]["warn"] == item["verdicts"]["bad"] == 0
    assert item["verdicts"]["good"] >= 20  # of 32 steps, the first 5 timed as the view is checked


def test_eval_judges_a_runner_filmed_from_further_back(tmp_path, models_dir, capsys):
    # the clip 2.5 times smaller in the picture (leg ~116 px, 9 % of its height): still over
    # the runner_too_small limits, so judged, and judged right (the corpus's 4x is refused)
    item = eval_stress_item("stress_clip_distant_2_5x", tmp_path, models_dir, capsys)
    assert item["capture_ok"] and item["facing_ok"] and item["precision"] == 1.0
    assert item["near_recall"] >= 0.95 and item["far_recall"] >= 0.8
    assert abs(item["cadence_error_spm"]) <= 1.5 and item["ic_error_frames_median"] <= 1
    assert item["verdicts"]["warn"] == item["verdicts"]["bad"] == 0
    assert item["verdicts"]["good"] >= 21  # the first 5 steps timed as the view is checked


def test_eval_judges_the_clip_as_an_app_shares_it(tmp_path, models_dir, capsys):
    # re-encoded at about a fifth of its bitrate (x264 CRF 38, ~260 kbit/s): blocks on the
    # moving legs, a few contacts lost, and still judged right, with no warn
    item = eval_stress_item("stress_clip_compressed", tmp_path, models_dir, capsys)
    size = (tmp_path / "stress" / "stress_clip_compressed.mp4").stat().st_size
    assert size * 8 / 12 < 400_000  # bits a second over its 12 s
    assert item["capture_ok"] and item["facing_ok"] and item["precision"] >= 0.95
    assert item["near_recall"] >= 0.9 and item["far_recall"] >= 0.8
    assert abs(item["cadence_error_spm"]) <= 1.5
    assert item["verdicts"]["warn"] == item["verdicts"]["bad"] == 0
    assert item["verdicts"]["good"] >= 18


def test_eval_names_steps_missed_when_the_feet_smear(tmp_path, models_dir, capsys):
    # each frame the mean of the last three (an exposure three frames long): BlazePose loses
    # the feet between contacts and finds a quarter of the steps. Before the judge said
    # nothing: 42-58 steps/min for 169, the view ok. The pelvis still sank at every step, so
    # the judge now names the missed steps and gives no step rate. Its first strides come
    # before it has four to go on: they are timed but not judged (view_unchecked), so no
    # step of the view is judged.
    item = eval_stress_item("stress_clip_smeared", tmp_path, models_dir, capsys)
    assert item["capture_ok"] is False and "steps_missed" in item["capture_problems"]
    assert "camera_moving" not in item["capture_problems"]  # the camera stood still
    assert item["cadence_spm"] is None
    assert any("steps are being missed" in w for w in item["warnings"])
    assert sum(item["verdicts"][k] for k in ("good", "warn", "bad")) == 0
    assert item["verdicts"]["unjudged"] == item["steps"] >= 8


def test_eval_judges_the_runner_with_others_in_view(tmp_path, models_dir, capsys):
    # gyms stand treadmills in rows: past the near runner the camera sees the next one's. Here
    # the clip's own runner (cut out by BlazePose's segmentation) two thirds the size, at 0.9
    # of their cadence, behind the near one. Above them: the near runner's steps found and
    # judged right, none taken from the runner behind
    from corpus.video import read_frames

    pattern = "stress_clip_behind_[ahf]*,stress_clip_passing_slow"  # one build: masks made once
    items = eval_stress_items(pattern, tmp_path, models_dir, capsys)
    item = items["stress_clip_behind_higher"]
    made = tmp_path / "stress" / "stress_clip_behind_higher.mp4"
    clip = shared_data() / "treadmill_side_30fps.mp4"
    a, b = (next(read_frames(p)).astype(int) for p in (made, clip))
    assert 0.015 < (np.abs(a - b).max(axis=2) > 40).mean() < 0.2  # someone else in the picture
    assert item["expect"] == {"others_in_view": True}
    assert item["capture_ok"] and item["precision"] >= 0.95 and item["near_recall"] >= 0.95
    assert abs(item["cadence_error_spm"]) <= 1.5
    assert item["verdicts"]["warn"] == item["verdicts"]["bad"] == 0
    assert item["verdicts"]["good"] >= 20
    # Level with them and ahead, their legs cross the near runner's in the picture and
    # BlazePose takes some of their feet for this runner's (precision 0.85, the step rate up
    # to 21 steps/min off): contacts out of time with the near runner's bounce. The view is
    # refused, with words that point at the cause, and no step rate is given. (On an AVX-512
    # CPU, or built on a busy machine, whose pixels differ, a quarter of the contacts fall out
    # of time, spread so that never 40 % of 8 do: the view is judged, and it gave the run's
    # rate 2.0 off and judged a far-leg step named near. Now a contact out of time is not
    # judged, and with a fifth of them so the run's rate is not given: docs/eval.md, stop 33.)
    ahead = items["stress_clip_behind_ahead"]
    if ahead["capture_ok"]:
        assert ahead["verdicts"]["good"] >= 1
        if ahead["cadence_spm"] is None:
            assert any("out of time" in w for w in ahead["warnings"])
        else:
            assert abs(ahead["cadence_error_spm"]) <= 1.5
        video, out = tmp_path / "stress" / "stress_clip_behind_ahead.mp4", tmp_path / "ahead.json"
        assert (
            main(["analyze", str(video), "--json", str(out), "--models-dir", str(models_dir)]) == 0
        )
        capsys.readouterr()
        truth = json.loads(video.with_suffix(".contacts.json").read_text())
        near = [
            e["frame"] / 30 for e in truth["events"] if e["type"] == "ic" and e["leg"] == "near"
        ]
        for step in json.loads(out.read_text())["steps"]:
            if step["verdict"] is not None:  # judged: the near runner's near foot, in time
                assert min(abs(step["contact_t"] - t) for t in near) <= 3.5 / 30, step
    else:
        assert "steps_out_of_rhythm" in ahead["capture_problems"]
        assert ahead["cadence_spm"] is None
    # (not a moving camera: the stance foot's speed, which their feet garble, was read as one)
    assert "camera_moving" not in ahead["capture_problems"]
    assert ahead["verdicts"]["warn"] == ahead["verdicts"]["bad"] == 0
    # Well back along the belt their feet cross this runner's only now and then: the view is
    # judged (rightly, all good), and the rate shown at a step waits for 8 steps in time
    # with the near runner's bounce (it read 18.6 steps/min off at one step before)
    far_back = items["stress_clip_behind_far_back"]
    assert far_back["capture_ok"] and far_back["verdicts"]["good"] >= 20
    assert far_back["verdicts"]["warn"] == far_back["verdicts"]["bad"] == 0
    assert far_back["step_cadence_error_spm_max"] <= 8
    # Someone walking past between the camera and the runner (2.5 s across the picture): the
    # pose model follows them for a moment. No step is judged wrong, the judge says the runner
    # moved in the picture and why that may be, and judges again once they have gone; the
    # run's rate passes over the contacts the passer cut short (it read 3.1 off with them).
    # While the passer's feet are in view the steps fall out of time with the runner's bounce
    # for a fifth to a quarter of this 12 s clip (0.27 of its frames on an AVX-512 CPU, under
    # 0.2 on an AVX2 one: the landmarks differ by fractions of a pixel), and past a fifth the
    # run's rate is not given: never a wrong one.
    passed = items["stress_clip_passing_slow"]
    assert passed["verdicts"]["warn"] == passed["verdicts"]["bad"] == 0
    if passed["cadence_spm"] is None:
        assert "steps_out_of_rhythm" in passed["capture_problems"]
        assert any(w.startswith("step rate not given") for w in passed["warnings"])
    else:
        assert abs(passed["cadence_error_spm"]) <= 1.5
    assert passed["verdicts"]["good"] >= 10 and "camera_moving" in passed["capture_problems"]
    video, out = tmp_path / "stress" / "stress_clip_passing_slow.mp4", tmp_path / "passed.json"
    assert main(["analyze", str(video), "--json", str(out), "--models-dir", str(models_dir)]) == 0
    capsys.readouterr()
    steps = json.loads(out.read_text())["steps"]
    # Once they have gone the camera is no longer taken to move; the steps are judged again
    # (all good) as soon as the last 8 keep time with the runner's bounce, which in this 12 s
    # clip may come only after its end (on an AVX-512 CPU the passer's feet put 4 contacts
    # out of time, cleared at the last step).
    after = [s for s in steps if s["contact_t"] > 11.0]
    assert after and not any("camera_moving" in (s["problems"] or []) for s in after)
    assert {s["verdict"] for s in steps if s["contact_t"] > 10.0} <= {"good", None}


def test_a_video_filmed_off_level_is_refused(tmp_path, clip, models_dir, capsys):
    # The real clip as a camera rolled 6 deg further clockwise films it (the picture turned and
    # enlarged until no corner is empty): 4.4 deg off level, since the clip is 1.6 deg the
    # other way as filmed. `pose` measures the roll into the trace (a second apart, then 5 s:
    # the same measurement `analyze VIDEO` and the appliance make); the report refuses it.
    from corpus.video import read_frames, write_video

    video, trace = tmp_path / "six.mp4", tmp_path / "six.trace.jsonl"
    write_video(video, (camera_rolled(f, 6.0) for f in read_frames(clip)), 30.0)
    assert main(["pose", str(video), "--out", str(trace), "--models-dir", str(models_dir)]) == 0
    rolls = [json.loads(line).get("roll_deg") for line in trace.read_text().splitlines()[1:]]
    measured = [r for r in rolls if r is not None]
    assert len(measured) == 6 and all(3.9 <= r <= 5.4 for r in measured)  # 0-4 s, then 9 s
    assert abs(np.median(measured) - 4.4) <= 0.4
    out = tmp_path / "six.json"
    assert main(["analyze", str(trace), "--json", str(out)]) == 0
    capsys.readouterr()
    report = json.loads(out.read_text())
    assert report["capture"]["ok"] is False
    assert [p["code"] for p in report["capture"]["problems"]] == ["camera_not_level"]
    assert re.search(r"turned [45] deg clockwise", report["capture"]["problems"][0]["message"])
    assert all(s["verdict"] is None for s in report["steps"]) and len(report["steps"]) >= 25
