"""`python -m corpus.noise`: the real clip through our pipeline, its landmarks with a pixel of
noise, scored like `midstance eval` (needs the model files `make test` provisions)."""

from __future__ import annotations

from corpus.__main__ import main as build_corpus
from corpus.noise import main as noise


def test_the_clip_with_a_pixel_of_noise_keeps_its_contacts_and_raises_no_alarm(
    clip_corpus, capsys, monkeypatch, models_dir
):
    monkeypatch.setenv("MIDSTANCE_MODELS_DIR", str(models_dir))
    assert noise([str(clip_corpus), "--sigma", "1", "--seeds", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("item") and "(3 seeds)" in out[0]
    cells = out[1].split()  # name, sigma, then the worst and mean of each figure
    assert cells[:2] == ["clip", "1.00"]
    near_min, _, far_min, _, precision, _, labels, refused, alarms = cells[2:]
    assert float(near_min) >= 0.95 and float(far_min) >= 0.85 and float(precision) >= 0.95
    assert float(labels) >= 0.95 and (refused, alarms) == ("0", "0")
    # then the clip begun later, every 0.1 s over 2.5 s: no start refused or alarmed
    late, paces = _tables(out)
    assert "started 0-2.5 s later" in late[0]
    name, starts, recall_min, _, labels_min, _, refused, alarms = late[1].split()
    assert (name, starts, refused, alarms) == ("clip", "25", "0", "0")
    assert float(recall_min) >= 0.9 and float(labels_min) >= 0.9
    # and the runner speeding up or slowing down while filmed: nothing refused or alarmed
    assert "the pace changed steadily to x0.9, x1.1, x1.2 by the end" in paces[0]
    name, runs, recall_min, labels_min, refused, alarms, rate = paces[1].split()
    assert (name, runs, refused, alarms) == ("clip", "3", "0", "0")
    assert float(recall_min) >= 0.9 and float(labels_min) >= 0.9 and float(rate) <= 1.5


def _tables(out: list[str]) -> tuple[list[str], list[str]]:
    """The late-start and the pace tables of the printout (each after a blank line)."""
    first = out.index("")
    second = out.index("", first + 1)
    return out[first + 1 : second], out[second + 1 :]


def test_a_folder_without_videos_or_a_typo_is_one_line_and_exit_2(tmp_path, capsys):
    assert noise([str(tmp_path / "nope")]) == 2
    assert noise([str(tmp_path)]) == 2
    assert noise([str(tmp_path), "--seeds", "0"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(line.startswith("python -m corpus.noise: ") for line in err)


def test_keypoints_of_another_pose_model_begun_anywhere_keep_their_legs(tmp_path, capsys):
    # A trace has no noise table (its landmarks are not ours to perturb) but is started late
    # like a video. RTMPose's keypoints of the clip begun 1.2-1.5 s in had their legs' names
    # flipped and the good run refused as out of rhythm.
    assert build_corpus([str(tmp_path), "--only", "clip_rtmpose"]) == 0
    capsys.readouterr()
    assert noise([str(tmp_path)]) == 0
    late, paces = _tables(capsys.readouterr().out.splitlines())
    name, starts, recall_min, _, labels_min, _, refused, alarms = late[-1].split()
    assert (name, starts, refused, alarms) == ("clip_rtmpose", "25", "0", "0")
    assert float(recall_min) >= 0.9 and float(labels_min) >= 0.9
    name, runs, recall_min, labels_min, refused, alarms, rate = paces[-1].split()
    assert (name, runs, refused, alarms) == ("clip_rtmpose", "3", "0", "0")
    assert float(recall_min) >= 0.95 and float(labels_min) >= 0.95 and float(rate) <= 1.5
