"""Sessions: when one starts and ends, and its steps into the store, surviving store failures.

:class:`SessionRecorder` is the only place a session starts or ends. A session starts when a
runner is seen running (``Update.running``) and ends through :meth:`SessionRecorder.end`, for
one of these reasons (``common.store.END_REASONS``):

==============  ============================================================================
``timeout``     nobody running for ``timeout_s`` seconds of frame time, or of wall time
                while no frame comes (a dead camera must not hold a session open)
``reset``       staff reset (the button or the page)
``shutdown``    the appliance stops (SIGTERM, Ctrl-C, the end of a video file)
``interrupted`` sessions a previous run left open (a crash, a power cut), ended at start-up
==============  ============================================================================

Steps decided in the ``PRE_SESSION_S`` seconds before a session starts belong to it. Writes
(start, steps, facing, end) queue up and :meth:`SessionRecorder.flush` applies them in order;
while the store fails (read-only card, full disk) the queue waits, :attr:`~SessionRecorder.error`
says why and the next flush retries. Steps go in batches, one transaction each.

Example::

    sessions = SessionRecorder(Store.in_dir("/var/lib/midstance"), timeout_s=20)
    sessions.frame(t=3.0, running=True, steps=update.steps, facing="left")  # starts one
    sessions.end("shutdown")
"""

from __future__ import annotations

import collections
import math
import sys
import time
from collections.abc import Callable, Iterable
from typing import TextIO

from common.jsonsafe import clean
from common.store import Store, StoreError
from common.vocabulary import FACINGS

#: Keep at most this many unsaved steps while the store is failing (about 2 h of running).
MAX_PENDING_STEPS = 20_000
#: Steps decided just before a session starts belong to it if they are this recent (s).
PRE_SESSION_S = 10.0
#: Steps of the open session kept for the live view.
RECENT_STEPS = 24
#: Steps kept while no session is open (a few seconds of running).
PRE_STEPS = 64
#: Step times stored relative to the session's start.
TIME_FIELDS = ("contact_t", "midstance_t", "toe_off_t")


class SessionRecorder:
    """The open session (if any), its steps and statistics, and its writes to the store.

    :attr:`active` is the state: True while a session is open. ``clock`` gives the unix time
    stamped on sessions and steps.
    """

    def __init__(
        self,
        store: Store,
        *,
        timeout_s: float = 20.0,
        batch_s: float = 1.0,
        log: TextIO | None = None,
        clock: Callable[[], float] = time.time,
    ):
        from core.stats import SessionStats

        self.store = store
        self.timeout_s = float(timeout_s)
        self.batch_s = batch_s
        self.log = log or sys.stderr
        self.clock = clock
        #: True while a session is open
        self.active = False
        #: frame time of the latest frame with a runner running
        self.last_running_t: float | None = None
        #: frame time the open session counts from (its first contact)
        self.t0: float | None = None
        #: the open session's statistics and latest steps (times relative to :attr:`t0`)
        self.stats = SessionStats()
        self.recent: collections.deque[dict] = collections.deque(maxlen=RECENT_STEPS)
        #: why the store refused the last write, None when it is fine
        self.error: str | None = None
        #: steps dropped because the store failed for too long (:data:`MAX_PENDING_STEPS`)
        self.lost_steps = 0
        self._pre: collections.deque[dict] = collections.deque(maxlen=PRE_STEPS)
        self._facing_saved = False
        self._ops: collections.deque[list] = collections.deque()
        self._local = 0  # our own number for the open session (store ids come later)
        self._ids: dict[int, int] = {}
        self._store_id: int | None = None  # the store id of the open session, once written
        self._last_flush = clock()

    @property
    def session_id(self) -> int | None:
        """The store id of the open session, None when none is open or it is not written yet."""
        return self._store_id if self.active else None

    @property
    def pending_steps(self) -> int:
        """Steps not yet in the store."""
        return sum(len(op[2]) for op in self._ops if op[0] == "steps")

    # -- what the loop tells the recorder ------------------------------------------------

    def frame(self, t: float, running: bool, steps: Iterable = (), facing: str | None = None):
        """One judged frame at frame time ``t``: start the session when a runner is running,
        end it (``timeout``) after ``timeout_s`` without, and keep the frame's decided steps
        (``core.analysis.Step``). ``facing`` is the runner's, once known."""
        steps = list(steps)
        if running:
            self.last_running_t = t
            if not self.active:
                self._start(t, steps, facing)
        elif (
            self.active
            and self.last_running_t is not None
            and t - self.last_running_t > self.timeout_s
        ):
            self.end("timeout")
        for step in steps:
            self._take(step)
        if self.active and not self._facing_saved and facing in FACINGS:
            self._ops.append(["facing", self._local, facing])
            self._facing_saved = True

    def no_frame(self, wall_gap_s: float) -> None:
        """No frame for ``wall_gap_s`` seconds of wall time: end the session (``timeout``)
        once that is longer than ``timeout_s``, as frame time has stopped."""
        if self.active and self.last_running_t is not None and wall_gap_s > self.timeout_s:
            self.end("timeout")

    def reset(self) -> None:
        """Staff reset: end the session (``reset``) and forget the steps seen so far."""
        self.end("reset")
        self._pre.clear()
        self.recent.clear()
        self.stats.reset()

    def end(self, reason: str) -> bool:
        """End the open session for ``reason`` (see the module docstring): the one place a
        session ends. ``interrupted`` ends the sessions a previous run left open instead.
        True if a session was ended."""
        if reason == "interrupted":
            return self._end_left_open()
        if not self.active:
            return False
        self.active = False
        self._ops.append(["end", self._local, (self.clock(), reason, self._summary())])
        self.flush(force=True)
        self.t0 = None
        print(f"midstance sense: session ended ({reason})", file=self.log, flush=True)
        return True

    # -- the store -----------------------------------------------------------------------

    def flush(self, force: bool = False) -> bool:
        """Apply queued writes (at most every ``batch_s`` unless forced); True if all went."""
        now = self.clock()
        if not force and now - self._last_flush < self.batch_s:
            return not self._ops
        self._last_flush = now
        try:
            while self._ops:
                kind, local, payload = self._ops[0]
                if kind == "start":
                    self._ids[local] = self._store_id = self.store.start_session(*payload)
                elif kind == "steps":
                    if payload and local in self._ids:
                        self.store.add_steps(self._ids[local], payload)
                elif kind == "facing" and local in self._ids:
                    self.store.set_facing(self._ids[local], payload)
                elif kind == "end" and local in self._ids:
                    self.store.end_session(self._ids[local], *payload)
                    if self._store_id == self._ids[local]:
                        self._store_id = None
                self._ops.popleft()
        except StoreError as exc:
            self.error = str(exc)
            return False
        self.error = None
        return True

    # -- inside --------------------------------------------------------------------------

    def _start(self, t: float, new_steps: list, facing: str | None) -> None:
        pre = [s for s in self._pre if (s.get("contact_t") or -math.inf) >= t - PRE_SESSION_S]
        self._pre.clear()
        # The session counts from the first contact it holds, so step times are never < 0.
        contacts = [s["contact_t"] for s in pre] + [s.contact_t for s in new_steps]
        self.t0 = min([t, *(c for c in contacts if c is not None)])
        self.active = True
        self.stats.reset()
        self.recent.clear()
        started_at = self.clock() - (t - self.t0)
        self._facing_saved = facing in FACINGS
        self._local += 1
        saved_facing = facing if self._facing_saved else None
        self._ops.append(["start", self._local, (started_at, saved_facing)])
        self.flush(force=True)
        print("midstance sense: session started", file=self.log, flush=True)
        for step in pre:
            self._add(step)

    def _take(self, step) -> None:
        d = step.as_dict() if hasattr(step, "as_dict") else dict(step)
        d["at"] = self.clock()
        if self.active and self.t0 is not None:
            self._add(d)
        else:
            self._pre.append(d)

    def _add(self, d: dict) -> None:
        rel = dict(d)
        for key in TIME_FIELDS:
            if rel.get(key) is not None:
                rel[key] = float(rel[key]) - self.t0
        self._queue_step(rel)
        self.stats.add(rel)
        self.recent.append(rel)

    def _queue_step(self, step: dict) -> None:
        if self._ops and self._ops[-1][0] == "steps" and self._ops[-1][1] == self._local:
            self._ops[-1][2].append(step)
        else:
            self._ops.append(["steps", self._local, [step]])
        if self.pending_steps > MAX_PENDING_STEPS:
            for op in self._ops:
                if op[0] == "steps" and op[2]:
                    op[2].pop(0)
                    self.lost_steps += 1
                    break

    def _summary(self) -> dict | None:
        try:
            summary = self.stats.summary()
        except Exception:  # a summary must never lose the session itself
            return None
        return clean(summary)

    def _end_left_open(self) -> bool:
        try:
            return bool(self.store.close_interrupted())
        except StoreError as exc:
            self.error = str(exc)
            return False
