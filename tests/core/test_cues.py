"""The trend cue (over-leaning over recent steps) and the cadence target from the runner's own
settled rate (issue 11): on real steps (the real treadmill clip's RTMPose trace, Fukuchi's
treadmill run) as they are and with a drift applied, plus unit cases."""

from __future__ import annotations

import pytest

from core import cues
from core.analysis import RunAnalyzer, analyze_trace
from core.cadence import SettledCadence, below_target, settled_cadence, target_spm
from core.errors import ConfigError
from core.verdict import REASONS, Thresholds, cue, judge


@pytest.fixture(scope="module")
def clip_steps(rtm) -> list[dict]:
    """The real clip's steps as the live analyzer judges them (12 s, about 34 steps)."""
    steps = analyze_trace(rtm)["steps"]
    full = [s for s in steps if s["verdict"] and None not in (s["lean_deg"], s["cadence_spm"])]
    assert len(full) >= cues.MIN_STEPS + 5
    return steps


def drifted(steps: list[dict], lean=0.0, cadence_pct=0.0, offset=0.0, start=0) -> list[dict]:
    """The steps with a linear drift per step from step ``start`` on: lean (deg), cadence
    (% of the step's own rate) and hip offset (leg lengths) added to the real values."""
    out = []
    for i, s in enumerate(steps):
        k = max(i - start, 0)
        s = dict(s)
        if s["lean_deg"] is not None:
            s["lean_deg"] += lean * k
        if s["cadence_spm"] is not None:
            s["cadence_spm"] *= 1 + cadence_pct * k / 100
        if s["hip_ankle_offset"] is not None:
            s["hip_ankle_offset"] += offset * k
        out.append(s)
    return out


#: A runner tiring into over-leaning: +0.25 deg, -0.3 % cadence, -0.004 L a step (over 20
#: steps: +5 deg, -6 %, -0.08 L), well inside what the sources describe.
TIRING = {"lean": 0.25, "cadence_pct": -0.3, "offset": -0.004}


def test_real_steps_as_they_are_give_no_trend_cue(clip_steps):
    for n in range(1, len(clip_steps) + 1):
        assert cues.trend_cue(clip_steps[:n]) is None, n
    fitted, _ = cues.trend(clip_steps)
    # a good runner's trend is flat: every change well inside its floor
    assert abs(fitted.lean_deg) < cues.LEAN_RISE_DEG
    assert abs(fitted.cadence_pct) < cues.CADENCE_FALL_PCT
    assert abs(fitted.hip_ankle_offset) < cues.OFFSET_FALL


def test_real_steps_drifting_into_over_leaning_give_the_cue(clip_steps):
    tiring = drifted(clip_steps, **TIRING)
    assert cues.trend_cue(tiring) == cues.OVER_LEANING_CUE
    tr = cues.over_leaning(tiring)
    assert tr.lean_deg > 3 and tr.cadence_pct < -4 and tr.hip_ankle_offset < -0.05
    # the cue follows the recent steps: drift that starts late is seen only once it has built
    late = drifted(clip_steps, **TIRING, start=len(clip_steps) - 6)
    assert cues.trend_cue(late[: len(clip_steps) - 6]) is None


@pytest.mark.parametrize("missing", ["lean", "cadence_pct", "offset"])
def test_two_of_the_three_signs_are_not_over_leaning(clip_steps, missing):
    # leaning more and slowing with the hip staying over the foot is not the pattern, etc.
    assert cues.trend_cue(drifted(clip_steps, **(TIRING | {missing: 0.0}))) is None


@pytest.mark.parametrize("wrong_way", ["lean", "cadence_pct", "offset"])
def test_any_sign_the_other_way_is_not_over_leaning(clip_steps, wrong_way):
    assert cues.trend_cue(drifted(clip_steps, **(TIRING | {wrong_way: -TIRING[wrong_way]}))) is None


def test_drift_within_the_noise_floor_is_not_a_cue(clip_steps):
    # a third of the floors over the window: real, but within pose noise
    small = {"lean": cues.LEAN_RISE_DEG / 60, "cadence_pct": -cues.CADENCE_FALL_PCT / 60,
             "offset": -cues.OFFSET_FALL / 60}  # fmt: skip
    assert cues.trend_cue(drifted(clip_steps, **small)) is None


def test_trend_unit_cases():
    def step(i, lean, spm, off, verdict="good"):
        return {"lean_deg": lean, "cadence_spm": spm, "hip_ankle_offset": off, "verdict": verdict}

    clean = [step(i, 5 + 0.3 * i, 170 - 0.6 * i, 0.05 - 0.005 * i) for i in range(20)]
    assert cues.trend_cue(clean) == cues.OVER_LEANING_CUE  # an exact line: clearly a trend
    tr = cues.over_leaning(clean)
    assert tr.steps == 20 and tr.lean_deg == pytest.approx(0.3 * 19)
    assert tr.hip_ankle_offset == pytest.approx(-0.005 * 19)
    # too few judged steps: no trend (unjudged steps and missing metrics do not count)
    assert cues.trend(clean[: cues.MIN_STEPS - 1]) is None
    holes = [dict(s, verdict=None) if i % 2 else s for i, s in enumerate(clean)]
    assert cues.trend(holes) is None
    assert cues.trend([dict(s, lean_deg=None) for s in clean]) is None
    assert cues.trend([dict(s, cadence_spm=float("nan")) for s in clean]) is None
    # only the last WINDOW judged steps count: an old drift followed by steady running is over
    steady = [step(i, 11, 158, -0.05) for i in range(cues.WINDOW)]
    assert cues.trend_cue(clean + steady) is None
    # flat metrics: no trend, no division by zero
    assert cues.trend_cue(steady) is None and cues.trend(steady)[0].lean_deg == 0


def test_settled_cadence_on_a_real_treadmill_run(fukuchi):
    steps = analyze_trace(fukuchi)["steps"]
    rates = sorted(s["cadence_spm"] for s in steps if s["cadence_spm"])
    # a 30 s trial: the default window (30 s of steady running) is not filled...
    assert settled_cadence(steps) == (None, None)
    # ...a 20 s one is, at the median rate of that window, and it then stays fixed
    settled = SettledCadence(settle_s=20.0)
    got = [settled.add(s) for s in steps]
    first = next(i for i, v in enumerate(got) if v is not None)
    assert steps[first]["contact_t"] - steps[0]["contact_t"] >= 20.0
    assert rates[0] <= settled.spm <= rates[-1] and 150 < settled.spm < 165
    assert set(got[first:]) == {settled.spm}
    # a runner who speeds up afterwards does not move it
    faster = drifted(steps, cadence_pct=1.0, start=first + 1)
    again = SettledCadence(settle_s=20.0)
    for s in faster:
        again.add(s)
    assert again.spm == settled.spm


def test_settled_cadence_waits_for_steady_running_and_forgets_a_runner_who_left():
    def steps(t0, n, spm, speedup=0.0):
        return [{"contact_t": t0 + i * 60 / spm, "cadence_spm": spm + speedup * i,
                 "verdict": "good"} for i in range(n)]  # fmt: skip

    # the belt speeds up for the first 40 s (140 -> 172 steps/min): no settling meanwhile
    ramp = steps(0.0, 110, 140.0, speedup=0.3)
    settled = SettledCadence()
    assert all(settled.add(s) is None for s in ramp)
    t = ramp[-1]["contact_t"]
    steady = steps(t + 0.35, 120, 172.0)
    for s in steady:
        settled.add(s)
    # (the window may still hold the last, nearly steady seconds of the ramp)
    assert settled.spm == pytest.approx(172.0, rel=0.01) and settled.settled_t > t
    # unjudged steps keep the runner present but do not count towards settling
    gone = SettledCadence()
    for s in steps(0.0, 120, 170.0):
        gone.add(dict(s, verdict=None))
    assert gone.spm is None
    # a gap of GAP_S without steps: the next runner settles afresh
    t_end = steady[-1]["contact_t"]
    settled.add({"contact_t": t_end + 30, "cadence_spm": 150.0, "verdict": "good"})
    assert settled.spm is None
    # damaged input is ignored
    for bad in ({"contact_t": None}, {"contact_t": float("nan")}, {"contact_t": "1"}, {}):
        assert SettledCadence().add(bad) is None


def test_the_verdict_uses_the_target_once_settled():
    good = {"hip_ankle_offset": 0.02, "lean_deg": 6, "hip_bend_deg": 2, "overstride": 0.15}
    th = Thresholds(cadence_target_pct=5.0)
    assert target_spm(160.0, 5.0) == pytest.approx(168.0)
    assert target_spm(None, 5.0) is None and target_spm(160.0, 0.0) is None
    # not settled yet: only the fixed limit
    assert judge(dict(good, cadence_spm=150), th) == ("good", [])
    # settled at 160: 165 is under the 168 target, 167 is within the 1 % tolerance
    assert judge(dict(good, cadence_spm=165), th, 160.0) == ("warn", ["below_cadence_target"])
    assert judge(dict(good, cadence_spm=167), th, 160.0) == ("good", [])
    assert judge(dict(good, cadence_spm=169), th, 160.0) == ("good", [])
    assert cue(["below_cadence_target"]).startswith("Under your step-rate target")
    # off (0 %): the settled rate changes nothing; the fixed limit still names itself
    assert judge(dict(good, cadence_spm=150), Thresholds(), 160.0) == ("good", [])
    assert judge(dict(good, cadence_spm=130), th, 160.0) == ("warn", ["low_cadence"])
    assert below_target(None, 168.0) is False and below_target(160.0, None) is False
    assert REASONS[-1] == "below_cadence_target"
    for bad in (-1, 16, float("nan"), True):
        with pytest.raises(ConfigError, match="cadence_target_pct"):
            Thresholds.from_dict({"cadence_target_pct": bad})


def run(trace, thresholds: Thresholds, settle_s: float) -> tuple[list, RunAnalyzer]:
    """The live analyzer over a real trace frame by frame (as ``analyze_trace`` feeds it),
    its settled cadence over a ``settle_s`` window."""
    analyzer = RunAnalyzer(fps=trace.fps, thresholds=thresholds,
                           frame_size=(trace.width, trace.height))  # fmt: skip
    analyzer.settled = SettledCadence(settle_s=settle_s)
    steps = []
    for t, xy, vis in zip(trace.t, trace.xy, trace.vis, strict=True):
        steps.extend(analyzer.push(t, xy, vis).steps)
    return steps + analyzer.finish(), analyzer


def test_the_analyzer_judges_by_the_target_on_real_steps(fukuchi):
    plain, _ = run(fukuchi, Thresholds(), 20.0)
    steps, analyzer = run(fukuchi, Thresholds(cadence_target_pct=10.0), 20.0)
    settled = analyzer.settled
    assert settled.spm is not None and 150 < settled.spm < 165
    before = [s for s in steps if s.verdict and s.contact_t <= settled.settled_t]
    after = [s for s in steps if s.verdict and s.contact_t > settled.settled_t]
    assert len(before) > 40 and len(after) > 10
    # before it settled the verdicts are the plain ones; after it, every judged step runs
    # about 157 steps/min, under the 10 % target (about 172): each says so
    plain_before = [s for s in plain if s.verdict and s.contact_t <= settled.settled_t]
    assert [s.verdict for s in before] == [s.verdict for s in plain_before]
    assert not any("below_cadence_target" in s.reasons for s in before)
    assert all("below_cadence_target" in s.reasons and s.verdict != "good" for s in after)
    # a 2 % target is within reach of this runner's own rate: most steps meet it
    modest, _ = run(fukuchi, Thresholds(cadence_target_pct=2.0), 20.0)
    late = [s for s in modest if s.verdict and s.contact_t > settled.settled_t]
    assert sum("below_cadence_target" in s.reasons for s in late) < len(late)
    # with the default 30 s window this 30 s trial never settles: no verdict changes
    whole = analyze_trace(fukuchi, thresholds=Thresholds(cadence_target_pct=10.0))["steps"]
    assert not any("below_cadence_target" in s["reasons"] for s in whole)
