"""The ``sense`` loop: camera -> pose -> core -> LED, session store and live view.

One frame at a time, in this order, so the LED changes as soon as the frame that decides a
step is judged: pose landmarks, :class:`core.analysis.RunAnalyzer`, the LED, then the session
(:class:`device.sessions.SessionRecorder`), the store and the live snapshot
(:class:`device.liveview.LiveView`). Between frames the staff inbox
(:class:`device.inbox.StaffInbox`) takes resets, settings and retention. The camera runs in
its own thread (:class:`device.camera.Capture`) and the loop takes the newest frame, so
inference never starves the camera.

Nothing here crashes on a broken part: a failing camera is retried with backoff, a failing
store keeps the steps in memory and retries; both show as ``fault`` on the LED and the page
(:class:`device.faults.Faults`).

:func:`device.appliance.build` assembles a ``Sense`` from the config. By hand::

    sense = Sense(cfg, source, indicator, store, run_dir, estimator)
    summary = sense.run(max_frames=300)
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.store import Store
from core.errors import MidstanceError
from device.camera import Capture, Frame, FrameSource
from device.faults import Faults, frame_problem
from device.inbox import StaffInbox
from device.indicator import Indicator
from device.level import LevelMeter
from device.liveview import LiveView
from device.sessions import SessionRecorder
from device.steady import Steadier, steadied
from device.watchdog import Watchdog


class FrameObserver:
    """Told about each frame at the loop's stages (the benchmark's timing); does nothing.

    Override what you need::

        class Count(FrameObserver):
            def shown(self, frame, update):
                self.steps = getattr(self, "steps", 0) + len(update.steps)
    """

    def posed(self, frame: Frame) -> None:
        """The pose model has seen ``frame``."""

    def shown(self, frame: Frame, update: Any) -> None:
        """The LED shows the judgement of ``frame`` (``update``: ``core.analysis.Update``)."""


class Sense:
    """The appliance loop. See the module docstring.

    ``source`` is a :class:`FrameSource`; ``estimator`` a ``device.pose.PoseEstimator`` (or
    anything with ``process(rgb, t) -> result with .xy .vis | None`` and ``reset()``).
    ``latest=False`` hands every frame to the loop (a file read as fast as possible).
    ``log``: where the loop's log lines go (stderr, the journal under systemd).
    ``button``: a :class:`device.button.StaffButton`, wired here to :meth:`request_reset`.
    ``observer``: a :class:`FrameObserver` told about the loop's stages. ``observers`` are
    called as ``fn(sense, update)`` after each frame (tests, benchmarks).
    """

    def __init__(
        self,
        cfg: dict,
        source: FrameSource,
        indicator: Indicator,
        store: Store,
        run_dir: str | Path,
        estimator: Any,
        *,
        latest: bool = True,
        fps: float | None = None,
        watchdog: Watchdog | None = None,
        log=None,
        button=None,
        observer: FrameObserver | None = None,
    ):
        self.cfg = cfg
        self.capture = Capture(source, latest=latest)
        self.indicator = indicator
        self.store = store
        self.estimator = estimator
        self.fps_hint = fps
        self.watchdog = watchdog or Watchdog(None)
        log = log or sys.stderr
        self.observer = observer or FrameObserver()
        self.observers: list[Callable[[Sense, Any], None]] = []
        self.button = button
        if button is not None:
            button.on_reset = self.request_reset

        session = cfg["session"]
        self.sessions = SessionRecorder(
            store, timeout_s=session["timeout_s"], batch_s=session["batch_s"], log=log
        )
        self.faults = Faults(cfg["camera"]["stall_s"], log=log)
        self.view = LiveView(run_dir, session["snapshot_hz"])
        self.inbox = StaffInbox(
            store, cfg, on_reset=self.reset_session, on_settings=self.apply_settings,
            on_error=self._store_failed, log=log,
        )  # fmt: skip
        self.facing = cfg["analysis"]["facing"]
        self.thresholds = cfg.thresholds()
        self.analyzer = self._new_analyzer()
        self.level = LevelMeter()  # the camera's roll, from a frame now and then
        self.steadier = Steadier()  # the camera's shake, taken off the landmarks

        self._stop = threading.Event()
        self._stop_reason = "shutdown"
        #: frame time, size (width, height) and frames/s of the latest good frame
        self.t = 0.0
        self.frame_size: tuple[int, int] | None = None
        self.fps: float | None = None
        #: capture problems in force at the latest frame (``core.capture.Problem``)
        self.problems: tuple = ()
        self.frames = 0
        self.steps = 0
        self._last_frame_wall: float | None = None
        self._wall0 = time.monotonic()

    @property
    def fault(self) -> str | None:
        """The fault in force, one line (:class:`device.faults.Faults`), or None."""
        return self.faults.value

    def _new_analyzer(self):
        from core.analysis import RunAnalyzer

        return RunAnalyzer(fps=self.fps_hint, facing=self.facing, thresholds=self.thresholds)

    # -- control from other threads ------------------------------------------------------

    def request_stop(self, reason: str = "shutdown") -> None:
        """End the loop after the current frame (signal handlers, the demo's web thread)."""
        self._stop_reason = reason
        self._stop.set()

    def request_reset(self) -> None:
        """Staff reset (the button's thread): handled by the loop within a frame."""
        self.inbox.request_reset()

    # -- the loop ------------------------------------------------------------------------

    def run(self, max_frames: int | None = None, duration_s: float | None = None) -> dict:
        """Run until stopped, the source ends, ``max_frames`` or ``duration_s`` (wall time).

        Returns figures of the run: frames, steps, seconds, fps, dropped frames and
        ``damage``: why a file source stopped early (a damaged video), else None.
        """
        self.sessions.end("interrupted")
        self.inbox.apply_settings()
        self.inbox.prune()
        self.view.write(self, force=True)
        started = self._wall0 = time.monotonic()
        ready = False
        self.capture.start()
        try:
            while not self._stop.is_set():
                if max_frames is not None and self.frames >= max_frames:
                    break
                if duration_s is not None and time.monotonic() - started >= duration_s:
                    break
                frame = self.capture.get(timeout=0.2)
                if frame is None:
                    if self.capture.ended:
                        break
                    self._no_frame()
                else:
                    if not ready:
                        ready = self.watchdog.ready()
                    self.watchdog.ping()
                    self._on_frame(frame)
                self.inbox.check()
        finally:
            self._shutdown()
        elapsed = time.monotonic() - started
        return {
            "frames": self.frames,
            "steps": self.steps,
            "seconds": elapsed,
            "fps": self.frames / elapsed if elapsed > 0 else 0.0,
            "dropped": self.capture.dropped,
            "damage": self.capture.damage,
        }

    def _on_frame(self, frame: Frame) -> None:
        self.frames += 1
        if frame.cut:
            # A file started again: the region the pose model tracked belongs to another
            # picture (tracked across the demo's loop, it garbled a step into a warn).
            self.estimator.reset()
            self.level.reset()
            self.steadier.reset()
        problem = frame_problem(frame.rgb)
        if problem is None:
            try:
                result = self.estimator.process(frame.rgb, t=frame.t)
            except MidstanceError as exc:  # the estimator refused the image: same as corrupt
                problem = str(exc)
        if problem is not None:
            # A corrupt frame (a driver hiccup, a broken file) is skipped and shown as a
            # camera fault until a good frame comes; the session and the loop carry on.
            self.faults.frame_error = f"corrupt frame skipped ({problem})"
            self._update_fault()
            self.indicator.state = "fault"
            self.sessions.flush()
            self.view.write(self)
            return
        self.observer.posed(frame)
        self.faults.frame_error = None
        self._count(frame)
        seen = None if result is None else result.xy
        roll = self.level.measure(frame.t, frame.rgb, seen)
        shake = self.steadier.shake(frame.t, frame.rgb, seen)
        if result is None:
            upd = self.analyzer.push(frame.t, None, None, roll)
        else:
            upd = self.analyzer.push(frame.t, steadied(result.xy, shake), result.vis, roll)
        self.problems = tuple(getattr(upd, "problems", ()) or ())
        self._update_fault()
        self.indicator.state = "fault" if self.fault else upd.led
        self.observer.shown(frame, upd)

        self.steps += len(upd.steps)
        self.sessions.frame(
            frame.t, bool(upd.running), upd.steps, getattr(self.analyzer, "facing", None)
        )
        self.sessions.flush()
        self.view.write(self, force=bool(upd.steps))
        for fn in self.observers:
            fn(self, upd)

    def _count(self, frame: Frame) -> None:
        """The latest good frame's time and size, and the frame rate (a moving average)."""
        self.t = frame.t
        self.frame_size = (int(frame.rgb.shape[1]), int(frame.rgb.shape[0]))
        now = time.monotonic()
        if self._last_frame_wall is not None:
            dt = max(now - self._last_frame_wall, 1e-6)
            self.fps = 1 / dt if self.fps is None else 0.9 * self.fps + 0.1 / dt
        self._last_frame_wall = now

    def _no_frame(self) -> None:
        """No frame this time: show a stalled or failing camera, keep the page alive."""
        self._update_fault()
        if self.fault:
            self.indicator.state = "fault"
        self.sessions.no_frame(time.monotonic() - (self._last_frame_wall or time.monotonic()))
        self.sessions.flush()
        self.view.write(self)

    def _update_fault(self) -> None:
        gap = time.monotonic() - (self._last_frame_wall or self._wall0)
        self.faults.update(self.capture, gap, self.sessions.error, self.view.error)

    def _store_failed(self, error: str) -> None:
        self.sessions.error = error

    # -- staff ---------------------------------------------------------------------------

    def reset_session(self) -> None:
        """Staff reset: close the session (reason ``reset``) and start fresh."""
        self.sessions.reset()
        self.analyzer.reset()
        self.level.reset()  # the new analyzer's level check hears at once, a second apart
        self.problems = ()
        self.view.write(self, force=True)

    def apply_settings(self, values: dict[str, Any]) -> None:
        """Put the staff settings in force (``common.settings`` values): the thresholds,
        ``facing`` (a new analyzer when it changes) and ``led_brightness``."""
        from common import settings
        from core.verdict import Thresholds

        self.thresholds = Thresholds.from_dict({k: values[k] for k in settings.THRESHOLDS})
        self.analyzer.thresholds = self.thresholds
        if values["facing"] != self.facing:
            self.facing = values["facing"]
            self.analyzer = self._new_analyzer()
            self.level.reset()
        self.indicator.brightness = values["led_brightness"]

    def snapshot(self) -> dict[str, Any]:
        """The live snapshot dict (``common.snapshot`` format, every field filled)."""
        return self.view.build(self)

    # -- the end -------------------------------------------------------------------------

    def _shutdown(self) -> None:
        self.watchdog.stopping()
        self.capture.close()
        self.sessions.end(self._stop_reason)
        self.sessions.flush(force=True)
        self.indicator.state = "off"
        self.faults.value = None
        self.view.clear()

    def close(self) -> None:
        """Release the button, the LED and the store (after :meth:`run`)."""
        if self.button is not None:
            self.button.close()
        self.indicator.close()
        self.store.close()
