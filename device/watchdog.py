"""systemd's notify protocol (``sd_notify``) over a plain datagram socket, no libsystemd.

``midstance sense`` runs as ``Type=notify`` with ``WatchdogSec=``: it says READY=1 once the
camera delivers frames and WATCHDOG=1 while frames keep flowing. If the loop hangs (a stuck
camera, a deadlock) the pings stop and systemd restarts the service. Outside systemd
(``$NOTIFY_SOCKET`` unset) every call does nothing.

Example::

    dog = Watchdog.from_env()
    dog.ready()
    dog.ping()            # call often; sends at most every half watchdog interval
"""

from __future__ import annotations

import os
import socket
import time


class Watchdog:
    """A notifier for ``address`` (a path, or ``@name`` for an abstract socket)."""

    def __init__(self, address: str | None, interval_s: float | None = None):
        self.address = address
        self.interval_s = interval_s
        self._last_ping = 0.0
        self._sock: socket.socket | None = None

    @classmethod
    def from_env(cls, env: dict | None = None) -> Watchdog:
        """From ``$NOTIFY_SOCKET`` and ``$WATCHDOG_USEC`` (as systemd sets them)."""
        env = os.environ if env is None else env
        usec = env.get("WATCHDOG_USEC")
        pid = env.get("WATCHDOG_PID")
        if pid and pid != str(os.getpid()):
            usec = None  # the watchdog is meant for another process
        return cls(env.get("NOTIFY_SOCKET") or None, int(usec) / 1e6 if usec else None)

    @property
    def enabled(self) -> bool:
        """True when running under systemd with a notify socket."""
        return bool(self.address)

    def notify(self, message: str) -> bool:
        """Send one notify message (e.g. ``"STATUS=..."``); False if it could not be sent."""
        if not self.address:
            return False
        addr = self.address
        if addr.startswith("@"):
            addr = "\0" + addr[1:]
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto(message.encode(), addr)
            return True
        except OSError:
            return False

    def ready(self, status: str = "judging steps") -> bool:
        """Tell systemd the service is up."""
        return self.notify(f"READY=1\nSTATUS={status}")

    def ping(self, now: float | None = None) -> bool:
        """Feed the watchdog (rate-limited to every half interval, or 1 s without one)."""
        now = time.monotonic() if now is None else now
        every = (self.interval_s or 2.0) / 2
        if now - self._last_ping < every:
            return False
        self._last_ping = now
        return self.notify("WATCHDOG=1")

    def status(self, text: str) -> bool:
        """Show a one-line status in ``systemctl status``."""
        return self.notify(f"STATUS={text}")

    def stopping(self) -> bool:
        """Tell systemd the service is shutting down."""
        return self.notify("STOPPING=1")

    def close(self) -> None:
        """Close the socket."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
