"""The runner's midstance figure (issue 11): ``GET /api/sessions/ID/midstance`` on steps the
real pipeline produced (``midstance demo`` runs sense on the sample clip), the figure drawn in
headless Chromium at phone size on the session and live pages, and the 404 session page."""

from __future__ import annotations

import json
import os
import statistics
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from common.store import POSE_COLUMN
from core import landmarks
from tests.conftest import REPO
from tests.web.conftest import write_live

IDX = landmarks.INDEX
#: Judged steps to wait for before the figures are worth checking (about 5 s of running).
MIN_STEPS = 10


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module")
def running(demo):
    """The demo with a session holding at least MIN_STEPS judged steps; returns its id."""
    url = demo["url"]
    deadline = time.monotonic() + 300  # generous: a loaded machine drops frames in real time
    while time.monotonic() < deadline:
        sid = get(url + "/api/live")[1]["session_id"]
        if sid is not None and get(f"{url}/api/sessions/{sid}/midstance")[1]["steps"] >= MIN_STEPS:
            return demo | {"sid": sid}
        time.sleep(0.5)
    raise AssertionError("no session with judged steps within 300 s")


def side(fig: dict) -> str:
    """Which foot is the stance foot of a step figure: the one whose ankle is the origin."""
    at_origin = [leg for leg in ("left", "right") if fig["xy"][IDX[f"{leg}_ankle"]] == [0.0, 0.0]]
    assert len(at_origin) == 1, fig["xy"]
    return at_origin[0]


def test_the_midstance_api_on_steps_from_the_real_pipeline(running):
    url, sid = running["url"], running["sid"]
    status, m = get(f"{url}/api/sessions/{sid}/midstance")
    assert status == 200
    steps = get(f"{url}/api/sessions/{sid}")[1]["steps"]  # the session may have grown since
    judged = [s for s in steps if s["verdict"] and s["hip_ankle_offset"] is not None][: m["steps"]]
    assert len(judged) == m["steps"] >= MIN_STEPS
    offsets = [s["hip_ankle_offset"] for s in judged]
    # the typical figure's numbers are the medians over the judged steps
    assert m["hip_ankle_offset"] == pytest.approx(statistics.median(offsets), abs=1e-4)
    leans = [s["lean_deg"] for s in judged if s["lean_deg"] is not None]
    assert m["lean_deg"] == pytest.approx(statistics.median(leans), abs=0.01)
    # best = the hip furthest ahead of the ankle, worst = furthest behind, and they are steps
    assert m["best"]["hip_ankle_offset"] == max(offsets) and m["best"]["steps"] == 1
    assert m["worst"]["hip_ankle_offset"] == min(offsets)
    by_id = {s["id"]: s for s in judged}
    for key in ("best", "worst"):
        fig = m[key]
        assert by_id[fig["id"]]["hip_ankle_offset"] == fig["hip_ankle_offset"]
        assert fig["leg"] == by_id[fig["id"]]["leg"] and fig["verdict"] in ("good", "warn", "bad")
    for fig in (m, m["best"], m["worst"]):
        xy, vis = fig["xy"], fig["vis"]
        assert len(xy) == len(vis) == landmarks.COUNT
        assert all(0 <= v <= 1 for v in vis)
        # an upright runner, y up: head over shoulders over hips over knees, feet at the belt
        head, sh = xy[IDX["nose"]], xy[IDX["left_shoulder"]] or xy[IDX["right_shoulder"]]
        hip = xy[IDX["left_hip"]] or xy[IDX["right_hip"]]
        assert head[1] > sh[1] > hip[1] > 0.6, (head, sh, hip)
        assert 0.7 < hip[1] < 1.3  # a leg length above the stance ankle, give or take the knee
    for fig in (m["best"], m["worst"]):
        leg = side(fig)
        # x points where the runner runs: the stance foot's toes ahead of its heel
        toe, heel = fig["xy"][IDX[f"{leg}_foot_index"]], fig["xy"][IDX[f"{leg}_heel"]]
        assert toe[0] > heel[0]
        # the hip drawn is near the measured offset (which is fitted over the stance frames)
        hips = [fig["xy"][IDX[f"{s}_hip"]] for s in ("left", "right")]
        hips = [h[0] for h in hips if h is not None]
        assert min(abs(h - fig["hip_ankle_offset"]) for h in hips) < 0.15
    # never an image: the answer is numbers only
    assert set(m) == {"xy", "vis", "hip_ankle_offset", "lean_deg", "steps", "best", "worst"}


def test_midstance_of_unknown_and_unjudged_sessions(served, store):
    assert get(f"{served.url}/api/sessions/999999/midstance") == (
        404,
        {"error": "not_found", "message": "no session 999999", "status": 404},
    )
    assert get(f"{served.url}/api/sessions/0/midstance")[0] == 404
    sid = store.start_session(time.time())
    pose = {"xy": [[0.1, 0.2]] * 33, "vis": [0.9] * 33}
    store.add_steps(
        sid,
        [
            {"leg": "left", "contact_t": 1.0, "verdict": None, "problems": ["feet_out_of_frame"],
             POSE_COLUMN: pose},  # timed, not judged: not drawn
            {"leg": "right", "contact_t": 1.4, "hip_ankle_offset": 0.02, "verdict": "good"},
        ],
    )  # fmt: skip
    status, m = get(f"{served.url}/api/sessions/{sid}/midstance")
    assert status == 200
    assert m["steps"] == 0 and m["xy"] == [None] * 33 and m["vis"] == [0.0] * 33
    assert m["hip_ankle_offset"] is None and m["best"] is None and m["worst"] is None


def test_a_damaged_live_figure_is_left_out(client, dirs):
    _, run = dirs
    write_live(run, midstance={"xy": [[1, 2]] * 5, "vis": "x"})
    assert client.get("/api/live").get_json()["midstance"] is None
    good = {"xy": [None] * 33, "vis": [0.0] * 33, "hip_ankle_offset": 0.05, "lean_deg": 4.0}
    write_live(run, midstance=good)
    assert client.get("/api/live").get_json()["midstance"] == good


def labels(page) -> list[dict]:
    return page.evaluate(
        """() => [...document.querySelectorAll('svg[data-figure="midstance"]')].map((s) => ({
            role: s.getAttribute('role'), aria: s.getAttribute('aria-label'),
            offset: s.dataset.offset, label: s.querySelector('[data-label="gap"]').textContent,
            ankle: s.querySelectorAll('line[data-line="ankle"]').length,
            hip: s.querySelectorAll('line[data-line="hip"]').length,
            hipX: Number(s.querySelector('line[data-line="hip"]').getAttribute('x1')),
            lean: s.querySelectorAll('line[data-line="lean"]').length,
            bones: s.querySelectorAll('.bones line').length,
            images: s.querySelectorAll('image, foreignObject').length,
            width: s.getBoundingClientRect().width }))"""
    )


def words_for(offset: float) -> str:
    """The figure's gap label with no height kept: in % of leg length."""
    n = abs(round(offset * 100))
    if n == 0:
        return "hip right over the ankle"
    return f"hip {n}% of leg length {'ahead of' if offset > 0 else 'behind'} the ankle"


def shots_dir(tmp_path):
    """README's screenshots are refreshed on purpose only (MIDSTANCE_SCREENSHOTS=1)."""
    return REPO / "docs" if os.environ.get("MIDSTANCE_SCREENSHOTS") else tmp_path


def test_session_page_draws_the_typical_best_and_worst_midstance(page, running, tmp_path):
    url, sid = running["url"], running["sid"]
    page.goto(f"{url}/sessions/{sid}")
    figures = page.locator('svg[data-figure="midstance"]')
    expect(figures).to_have_count(3, timeout=15_000)
    drawn = labels(page)
    # the page drew what the API says (the running session may have grown a little since)
    m = get(f"{url}/api/sessions/{sid}/midstance")[1]
    for fig, name in zip(drawn, ("Typical midstance", "Best step", "Worst step"), strict=True):
        offset = float(fig["offset"])
        assert fig["label"] == words_for(offset), fig
        assert fig["role"] == "img" and fig["aria"].startswith(f"{name}: {words_for(offset)}")
        assert fig["ankle"] == 1 and fig["hip"] == 1 and fig["lean"] == 1
        assert fig["hipX"] == pytest.approx(100 * offset, abs=0.1)  # the line is at the gap
        assert fig["bones"] >= 12 and fig["images"] == 0 and fig["width"] > 100
    assert float(drawn[1]["offset"]) >= float(drawn[0]["offset"]) >= float(drawn[2]["offset"])
    # the labels say the API's sign: ahead for a positive offset, behind for a negative one
    for fig, api in zip(drawn, (m, m["best"], m["worst"]), strict=True):
        assert ("ahead of" in fig["label"]) == (api["hip_ankle_offset"] > 0), (fig, api)
        assert float(fig["offset"]) == pytest.approx(api["hip_ankle_offset"], abs=0.05)
    expect(page.locator("#figure-typical figcaption")).to_contain_text("median of")
    page.locator("#figures").screenshot(path=str(shots_dir(tmp_path) / "midstance-session.png"))
    assert page.console.errors == []


def test_live_page_draws_the_latest_judged_step_and_redraws_per_step(page, running, tmp_path):
    url = running["url"]
    page.goto(url + "/")
    svg = page.locator('#live_figure svg[data-figure="midstance"]')
    expect(svg).to_have_count(1, timeout=20_000)
    fig = labels(page)[0]
    offset = float(fig["offset"])
    assert fig["label"] == words_for(offset) and fig["ankle"] == 1 and fig["hip"] == 1
    assert fig["aria"].startswith("Your last step") and fig["width"] > 200
    page.screenshot(path=str(shots_dir(tmp_path) / "midstance-live.png"), full_page=True)
    live = get(url + "/api/live")[1]["midstance"]
    assert live is not None and live["steps"] == 1 and len(live["xy"]) == 33
    # a new step replaces the figure
    page.evaluate("window.firstFigure = document.querySelector('#live_figure svg')")
    deadline = time.monotonic() + 20
    while page.evaluate("document.querySelector('#live_figure svg') === window.firstFigure"):
        assert time.monotonic() < deadline, "the live figure did not change within 20 s"
        time.sleep(0.2)
    assert page.console.errors == []


def test_an_unknown_session_is_a_404_page(page, running):
    url = running["url"]
    response = page.goto(url + "/sessions/999")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("404 Not Found")
    expect(page.locator("main")).to_contain_text("There is no session 999")
    assert page.locator("canvas, .chart, a[download], svg[data-figure]").count() == 0
    # the browser logs the 404 status of the page itself; nothing else may fail
    assert all("status of 404" in e for e in page.console.errors), page.console.errors
