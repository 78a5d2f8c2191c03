"""Staff actions: PIN login, session reset and settings. Runners never need any of this.

Every action but login needs the staff session cookie and the ``X-CSRF-Token`` header
(see :mod:`web.security`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request

from core.errors import ConfigError
from core.verdict import Thresholds
from web import security

bp = Blueprint("staff", __name__)

FACINGS = ("auto", "left", "right")

#: Settings that are not thresholds: name -> description for the settings form.
OTHER_SETTINGS: dict[str, dict[str, Any]] = {
    "facing": {"default": "auto", "choices": list(FACINGS),
               "help": "which way the runner faces in the image (auto = detect)"},
    "led_brightness": {"default": 1.0, "unit": "0..1", "min": 0.0, "max": 1.0,
                       "help": "brightness of the LED strip"},
}  # fmt: skip


def _ext() -> dict[str, Any]:
    return current_app.extensions["midstance"]


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
    store = _ext()["store"]
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
        pin_set=_ext()["store"].has_pin(),
    )  # fmt: skip


@bp.post("/api/sessions/reset")
@security.staff_required
def reset():
    """End the running session now; ``sense`` starts a new one when the runner runs again."""
    store = _ext()["store"]
    running = store.open_session()
    command_id = store.post_command("reset")
    return jsonify(command_id=command_id, session_id=running["id"] if running else None), 202


@bp.get("/api/settings")
def get_settings():
    """The settings in force (saved values over defaults) and how to edit them."""
    return jsonify(values=current_settings(), fields=settings_fields())


@bp.put("/api/settings")
@security.staff_required
def put_settings():
    """Change settings (``{"name": value}``; null restores the default) and tell ``sense``."""
    changes = json_object()
    store = _ext()["store"]
    saved = store.settings()
    fields = settings_fields()
    merged = {k: v for k, v in {**saved, **changes}.items() if v is not None and k in fields}
    try:
        for key in changes:
            if key not in fields:
                raise ConfigError(f"unknown setting {key!r} (known: {', '.join(fields)})")
        validate_settings(merged)
    except ConfigError as exc:
        abort(400, description=str(exc))
    store.save_settings(changes)
    command_id = store.post_command("settings")
    return jsonify(values=current_settings(), command_id=command_id)


def settings_fields() -> dict[str, dict[str, Any]]:
    """Every setting: the thresholds' descriptions plus facing and LED brightness."""
    return {**Thresholds.describe(), **OTHER_SETTINGS}


def current_settings() -> dict[str, Any]:
    """Saved settings over the defaults."""
    values = {name: field["default"] for name, field in settings_fields().items()}
    values.update(_ext()["store"].settings())
    return values


def validate_settings(values: dict[str, Any]) -> None:
    """Raise ConfigError naming the first bad key of a complete settings dict."""
    fields = settings_fields()
    for key, value in values.items():
        if key not in fields:
            raise ConfigError(f"unknown setting {key!r}")
        if key == "facing":
            if value not in FACINGS:
                raise ConfigError(f"setting 'facing' must be one of {', '.join(FACINGS)}")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise ConfigError(f"setting {key!r} must be a number, got {value!r}")
        lo, hi = fields[key]["min"], fields[key]["max"]
        if not lo <= value <= hi:
            raise ConfigError(f"setting {key!r} must be in {lo}..{hi}, got {value}")
    Thresholds.from_dict({k: v for k, v in values.items() if k not in OTHER_SETTINGS})
