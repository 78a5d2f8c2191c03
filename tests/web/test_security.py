"""The kiosk attacked from the gym's network, through the real waitress server: parallel PIN
guessing, replayed staff cookies, a flood of odd methods and paths against /metrics, and
forged ``Host`` headers (DNS rebinding). Raw HTTP from many threads and source addresses."""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import socket
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.metrics_flood import flood
from tests.conftest import MIDSTANCE, free_port
from tests.web.conftest import PIN, Served, set_pin, wait_http
from web import create_app
from web.pages import lan_address
from web.parts import parts_of

WRONG = "0000"
#: Every value the method label may take: the methods the app serves, and "other".
METHOD_LABELS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}


def request(served: Served, method: str, path: str, body=None, headers=None, source=None):
    """One request on a fresh connection: (status, headers, text). ``source`` picks the client
    address (any 127.x.y.z is this machine's, so each is a different client to the kiosk)."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", served.srv.port, timeout=60,
        source_address=(source, 0) if source else None,
    )  # fmt: skip
    try:
        data = None if body is None else json.dumps(body)
        sent = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=data, headers={**sent, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        conn.close()


def login(served, pin, source=None, cookie=None):
    headers = {"Cookie": f"midstance_staff={cookie}"} if cookie else None
    return request(served, "POST", "/api/staff/login", {"pin": pin}, headers, source)


def staff_cookie(headers) -> str:
    (value,) = re.findall(r"midstance_staff=([^;]*)", headers["Set-Cookie"])
    return value


def at_once(calls) -> list:
    """Run ``calls`` (no-argument functions) simultaneously, one thread each, released
    together by a barrier; returns their results in order."""
    calls = list(calls)
    gate = threading.Barrier(len(calls))

    def run(call):
        gate.wait(timeout=60)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


class CountingPins:
    """Counts the store's real PIN verifications (each one still runs scrypt)."""

    def __init__(self, store):
        self.checked = 0
        self._lock = threading.Lock()
        self._real = store.check_pin
        store.check_pin = self

    def __call__(self, pin):
        with self._lock:
            self.checked += 1
        return self._real(pin)


def make_kiosk(dirs, **config):
    """The app with a PIN behind the real server: (served, store, PIN verification counter)."""
    state, run = dirs
    app = create_app({"STATE_DIR": str(state), "RUN_DIR": str(run), **config})
    store = parts_of(app).store
    store.set_pin(PIN)
    return Served(app), store, CountingPins(store)


@pytest.fixture
def kiosk(dirs):
    """:func:`make_kiosk` with the default login window (5 minutes)."""
    served, store, pins = make_kiosk(dirs)
    yield served, store, pins
    served.close()


# -- issue 12 item 1: PIN guessing in parallel ----------------------------------------------


@pytest.mark.parametrize("guesses", [60, 300])
def test_parallel_wrong_pins_are_checked_at_most_five_times(kiosk, guesses):
    served, _, pins = kiosk
    answers = at_once([lambda: login(served, WRONG)] * guesses)
    codes = [status for status, _, _ in answers]
    print(f"{guesses} parallel wrong PINs: {pins.checked} checked, {codes.count(429)} got 429")
    assert pins.checked <= 5
    assert codes.count(401) == pins.checked and codes.count(429) == guesses - pins.checked
    refused = [(h, t) for s, h, t in answers if s == 429]
    assert all(int(h["Retry-After"]) > 0 and "too many wrong PINs" in t for h, t in refused)
    assert login(served, PIN)[0] == 429  # the right PIN is refused too
    assert pins.checked <= 5


def test_the_right_pin_is_refused_until_the_window_passes(dirs):
    served, _, pins = make_kiosk(dirs, LOGIN_WINDOW_S=5)
    try:
        at_once([lambda: login(served, WRONG)] * 60)
        status, headers, _ = login(served, PIN)
        assert status == 429
        time.sleep(int(headers["Retry-After"]) + 1)
        checked = pins.checked
        assert login(served, PIN)[0] == 200 and pins.checked == checked + 1
    finally:
        served.close()


def test_guesses_from_many_addresses_meet_the_global_cap(kiosk):
    served, _, pins = kiosk
    sources = [f"127.0.0.{n}" for n in range(2, 42)]  # 40 clients, 3 guesses each, at once
    answers = at_once([lambda s=s: login(served, WRONG, source=s) for s in sources * 3])
    codes = [status for status, _, _ in answers]
    print(f"120 wrong PINs from 40 addresses: {pins.checked} checked")
    assert pins.checked <= 20 and codes.count(401) == pins.checked
    assert codes.count(429) == 120 - pins.checked
    assert login(served, PIN, source="127.0.0.99")[0] == 429  # everyone waits out the window


def test_a_right_pin_gives_the_client_its_tries_back(kiosk):
    served, _, pins = kiosk
    assert [login(served, WRONG)[0] for _ in range(4)] == [401] * 4
    assert login(served, PIN)[0] == 200
    assert [login(served, WRONG)[0] for _ in range(5)] == [401] * 5  # a typo after login
    assert login(served, WRONG)[0] == 429
    assert pins.checked == 10


# -- issue 12 item 2: staff sessions can be revoked -----------------------------------------


def reset(served, cookie, csrf):
    headers = {"Cookie": f"midstance_staff={cookie}", "X-CSRF-Token": csrf}
    return request(served, "POST", "/api/sessions/reset", headers=headers)[0]


def me(served, cookie) -> dict:
    status, _, text = request(
        served, "GET", "/api/staff/me", headers={"Cookie": f"midstance_staff={cookie}"}
    )
    assert status == 200
    return json.loads(text)


def test_the_cookie_holds_only_a_random_id_the_store_keeps_its_hash(kiosk, dirs):
    served, _, _ = kiosk
    status, headers, text = login(served, PIN)
    assert status == 200
    cookie, csrf = staff_cookie(headers), json.loads(text)["csrf_token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", cookie)  # 32 random bytes, nothing else
    assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Strict" in headers["Set-Cookie"]
    with sqlite3.connect(dirs[0] / "midstance.sqlite3") as db:
        rows = db.execute("SELECT id, csrf FROM staff_sessions").fetchall()
    assert rows == [(hashlib.sha256(cookie.encode()).hexdigest(), csrf)]
    assert me(served, cookie)["staff"] is True and me(served, cookie)["csrf_token"] == csrf
    forged = cookie[:-1] + ("A" if cookie[-1] != "A" else "B")
    assert me(served, forged) == {"staff": False, "csrf_token": None, "pin_set": True}


def test_a_cookie_replayed_after_logout_is_refused(kiosk):
    served, _, _ = kiosk
    _, headers, text = login(served, PIN)
    cookie, csrf = staff_cookie(headers), json.loads(text)["csrf_token"]
    assert reset(served, cookie, csrf) == 202
    status, headers, _ = request(
        served, "POST", "/api/staff/logout", headers={"Cookie": f"midstance_staff={cookie}"}
    )
    assert status == 200 and "midstance_staff=;" in headers["Set-Cookie"]  # cleared
    assert reset(served, cookie, csrf) == 401  # the saved cookie, sent again
    assert me(served, cookie)["staff"] is False


def test_set_pin_ends_every_staff_session(kiosk, dirs):
    served, _, _ = kiosk
    sessions = []
    for source in ("127.0.0.1", "127.0.0.2"):  # two staff phones
        _, headers, text = login(served, PIN, source=source)
        sessions.append((staff_cookie(headers), json.loads(text)["csrf_token"]))
    assert [reset(served, *s) for s in sessions] == [202, 202]
    set_pin(dirs[0], "97531")  # the real `midstance set-pin`, while the server runs
    assert [reset(served, *s) for s in sessions] == [401, 401]
    assert login(served, PIN)[0] == 401 and login(served, "97531")[0] == 200


def test_idle_and_old_sessions_expire(kiosk, dirs):
    """The defaults (30 min idle, 8 h in all) applied to sessions aged in the store."""
    served, _, _ = kiosk
    db = sqlite3.connect(dirs[0] / "midstance.sqlite3", isolation_level=None)

    def aged(column: str, seconds: float):
        _, headers, text = login(served, PIN)
        cookie = staff_cookie(headers)
        key = hashlib.sha256(cookie.encode()).hexdigest()
        db.execute(
            f"UPDATE staff_sessions SET {column} = {column} - ? WHERE id = ?", (seconds, key)
        )
        return cookie, json.loads(text)["csrf_token"], key

    cookie, csrf, key = aged("seen_at", 29 * 60)  # idle, but not for long enough
    assert reset(served, cookie, csrf) == 202
    (seen,) = db.execute("SELECT seen_at FROM staff_sessions WHERE id = ?", (key,)).fetchone()
    assert seen > time.time() - 120  # using it kept it alive
    cookie, csrf, key = aged("seen_at", 31 * 60)
    assert reset(served, cookie, csrf) == 401
    assert db.execute("SELECT 1 FROM staff_sessions WHERE id = ?", (key,)).fetchone() is None
    cookie, csrf, _ = aged("created_at", 8 * 3600 + 60)  # in use all along, but a shift old
    assert reset(served, cookie, csrf) == 401
    db.close()


def test_idle_expiry_is_configurable(dirs):
    state, run = dirs
    app = create_app({"STATE_DIR": str(state), "RUN_DIR": str(run), "STAFF_IDLE_S": 0.5})
    parts_of(app).store.set_pin(PIN)
    client = app.test_client()
    token = client.post("/api/staff/login", json={"pin": PIN}).get_json()["csrf_token"]
    assert client.get("/api/staff/me").get_json()["staff"] is True
    time.sleep(1.0)
    assert client.get("/api/staff/me").get_json()["staff"] is False
    assert client.post("/api/sessions/reset", headers={"X-CSRF-Token": token}).status_code == 401


def test_csrf_token_belongs_to_its_own_session(kiosk):
    served, _, _ = kiosk
    _, h1, t1 = login(served, PIN)
    _, h2, t2 = login(served, PIN, source="127.0.0.3")
    (c1, x1), (c2, x2) = (staff_cookie(h1), json.loads(t1)["csrf_token"]), (
        staff_cookie(h2), json.loads(t2)["csrf_token"],
    )  # fmt: skip
    assert x1 != x2 and c1 != c2
    assert reset(served, c1, x2) == 403 and reset(served, c2, x1) == 403
    assert reset(served, c1, "") == 403
    # Logging in again from the same browser ends its previous session and its token.
    _, h3, t3 = login(served, PIN, cookie=c1)
    assert reset(served, c1, x1) == 401
    assert reset(served, staff_cookie(h3), json.loads(t3)["csrf_token"]) == 202


# -- issue 12 item 5: /metrics stays bounded --------------------------------------------------


def series(text: str, name: str) -> list[dict[str, str]]:
    """The label sets of every sample of metric ``name`` in a scrape."""
    return [
        dict(re.findall(r'(\w+)="([^"]*)"', labels))
        for labels in re.findall(rf"^{name}\{{([^}}]*)\}} ", text, flags=re.M)
    ]


@pytest.mark.slow
def test_twenty_thousand_odd_requests_keep_the_metrics_bounded(served, app):
    flood(served.srv.port, 20_000)  # the same flood as `python -m bench metrics_flood`
    status, _, text = request(served, "GET", "/metrics")
    assert status == 200
    rules = {r.rule for r in app.url_map.iter_rules()} | {"other"}
    requests = series(text, "midstance_http_requests_total")
    assert {s["method"] for s in requests} <= METHOD_LABELS
    assert {s["endpoint"] for s in requests} <= rules
    assert len(requests) <= 40, [s for s in requests][:50]
    samples = [line for line in text.splitlines() if line and not line.startswith("#")]
    print(f"after 20,000 odd requests: {len(samples)} samples, {len(text)} bytes")
    assert len(samples) < 400
    counted = sum(float(m) for m in re.findall(r"^midstance_http_requests_total\{.*\} (\S+)",
                                               text, flags=re.M))  # fmt: skip
    assert counted >= 20_000  # every request still counted, under a bounded set of labels


def test_metrics_do_not_tell_login_results(kiosk):
    served, _, _ = kiosk
    login(served, WRONG)
    login(served, PIN)
    text = request(served, "GET", "/metrics")[2]
    logins = series(text, "midstance_http_requests_total")
    logins = [s for s in logins if s["endpoint"] == "/api/staff/login"]
    assert logins == [{"endpoint": "/api/staff/login", "method": "POST", "status": "hidden"}]
    assert "midstance_staff_logins" not in text
    assert 'endpoint="/api/staff/login"' not in text.split("midstance_http_request_duration")[1]
    assert 'midstance_http_errors_total{status="401"}' not in text


# -- issue 12 item 8: Host header trust -------------------------------------------------------


def raw(served: Served, lines: list[str]) -> tuple[int, str]:
    """Send raw request lines over a socket; (status, body)."""
    with socket.create_connection(("127.0.0.1", served.srv.port), timeout=30) as sock:
        sock.sendall(("\r\n".join([*lines, "Connection: close", "", ""])).encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode()


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:{port}", "localhost.evil.example", "127.0.0.1.nip.io",
     "::1", "::1:{port}", "[::1", "[evil]:80", "8.8.8.8", "[2001:db8::1]:{port}",
     "0.0.0.0:{port}", "[::]", "", "localhost:99999", "x" * 300],
)  # fmt: skip
def test_unknown_or_malformed_host_gets_a_one_line_400(served, host):
    host = host.format(port=served.srv.port)
    for path in ("/api/live", "/staff/qr", "/metrics"):
        status, body = raw(served, [f"GET {path} HTTP/1.1", f"Host: {host}"])
        assert status == 400, (host, path, body[:200])
        message = body.rstrip("\n") if path == "/staff/qr" else json.loads(body)["message"]
        assert "\n" not in message and "Host" in message and len(message) < 250


def test_a_request_without_host_is_refused_in_one_line(served):
    status, body = raw(served, ["GET /api/live HTTP/1.0"])
    assert status == 400 and json.loads(body)["message"] == "the request has no Host header"


@pytest.mark.parametrize(
    "host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "[::1]:{port}", "[::1]",
             "127.0.0.1"],
)  # fmt: skip
def test_loopback_hosts_are_served(served, host):
    status, body = raw(
        served, ["GET /api/live HTTP/1.1", f"Host: {host.format(port=served.srv.port)}"]
    )
    assert status == 200 and json.loads(body)["state"] == "offline"


def test_configured_names_and_own_addresses_are_served(dirs):
    state, run = dirs
    app = create_app({"STATE_DIR": str(state), "RUN_DIR": str(run),
                      "ALLOWED_HOSTS": ["kiosk.gym.lan", "fd00::5"],
                      "KIOSK_URL": "http://treadmill-3.local:8080/"})  # fmt: skip
    served = Served(app)
    try:
        port = served.srv.port
        own = [socket.gethostname(), lan_address()]
        for host in ["kiosk.gym.lan", f"KIOSK.gym.lan:{port}", "[fd00::5]:8080",
                     "treadmill-3.local:8080", *(h for h in own if h)]:  # fmt: skip
            status, body = raw(served, ["GET /api/live HTTP/1.1", f"Host: {host}"])
            assert status == 200, (host, body)
        assert raw(served, ["GET /api/live HTTP/1.1", "Host: kiosk.gym.lan.evil.example"])[0] == 400
    finally:
        served.close()


def qr_url(served: Served, host: str) -> str:
    status, body = raw(served, ["GET /staff/qr HTTP/1.1", f"Host: {host}"])
    assert status == 200, body
    (url,) = re.findall(r'<p class="url">([^<]*)</p>', body)
    return url


def test_qr_sticker_encodes_the_servers_own_address_not_the_request(served):
    port = served.srv.port
    own = lan_address() or "127.0.0.1"
    assert qr_url(served, f"127.0.0.1:{port}") == f"http://{own}:{port}/"
    # The port named by the request is not trusted either.
    assert qr_url(served, "[::1]:1") == f"http://{lan_address() or '[::1]'}:{port}/"
    assert raw(served, ["GET /staff/qr.svg HTTP/1.1", "Host: evil.example"])[0] == 400


def test_qr_sticker_encodes_the_configured_kiosk_url(dirs):
    state, run = dirs
    app = create_app({"STATE_DIR": str(state), "RUN_DIR": str(run),
                      "KIOSK_URL": "http://kiosk.local:8080/"})  # fmt: skip
    served = Served(app)
    try:
        assert qr_url(served, f"127.0.0.1:{served.srv.port}") == "http://kiosk.local:8080/"
        assert qr_url(served, "kiosk.local:8080") == "http://kiosk.local:8080/"
    finally:
        served.close()


def test_ipv6_server_is_served_by_its_bracketed_address(app):
    from web.server import make_server

    try:
        srv = make_server(app, "::1", 0)
    except OSError:
        pytest.fail("this machine has no IPv6 loopback")
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("::1", srv.port, timeout=30)
        conn.request("GET", "/staff/qr")
        response = conn.getresponse()
        body = response.read().decode()
        assert response.status == 200
        (url,) = re.findall(r'<p class="url">([^<]*)</p>', body)
        assert url == (f"http://{lan_address()}:{srv.port}/" if lan_address()
                       else f"http://[::1]:{srv.port}/")  # fmt: skip
        conn.request("GET", "/api/live", headers={"Host": "evil.example"})
        response = conn.getresponse()
        assert response.status == 400
        response.read()
        conn.close()
    finally:
        srv.close()
        thread.join(10)


def test_midstance_web_serves_the_names_given_with_allowed_host(dirs):
    state, run = dirs
    port = free_port()
    proc = subprocess.Popen(
        [*MIDSTANCE, "web", "--state-dir", str(state), "--run-dir", str(run), "--host",
         "127.0.0.1", "--port", str(port), "--allowed-host", "kiosk.gym.lan",
         "--allowed-host", "[fd00::5]:8080"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/api/live", timeout=30, proc=proc)
        for host, status in [("kiosk.gym.lan", 200), (f"[fd00::5]:{port}", 200),
                             ("evil.example", 400)]:  # fmt: skip
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/api/live", headers={"Host": host})
            response = conn.getresponse()
            assert response.status == status, (host, response.read())
            conn.close()
    finally:
        proc.terminate()
        proc.wait(15)


@pytest.mark.parametrize("bad", ["::1:80:x", "[evil]", "a b", "kiosk:0"])
def test_midstance_web_refuses_a_malformed_allowed_host_in_one_line(dirs, bad):
    state, run = dirs
    done = subprocess.run(
        [*MIDSTANCE, "web", "--state-dir", str(state), "--run-dir", str(run), "--port", "0",
         "--allowed-host", bad],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("midstance web: error: ") and repr(bad) in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
