"""The app's shared parts and the one way to reach them, as flaskr's ``get_db``.

``create_app`` builds one :class:`Parts` per app; views call :func:`get_store`,
:func:`get_feed` or :func:`parts` instead of reaching into ``current_app.extensions``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:
    from common.store import Store
    from web.live import LiveFeed, StreamSlots
    from web.metrics import Metrics
    from web.summaries import SessionSummaries


@dataclass
class Parts:
    """Everything an app's views share, built once by ``create_app``."""

    store: Store
    feed: LiveFeed
    streams: StreamSlots
    metrics: Metrics
    summaries: SessionSummaries
    #: set when the server shuts down, so open event streams end at once
    stopping: threading.Event = field(default_factory=threading.Event)
    #: the staff login limiter (set by :func:`web.security.init_login_limits`)
    limiter: Any = None
    #: Host names served besides loopback and this machine's own (:mod:`web.security`)
    allowed_hosts: frozenset[str] = frozenset()


def parts_of(app: Flask) -> Parts:
    """The parts of ``app`` (outside a request, e.g. while building or stopping it)."""
    return app.extensions["midstance"]


def parts() -> Parts:
    """The current app's parts."""
    return parts_of(current_app)


def get_store() -> Store:
    """The current app's session store."""
    return parts().store


def get_feed() -> LiveFeed:
    """The current app's live feed (the snapshot ``sense`` writes)."""
    return parts().feed
