"""Values made JSON-safe: NaN and infinities become null, numpy scalars and arrays become
Python numbers and lists (statistics of a session with missing metrics produce both).

The one cleaner for what device stores and what web answers. Example::

    clean({"lean_deg": float("nan"), "steps": np.int64(3)})   # {"lean_deg": None, "steps": 3}
"""

from __future__ import annotations

import math
from typing import Any


def clean(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None and numpy values unwrapped.

    Dicts and lists are cleaned all the way down (tuples become lists); dict keys that JSON
    cannot hold (a numpy integer, say) become their ``str``.
    """
    if isinstance(value, dict):
        return {_key(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        value = value.tolist()  # numpy scalar or array
        if isinstance(value, list):
            return clean(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _key(key: Any) -> Any:
    return key if key is None or isinstance(key, str | int | float) else str(key)
