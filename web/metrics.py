"""``GET /metrics``: Prometheus text format, so a gym with many treadmills can scrape them all.

Each app has its own ``CollectorRegistry`` (two apps in one process, as in tests or the demo,
never share counters). Live gauges are read from the snapshot at scrape time.

Every label takes values from a fixed set, so no request can grow the registry: an unknown
method or an unrouted path is counted as ``other``. The endpoint is public, so the staff login
is counted without its result (``status="hidden"``) or its time: wrong PINs and throttling are
not shown.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from common import snapshot
from common.vocabulary import LIVE_STATES
from web.parts import parts, parts_of

bp = Blueprint("metrics", __name__)

#: Methods counted by name; any other method token a client sends is counted as ``other``.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

#: The label value of an unknown method and of a path no route matches.
OTHER = "other"

#: Endpoints whose answers would tell who logged in and how many PINs were wrong.
PRIVATE_ENDPOINTS = frozenset({"/api/staff/login"})


#: Snapshot field -> (metric name, help).
LIVE_GAUGES = {
    "cadence_spm": ("midstance_live_cadence_spm", "Live cadence, steps per minute"),
    "lean_deg": ("midstance_live_lean_degrees", "Live lean at midstance, degrees forward"),
    "hip_ankle_offset": (
        "midstance_live_hip_ankle_offset",
        "Live hip-over-ankle offset at midstance, leg lengths (negative = hip behind)",
    ),
    "good_share": ("midstance_live_good_share", "Share of good steps in this session, 0..1"),
    "steps": ("midstance_live_steps", "Steps in this session"),
    "duration_s": ("midstance_live_duration_seconds", "Duration of this session"),
    "fps": ("midstance_sense_fps", "Frames per second of the sensing loop"),
    "session_id": ("midstance_live_session_id", "Id of the running session"),
}


class Metrics:
    """The app's Prometheus registry and its metrics."""

    def __init__(self):
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "midstance_http_requests",
            "HTTP requests answered",
            ["method", "endpoint", "status"],
            registry=r,
        )
        self.errors = Counter(
            "midstance_http_errors", "HTTP answers with status >= 400", ["status"], registry=r
        )
        self.latency = Histogram(
            "midstance_http_request_duration_seconds",
            "Time to answer a request (not streams)",
            ["endpoint"],
            registry=r,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        self.streams = Gauge("midstance_live_streams", "Open live event streams", registry=r)
        self.live = {
            field: Gauge(name, help_, registry=r) for field, (name, help_) in LIVE_GAUGES.items()
        }
        self.state = Gauge(
            "midstance_live_state", "Current live state (1 = this one)", ["state"], registry=r
        )
        self.snapshot_age = Gauge(
            "midstance_live_snapshot_age_seconds", "Age of the live snapshot", registry=r
        )

    def refresh(self, run_dir: str) -> None:
        """Set the live gauges from the snapshot (NaN where nothing is measured)."""
        snap = snapshot.read(run_dir)
        for field, gauge in self.live.items():
            value = snap.get(field)
            gauge.set(float(value) if isinstance(value, int | float) else float("nan"))
        for state in LIVE_STATES:
            self.state.labels(state).set(1.0 if snap.get("state") == state else 0.0)
        written = snap.get("written_at")
        self.snapshot_age.set(time.time() - written if written else float("nan"))


def init_app(app: Flask) -> None:
    """Count and time every request."""
    metrics: Metrics = parts_of(app).metrics

    @app.before_request
    def _start():
        g.started = time.perf_counter()

    @app.after_request
    def _count(response):
        rule = request.url_rule.rule if request.url_rule else OTHER
        method = request.method if request.method in METHODS else OTHER
        if rule in PRIVATE_ENDPOINTS:
            metrics.requests.labels(method, rule, "hidden").inc()
        else:
            status = str(response.status_code)
            metrics.requests.labels(method, rule, status).inc()
            if response.status_code >= 400:
                metrics.errors.labels(status).inc()
        # The login's time would tell a checked PIN (scrypt) from a throttled one.
        if not response.is_streamed and "started" in g and rule not in PRIVATE_ENDPOINTS:
            metrics.latency.labels(rule).observe(time.perf_counter() - g.started)
        return response


@bp.get("/metrics")
def scrape():
    """Prometheus text exposition of this app's registry."""
    metrics: Metrics = parts().metrics
    metrics.refresh(current_app.config["RUN_DIR"])
    return Response(generate_latest(metrics.registry), content_type=CONTENT_TYPE_LATEST)
