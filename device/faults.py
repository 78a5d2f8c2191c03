"""Faults: what is broken right now (camera, store, snapshot), as one line.

The line is what the page shows and the log records; while there is one the LED shows
``fault``. Only changes are logged (``fault: ...`` and ``recovered``), so a long outage is one
line, not one per frame.

Example::

    faults = Faults(stall_s=2.0)
    faults.update(capture, gap_s=0.1, store_error="disk full")   # "store: disk full"
    faults.value                                                 # the same line, or None
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

import numpy as np


class Faults:
    """The fault in force as :attr:`value` (one line, or None when all is well).

    ``stall_s``: seconds without a frame that count as a stalled camera.
    :attr:`frame_error` is set by the loop while the latest frame was unusable.
    """

    def __init__(self, stall_s: float, log: TextIO | None = None):
        self.stall_s = stall_s
        self.log = log or sys.stderr
        self.value: str | None = None
        self.frame_error: str | None = None

    def update(
        self,
        capture: Any,
        gap_s: float,
        store_error: str | None = None,
        snapshot_error: str | None = None,
    ) -> str | None:
        """Recompute the fault from the parts' state; log a change. ``capture`` is the
        :class:`device.camera.Capture` (its ``error`` and ``ended``), ``gap_s`` the wall time
        since the last good frame."""
        faults = []
        if capture.error:
            faults.append(f"camera: {capture.error}")
        elif self.frame_error:
            faults.append(f"camera: {self.frame_error}")
        elif gap_s > self.stall_s and not capture.ended:
            faults.append(f"camera: no frame for {gap_s:.1f} s")
        if store_error:
            faults.append(f"store: {store_error}")
        if snapshot_error:
            faults.append(f"snapshot: {snapshot_error}")
        fault = "; ".join(faults) or None
        if fault != self.value and fault:
            print(f"midstance sense: fault: {fault}", file=self.log, flush=True)
        elif fault != self.value:
            print("midstance sense: recovered", file=self.log, flush=True)
        self.value = fault
        return fault


def frame_problem(rgb: Any) -> str | None:
    """What makes ``rgb`` unusable as an RGB camera frame, or None when it is fine."""
    shape = getattr(rgb, "shape", None)
    if shape is None:
        return f"not an image: {type(rgb).__name__}"
    if len(shape) != 3 or shape[2] != 3:
        return f"shape {tuple(shape)}, expected height x width x 3"
    if shape[0] == 0 or shape[1] == 0:
        return f"empty image {tuple(shape)}"
    if rgb.dtype != np.uint8:
        return f"pixel type {rgb.dtype}, expected uint8"
    return None
