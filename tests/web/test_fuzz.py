"""Fuzz the API from its hand-written OpenAPI description (schemathesis): no 5xx, every
answer conforms to the description, every error is a JSON body."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time

import schemathesis
from hypothesis import HealthCheck, settings

from common.store import Store
from tests.web.conftest import PIN, real_steps, write_live
from web import create_app

_base = tempfile.mkdtemp(prefix="midstance-fuzz-")
atexit.register(shutil.rmtree, _base, True)
_store = Store.in_dir(_base)
_store.set_pin(PIN)
_sid = _store.start_session(time.time() - 12)
_store.add_steps(_sid, real_steps())
write_live(_base, session_id=_sid, steps=34, cadence_spm=168.3)
# A wide login window: fuzzing must meet the throttle (429) as well as wrong PINs (401).
APP = create_app({"STATE_DIR": _base, "RUN_DIR": _base, "LOGIN_MAX_FAILURES": 50})

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)
# The event stream never ends by design (it is tested against the real server instead).
schema = schema.exclude(path="/api/live/stream")


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_description(case):
    response = case.call_and_validate()
    assert response.status_code < 500
    if response.status_code >= 400 and case.path != "/metrics":
        body = response.json()
        assert body["status"] == response.status_code and body["message"]
