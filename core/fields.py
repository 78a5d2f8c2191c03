"""A step's numbers, whatever carries the step: a :class:`core.step.Step`, a stored row or a
live snapshot's step dict (the statistics, the cadence target and the cues read all three)."""

from __future__ import annotations

import math
from typing import Any


def step_field(step: Any, name: str) -> Any:
    """A step's field, from a step object or a step dict (None when it has none)."""
    return step.get(name) if isinstance(step, dict) else getattr(step, name, None)


def finite(value: Any) -> float | None:
    """``value`` as a float when it is a finite number (never a bool or a string), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
