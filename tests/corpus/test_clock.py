"""`python -m corpus.clock`: the real clip posed again through our pipeline with its clock
moved by less than a microsecond, scored like `midstance eval` (needs the model files `make
test` provisions)."""

from __future__ import annotations

import midstance.commands.pose as pose
from corpus.clock import main as clock


def test_the_clip_on_a_moved_clock_keeps_its_contacts_and_raises_no_alarm(
    clip_corpus, capsys, monkeypatch, models_dir
):
    monkeypatch.setenv("MIDSTANCE_MODELS_DIR", str(models_dir))
    unmoved = pose.prefetched
    assert clock([str(clip_corpus), "--only", "clip", "--shifts", "0", "1e-7"]) == 0
    assert pose.prefetched is unmoved  # the pipeline is left as it was
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("item") and "(2 clocks)" in out[0]
    name, near, far, rate, good, refused, alarms = out[1].split()
    assert (name, refused, alarms) == ("clip", "0", "0")
    assert float(near.split("-")[0]) >= 0.95 and float(far.split("-")[0]) >= 0.8
    low, high = (float(x) for x in rate.split("-"))
    assert abs(low - 168.42) <= 1.5 and abs(high - 168.42) <= 1.5
    assert int(good.split("-")[0]) >= 20


def test_a_folder_without_videos_or_a_typo_is_one_line_and_exit_2(tmp_path, capsys):
    assert clock([str(tmp_path / "nope")]) == 2
    assert clock([str(tmp_path)]) == 2
    assert clock([str(tmp_path), "--shifts", "0.1"]) == 2  # a typo: a tenth of a second
    assert clock([str(tmp_path), "--shifts", "nan"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 4 and all(line.startswith("python -m corpus.clock: ") for line in err)
