"""Midstance's phone page: live numbers, session history and staff controls, as a Flask app.

Reads the session store and the live snapshot written by ``midstance sense``; never touches
the camera or GPIO. Build it with the application factory and serve it with
:func:`web.server.serve` (waitress)::

    from web import create_app
    from web.server import make_server, serve

    app = create_app({"STATE_DIR": "/var/lib/midstance", "RUN_DIR": "/run/midstance"})
    serve(make_server(app, "0.0.0.0", 8080))
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from common.store import Store, StoreError
from core.errors import ConfigError
from web.parts import Parts, parts_of

#: Defaults; any of them may be overridden by the mapping passed to :func:`create_app`.
DEFAULTS: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": 16 * 1024,  # the largest legitimate body (settings) is < 1 KiB
    # Flask's own signed-cookie session is unused (staff sessions live in the store); its
    # cookie is named apart from the staff cookie so the two can never clash.
    "SESSION_COOKIE_NAME": "midstance_flask",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Strict",
    "STAFF_COOKIE_NAME": "midstance_staff",  # holds only the random token of a staff session
    "STAFF_IDLE_S": 30 * 60.0,  # a staff session unused this long ends ...
    "STAFF_MAX_AGE_S": 8 * 3600.0,  # ... and any ends after one staff shift
    "SSE_INTERVAL_S": 0.25,  # how often a stream looks at the snapshot (4 Hz)
    "SSE_KEEPALIVE_S": 5.0,  # a comment line this often also frees threads of gone clients
    "SSE_MAX_AGE_S": 120.0,  # then the stream ends and EventSource reconnects
    "SSE_MAX_CLIENTS": 80,  # beyond this, 503: keep worker threads for the API
    "SSE_MAX_PER_CLIENT": 4,  # streams one address may hold (tabs), so no one device fills all
    "LOGIN_MAX_FAILURES": 5,  # wrong PINs per client ...
    "LOGIN_MAX_GLOBAL": 20,  # ... and from all clients together ...
    "LOGIN_WINDOW_S": 300.0,  # ... per this many seconds, then HTTP 429
    # The config file as device.config loads it ({section: {key: value}}): the staff settings'
    # values when no override is saved (None = the built-in defaults).
    "MIDSTANCE_CONFIG": None,
    "KIOSK_URL": None,  # the URL printed on the QR sticker; else this server's own address
    "ALLOWED_HOSTS": (),  # Host names served besides loopback and the kiosk's own addresses
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app. ``config`` must give ``STATE_DIR`` and ``RUN_DIR``.

    ``STATE_DIR`` holds the SQLite store and the persisted secret key; ``RUN_DIR`` holds the
    live snapshot written by ``sense``. Raises :class:`core.errors.ConfigError` when either
    is missing or unusable.
    """
    from web import errors, jsonout, live, metrics, pages, security, sessions, staff, summaries

    app = Flask(__name__)
    app.json = jsonout.CleanJSONProvider(app)
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    for key in ("STATE_DIR", "RUN_DIR"):
        if not app.config.get(key):
            raise ConfigError(f"web: {key} is not set")
    state_dir = Path(app.config["STATE_DIR"])
    try:
        store = Store.in_dir(state_dir)
    except StoreError as exc:
        raise ConfigError(f"web: STATE_DIR {state_dir}: {exc}") from exc
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = security.load_secret_key(state_dir)

    app.extensions["midstance"] = Parts(
        store=store,
        feed=live.LiveFeed(app.config["RUN_DIR"], app.config["SSE_INTERVAL_S"]),
        streams=live.StreamSlots(app.config["SSE_MAX_CLIENTS"], app.config["SSE_MAX_PER_CLIENT"]),
        metrics=metrics.Metrics(),
        summaries=summaries.SessionSummaries(store),
    )
    security.init_app(app)
    metrics.init_app(app)
    errors.init_app(app)
    for module in (live, sessions, staff, pages, metrics):
        app.register_blueprint(module.bp)
    parts_of(app).limiter = security.init_login_limits(app)
    return app
