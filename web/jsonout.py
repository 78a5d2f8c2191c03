"""JSON answers that are always valid JSON: NaN and infinities become null, numpy scalars
become Python numbers (statistics of a session with missing metrics produce both)."""

from __future__ import annotations

import math
from typing import Any

from flask.json.provider import DefaultJSONProvider


def clean(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None and numpy scalars unwrapped."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        value = value.tolist()  # numpy scalar or array
        if isinstance(value, list):
            return clean(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class CleanJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, cleaned first (see :func:`clean`)."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize ``obj`` after :func:`clean`."""
        return super().dumps(clean(obj), **kwargs)
