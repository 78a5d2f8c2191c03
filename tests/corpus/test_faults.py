"""`python -m corpus.faults`: real runners' landmarks given a fault of growing size; the judge
names it once it is clearly past its limit, and never on the runner as recorded."""

from __future__ import annotations

import pytest

from corpus.__main__ import main as build_corpus
from corpus.faults import main as faults
from corpus.items import default_data

pytestmark = pytest.mark.skipif(not default_data().exists(), reason="shared data not present")


@pytest.fixture(scope="module")
def mocap_corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("faults")
    for name in ("hamner_s01_run2_right", "hamner_s04_run5_30fps_left", "clip_rtmpose"):
        assert build_corpus([str(out), "--only", name]) == 0
    return out


def _rows(out: str) -> dict[tuple[str, str, float], tuple[float, float, float]]:
    rows = {}
    for line in out.splitlines():
        if line.startswith("group"):
            continue  # a table's header
        name, _, kind, size, least, median, flagged = line.split()
        rows[name, kind, float(size)] = (float(least), float(median), float(flagged))
    return rows


def test_a_fault_is_named_once_clearly_past_its_limit(mocap_corpus, capsys):
    assert faults([str(mocap_corpus), "--kind", "sit_back", "--sizes", "0", "0.3"]) == 0
    assert faults([str(mocap_corpus), "--kind", "bent", "--sizes", "0", "40"]) == 0
    rows = _rows(capsys.readouterr().out)
    groups = {"hamner_right", "hamner_30fps_left", "clip_rtmpose"}
    assert {name for name, _, _ in rows} == groups
    for name in groups:
        # as recorded: nothing named, nothing flagged (every runner here runs well)
        assert rows[name, "sit_back", 0.0] == rows[name, "bent", 0.0] == (0.0, 0.0, 0.0)
        # hips 0.3 L back, or bent 40 deg: past the bad limit for each of them; named on
        # every judged step
        assert rows[name, "sit_back", 0.3] == rows[name, "bent", 40.0] == (1.0, 1.0, 1.0)


def test_the_judge_answers_the_size_of_the_fault(mocap_corpus, capsys):
    assert faults([str(mocap_corpus), "--kind", "bent", "--only", "hamner*"]) == 0
    rows = _rows(capsys.readouterr().out)
    named = [rows["hamner_right", "bent", size][1] for size in (20, 25, 30, 35, 40)]
    assert named == sorted(named) and named[0] < 0.5 and named[-1] == 1.0


def test_a_folder_without_items_or_a_typo_is_one_line_and_exit_2(tmp_path, capsys):
    assert faults([str(tmp_path / "nope")]) == 2
    assert faults([str(tmp_path)]) == 2
    assert faults([str(tmp_path), "--kind", "bent", "--sizes", "-1"]) == 2
    assert faults([str(tmp_path), "--sizes", "30"]) == 2  # degrees or leg lengths?
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 4 and all(line.startswith("python -m corpus.faults: ") for line in err)
    assert "needs one --kind" in err[3]
    with pytest.raises(SystemExit) as exc:
        faults([str(tmp_path), "--kind", "slouch"])
    assert exc.value.code == 2
