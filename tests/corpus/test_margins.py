"""`python -m corpus.margins`: real runners with the hip brought near the ankle; no step of a
runner whose hip lands ahead of it is told off for its step-to-step scatter, one whose hip lands
behind it is told."""

from __future__ import annotations

import pytest

from corpus.__main__ import main as build_corpus
from corpus.items import default_data
from corpus.margins import main as margins

pytestmark = pytest.mark.skipif(not default_data().exists(), reason="shared data not present")


@pytest.fixture(scope="module")
def fast_runners(tmp_path_factory):
    # 5 m/s, where a step's hip scatters most about the runner's own mean (0.04-0.07 L)
    out = tmp_path_factory.mktemp("margins")
    for name in ("hamner_s02_run5_right", "hamner_s03_run5_right"):
        assert build_corpus([str(out), "--only", name]) == 0
    return out


def _rows(out: str) -> dict[float, tuple[int, float, float, int]]:
    rows = {}
    for line in out.splitlines()[1:]:
        _, _, ahead, steps, median, most, items, *_ = line.split()
        rows[float(ahead)] = (int(steps), float(median), float(most), int(items))
    return rows


def test_a_hip_landing_ahead_of_the_ankle_is_never_told_off(fast_runners, capsys):
    assert margins([str(fast_runners), "--ahead", "0.05", "0.03", "0.02", "-0.08"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("hamner_right ")
    rows = _rows(out)
    for ahead in (0.05, 0.03, 0.02):
        steps, median, most, items = rows[ahead]
        assert steps >= 10 and most == 0.0 and items == 0, (ahead, rows[ahead])
    # 0.08 L behind at the median step: past the limit, told on most steps
    steps, median, most, items = rows[-0.08]
    assert median >= 0.5 and items == 2
    assert "hip_behind" in out.splitlines()[-1]


def test_a_folder_without_items_or_a_wild_size_is_one_line_and_exit_2(tmp_path, capsys):
    assert margins([str(tmp_path / "nope")]) == 2
    assert margins([str(tmp_path)]) == 2
    assert margins([str(tmp_path), "--ahead", "2"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(line.startswith("python -m corpus.margins: ") for line in err)
    with pytest.raises(SystemExit) as exc:
        margins([str(tmp_path), "--ahead", "near"])
    assert exc.value.code == 2
