"""The JSON API through Flask's test client, on a real SQLite store and real snapshots."""

from __future__ import annotations

import csv
import io
import os
import stat
import time

import pytest

from common.store import STEP_COLUMNS
from core.cadence import settled_cadence
from tests.conftest import session_stats
from tests.web.conftest import PIN, real_steps, write_live
from web import create_app
from web.security import SECRET_KEY_FILE

LIVE_KEYS = {"session_id", "state", "led", "cadence_spm", "lean_deg", "hip_ankle_offset",
             "good_share", "steps", "duration_s"}  # fmt: skip


def test_live_is_offline_without_sense(client):
    body = client.get("/api/live").get_json()
    assert body.keys() >= LIVE_KEYS
    assert body["state"] == "offline" and body["led"] == "off" and body["steps"] == 0
    assert "not sensing" in body["cue"]


def test_live_shows_the_snapshot_and_skeleton_only_on_request(client, dirs):
    skeleton = {"width": 720, "height": 1280, "xy": [[1.0, 2.0]] * 33, "vis": [0.9] * 33}
    numbers = {"cadence_spm": 168.4, "lean_deg": 6.5, "hip_ankle_offset": -0.03,
               "good_share": 0.75, "duration_s": 14.2}  # fmt: skip
    write_live(dirs[1], session_id=7, steps=40, led="warn", skeleton=skeleton, **numbers)
    body = client.get("/api/live").get_json()
    assert (body["session_id"], body["cadence_spm"], body["steps"], body["led"]) == (
        7,
        168.4,
        40,
        "warn",
    )
    assert body["state"] == "running" and body["cue"]  # a default cue for the LED state
    assert "skeleton" not in body
    assert client.get("/api/live?skeleton=1").get_json()["skeleton"] == skeleton


def test_stale_snapshot_reads_offline(client, dirs):
    write_live(dirs[1], session_id=3, steps=10)
    path = dirs[1] / "live.json"
    old = time.time() - 60
    data = path.read_text().replace('"written_at":', '"written_at":' + str(old) + ',"x":')
    path.write_text(data)
    assert client.get("/api/live").get_json()["state"] == "offline"


def test_real_clip_session_summary_matches_the_annotation(client, store):
    """The real clip's annotated contacts, stored as steps, give its cadence back."""
    steps = real_steps()
    sid = store.start_session(time.time() - 12.0, facing="left")
    store.add_steps(sid, steps)
    body = client.get(f"/api/sessions/{sid}").get_json()
    assert body["session"]["id"] == sid and len(body["steps"]) == 34
    # The annotation's own figure is 168.3 steps/min (pixel-measured: 168.9 +/- 0.5).
    assert body["summary"]["cadence_spm"] == pytest.approx(168.3, abs=2.0)
    assert body["verdicts"] == {
        v: sum(s["verdict"] == v for s in steps) for v in ("good", "warn", "bad")
    }
    series = body["series"]
    assert len(series["t"]) == len(series["lean_deg"]) == len(series["cadence_spm"]) > 5
    assert series["t"] == sorted(series["t"]) and series["t"][-1] <= 12.0
    assert "steps" not in client.get(f"/api/sessions/{sid}?steps=0").get_json()


def test_csv_download(client, store):
    steps = real_steps()
    sid = store.start_session(time.time())
    store.add_steps(sid, steps)
    response = client.get(f"/api/sessions/{sid}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == len(steps)
    assert list(rows[0]) == ["step", "at", *STEP_COLUMNS]
    # rounded to sensible digits (web.sessions.CSV_DIGITS): milliseconds for times
    assert [r["contact_t"] for r in rows] == [f"{s['contact_t']:.3f}" for s in steps]
    assert rows[0]["cadence_spm"] == ""  # the first step has no cadence: empty, not "None"


def test_json_download(client, store):
    steps = real_steps()
    sid = store.start_session(time.time())
    store.add_steps(sid, steps)
    response = client.get(f"/api/sessions/{sid}.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert len(response.get_json()["steps"]) == len(steps)


def test_history_pages_back(client, store):
    ids = [store.start_session(1000.0 + i) for i in range(5)]
    body = client.get("/api/sessions?limit=2").get_json()
    assert [s["id"] for s in body["sessions"]] == ids[::-1][:2]
    body = client.get(f"/api/sessions?limit=2&before={body['next_before']}").get_json()
    assert [s["id"] for s in body["sessions"]] == ids[::-1][2:4]
    body = client.get("/api/sessions?limit=50").get_json()
    assert len(body["sessions"]) == 5 and body["next_before"] is None


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/api/sessions/999", {}, 404),
        ("GET", "/api/sessions/999.csv", {}, 404),
        ("GET", "/api/sessions/abc", {}, 404),
        ("GET", "/api/sessions/99999999999999999999999", {}, 404),
        ("GET", "/api/sessions?limit=0", {}, 400),
        ("GET", "/api/sessions?limit=x", {}, 400),
        ("DELETE", "/api/live", {}, 405),
        ("GET", "/api/staff/login", {}, 405),
        ("GET", "/api/nothing-here", {}, 404),
        (
            "POST",
            "/api/staff/login",
            {"data": "{not json", "content_type": "application/json"},
            400,
        ),
        ("POST", "/api/staff/login", {"json": ["1234"]}, 400),
        ("POST", "/api/staff/login", {"json": {"pin": 1234}}, 400),
        ("POST", "/api/staff/login", {"data": "pin=1234"}, 415),
        ("POST", "/api/staff/login", {"json": {"pin": "1" * 40_000}}, 413),
    ],
)
def test_errors_are_json_4xx_without_traceback(client, method, path, kwargs, status):
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == status
    body = response.get_json()
    assert body["status"] == status and body["message"] and body["error"]
    assert "Traceback" not in response.get_data(as_text=True)
    if status == 405:
        assert response.headers["Allow"]


def test_page_errors_are_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "404" in response.get_data(as_text=True)


def test_security_headers_everywhere(client):
    for path in ("/", "/api/live", "/api/nothing", "/static/app.css", "/metrics"):
        h = client.get(path).headers
        assert "script-src 'self'" in h["Content-Security-Policy"]
        assert "unsafe-inline" not in h["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
        assert h["X-Frame-Options"] == "DENY"
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "no-referrer"
    assert client.get("/api/live").headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_style(client, store):
    sid = store.start_session(time.time())
    for path in ("/", "/history", f"/sessions/{sid}", "/staff", "/setup", "/staff/qr"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert " style=" not in html and "<style" not in html, path
        assert "<script>" not in html and "onclick" not in html, path


def test_login_without_a_pin_says_so(client):
    response = client.post("/api/staff/login", json={"pin": "0000"})
    assert response.status_code == 409
    assert "set-pin" in response.get_json()["message"]


def test_reset_needs_login_and_csrf(client, store):
    sid = store.start_session(time.time())
    assert client.post("/api/sessions/reset").status_code == 401
    store.set_pin(PIN)
    token = client.post("/api/staff/login", json={"pin": PIN}).get_json()["csrf_token"]
    cookie = client.get_cookie("midstance_staff")
    assert cookie.http_only and cookie.same_site == "Strict"
    assert client.post("/api/sessions/reset").status_code == 403
    assert client.post("/api/sessions/reset", headers={"X-CSRF-Token": "x" * 43}).status_code == 403
    assert store.take_commands() == []
    response = client.post("/api/sessions/reset", headers={"X-CSRF-Token": token})
    assert response.status_code == 202
    assert response.get_json()["session_id"] == sid
    assert [c["kind"] for c in store.take_commands()] == ["reset"]
    client.post("/api/staff/logout")
    assert client.post("/api/sessions/reset", headers={"X-CSRF-Token": token}).status_code == 401


def test_wrong_pins_are_throttled_per_client(app, store):
    store.set_pin(PIN)
    mallory = app.test_client()
    other = app.test_client()
    env = {"REMOTE_ADDR": "10.0.0.66"}
    codes = [
        mallory.post("/api/staff/login", json={"pin": "0000"}, environ_base=env).status_code
        for _ in range(6)
    ]
    assert codes == [401] * 5 + [429]
    blocked = mallory.post("/api/staff/login", json={"pin": PIN}, environ_base=env)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    ok = other.post("/api/staff/login", json={"pin": PIN}, environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert ok.status_code == 200


def test_settings_validate_save_and_notify_sense(staff, store):
    client, token = staff
    body = client.get("/api/settings").get_json()
    assert body["values"]["facing"] == "auto" and body["values"]["offset_warn"] == -0.05
    assert {"offset_warn", "facing", "led_brightness"} <= body["fields"].keys()
    put = client.put("/api/settings", json={"offset_warn": -0.08, "facing": "left",
                                            "led_brightness": 0.4},
                     headers={"X-CSRF-Token": token})  # fmt: skip
    assert put.status_code == 200, put.get_json()
    assert store.settings() == {"offset_warn": -0.08, "facing": "left", "led_brightness": 0.4}
    assert [c["kind"] for c in store.take_commands()] == ["settings"]
    bad_values = [{"nope": 1}, {"facing": "up"}, {"led_brightness": 2}, {"offset_bad": 0.0},
                  {"lean_warn_deg": "x"}]  # fmt: skip
    for bad in bad_values:
        (word,) = bad
        response = client.put("/api/settings", json=bad, headers={"X-CSRF-Token": token})
        assert response.status_code == 400, bad
        assert word in response.get_json()["message"]
    assert store.settings()["offset_warn"] == -0.08  # nothing half-saved
    cleared = client.put(
        "/api/settings", json={"offset_warn": None}, headers={"X-CSRF-Token": token}
    )
    assert cleared.get_json()["values"]["offset_warn"] == -0.05
    assert client.put("/api/settings", json={"facing": "left"}).status_code == 403


def test_secret_key_is_persisted_private_and_keeps_staff_logged_in(dirs, store):
    state, run = dirs
    path = state / SECRET_KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    store.set_pin(PIN)
    first = create_app({"STATE_DIR": str(state), "RUN_DIR": str(run)}).test_client()
    first.post("/api/staff/login", json={"pin": PIN})
    cookie = first.get_cookie("midstance_staff").value
    again = create_app({"STATE_DIR": str(state), "RUN_DIR": str(run)}).test_client()
    again.set_cookie("midstance_staff", cookie)
    assert again.get("/api/staff/me").get_json()["staff"] is True


def test_metrics_are_prometheus_text_per_app(client, dirs):
    write_live(dirs[1], session_id=2, cadence_spm=171.5, steps=12, fps=29.5)
    client.get("/api/live")
    client.get("/api/sessions/12345")
    text = client.get("/metrics").get_data(as_text=True)
    assert "midstance_live_cadence_spm 171.5" in text
    assert "midstance_live_steps 12.0" in text
    assert "midstance_sense_fps 29.5" in text
    assert 'midstance_live_state{state="running"} 1.0' in text
    assert (
        'midstance_http_requests_total{endpoint="/api/live",method="GET",status="200"} 1.0' in text
    )
    assert 'midstance_http_errors_total{status="404"} 1.0' in text


def test_openapi_lists_the_contract_paths(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/live", "/api/sessions", "/api/sessions/{session_id}",
                 "/api/sessions/{session_id}.csv", "/api/staff/login", "/api/sessions/reset",
                 "/metrics"):  # fmt: skip
        assert path in spec["paths"]


def test_qr_code_carries_the_kiosk_url(dirs):
    state, run = dirs
    app = create_app({"STATE_DIR": str(state), "RUN_DIR": str(run),
                      "KIOSK_URL": "http://kiosk.local:8080/"})  # fmt: skip
    client = app.test_client()
    assert "http://kiosk.local:8080/" in client.get("/staff/qr").get_data(as_text=True)
    svg = client.get("/staff/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_running_session_summary_is_kept_up_to_date_step_by_step(client, store):
    """The page of a running session adds only new steps, and ends with the same numbers as
    summarizing every step at once."""
    steps = real_steps()
    sid = store.start_session(1000.0)
    store.add_steps(sid, steps[:10])
    first = client.get(f"/api/sessions/{sid}?steps=0").get_json()
    assert first["summary"]["steps"] == 10
    store.add_steps(sid, steps[10:])
    store.end_session(sid, 1012.0, "timeout")
    body = client.get(f"/api/sessions/{sid}?steps=0").get_json()
    rows = store.steps(sid)
    # the summary of every step, and the runner's settled cadence (core.cadence) over them
    settled, _ = settled_cadence(rows)
    assert body["summary"] == session_stats(rows).summary(12.0) | {"settled_cadence_spm": settled}
    assert body["series"] == session_stats(rows, max_points=300).series()
