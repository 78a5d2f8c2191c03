"""Session statistics with steps timed but not judged (``verdict`` None)."""

from __future__ import annotations

import pytest

from common.snapshot import blank, read, write
from core.capture import problem
from core.stats import SessionStats
from tests.conftest import session_stats


def steps():
    out = []
    for n in range(12):
        judged = n < 4 or n >= 10
        out.append({
            "leg": "left" if n % 2 else "right", "contact_t": 0.35 * n,
            "cadence_spm": 171.0, "lean_deg": 6.0 if judged else 25.0,
            "hip_ankle_offset": 0.01 if judged else -0.3,
            "verdict": ("good", "good", "warn", "bad", "good", "good")[n % 6] if judged else None,
            "problems": [] if judged else ["feet_out_of_frame"],
        })  # fmt: skip
    return out


def test_unjudged_steps_count_and_time_but_do_not_judge():
    s = session_stats(steps()).summary()
    assert s["steps"] == 12 and s["unjudged"] == 6
    assert (s["good"], s["warn"], s["bad"]) == (4, 1, 1)
    # shares over the six judged steps, not the twelve timed ones
    assert s["good_share"] == pytest.approx(4 / 6, abs=1e-4)
    assert s["bad_share"] == pytest.approx(1 / 6, abs=1e-4)
    # the lean and offset come from the judged steps only; the cadence from every step
    assert s["lean_deg"]["median"] == pytest.approx(6.0, abs=0.1)
    assert s["hip_ankle_offset"]["median"] == pytest.approx(0.01, abs=0.005)
    assert s["cadence_spm"] == pytest.approx(171.0, abs=0.5)
    assert s["unjudged_problems"] == {"feet_out_of_frame": 6}
    assert s["duration_s"] == pytest.approx(0.35 * 11)


def test_nothing_judged_gives_no_shares():
    rows = [r | {"verdict": None} for r in steps()]
    s = session_stats(rows).summary()
    assert s["steps"] == 12 and s["unjudged"] == 12
    assert s["good_share"] is None and s["warn_share"] is None and s["bad_share"] is None
    assert s["lean_deg"]["median"] is None and s["cadence_spm"] is not None
    assert all(g is None for g in session_stats(rows).series()["good_share"])


def test_bad_verdicts_are_still_ignored_and_zero_steps_say_nothing():
    stats = SessionStats()
    stats.add({"contact_t": 1.0, "verdict": "great"})
    s = stats.summary()
    assert s["steps"] == 0 and s["unjudged"] == 0 and s["good_share"] is None


def test_snapshot_capture_defaults_and_stale_problems_are_dropped(tmp_path):
    assert blank()["capture"] == {"ok": True, "problems": []}
    p = problem("feet_out_of_frame", 0.9, " at the bottom").as_dict()
    write(
        tmp_path, blank("not_judging", "not_judging") | {"capture": {"ok": False, "problems": [p]}}
    )
    assert read(tmp_path)["capture"]["problems"] == [p]
    stale = read(tmp_path, now=10**12)
    assert stale["state"] == "offline" and stale["capture"] == {"ok": True, "problems": []}
