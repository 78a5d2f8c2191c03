"""Session statistics kept up to date step by step, for the session page and its API.

A running session's page reloads every few seconds; re-reading and re-summarizing all its
steps each time would cost more the longer the run (about 35 ms per 1,000 steps on a laptop).
Here each recently viewed session keeps a :class:`core.stats.SessionStats` and only the steps
stored since the last look are added, so a reload costs its new steps.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from common.store import Store
from core.cadence import SettledCadence
from core.stats import SessionStats

#: Points of the chart series (the page's charts are at most a few hundred pixels wide).
SERIES_POINTS = 300


class SessionSummaries:
    """Summaries and chart series of sessions, cached for the ``size`` most recently viewed."""

    def __init__(self, store: Store, size: int = 8):
        self.store = store
        self.size = size
        self._lock = threading.Lock()
        # (session id, started_at) -> [SessionStats, id of the last step added]
        self._cache: OrderedDict[tuple[int, float], list] = OrderedDict()

    def get(self, session: dict[str, Any], duration_s: float) -> tuple[dict, dict]:
        """``(summary, series)`` of a stored session (a row from :meth:`Store.session`)."""
        key = (session["id"], session["started_at"])
        with self._lock:
            entry = self._cache.pop(key, None) or [
                SessionStats(max_points=SERIES_POINTS),
                0,
                SettledCadence(),
            ]
            new = self.store.steps(session["id"], after_id=entry[1])
            for step in new:
                entry[0].add(step)
                entry[2].add(step)
            if new:
                entry[1] = new[-1]["id"]
            self._cache[key] = entry
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
            # The runner's settled cadence (core.cadence), the base of a cadence target.
            summary = entry[0].summary(duration_s) | {"settled_cadence_spm": entry[2].spm}
            return summary, entry[0].series()
