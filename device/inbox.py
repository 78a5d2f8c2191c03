"""The staff inbox: what staff ask of the running appliance, handled between frames.

- a **reset**, from the staff button (its own thread: :meth:`StaffInbox.request_reset`) or the
  page (a ``reset`` command in the store's mailbox);
- new **settings**, saved by the page (a ``settings`` command): the settings in force
  (:func:`common.settings.effective`) are handed to ``on_settings``;
- the **retention** policy (``session.keep_*``), applied at start and then hourly, so the SD
  card never fills.

Example::

    inbox = StaffInbox(store, cfg, on_reset=sense.reset_session, on_settings=sense.apply_settings)
    inbox.check()          # between frames: commands polled every session.command_poll_s
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from common.store import Store, StoreError

#: Retention is applied at start and then this often (s).
PRUNE_EVERY_S = 3600.0


class StaffInbox:
    """Staff requests and housekeeping for the loop.

    ``on_reset()`` and ``on_settings(values)`` run in the loop's thread, from :meth:`check`
    and :meth:`apply_settings`; ``on_error(text)`` is told when the store refuses (shown as
    a store fault until the next good write).
    """

    def __init__(
        self,
        store: Store,
        cfg: Any,
        *,
        on_reset: Callable[[], None],
        on_settings: Callable[[dict[str, Any]], None],
        on_error: Callable[[str], None],
        log: TextIO | None = None,
    ):
        self.store = store
        self.cfg = cfg
        self.on_reset = on_reset
        self.on_settings = on_settings
        self.on_error = on_error
        self.log = log or sys.stderr
        self._reset = threading.Event()
        self._ignored: set[str] = set()
        self._last_poll = 0.0
        self._last_prune = time.monotonic()

    def request_reset(self) -> None:
        """Ask for a staff reset from any thread (the button's); done at the next check."""
        self._reset.set()

    def check(self) -> None:
        """Between frames: retention when due, a requested reset, the page's commands."""
        if time.monotonic() - self._last_prune >= PRUNE_EVERY_S:
            self.prune()
        if self._reset.is_set():
            self._reset.clear()
            self.on_reset()
        now = time.monotonic()
        if now - self._last_poll >= self.cfg["session"]["command_poll_s"]:
            self._last_poll = now
            try:
                commands = self.store.take_commands()
            except StoreError as exc:
                self.on_error(str(exc))
                commands = []
            for command in commands:
                if command["kind"] == "reset":
                    self.on_reset()
                elif command["kind"] == "settings":
                    self.apply_settings()

    def apply_settings(self) -> None:
        """Hand the staff settings in force to ``on_settings``: saved overrides over the
        config, as the page shows them. A removed override reverts to the config; a wrong
        saved value is reported (once) and left out."""
        from common import settings

        try:
            saved = self.store.settings()
        except StoreError as exc:
            self.on_error(str(exc))
            return
        now = settings.effective(saved, settings.from_config(self.cfg))
        for why in now.ignored:
            if why not in self._ignored:
                print(f"midstance sense: ignoring a saved setting: {why}", file=self.log)
        self._ignored = set(now.ignored)
        self.on_settings(now.values)

    def prune(self) -> None:
        """Apply the retention policy now."""
        self._last_prune = time.monotonic()
        session = self.cfg["session"]
        try:
            gone = self.store.prune(
                session["keep_days"], int(session["keep_sessions"]), keep_mb=session["keep_mb"]
            )
        except StoreError as exc:
            self.on_error(str(exc))
            return
        if gone:
            print(
                f"midstance sense: retention removed {gone} old sessions", file=self.log, flush=True
            )
