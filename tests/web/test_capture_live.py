"""Capture problems and unjudged steps from the real ``sense`` loop to ``/api/live``, the
live page and ``/setup``: real runtime (``device.runtime.Sense``), real SQLite, the app behind
the real server, Debian Chromium for the pages.

The frames are the real RTMPose keypoints of the treadmill clip (``tests.core.convert``),
replayed as the pose estimator's results. Two views:

- the clip as filmed, with a stand-in for the capture judge that puts ``feet_out_of_frame``
  in force half-way (checks the plumbing, whatever the core's judge decides);
- the clip with the feet removed (ankles, heels and toes NaN, visibility 0 in every frame),
  the real failure of a camera aimed too high, judged by the core's own capture judge.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from types import SimpleNamespace

import numpy as np
import pytest
from playwright.sync_api import expect

from common import snapshot
from common.store import Store
from core import landmarks
from core.analysis import RunAnalyzer, Update
from core.capture import problem
from core.verdict import cue
from corpus.stress import FORM_FAULTS
from device.camera import EndOfSource, Frame, FrameSource
from device.config import load_config
from device.indicator import RGBIndicator, mock_pin_factory
from device.runtime import Sense
from tests.conftest import shared_data
from tests.core.convert import rtmpose_trace
from tests.web.conftest import Served

TRACE = shared_data() / "treadmill_side_30fps.rtmpose26.json"
FEET = [landmarks.INDEX[f"{side}_{part}"] for side in ("left", "right")
        for part in ("ankle", "heel", "foot_index")]  # fmt: skip
FEET_MESSAGE = "feet leave the frame at the bottom: move the camera back or tilt it down"


def real_trace(feet: bool = True):
    """The clip's RTMPose trace as (t, xy, vis); without ``feet`` the camera misses them."""
    trace = rtmpose_trace(TRACE)
    xy, vis = trace.xy.copy(), trace.vis.copy()
    if not feet:
        xy[:, FEET] = np.nan
        vis[:, FEET] = 0.0
    return trace, xy, vis


class Replay(FrameSource):
    """One frame-sized image per trace frame, paced at ``speed`` x real time, then the end."""

    def __init__(self, t, width, height, speed=4.0):
        self.t, self.speed, self.i = t, speed, 0
        self.rgb = np.zeros((height, width, 3), np.uint8)

    def read(self, timeout=1.0):
        if self.i >= len(self.t):
            raise EndOfSource
        if self.i:
            time.sleep((self.t[self.i] - self.t[self.i - 1]) / self.speed)
        self.i += 1
        return Frame(float(self.t[self.i - 1]), self.rgb)


class TraceEstimator:
    """The trace's landmarks as the pose estimator's results, frame by frame."""

    def __init__(self, xy, vis):
        self.xy, self.vis, self.i = xy, vis, 0

    def process(self, rgb, t=None):
        result = SimpleNamespace(xy=self.xy[self.i], vis=self.vis[self.i])
        self.i += 1
        return result

    def reset(self):
        pass


class JudgeStandIn(RunAnalyzer):
    """The real analyzer, plus a stand-in capture judge: from ``after`` seconds on,
    ``feet_out_of_frame`` is in force, so steps are timed but not judged (verdict None)."""

    after = 6.0

    def push(self, t, xy, vis, roll_deg=None):
        upd = super().push(t, xy, vis, roll_deg)
        if t < self.after:
            return upd
        for step in upd.steps:
            step.verdict, step.reasons = None, []
            step.problems = ["feet_out_of_frame"]
        problems = (problem("feet_out_of_frame", 0.8, " at the bottom"),)
        return Update(upd.steps, "not_judging", upd.runner, upd.running, upd.reliable, problems)


def make_sense(tmp_path, xy, vis, trace, analyzer=None):
    config = load_config(None, {"session": {"timeout_s": 5.0, "batch_s": 0.2, "snapshot_hz": 30.0}})
    led = RGBIndicator(17, 27, 22, brightness=0.8, pin_factory=mock_pin_factory())
    (tmp_path / "run").mkdir(parents=True, exist_ok=True)
    store = Store.in_dir(tmp_path / "state")
    source = Replay(trace.t, trace.width, trace.height)
    sense = Sense(
        config, source, led, store, tmp_path / "run", TraceEstimator(xy, vis),
        latest=False, fps=trace.fps, log=open("/dev/null", "w"),  # noqa: SIM115
    )  # fmt: skip
    if analyzer is not None:
        sense.analyzer = analyzer
    return sense


def get(url: str) -> dict:
    return json.loads(urllib.request.urlopen(url, timeout=5).read())


def run_and_watch(sense, served, last_s=0.5):
    """Run the loop; over the last ``last_s`` seconds of frames, ask the real server for
    ``/api/live`` (sense writes its snapshot meanwhile). Returns the answers."""
    seen = []
    end = float(sense.capture.source.t[-1]) - last_s

    def observe(s, upd):
        if s.t >= end:
            seen.append(get(served.url + "/api/live"))

    sense.observers.append(observe)
    sense.run()
    return seen


@pytest.fixture
def app_dirs(tmp_path):
    from web import create_app

    (tmp_path / "state").mkdir()
    (tmp_path / "run").mkdir()
    app = create_app(
        {"STATE_DIR": str(tmp_path / "state"), "RUN_DIR": str(tmp_path / "run"), "TESTING": True}
    )
    served = Served(app)
    yield served
    served.close()


def test_api_live_carries_capture_problems_from_the_runtime_snapshot(tmp_path, app_dirs):
    trace, xy, vis = real_trace()
    analyzer = JudgeStandIn(fps=trace.fps, facing="auto")
    sense = make_sense(tmp_path, xy, vis, trace, analyzer)
    seen = run_and_watch(sense, app_dirs)
    assert seen, "no /api/live answer while sense ran"
    live = seen[-1]
    assert live["capture"] == {
        "ok": False,
        "problems": [{"code": "feet_out_of_frame", "message": FEET_MESSAGE, "share": 0.8}],
    }
    assert live["led"] == "not_judging" and live["state"] == "not_judging"
    assert live["cue"] == "Not judging: " + FEET_MESSAGE
    recent = live["recent_steps"]
    assert recent and all(set(s) >= {"verdict", "problems"} for s in recent)
    unjudged = [s for s in recent if s["verdict"] is None]
    assert unjudged and all(s["problems"] == ["feet_out_of_frame"] for s in unjudged)
    assert all(s["problems"] == [] for s in recent if s["verdict"] is not None)

    # the store has every step, the late ones unjudged, with their problems
    store = Store.in_dir(tmp_path / "state")
    (session,) = store.sessions()
    rows = store.steps(session["id"])
    # (the first 5 steps are timed while the view is checked: view_unchecked)
    first = [r for r in rows[:5] if r["verdict"] is None and r["problems"] == ["view_unchecked"]]
    late = [r for r in rows[5:] if r["verdict"] is None]
    assert len(first) == 5 and late and all(r["problems"] == ["feet_out_of_frame"] for r in late)
    assert all(r["contact_t"] is not None for r in late)  # still timed
    unjudged = len(first) + len(late)
    assert session["unjudged"] == unjudged and session["steps"] == len(rows)
    judged = session["good"] + session["warn"] + session["bad"]
    assert judged == len(rows) - unjudged > 0
    assert session["good_share"] == pytest.approx(session["good"] / judged)
    summary = session["summary"]
    assert summary["unjudged"] == unjudged and summary["steps"] == len(rows)
    assert summary["unjudged_problems"] == {"feet_out_of_frame": len(late), "view_unchecked": 5}
    # the session page's API and the CSV say so too
    report = get(f"{app_dirs.url}/api/sessions/{session['id']}")
    assert report["session"]["unjudged"] == unjudged
    assert report["summary"]["unjudged"] == unjudged
    csv = urllib.request.urlopen(f"{app_dirs.url}/api/sessions/{session['id']}.csv").read()
    # the new column (the verdict's reasons, none for an unjudged step) comes last
    assert csv.decode().splitlines()[0].endswith(",verdict,problems,reasons")
    assert csv.decode().splitlines()[-1].endswith(",,feet_out_of_frame,")

    # after the run sense says it is idle: no stale problem is left on the page
    final = get(app_dirs.url + "/api/live")
    assert final["state"] == "idle" and final["capture"] == {"ok": True, "problems": []}


def test_feet_out_of_frame_through_the_real_runtime_and_judge(tmp_path, app_dirs):
    """The clip with the feet removed, through the core's own capture judge.

    Waits for the lead's capture judge (``core.analysis`` + ``core.capture``)."""
    trace, xy, vis = real_trace(feet=False)
    sense = make_sense(tmp_path, xy, vis, trace)
    seen = run_and_watch(sense, app_dirs, last_s=1.0)
    assert seen
    live = seen[-1]
    codes = [p["code"] for p in live["capture"]["problems"]]
    assert live["capture"]["ok"] is False and "feet_out_of_frame" in codes, live["capture"]
    assert live["led"] == "not_judging"
    assert live["cue"].startswith("Not judging: ") and "feet leave the frame" in live["cue"]
    assert all(s["verdict"] is None for s in live["recent_steps"])
    store = Store.in_dir(tmp_path / "state")
    for session in store.sessions():
        assert session["good"] == session["warn"] == session["bad"] == 0
        assert all(r["verdict"] is None for r in store.steps(session["id"]))


def test_a_pi_too_slow_for_its_camera_gives_no_step_rate_in_api_live(tmp_path, app_dirs):
    """The clip's keypoints at 8 frames a second behind a camera set to 30 (a Pi 4 with the
    full model): the step times are wrong, so ``/api/live`` gives no step rate (it read 110
    steps/min for a runner at 169) and says why, through the real runtime and server."""
    trace, xy, vis = real_trace()
    keep = np.round(np.arange(0, len(trace.t), 30 / 8)).astype(int)
    slow = SimpleNamespace(t=trace.t[keep], fps=30.0, width=trace.width, height=trace.height)
    sense = make_sense(tmp_path, xy[keep], vis[keep], slow)
    seen = run_and_watch(sense, app_dirs, last_s=2.0)
    assert seen
    for live in seen:
        codes = [p["code"] for p in live["capture"]["problems"]]
        assert "frame_rate_too_low" in codes and live["led"] == "not_judging"
        assert live["cadence_spm"] is None
    assert any(s["verdict"] is None for s in seen[-1]["recent_steps"])


def test_a_runner_sitting_back_turns_the_strip_red_and_says_why(tmp_path, app_dirs):
    """The clip's runner with the hips 0.3 leg lengths further back (the stress set's
    ``sit_back``), through the real runtime, mock LED pins, store and server: the strip shows
    red, ``/api/live`` names the fault, and the session holds bad steps saying why."""
    trace, _, _ = real_trace()
    change, reason = FORM_FAULTS["sit_back"]
    faulted = change(trace, "left")
    sense = make_sense(tmp_path, faulted.xy, faulted.vis, trace)
    pins, states = [], []
    sense.observers.append(lambda s, upd: (pins.append(s.indicator.value),
                                           states.append(s.indicator.state)))  # fmt: skip
    seen = run_and_watch(sense, app_dirs, last_s=1.0)
    assert seen
    live = seen[-1]
    assert live["capture"]["ok"] is True and live["led"] == "bad"
    assert live["cue"] == cue([reason])  # "Hip behind the foot at midstance: ..."
    assert live["recent_steps"] and all(s["verdict"] != "good" for s in live["recent_steps"])
    red, green, blue = pins[-1]
    assert red > 0.5 and green == blue == 0  # red at the configured brightness
    assert "good" not in states and not any(r == b == 0 < g for r, g, b in pins)  # never green
    store = Store.in_dir(tmp_path / "state")
    (session,) = store.sessions()
    rows = [r for r in store.steps(session["id"]) if r["verdict"] is not None]
    assert session["good"] == 0 and session["bad"] >= 25
    assert all(reason in r["reasons"] for r in rows)


def test_a_runners_first_strides_are_timed_while_the_view_is_checked(tmp_path, app_dirs):
    """The clip through the real runtime: its first steps are stored, timed and unjudged
    (``view_unchecked``) until the checks made once a step have seen 4 strides, then every
    step is judged, good. Live the warm-up's replay brings them in one burst with the first
    judged step; had they come one by one, ``/api/live`` would say the view is being
    checked, not that the legs are unseen."""
    from web.live import CHECKING_CUE

    trace, xy, vis = real_trace()
    sense = make_sense(tmp_path, xy, vis, trace)
    snaps, states = [], []
    sense.observers.append(lambda s, upd: upd.steps and snaps.append(s.snapshot()))
    sense.observers.append(lambda s, upd: states.append(s.indicator.state))
    sense.run()
    rows = Store.in_dir(tmp_path / "state").steps(1)
    first = [r for r in rows if r["problems"] == ["view_unchecked"]]
    assert len(first) == 5 and rows[:5] == first  # the 6th step holds the 4th stride
    assert all(r["verdict"] is None and r["contact_t"] is not None for r in first)
    judged = [r["verdict"] for r in rows[5:] if r["verdict"] is not None]
    assert len(judged) >= 25 and set(judged) == {"good"}
    assert "warn" not in states and "bad" not in states
    unchecked = [r for r in snaps[0]["recent_steps"] if r["problems"] == ["view_unchecked"]]
    assert unchecked
    early = snaps[0] | {"recent_steps": unchecked, "led": "not_judging", "state": "not_judging"}
    snapshot.write(tmp_path / "run", early)
    live = get(app_dirs.url + "/api/live")
    assert live["capture"] == {"ok": True, "problems": []} and live["cue"] == CHECKING_CUE
    snapshot.write(tmp_path / "run", snaps[0])
    assert get(app_dirs.url + "/api/live")["cue"] != CHECKING_CUE


# -- the pages ------------------------------------------------------------------------------


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.errors = errors
    yield page
    context.close()


class KeepFresh:
    """Rewrite a snapshot the real runtime made, twice a second, as a running sense would."""

    def __init__(self, run_dir, snap):
        self.run_dir, self.snap = run_dir, snap
        self.stop = threading.Event()
        snapshot.write(run_dir, snap)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.wait(0.5):
            snapshot.write(self.run_dir, self.snap)

    def close(self):
        self.stop.set()
        self.thread.join(5)


@pytest.fixture
def runtime_snapshot(tmp_path):
    """The snapshot of the real runtime mid-run with ``feet_out_of_frame`` in force."""
    trace, xy, vis = real_trace()
    analyzer = JudgeStandIn(fps=trace.fps, facing="auto")
    sense = make_sense(tmp_path / "sense", xy, vis, trace, analyzer)
    snaps = []
    sense.observers.append(lambda s, upd: snaps.append(s.snapshot()))
    sense.run()
    snap = snaps[-1]
    assert snap["capture"]["problems"] and any(s["verdict"] is None for s in snap["recent_steps"])
    return snap


def test_live_page_shows_the_not_judging_banner_and_grey_dots(
    tmp_path, app_dirs, page, runtime_snapshot
):
    fresh = KeepFresh(tmp_path / "run", runtime_snapshot)
    try:
        page.goto(app_dirs.url + "/")
        banner = page.locator("#capture")
        expect(banner).to_be_visible(timeout=15_000)
        expect(banner).to_have_text("Not judging: " + FEET_MESSAGE)
        expect(page.locator("#led_text")).to_have_text("not judging: " + FEET_MESSAGE)
        assert "not judging: feet leave" in page.locator("#led").get_attribute("aria-label")
        expect(page.locator("#cue")).to_have_text("Not judging: " + FEET_MESSAGE)
        dots = page.locator("#recent li.unjudged")
        expect(dots.first).to_be_visible()
        assert dots.first.inner_text() == "–"  # a marker, not colour only
        assert "not judged (feet out of frame)" in dots.first.get_attribute("title")
        # grey ring, never a verdict colour
        colour = dots.first.evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour in ("rgba(0, 0, 0, 0)", "transparent")

        page.goto(app_dirs.url + "/setup")
        item = page.locator("#problems li[data-code='feet_out_of_frame']")
        expect(item).to_have_text("Not judging: " + FEET_MESSAGE, timeout=15_000)

        # the view fixed: the banner goes, the setup list says the view is fine
        fresh.snap = runtime_snapshot | {
            "capture": {"ok": True, "problems": []}, "led": "good", "state": "running",
            "cue": None,
        }  # fmt: skip
        expect(page.locator("#problems li")).to_have_text(
            "The view is fine: nothing stops the kiosk from judging.", timeout=15_000
        )
        page.goto(app_dirs.url + "/")
        expect(page.locator("#led_text")).to_have_text("✓ good", timeout=15_000)
        expect(page.locator("#capture")).to_be_hidden()
    finally:
        fresh.close()
    assert page.errors == []


def test_session_page_counts_unjudged_steps(tmp_path, app_dirs, page):
    store = Store.in_dir(tmp_path / "state")
    sid = store.start_session(time.time() - 30)
    step = {"leg": "left", "contact_t": 1.0, "midstance_t": 1.1, "cadence_spm": 170.0}
    store.add_steps(sid, [dict(step, verdict=None, problems=["feet_out_of_frame"])] * 4)
    store.end_session(sid, time.time(), "reset")
    page.goto(f"{app_dirs.url}/sessions/{sid}")
    expect(page.locator("#verdict-legend")).to_have_text(
        "good 0 · warn 0 · bad 0 · not judged 4", timeout=15_000
    )
    note = page.locator("#unjudged-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("No step judged")
    expect(note).to_contain_text("feet out of frame")
    assert "keep it up" not in page.locator("main").inner_text().lower()
    assert page.errors == []
