"""Serving the app with waitress: pure Python (no C build on the Pi), a fixed thread pool.

Each open live stream (Server-Sent Events) holds one worker thread, so the pool is sized for
the phones of a busy gym plus room for the API, streams end after a couple of minutes (the
browser reconnects), and beyond ``SSE_MAX_CLIENTS`` a new stream gets a 503 rather than
starving the API. waitress flushes each event at once: its ``send_bytes`` is 1, so every
``yield`` of the stream goes to the socket from the worker thread without waiting for a
buffer to fill.

Example::

    srv = make_server(create_app(cfg), "0.0.0.0", 8080)
    threading.Thread(target=srv.run, daemon=True).start()
    ...
    srv.close()
"""

from __future__ import annotations

import contextlib
import signal
import threading

from flask import Flask
from waitress import create_server, wasyncore

from web.parts import parts_of

#: Worker threads: SSE_MAX_CLIENTS streams (80 by default) plus 16 for the API.
THREADS = 96


class Server:
    """A waitress server for ``app``; :meth:`run` blocks, :meth:`close` stops it from any thread."""

    def __init__(self, app: Flask, host: str, port: int, threads: int | None = None):
        self.app = app
        threads = threads or max(THREADS, app.config.get("SSE_MAX_CLIENTS", 0) + 16)
        self._waitress = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            connection_limit=threads * 2,
            ident="midstance",
            clear_untrusted_proxy_headers=True,
            # Keep reading while a request runs, so a phone that closed its stream is noticed
            # at once (``waitress.client_disconnected``) and its thread freed.
            channel_request_lookahead=1,
            channel_timeout=60,
        )
        self._stop = threading.Event()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._running = False
        self._shut = False

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return self._waitress.effective_port

    @property
    def host(self) -> str:
        """The address actually bound."""
        return self._waitress.effective_host

    def run(self) -> None:
        """Serve until :meth:`close` is called."""
        with self._lock:
            if self._stop.is_set():
                return
            self._running = True
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=0.5, map=self._waitress._map, count=1)
        finally:
            self._shutdown()
            self._done.set()

    def close(self, timeout: float = 5.0) -> None:
        """Stop serving: end the live streams, stop the workers, close every socket.

        Safe to call more than once and from a signal handler (there with ``timeout=0``).
        """
        parts_of(self.app).stopping.set()
        with self._lock:
            self._stop.set()
            running = self._running
        if not running:
            self._shutdown()
            return
        if not self._done.is_set():
            with contextlib.suppress(OSError):  # the loop may have closed the trigger
                self._waitress.pull_trigger()
            self._done.wait(timeout)

    def _shutdown(self) -> None:
        with self._lock:
            if self._shut:
                return
            self._shut = True
        self._waitress.task_dispatcher.shutdown(cancel_pending=True, timeout=3)
        wasyncore.close_all(self._waitress._map)


def make_server(app: Flask, host: str, port: int, threads: int | None = None) -> Server:
    """A ready-to-run server for ``app`` on ``host:port`` (``port`` 0 picks a free one)."""
    return Server(app, host, port, threads)


def serve(srv: Server) -> None:
    """Run ``srv`` until Ctrl-C or SIGTERM (systemd's stop), then close it (main thread only)."""
    signal.signal(signal.SIGTERM, lambda *_: srv.close(timeout=0))
    try:
        srv.run()
    except KeyboardInterrupt:
        pass
    finally:
        srv.close()
