"""The capture judge on real footage and motion capture made into bad views (the corpus
builder's transforms): no verdict where the view cannot support one, and the installer is told
why. The same inputs with a good view are judged, so the judge is not simply refusing."""

from __future__ import annotations

import json

import pytest

from core.analysis import analyze_trace
from core.trace import read_trace
from corpus.__main__ import main as build_corpus
from midstance.cli import main as midstance


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
    assert len(steps) >= 12 and all(s["verdict"] == "good" for s in steps)


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
