"""Query parameters, checked: a bad value is a 400 that names the parameter."""

from __future__ import annotations

from flask import abort, request


def int_arg(name: str, default: int | None, lo: int, hi: int) -> int | None:
    """An integer query parameter in ``lo..hi`` (``default`` when absent)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, description=f"query parameter {name!r} must be an integer, got {raw!r}")
    if not lo <= value <= hi:
        abort(400, description=f"query parameter {name!r} must be in {lo}..{hi}, got {value}")
    return value


def flag_arg(name: str, default: bool) -> bool:
    """A ``0``/``1`` query parameter (``default`` when absent)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if raw not in ("0", "1"):
        abort(400, description=f"query parameter {name!r} must be 0 or 1, got {raw!r}")
    return raw == "1"
