"""The security model: persisted secret key, staff login throttling, CSRF, response headers.

Runners use the page without logging in; only staff actions (reset, settings) need the PIN.
A staff login gives a signed session cookie (HttpOnly, SameSite=Strict) holding a random CSRF
token; every staff action must send that token back in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import functools
import hmac
import os
import secrets
import threading
import time
from collections import deque
from pathlib import Path

from flask import Flask, abort, current_app, request, session

from core.errors import ConfigError

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


class LoginThrottle:
    """Counts wrong PINs per client; more than ``max_failures`` in ``window_s`` blocks it."""

    def __init__(self, max_failures: int, window_s: float, max_clients: int = 10_000):
        self.max_failures = max_failures
        self.window_s = window_s
        self.max_clients = max_clients
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str, now: float | None = None) -> float:
        """Seconds until ``client`` may try again (0 when not blocked)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(client, now)
            if len(times) < self.max_failures:
                return 0.0
            return max(times[0] + self.window_s - now, 1.0)

    def failed(self, client: str, now: float | None = None) -> None:
        """Record a wrong PIN from ``client``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._failures) >= self.max_clients:
                # Forget the quietest clients first, so memory stays bounded under a flood.
                for key in [k for k, v in self._failures.items() if not self._recent(k, now)]:
                    del self._failures[key]
            self._failures.setdefault(client, deque(maxlen=self.max_failures)).append(now)

    def succeeded(self, client: str) -> None:
        """Forget ``client``'s failures after a right PIN."""
        with self._lock:
            self._failures.pop(client, None)

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times


def new_csrf_token() -> str:
    """A fresh random CSRF token."""
    return secrets.token_urlsafe(32)


def is_staff() -> bool:
    """True when the request carries a valid staff session cookie."""
    return bool(session.get("staff")) and bool(session.get("csrf"))


def staff_required(view):
    """Decorator: the view needs a staff session and the matching ``X-CSRF-Token`` header.

    401 without a staff session, 403 with a missing or wrong token.
    """

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not is_staff():
            abort(401, description="staff login required")
        sent = request.headers.get("X-CSRF-Token", "")
        if not hmac.compare_digest(sent.encode(), str(session["csrf"]).encode()):
            abort(403, description="missing or wrong X-CSRF-Token header")
        return view(*args, **kwargs)

    return wrapped


def client_id() -> str:
    """Who is asking, for throttling: the peer address (the kiosk serves the LAN directly)."""
    return request.remote_addr or "unknown"


def init_app(app: Flask) -> None:
    """Add the security headers and no-store caching of API answers to every response."""

    @app.after_request
    def _headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith("/api/") or request.path == "/metrics":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def throttle() -> LoginThrottle:
    """The app's login throttle."""
    return current_app.extensions["midstance"]["throttle"]
