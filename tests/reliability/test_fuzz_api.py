"""Bad input over HTTP: the API fuzzed from its own OpenAPI description (schemathesis), as an
anonymous phone and as logged-in staff, against the real app on a real SQLite store holding
sessions: not one 5xx answer. Derandomized and bounded (50 examples per operation)."""

from __future__ import annotations

import json
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from common import snapshot
from common.store import Store
from web import create_app

PIN = "4321"
FUZZ = settings(
    max_examples=50, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The real app on a store with finished and running sessions and a live snapshot."""
    root = tmp_path_factory.mktemp("fuzz")
    state, run = root / "state", root / "run"
    run.mkdir()
    store = Store.in_dir(state)
    store.set_pin(PIN)
    now = time.time()
    for k in range(3):
        sid = store.start_session(now - 3600 * (k + 1), "left")
        steps = [
            {"leg": "left" if i % 2 else "right", "contact_t": i * 0.36, "midstance_t": i * 0.36
             + 0.1, "toe_off_t": i * 0.36 + 0.25, "lean_deg": 6.0, "hip_ankle_offset": 0.02,
             "verdict": ("good", "warn", "bad")[i % 3], "at": now - 3600 * (k + 1) + i * 0.36}
            for i in range(40)
        ]  # fmt: skip
        store.add_steps(sid, steps)
        if k:
            store.end_session(sid, now - 3600 * k, "timeout", {"steps": 40})
    snap = snapshot.blank(state="running", led="good") | {"steps": 12, "cadence_spm": 169.0}
    snapshot.write(run, snap)
    store.close()
    # Streams end quickly here, so a fuzzed GET of the live stream returns.
    return create_app(
        {"STATE_DIR": str(state), "RUN_DIR": str(run), "SSE_MAX_AGE_S": 0.3,
         "LOGIN_MAX_FAILURES": 10_000, "LOGIN_MAX_GLOBAL": 10_000}
    )  # fmt: skip


@pytest.fixture(scope="module")
def api_schema(app):
    """The OpenAPI description the app serves itself."""
    spec = json.loads(app.test_client().get("/api/openapi.json").data)
    assert spec["openapi"].startswith("3.") and len(spec["paths"]) >= 10
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.fixture(scope="module")
def staff_headers(app) -> dict[str, str]:
    """The cookie and CSRF header of a logged-in staff member."""
    client = app.test_client()
    r = client.post("/api/staff/login", json={"pin": PIN})
    assert r.status_code == 200, r.data
    cookie = client.get_cookie("midstance_staff")
    return {"Cookie": f"midstance_staff={cookie.value}", "X-CSRF-Token": r.get_json()["csrf_token"]}


def fuzz(schema, headers: dict[str, str] | None) -> tuple[int, list[str]]:
    """Every operation, with data that fits the schema and data that does not; returns the
    number of requests and the 5xx answers (method, path, status, body)."""
    calls, errors = 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(operation.as_strategy(generation_mode=mode))
            @FUZZ
            def call(case):
                nonlocal calls
                calls += 1
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    errors.append(
                        f"{case.method} {case.formatted_path} {case.query} {case.body!r}:"
                        f" {response.status_code} {response.text[:200]}"
                    )

            try:
                call()
            except Unsatisfiable:
                # Nothing to break in an operation without parameters or body.
                assert mode is GenerationMode.NEGATIVE, operation.label
    return calls, errors


def test_no_5xx_for_a_phone(api_schema):
    calls, errors = fuzz(api_schema, None)
    print(f"fuzzed {calls} requests as a phone, {len(errors)} 5xx")
    assert calls >= 500 and not errors, errors[:5]


def test_no_5xx_for_staff(api_schema, staff_headers):
    calls, errors = fuzz(api_schema, staff_headers)
    print(f"fuzzed {calls} requests as staff, {len(errors)} 5xx")
    assert calls >= 500 and not errors, errors[:5]
