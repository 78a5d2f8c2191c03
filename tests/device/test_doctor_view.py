"""``midstance doctor`` reports the camera view a running ``sense`` sees (read-only)."""

from __future__ import annotations

from common import snapshot
from core.capture import problem
from tests.conftest import midstance


def doctor(tmp_path, clip, models_dir):
    return midstance(
        "doctor", "--led", "mock", "--source", clip, "--models-dir", models_dir,
        "--state-dir", tmp_path / "s", "--run-dir", tmp_path / "r", timeout=120,
    )  # fmt: skip


def test_doctor_prints_the_capture_problems_of_a_running_sense(tmp_path, clip, models_dir):
    (tmp_path / "r").mkdir()
    (tmp_path / "s").mkdir()
    p = problem("feet_out_of_frame", 0.9, " at the bottom")
    snap = snapshot.blank("not_judging", "not_judging")
    snap["capture"] = {"ok": False, "problems": [p.as_dict()]}
    snapshot.write(tmp_path / "r", snap)
    before = (tmp_path / "r" / snapshot.FILENAME).read_bytes()
    out = doctor(tmp_path, clip, models_dir)
    assert out.returncode == 1, out.stdout
    assert (
        "FAIL  view: not judging: feet leave the frame at the bottom: move the camera back or"
        " tilt it down [feet_out_of_frame]" in out.stdout
    )
    assert "1 check(s) failed" in out.stdout
    assert (tmp_path / "r" / snapshot.FILENAME).read_bytes() == before  # changes nothing

    snap["capture"] = {"ok": True, "problems": []}
    snapshot.write(tmp_path / "r", snap | {"state": "running", "led": "good"})
    out = doctor(tmp_path, clip, models_dir)
    assert out.returncode == 0, out.stdout
    assert "ok    view: no capture problem in force" in out.stdout
