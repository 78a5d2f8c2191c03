"""Thresholds, verdicts, cues, the LED smoother and the session statistics."""

from __future__ import annotations

import json
import math
import random
import tracemalloc

import pytest

from core.analysis import analyze_trace
from core.errors import ConfigError
from core.stats import SessionStats
from core.verdict import LED_STATES, LedSmoother, Thresholds, cue, judge
from tests.conftest import session_stats

from .conftest import run_live


def test_thresholds_round_trip_and_describe():
    th = Thresholds.from_dict({"offset_warn": -0.04, "lean_warn_deg": 14})
    assert th.offset_warn == -0.04 and th.lean_warn_deg == 14.0
    assert Thresholds.from_dict(th.as_dict()) == th
    desc = Thresholds.describe()
    assert set(desc) == set(th.as_dict())
    for name, d in desc.items():
        assert d["min"] <= d["default"] <= d["max"] and d["unit"] and d["help"], name
    json.dumps(desc)


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ({"offset_wrn": -0.1}, "offset_wrn"),
        ({"lean_warn_deg": "high"}, "lean_warn_deg"),
        ({"lean_warn_deg": True}, "lean_warn_deg"),
        ({"overstride_bad": 9.0}, "overstride_bad"),
        ({"lean_warn_deg": float("nan")}, "lean_warn_deg"),
        ({"offset_warn": -0.2, "offset_bad": -0.1}, "offset_bad"),
    ],
)
def test_bad_thresholds_name_the_key(bad, named):
    with pytest.raises(ConfigError, match=named):
        Thresholds.from_dict(bad)


GOOD = {"hip_ankle_offset": 0.02, "lean_deg": 6, "hip_bend_deg": 2, "overstride": 0.15,
        "cadence_spm": 172}  # fmt: skip


def test_overstride_limits_grow_with_the_longer_of_the_steps_and_the_usual_travel():
    # 0.34 L ahead: over 0.30 for a stance that rode the belt 0.45 L (0.55 x 0.45 = 0.25)
    step = dict(GOOD, overstride=0.34, stance_travel=0.45)
    assert judge(step) == ("warn", ["overstride"])
    # the runner's stances ride 0.75 L (0.55 x 0.75 = 0.41): this one's lift was read early
    assert judge(step, typical_travel=0.75) == ("good", [])
    # a shorter usual travel never tightens the step's own limits
    assert judge(dict(step, stance_travel=0.75), typical_travel=0.45) == ("good", [])
    assert judge(dict(step, overstride=0.45), typical_travel=0.75)[0] == "warn"


def test_a_hip_behind_warns_when_the_legs_usual_hip_is_back_not_one_steps():
    behind = dict(GOOD, hip_ankle_offset=-0.06)
    # past the warn limit, from a leg whose hip usually lands over the ankle or ahead of it
    assert judge(behind, usual_offset=0.01) == ("good", [])
    assert judge(behind, usual_offset=-0.02) == ("good", [])  # under halfway to the limit
    assert judge(behind, usual_offset=-0.03) == ("warn", ["hip_behind"])
    assert judge(behind) == ("warn", ["hip_behind"])  # no usual yet: the step's own
    # past the bad limit: bad on its own
    assert judge(dict(GOOD, hip_ankle_offset=-0.13), usual_offset=0.05) == ("bad", ["hip_behind"])
    # a limit set ahead of the ankle: halfway to it
    ahead = Thresholds(offset_warn=0.02)
    assert judge(dict(GOOD, hip_ankle_offset=0.0), ahead, usual_offset=0.005)[0] == "warn"
    assert judge(dict(GOOD, hip_ankle_offset=0.0), ahead, usual_offset=0.015)[0] == "good"


def test_a_hip_bend_is_named_when_the_legs_usual_hip_is_back_not_one_steps():
    bent = dict(GOOD, hip_bend_deg=18)
    # one step's hip 3 mm behind the ankle, the leg's usually ahead of it: not a bend that
    # puts the hip back
    assert judge(dict(bent, hip_ankle_offset=-0.003), usual_offset=0.03) == ("good", [])
    # one step's hip ahead, the leg's usually behind: it is
    assert judge(dict(bent, hip_ankle_offset=0.01), usual_offset=-0.03) == ("warn", ["hip_bend"])
    # no usual yet: the step's own; an extreme bend whatever the hip
    assert judge(dict(bent, hip_ankle_offset=-0.03)) == ("warn", ["hip_bend"])
    assert judge(dict(bent, hip_ankle_offset=-0.003)) == ("good", [])
    assert judge(dict(bent, hip_bend_deg=30), usual_offset=0.05) == ("bad", ["hip_bend"])


def test_judge_levels_and_reasons():
    assert judge(GOOD) == ("good", [])
    warn = dict(GOOD, hip_ankle_offset=-0.08)
    assert judge(warn) == ("warn", ["hip_behind"])
    bad = dict(GOOD, hip_ankle_offset=-0.2, hip_bend_deg=30, overstride=0.33)
    verdict, reasons = judge(bad)
    assert verdict == "bad" and reasons == ["hip_behind", "hip_bend", "overstride"]


def test_cue_speaks_to_the_first_reason_and_is_silent_without_one():
    assert cue([]) is None
    reasons = judge(dict(GOOD, hip_ankle_offset=-0.2, hip_bend_deg=30, overstride=0.33))[1]
    assert cue(reasons) == "Hip behind the foot at midstance: lean from the ankles"


def test_missing_metrics_are_not_judged():
    # an upright runner with hips over the ankles is good
    assert judge({"hip_ankle_offset": 0.0, "lean_deg": 0.5}) == ("good", [])


def test_leaning_back_is_a_reason():
    assert judge(dict(GOOD, lean_deg=-5))[1] == ["lean_back"]


def test_low_cadence_warns_at_the_configured_threshold():
    assert judge(dict(GOOD, cadence_spm=130)) == ("warn", ["low_cadence"])
    strict = Thresholds(cadence_low_spm=175)
    assert judge(GOOD, strict)[1] == ["low_cadence"]


def test_led_majority_with_hysteresis():
    led = LedSmoother(window=5, hold=2)
    t = 0.0

    def step(v):
        nonlocal t
        t += 0.35
        led.step(v)
        return led.frame(t, runner=True, running=True, reliable=True)

    assert led.frame(0.0, runner=False, running=False, reliable=False) == "no_runner"
    assert step("good") == "good"
    assert [step(v) for v in ("good", "bad", "good", "good")] == ["good"] * 4  # one odd step
    seq = [step("warn") for _ in range(5)]
    assert seq[:2] == ["good", "good"] and seq[-1] == "warn"  # needs a majority, held twice
    assert led.frame(t + 0.1, runner=True, running=True, reliable=False) == "not_judging"
    assert led.frame(t + 3.0, runner=False, running=False, reliable=False) == "no_runner"
    # A new runner starts fresh, not from the last one's verdicts.
    assert led.frame(t + 3.1, runner=True, running=False, reliable=True) == "not_judging"
    assert led.verdict is None
    assert set(LED_STATES) >= {"good", "warn", "bad", "no_runner", "not_judging", "fault", "off"}


def test_led_is_deterministic(rtm):
    assert run_live(rtm)[1] == run_live(rtm)[1]


def _steps(n, rate=3.0, seed=1):
    rnd = random.Random(seed)
    for i in range(n):
        yield {
            "leg": "left" if i % 2 else "right",
            "contact_t": i / rate,
            "lean_deg": rnd.gauss(6, 2),
            "hip_ankle_offset": rnd.gauss(0.0, 0.04),
            "cadence_spm": rnd.gauss(170, 2),
            "verdict": rnd.choice(("good", "good", "warn", "bad")),
        }


def test_summary_matches_exact_statistics():
    rows = list(_steps(2000))
    s = session_stats(rows).summary()
    assert s["steps"] == 2000 and s["good"] + s["warn"] + s["bad"] == 2000
    assert s["good_share"] == pytest.approx(sum(r["verdict"] == "good" for r in rows) / 2000)
    lean = sorted(r["lean_deg"] for r in rows)
    assert s["lean_deg"]["median"] == pytest.approx((lean[999] + lean[1000]) / 2, abs=0.1)
    assert s["lean_deg"]["iqr"] == pytest.approx(lean[1500] - lean[500], abs=0.2)
    off = sorted(r["hip_ankle_offset"] for r in rows)
    assert s["hip_ankle_offset"]["median"] == pytest.approx(off[1000], abs=0.005)
    assert sum(s["lean_histogram"]["counts"]) == 2000
    assert len(s["lean_histogram"]["counts"]) == len(s["lean_histogram"]["edges"]) - 1
    json.dumps(s, allow_nan=False)


def test_series_is_bounded_over_eight_hours_and_memory_is_flat():
    stats = SessionStats()
    total = 8 * 3600 * 3  # 8 hours at 3 steps/s
    tracemalloc.start()
    for i, row in enumerate(_steps(total)):
        stats.add(row)
        if i == 10_000:
            early = tracemalloc.get_traced_memory()[0]
    late = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert late - early < 64 * 1024
    out = stats.series()
    assert 150 <= len(out["t"]) <= 300
    assert all(len(v) == len(out["t"]) for v in out.values())
    assert out["t"] == sorted(out["t"]) and out["t"][-1] > 7.5 * 3600
    assert all(0 <= g <= 1 for g in out["good_share"])
    assert 5 < sum(out["lean_deg"]) / len(out["lean_deg"]) < 7
    assert stats.summary()["steps"] == total


def test_series_from_rows_and_short_sessions():
    rows = list(_steps(30))
    out = session_stats(rows, max_points=10).series()
    assert 1 <= len(out["t"]) <= 10
    empty = session_stats([]).summary()
    assert empty["steps"] == 0 and empty["good_share"] is None
    assert session_stats([]).series() == {k: [] for k in out}


def test_report_summary_on_real_data(rtm):
    report = analyze_trace(rtm)
    s = report["summary"]
    assert s["steps"] == len(report["steps"])
    assert math.isclose(s["cadence_spm"], report["cadence_spm"], abs_tol=3)
    assert s["duration_s"] == pytest.approx(12.0, abs=0.05)
    json.dumps(report, allow_nan=False)
