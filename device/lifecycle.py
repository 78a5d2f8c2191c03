"""When a session starts and ends: one pure decision, in one place.

A session starts when a runner is seen running (steps coming, ``Update.running``) and ends
after ``timeout_s`` seconds with nobody running (reason ``timeout``), on a staff reset
(``reset``) or when the appliance stops (``shutdown``). Times are the caller's (frame times in
seconds), so the decision is deterministic and testable without a clock.

Example::

    life = Lifecycle(timeout_s=20)
    life.update(t=3.0, running=True)     # "start"
    life.update(t=30.0, running=False)   # "timeout"
"""

from __future__ import annotations


class Lifecycle:
    """The open/closed state of the current session and the rule that changes it."""

    def __init__(self, timeout_s: float = 20.0):
        self.timeout_s = float(timeout_s)
        self.active = False
        self.started_t: float | None = None
        self.last_running_t: float | None = None

    def update(self, t: float, running: bool) -> str | None:
        """Feed one frame; returns ``"start"``, ``"timeout"`` or None (nothing to do)."""
        if running:
            self.last_running_t = t
            if not self.active:
                self.active, self.started_t = True, t
                return "start"
            return None
        last = self.last_running_t
        if self.active and last is not None and t - last > self.timeout_s:
            self.active = False
            return "timeout"
        return None

    def end(self) -> bool:
        """Close the session now (reset or shutdown); True if one was open."""
        was, self.active = self.active, False
        return was
