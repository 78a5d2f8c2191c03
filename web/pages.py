"""The phone pages (Live, History, Session, Staff, Setup) and the printable QR sticker.

Pages are plain templates; their scripts (``static/js``) fetch the JSON API and the live
event stream, so the pages and the API never disagree.
"""

from __future__ import annotations

import io
import json
import socket

import segno
from flask import Blueprint, Response, abort, current_app, render_template, request

from core.landmarks import EDGES
from web import explain, security
from web.parts import get_store

bp = Blueprint("pages", __name__)


@bp.app_context_processor
def _texts() -> dict:
    """Every page gets the explanations (``web.explain``) for its JSON data block."""
    return {"texts": explain.texts()}


@bp.get("/")
def live():
    """Live: big numbers, the LED mirror, the cue and the latest step's midstance figure."""
    return render_template("live.html", page="live", edges=json.dumps(EDGES))


@bp.get("/history")
def history():
    """History: recent sessions, each opening its summary."""
    return render_template("history.html", page="history")


@bp.get("/sessions/<int:session_id>")
def session(session_id: int):
    """Session summary: the midstance figures, charts over time, verdicts and downloads.

    An unknown id is a real 404 page (no empty charts, no downloads that would fail)."""
    store = get_store()
    if not 0 < session_id < 2**62 or store.session(session_id) is None:
        abort(404, description=f"There is no session {session_id}: it may have been deleted.")
    return render_template(
        "session.html", page="history", session_id=session_id, edges=json.dumps(EDGES)
    )


@bp.get("/staff")
def staff():
    """Staff: PIN login, reset and settings."""
    return render_template("staff.html", page="staff")


@bp.get("/setup")
def setup():
    """Setup: the live skeleton for aiming the camera (never the video)."""
    return render_template("setup.html", page="setup", edges=json.dumps(EDGES))


@bp.get("/staff/qr")
def qr_page():
    """A printable sticker with the kiosk's address as a QR code."""
    return render_template("qr.html", page="staff", url=kiosk_url())


@bp.get("/staff/qr.svg")
def qr_svg():
    """The QR code of the kiosk's address, as SVG."""
    out = io.BytesIO()
    segno.make(kiosk_url(), error="m").save(out, kind="svg", scale=8, border=2, title="kiosk")
    return Response(out.getvalue(), mimetype="image/svg+xml")


@bp.get("/api/openapi.json")
def openapi():
    """The hand-written OpenAPI 3 description of the API (``static/openapi.json``)."""
    return current_app.send_static_file("openapi.json")


def kiosk_url() -> str:
    """The address phones should open: ``KIOSK_URL`` if set, else this server's own address.

    The request's host name is used only after :func:`web.security.check_host` accepted it (a
    name of this kiosk or one of its addresses), a loopback name is replaced by the kiosk's LAN
    address (a phone cannot open "localhost"), and the port is the one the server listens on,
    never the one the request named.
    """
    configured = current_app.config.get("KIOSK_URL")
    if configured:
        return configured
    host, _ = security.split_host(request.host)
    if host in security.LOOPBACK_NAMES:
        host = lan_address() or host
    if ":" in host:
        host = f"[{host}]"
    port = request.environ.get("SERVER_PORT", "")
    default = {"http": "80", "https": "443"}.get(request.scheme)
    return f"{request.scheme}://{host}{'' if port in ('', default) else ':' + port}/"


def lan_address() -> str | None:
    """This machine's address on the LAN (no packet is sent: UDP connect only picks a route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address
