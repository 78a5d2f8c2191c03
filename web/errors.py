"""Every error is a short answer without a stack trace: JSON under ``/api``, a page elsewhere.

JSON errors look like ``{"error": "not_found", "message": "no session 42", "status": 404}``.
"""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

#: Headers of an HTTP exception the client needs (Allow on 405, Retry-After on 429).
KEPT_HEADERS = ("Allow", "Retry-After")


def wants_json() -> bool:
    """True for API and metrics paths, which answer errors in JSON."""
    return request.path.startswith("/api/") or request.path == "/metrics"


def error_response(exc: HTTPException):
    """Turn an HTTP exception into the response the client expects."""
    code = exc.code or 500
    message = exc.description or exc.name
    if wants_json():
        slug = exc.name.lower().replace(" ", "_")
        response = jsonify(error=slug, message=message, status=code)
    else:
        html = render_template("error.html", code=code, name=exc.name, message=message)
        response = make_response(html)
    response.status_code = code
    for name, value in exc.get_headers():
        if name in KEPT_HEADERS:
            response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return error_response(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # A bug: log it with its traceback for us, but tell the client nothing of the inside.
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(InternalServerError(description="internal error"))
