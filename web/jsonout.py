"""JSON answers that are always valid JSON: NaN and infinities become null, numpy scalars
become Python numbers (statistics of a session with missing metrics produce both)."""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider

from common.jsonsafe import clean


class CleanJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, cleaned first (see :func:`clean`)."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize ``obj`` after :func:`clean`."""
        return super().dumps(clean(obj), **kwargs)
