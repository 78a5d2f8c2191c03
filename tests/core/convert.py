"""Converters of the shared real data into traces, now in the ``corpus`` package.

Kept as a thin re-export so the core's tests and ``bench/core.py`` import them unchanged.
"""

from __future__ import annotations

from corpus.fukuchi import fukuchi_trace
from corpus.mocap import read_fukuchi as read_markers
from corpus.rtmpose import RTM_MAP, rtmpose_trace

__all__ = ["RTM_MAP", "fukuchi_trace", "read_markers", "rtmpose_trace"]
