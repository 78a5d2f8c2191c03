"""Staff actions: PIN login, session reset and settings. Runners never need any of this.

Every action but login needs the staff session cookie and the ``X-CSRF-Token`` header
(see :mod:`web.security`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request

from common import settings
from core.errors import ConfigError
from core.verdict import Thresholds
from web import security
from web.parts import get_store

bp = Blueprint("staff", __name__)


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, or a 400/415 that says what is wrong."""
    body = request.get_json(silent=False)
    if not isinstance(body, dict):
        abort(400, description="the request body must be a JSON object")
    return body


@bp.post("/api/staff/login")
def login():
    """``{"pin": "1234"}`` -> ``{"csrf_token": ...}`` and the staff session cookie.

    Throttled per client and for everyone (:func:`web.security.init_login_limits`).
    """
    store = get_store()
    pin = json_object().get("pin")
    if not isinstance(pin, str) or not pin:
        abort(400, description='the body must be {"pin": "<digits>"}')
    if not store.has_pin():
        abort(409, description="no staff PIN is set: run `midstance set-pin` on the kiosk")
    if not store.check_pin(pin):
        abort(401, description="wrong PIN")
    security.forgive_client()
    return jsonify(csrf_token=security.start_staff_session())


@bp.post("/api/staff/logout")
def logout():
    """End the staff session: its cookie no longer works, even if saved and sent again."""
    security.end_staff_session()
    return jsonify(staff=False)


@bp.get("/api/staff/me")
def me():
    """Whether this browser is logged in as staff, with its CSRF token (same origin only)."""
    live = security.staff_session()
    return jsonify(
        staff=live is not None, csrf_token=live["csrf"] if live else None,
        pin_set=get_store().has_pin(),
    )  # fmt: skip


@bp.post("/api/sessions/reset")
@security.staff_required
def reset():
    """End the running session now; ``sense`` starts a new one when the runner runs again."""
    store = get_store()
    running = store.open_session()
    command_id = store.post_command("reset")
    return jsonify(command_id=command_id, session_id=running["id"] if running else None), 202


@bp.get("/api/settings")
def get_settings():
    """The settings in force (saved override, else config file, else default), where each
    comes from, what ``null`` would restore, and how to edit them."""
    now = current_settings()
    return jsonify(
        values=now.values, sources=now.sources, config=config_settings(),
        ignored=now.ignored, fields=settings_fields(),
    )  # fmt: skip


@bp.put("/api/settings")
@security.staff_required
def put_settings():
    """Change settings (``{"name": value}``; null restores the config value) and tell ``sense``.

    Only what differs from the value in force is stored; a wrong value is a 400 naming it and
    nothing is saved.
    """
    changes = json_object()
    store = get_store()
    base = config_settings()
    try:
        saved = store.change_settings(lambda now: validate_settings(changes, now, base))
    except ConfigError as exc:
        abort(400, description=str(exc))
    command_id = store.post_command("settings")
    now = current_settings()
    return jsonify(values=now.values, sources=now.sources, saved=saved, command_id=command_id)


def settings_fields() -> dict[str, dict[str, Any]]:
    """Every setting's description for the form (see :mod:`common.settings`)."""
    return settings.describe()


def config_settings() -> dict[str, Any]:
    """The config file's value of every setting (what ``null`` restores)."""
    return settings.from_config(current_app.config.get("MIDSTANCE_CONFIG") or {})


def current_settings() -> settings.Effective:
    """The settings in force: saved overrides over the config file's values."""
    return settings.effective(get_store().settings(), config_settings())


def validate_settings(
    changes: dict[str, Any], saved: dict[str, Any], base: dict[str, Any]
) -> dict[str, Any]:
    """What to store for ``changes``; ConfigError (one line) names the first bad key."""
    writes = settings.plan_changes(changes, saved, base)
    after = {k: v for k, v in {**saved, **writes}.items() if v is not None}
    now = settings.effective(after, base).values
    # The thresholds' own check too, so the page never saves what ``sense`` would refuse.
    Thresholds.from_dict({k: now[k] for k in settings.THRESHOLDS})
    return writes
