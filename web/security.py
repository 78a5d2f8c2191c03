"""The security model: persisted secret key, staff login throttling, CSRF, response headers,
and the ``Host`` check.

Runners use the page without logging in; only staff actions (reset, settings) need the PIN.
A staff login opens a session kept in the store; the cookie (HttpOnly, SameSite=Strict) holds
only its random token, so logout and ``midstance set-pin`` end it for good, and it expires
after ``STAFF_IDLE_S`` unused or ``STAFF_MAX_AGE_S`` in all. Every staff action must send the
session's CSRF token back in the ``X-CSRF-Token`` header.

Only known ``Host`` names are served (a page of a stranger's domain resolving to the kiosk,
DNS rebinding, gets 400): loopback names, this machine's own addresses and names, the host of
``KIOSK_URL`` and the names in ``ALLOWED_HOSTS``.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import math
import os
import re
import secrets
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Response, abort, after_this_request, current_app, g, request
from flask_limiter import Limiter

from core.errors import ConfigError
from web import errors
from web.parts import get_store, parts, parts_of

SECRET_KEY_FILE = "web-secret-key"

#: No inline script or style anywhere; nothing may frame the page; nothing leaves the kiosk.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def load_secret_key(state_dir: str | os.PathLike) -> bytes:
    """Read the app's secret key from ``state_dir``, creating it (mode 0600) the first time.

    Persisting it keeps staff logged in across restarts of ``midstance web``.
    """
    path = Path(state_dir) / SECRET_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret_key(path)
    except OSError as exc:
        raise ConfigError(f"web: cannot create the secret key {path}: {exc}") from exc
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


def _read_secret_key(path: Path) -> bytes:
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"web: cannot read the secret key {path}: {exc}") from exc
    if len(key) < 32:
        raise ConfigError(f"web: the secret key {path} is too short; delete it to renew")
    return key


def init_login_limits(app: Flask) -> Limiter:
    """Throttle ``POST /api/staff/login`` with Flask-Limiter (in-memory, moving window).

    Every attempt is counted before its PIN is checked, in one step under the storage's lock,
    so parallel guesses cannot slip through between a check and a count: at most
    ``LOGIN_MAX_FAILURES`` PINs per client and ``LOGIN_MAX_GLOBAL`` from all clients together
    are checked per ``LOGIN_WINDOW_S``; then 429 with ``Retry-After``. A right PIN gives the
    client's attempts back (:func:`forgive_client`); the global count keeps them, so a flood
    from many addresses locks the login for one window (staff still have the kiosk's button).
    """
    cfg = app.config
    window = max(1, math.ceil(cfg["LOGIN_WINDOW_S"]))
    limiter = Limiter(
        key_func=client_id,
        app=app,
        storage_uri="memory://",
        strategy="moving-window",
        headers_enabled=True,  # Retry-After on 429
        default_limits=[],
        application_limits=[],
    )
    view = app.view_functions["staff.login"]
    per_client = limiter.limit(
        f"{cfg['LOGIN_MAX_FAILURES']} per {window} seconds",
        key_func=client_id,
        error_message=_too_many_pins,
    )
    everyone = limiter.shared_limit(
        f"{cfg['LOGIN_MAX_GLOBAL']} per {window} seconds",
        scope="staff-login-everyone",
        key_func=lambda: "everyone",
        error_message=_too_many_pins,
    )
    app.view_functions["staff.login"] = everyone(per_client(view))
    return limiter


def _too_many_pins() -> str:
    limit = parts().limiter.current_limit
    wait = max(1, int(limit.reset_at - time.time())) if limit else 1
    return f"too many wrong PINs: try again in {wait} s"


def forgive_client() -> None:
    """Give this client its login attempts back (after a right PIN)."""
    limiter: Limiter = parts().limiter
    for limit in limiter.current_limits:
        if not limit.shared:
            limiter.limiter.clear(limit.limit, *limit.request_args)


def staff_session() -> dict | None:
    """This request's staff session (see :meth:`common.store.Store.staff_session`), or None
    without a cookie of a live one. Looked up once per request."""
    if "staff_session" not in g:
        cfg = current_app.config
        token = request.cookies.get(cfg["STAFF_COOKIE_NAME"], "")
        store = get_store()
        g.staff_session = (
            store.staff_session(token, cfg["STAFF_IDLE_S"], cfg["STAFF_MAX_AGE_S"])
            if token
            else None
        )
    return g.staff_session


def is_staff() -> bool:
    """True when the request carries the cookie of a live staff session."""
    return staff_session() is not None


def start_staff_session() -> str:
    """Open a staff session (ending this browser's previous one) and set its cookie on the
    response; returns its CSRF token."""
    cfg = current_app.config
    store = get_store()
    old = request.cookies.get(cfg["STAFF_COOKIE_NAME"])
    if old:
        store.end_staff_session(old)
    token, csrf = store.open_staff_session()

    @after_this_request
    def _cookie(response: Response) -> Response:
        response.set_cookie(
            cfg["STAFF_COOKIE_NAME"], token, max_age=int(cfg["STAFF_MAX_AGE_S"]), path="/",
            httponly=True, samesite="Strict",
        )  # fmt: skip
        return response

    return csrf


def end_staff_session() -> None:
    """End this request's staff session (if any) in the store and clear its cookie."""
    name = current_app.config["STAFF_COOKIE_NAME"]
    token = request.cookies.get(name)
    if token:
        get_store().end_staff_session(token)
    g.staff_session = None

    @after_this_request
    def _cookie(response: Response) -> Response:
        response.delete_cookie(name, path="/", httponly=True, samesite="Strict")
        return response


def staff_required(view):
    """Decorator: the view needs a staff session and the matching ``X-CSRF-Token`` header.

    401 without a staff session, 403 with a missing or wrong token.
    """

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        live = staff_session()
        if live is None:
            abort(401, description="staff login required")
        sent = request.headers.get("X-CSRF-Token", "")
        if not hmac.compare_digest(sent.encode(), live["csrf"].encode()):
            abort(403, description="missing or wrong X-CSRF-Token header")
        return view(*args, **kwargs)

    return wrapped


def client_id() -> str:
    """Who is asking, for throttling: the peer address (the kiosk serves the LAN directly)."""
    return request.remote_addr or "unknown"


#: A DNS name: dot-separated labels of letters, digits and hyphens.
_HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")

#: Names every kiosk answers to: its own loopback names.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def split_host(host: str) -> tuple[str, int | None]:
    """``"name:port"`` or ``"[v6]:port"`` -> (lower-case name, port or None); an IP address
    comes back in its standard form without brackets.

    Raises ValueError for a malformed value (e.g. an IPv6 address without brackets).
    """
    name, port = host, None
    if host.startswith("["):
        name, sep, rest = host[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(host)
        port = rest[1:] or None
    elif ":" in host:
        name, _, port = host.partition(":")
    if not name or (port is not None and not (port.isdigit() and 0 < int(port) < 65536)):
        raise ValueError(host)
    name = name.lower().removesuffix(".")
    try:
        name = str(ipaddress.ip_address(name))
    except ValueError:
        if host.startswith("[") or not _HOST_NAME.fullmatch(name):
            raise  # brackets hold an IPv6 address and nothing else
    return name, None if port is None else int(port)


def host_name(entry: str) -> str:
    """A configured host (``name``, ``name:port``, ``1.2.3.4``, ``fd00::5`` or ``[fd00::5]``)
    as :func:`split_host` names it; ConfigError when it is not one."""
    try:
        return str(ipaddress.ip_address(entry))  # a bare IPv6 address
    except ValueError:
        pass
    try:
        return split_host(entry)[0]
    except ValueError:
        raise ConfigError(f"web: {entry!r} is not a host name or address") from None


def allowed_hosts(app: Flask) -> frozenset[str]:
    """The names this app answers to besides its own addresses (see the module docstring)."""
    names = {host_name(n) for n in LOOPBACK_NAMES}
    hostname = socket.gethostname().lower()
    names.update({hostname, f"{hostname}.local"})  # what mDNS (avahi) publishes on the Pi
    kiosk = app.config.get("KIOSK_URL")
    if kiosk:
        names.add(host_name(urlsplit(kiosk).netloc.rpartition("@")[2]))
    names.update(host_name(n) for n in app.config.get("ALLOWED_HOSTS") or ())
    return frozenset(names)


def is_own_address(name: str) -> bool:
    """True when ``name`` is an IP address of this machine (binding to it succeeds).

    Covers the address the server is bound to and, when it listens on all interfaces, every
    address a phone can reach it by, without a list to keep up to date as DHCP changes it.
    """
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    if ip.is_unspecified or ip.is_multicast:
        return False  # 0.0.0.0 binds, but no page of this kiosk lives there
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.bind((str(ip), 0))
    except OSError:
        return False
    return True


def check_host() -> Response | None:
    """400 with a one-line message unless the request's ``Host`` is one this kiosk answers to.

    Pages get plain text: an error page would build links from the refused host.
    """
    raw = request.headers.get("Host")
    if raw is None:  # HTTP/1.0 may leave it out; the server would put a made-up name there
        return _refuse("the request has no Host header")
    try:
        name, _ = split_host(request.host)
    except ValueError:
        return _refuse(f"malformed Host header {raw[:100]!r}")
    allowed = parts().allowed_hosts
    if name not in allowed and not is_own_address(name):
        return _refuse(
            f"unknown Host {name[:100]!r}: open the kiosk by its address, or add the name"
            " with `midstance web --allowed-host NAME`"
        )
    return None


def _refuse(message: str) -> Response:
    if errors.wants_json():
        abort(400, description=message)
    return Response(message + "\n", 400, mimetype="text/plain")


def init_app(app: Flask) -> None:
    """Check the ``Host`` of every request; add the security headers and no-store caching of
    API answers to every response."""
    parts_of(app).allowed_hosts = allowed_hosts(app)
    app.before_request(check_host)

    @app.after_request
    def _headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith("/api/") or request.path == "/metrics":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
