"""The ``sense`` loop: camera -> pose -> core -> LED, store and live snapshot.

One frame at a time, in this order, so the LED changes as soon as the frame that decides a
step is judged: pose landmarks, :class:`core.analysis.RunAnalyzer`, the LED, then the session
lifecycle, the store and the snapshot. The camera runs in its own thread
(:class:`device.camera.Capture`) and the loop takes the newest frame, so inference never
starves the camera.

Nothing here crashes on a broken part: a failing camera is retried with backoff, a failing
store keeps the steps in memory and retries; both show as ``fault`` on the LED and the page.

Example::

    sense = Sense(cfg, source, indicator, store, run_dir, estimator)
    summary = sense.run(max_frames=300)
"""

from __future__ import annotations

import collections
import contextlib
import math
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from common import snapshot
from common.store import Store, StoreError
from common.vocabulary import FACINGS
from core.errors import MidstanceError
from device.camera import Capture, FrameSource
from device.indicator import Indicator
from device.lifecycle import Lifecycle
from device.watchdog import Watchdog

#: Keep at most this many unsaved steps while the store is failing (about 2 h of running).
MAX_PENDING_STEPS = 20_000
#: Steps decided just before a session starts belong to it if they are this recent (s).
PRE_SESSION_S = 10.0
RECENT_STEPS = 12
PRUNE_EVERY_S = 3600.0  # retention is applied at start and then hourly


class SessionWriter:
    """Sessions and their steps into the store, in order, surviving store failures.

    Operations (start, steps, end) queue up and :meth:`flush` applies them in order; when the
    store fails (read-only directory, disk full) the queue waits, :attr:`error` says why, and
    the next flush retries. Steps are written in batches, one transaction each.
    """

    def __init__(self, store: Store, batch_s: float = 1.0, clock: Callable[[], float] = time.time):
        self.store = store
        self.batch_s = batch_s
        self.clock = clock
        self.error: str | None = None
        self.session_id: int | None = None  # the store id of the open session, once written
        self.lost_steps = 0
        self._ops: collections.deque[list] = collections.deque()
        self._local = 0  # our own number for the open session (store ids come later)
        self._ids: dict[int, int] = {}
        self._last_flush = clock()

    @property
    def pending_steps(self) -> int:
        """Steps not yet in the store."""
        return sum(len(op[2]) for op in self._ops if op[0] == "steps")

    def start(self, started_at: float, facing: str | None = None) -> None:
        """Open a new session (written at the next flush, which is now)."""
        self._local += 1
        self._ops.append(["start", self._local, (started_at, facing)])
        self.flush(force=True)

    def add(self, step: dict[str, Any]) -> None:
        """Queue one step dict (store fields, ``at`` = unix time) of the open session."""
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

    def set_facing(self, facing: str) -> None:
        """Record the runner's facing on the open session (decided a few steps in)."""
        self._ops.append(["facing", self._local, facing])

    def end(self, ended_at: float, reason: str, summary: dict | None = None) -> None:
        """Close the open session (flushes at once)."""
        self._ops.append(["end", self._local, (ended_at, reason, summary)])
        self.flush(force=True)

    def flush(self, force: bool = False) -> bool:
        """Apply queued operations (at most every ``batch_s`` unless forced); True if all went."""
        now = self.clock()
        if not force and now - self._last_flush < self.batch_s:
            return not self._ops
        self._last_flush = now
        try:
            while self._ops:
                kind, local, payload = self._ops[0]
                if kind == "start":
                    self._ids[local] = self.store.start_session(*payload)
                    self.session_id = self._ids[local]
                elif kind == "steps":
                    if payload and local in self._ids:
                        self.store.add_steps(self._ids[local], payload)
                elif kind == "facing" and local in self._ids:
                    self.store.set_facing(self._ids[local], payload)
                elif kind == "end" and local in self._ids:
                    self.store.end_session(self._ids[local], *payload)
                    if self.session_id == self._ids[local]:
                        self.session_id = None
                self._ops.popleft()
        except StoreError as exc:
            self.error = str(exc)
            return False
        self.error = None
        return True


def _round(value: Any, digits: int = 3) -> float | None:
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.median(values)) if values else None


class Sense:
    """The appliance loop. See the module docstring.

    ``source`` is a :class:`FrameSource`; ``estimator`` a ``device.pose.PoseEstimator`` (or
    anything with ``process(rgb, t) -> result with .xy .vis | None`` and ``reset()``).
    ``latest=False`` hands every frame to the loop (a file read as fast as possible).
    ``observers`` are called as ``fn(sense, update)`` after each frame (tests, benchmarks).
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
    ):
        self.cfg = cfg
        self.capture = Capture(source, latest=latest)
        self.indicator = indicator
        self.store = store
        self.run_dir = Path(run_dir)
        self.estimator = estimator
        self.fps_hint = fps
        self.watchdog = watchdog or Watchdog(None)
        self.log = log or sys.stderr
        self.observers: list[Callable[[Sense, Any], None]] = []
        self.button = None  # a device.button.StaffButton wired to request_reset, if any

        session = cfg["session"]
        self.writer = SessionWriter(store, batch_s=session["batch_s"])
        self.life = Lifecycle(session["timeout_s"])
        self.facing = cfg["analysis"]["facing"]
        self.thresholds = cfg.thresholds()
        self.analyzer = self._new_analyzer()
        self.stats = self._new_stats()

        self._stop = threading.Event()
        self._stop_reason = "shutdown"
        self._reset = threading.Event()
        self._pre: collections.deque[dict] = collections.deque(maxlen=64)
        self._recent: collections.deque[dict] = collections.deque(maxlen=RECENT_STEPS)
        self._t0: float | None = None  # frame time the session counts from
        self._facing_saved = False
        self._settings_ignored: set[str] = set()
        self.settings: dict[str, Any] = {}  # the staff settings in force (common.settings)
        self._t = 0.0
        self._frame_size: tuple[int, int] | None = None
        self._last_frame_wall: float | None = None
        self._wall0 = time.monotonic()
        self._fps_ema: float | None = None
        self._seq = 0
        self._last_snap = 0.0
        self._last_poll = 0.0
        self._snap_error: str | None = None
        self.frames = 0
        self.steps = 0
        self.latencies_ms: collections.deque[float] = collections.deque(maxlen=10_000)
        self.decide_ms: collections.deque[float] = collections.deque(maxlen=10_000)
        self.fault: str | None = None
        self.corrupt_frames = 0
        self._last_prune = time.monotonic()
        self._frame_error: str | None = None  # the last frame was unusable (cleared by a good one)
        self._problems: tuple = ()  # capture problems in force (core.capture.Problem), latest

    # -- parts ---------------------------------------------------------------------------

    def _new_analyzer(self):
        from core.analysis import RunAnalyzer

        return RunAnalyzer(fps=self.fps_hint, facing=self.facing, thresholds=self.thresholds)

    @staticmethod
    def _new_stats():
        from core.stats import SessionStats

        return SessionStats()

    # -- control from other threads ------------------------------------------------------

    def request_stop(self, reason: str = "shutdown") -> None:
        """End the loop after the current frame (signal handlers, the demo's web thread)."""
        self._stop_reason = reason
        self._stop.set()

    def request_reset(self) -> None:
        """Staff reset (the button's thread): handled by the loop within a frame."""
        self._reset.set()

    # -- the loop ------------------------------------------------------------------------

    def run(self, max_frames: int | None = None, duration_s: float | None = None) -> dict:
        """Run until stopped, the source ends, ``max_frames`` or ``duration_s`` (wall time).

        Returns figures of the run: frames, steps, fps, dropped frames, LED latencies, and
        ``damage``: why a file source stopped early (a damaged video), else None.
        """
        try:
            self.writer.store.close_interrupted()
        except StoreError as exc:
            self.writer.error = str(exc)
        self._apply_settings()
        self._prune()
        self._write_snapshot(force=True)
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
                    self._idle()
                else:
                    if not ready:
                        ready = self.watchdog.ready()
                    self.watchdog.ping()
                    self._on_frame(frame)
                self._housekeeping()
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
            "latencies_ms": list(self.latencies_ms),
            "decide_ms": list(self.decide_ms),
        }

    def _on_frame(self, frame) -> None:
        got = time.perf_counter()
        self.frames += 1
        problem = _frame_problem(frame.rgb)
        if problem is None:
            try:
                result = self.estimator.process(frame.rgb, t=frame.t)
                posed = time.perf_counter()
            except MidstanceError as exc:  # the estimator refused the image: same as corrupt
                problem = str(exc)
        if problem is not None:
            # A corrupt frame (a driver hiccup, a broken file) is skipped and shown as a
            # camera fault until a good frame comes; the session and the loop carry on.
            self.corrupt_frames += 1
            self._frame_error = f"corrupt frame skipped ({problem})"
            self._update_fault()
            self.indicator.state = "fault"
            self.writer.flush()
            self._write_snapshot()
            return
        self._frame_error = None
        self._t = t = frame.t
        self._frame_size = (int(frame.rgb.shape[1]), int(frame.rgb.shape[0]))
        now = time.monotonic()
        if self._last_frame_wall is not None:
            dt = max(now - self._last_frame_wall, 1e-6)
            self._fps_ema = 1 / dt if self._fps_ema is None else 0.9 * self._fps_ema + 0.1 / dt
        self._last_frame_wall = now
        if result is None:
            upd = self.analyzer.push(t, None, None)
        else:
            upd = self.analyzer.push(t, result.xy, result.vis)
        self._problems = tuple(getattr(upd, "problems", ()) or ())
        self._update_fault()
        self.indicator.state = "fault" if self.fault else upd.led
        if upd.steps:
            # How long the LED waited for the frame that decided a step, and how much of it
            # was the core and the LED after the pose model (the benchmark's figures).
            done = time.perf_counter()
            self.latencies_ms.append((done - (frame.received or got)) * 1e3)
            self.decide_ms.append((done - posed) * 1e3)

        event = self.life.update(t, bool(upd.running))
        if event == "start":
            self._start_session(t, upd.steps)
        elif event == "timeout":
            self._end_session("timeout")
        for step in upd.steps:
            self._on_step(step)
        if self.life.active and not self._facing_saved:
            facing = getattr(self.analyzer, "facing", None)
            if facing in FACINGS:
                self.writer.set_facing(facing)
                self._facing_saved = True
        self.writer.flush()
        self._write_snapshot(force=bool(upd.steps))
        for fn in self.observers:
            fn(self, upd)

    def _idle(self) -> None:
        """No frame this time: show a stalled or failing camera, keep the page alive."""
        self._update_fault()
        if self.fault:
            self.indicator.state = "fault"
        if self.life.active and self.life.last_running_t is not None:
            # A dead camera must not keep a session open forever: time passes on the wall.
            wall_gap = time.monotonic() - (self._last_frame_wall or time.monotonic())
            if wall_gap > self.life.timeout_s:
                self.life.end()
                self._end_session("timeout")
        self.writer.flush()
        self._write_snapshot()

    def _update_fault(self) -> None:
        faults = []
        stall = self.cfg["camera"]["stall_s"]
        gap = time.monotonic() - (self._last_frame_wall or self._wall0)
        if self.capture.error:
            faults.append(f"camera: {self.capture.error}")
        elif self._frame_error:
            faults.append(f"camera: {self._frame_error}")
        elif gap > stall and not self.capture.ended:
            faults.append(f"camera: no frame for {gap:.1f} s")
        if self.writer.error:
            faults.append(f"store: {self.writer.error}")
        if self._snap_error:
            faults.append(f"snapshot: {self._snap_error}")
        fault = "; ".join(faults) or None
        if fault != self.fault and fault:
            print(f"midstance sense: fault: {fault}", file=self.log, flush=True)
        elif fault != self.fault:
            print("midstance sense: recovered", file=self.log, flush=True)
        self.fault = fault

    def _prune(self) -> None:
        """Apply the retention policy (at start, then hourly) so the SD card never fills."""
        self._last_prune = time.monotonic()
        session = self.cfg["session"]
        try:
            gone = self.store.prune(
                session["keep_days"], int(session["keep_sessions"]), keep_mb=session["keep_mb"]
            )
        except StoreError as exc:
            self.writer.error = str(exc)
            return
        if gone:
            print(
                f"midstance sense: retention removed {gone} old sessions", file=self.log, flush=True
            )

    def _housekeeping(self) -> None:
        if time.monotonic() - self._last_prune >= PRUNE_EVERY_S:
            self._prune()
        if self._reset.is_set():
            self._reset.clear()
            self.reset_session()
        now = time.monotonic()
        if now - self._last_poll >= self.cfg["session"]["command_poll_s"]:
            self._last_poll = now
            try:
                commands = self.store.take_commands()
            except StoreError as exc:
                self.writer.error = str(exc)
                commands = []
            for command in commands:
                if command["kind"] == "reset":
                    self.reset_session()
                elif command["kind"] == "settings":
                    self._apply_settings()

    # -- sessions ------------------------------------------------------------------------

    def _start_session(self, t: float, new_steps=()) -> None:
        pre = [s for s in self._pre if (s.get("contact_t") or -math.inf) >= t - PRE_SESSION_S]
        self._pre.clear()
        # The session counts from the first contact it holds, so step times are never < 0.
        contacts = [s["contact_t"] for s in pre] + [s.contact_t for s in new_steps]
        self._t0 = min([t, *(c for c in contacts if c is not None)])
        self.stats.reset()
        self._recent.clear()
        started_at = time.time() - (t - self._t0)
        facing = getattr(self.analyzer, "facing", None)
        self._facing_saved = facing in FACINGS
        self.writer.start(started_at, facing if self._facing_saved else None)
        print("midstance sense: session started", file=self.log, flush=True)
        for step in pre:
            self._add_step(step)

    def _end_session(self, reason: str) -> None:
        summary = self._summary()
        self.writer.end(time.time(), reason, summary)
        self._t0 = None
        print(f"midstance sense: session ended ({reason})", file=self.log, flush=True)

    def _summary(self) -> dict | None:
        try:
            summary = self.stats.summary()
        except Exception:  # a summary must never lose the session itself
            return None
        return _json_safe(summary)

    def reset_session(self) -> None:
        """Staff reset: close the session (reason ``reset``) and start fresh."""
        if self.life.end():
            self._end_session("reset")
        self.analyzer.reset()
        self._problems = ()
        self._pre.clear()
        self._recent.clear()
        self.stats.reset()
        self._write_snapshot(force=True)

    def _on_step(self, step) -> None:
        d = step.as_dict() if hasattr(step, "as_dict") else dict(step)
        d["at"] = time.time()
        self.steps += 1
        if self.life.active and self._t0 is not None:
            self._add_step(d)
        else:
            self._pre.append(d)

    def _add_step(self, d: dict) -> None:
        rel = dict(d)
        for key in ("contact_t", "midstance_t", "toe_off_t"):
            if rel.get(key) is not None:
                rel[key] = float(rel[key]) - self._t0
        self.writer.add(rel)
        self.stats.add(rel)
        self._recent.append(rel)

    # -- settings ------------------------------------------------------------------------

    def _apply_settings(self) -> None:
        """The staff settings in force (:func:`common.settings.effective`: saved overrides over
        the config, as the page shows them): the thresholds, ``facing`` and ``led_brightness``.
        A removed override reverts to the config; a wrong saved value is reported and left out."""
        from common import settings
        from core.verdict import Thresholds

        try:
            saved = self.store.settings()
        except StoreError as exc:
            self.writer.error = str(exc)
            return
        now = settings.effective(saved, settings.from_config(self.cfg))
        for why in now.ignored:
            if why not in self._settings_ignored:
                print(f"midstance sense: ignoring a saved setting: {why}", file=self.log)
        self._settings_ignored = set(now.ignored)
        values = now.values
        self.thresholds = Thresholds.from_dict({k: values[k] for k in settings.THRESHOLDS})
        self.analyzer.thresholds = self.thresholds
        if values["facing"] != self.facing:
            self.facing = values["facing"]
            self.analyzer = self._new_analyzer()
        self.indicator.brightness = values["led_brightness"]
        self.settings = values

    # -- the live snapshot ---------------------------------------------------------------

    def _state(self) -> str:
        led = self.indicator.state
        if self.fault:
            return "fault"
        if led in ("good", "warn", "bad"):
            return "running"
        if led == "not_judging":
            return "not_judging"
        if self.life.active:
            return "no_runner"
        return "idle" if self.frames else "starting"

    def snapshot(self) -> dict[str, Any]:
        """The live snapshot dict (``common.snapshot`` format, every field filled)."""
        snap = snapshot.blank()
        recent = list(self._recent)[-5:]
        duration = (self._t - self._t0) if self.life.active and self._t0 is not None else None
        # Over the judged steps only: a step the view could not judge is no evidence of form.
        judged = sum(self.stats.counts.values())
        good_share = self.stats.counts["good"] / judged if judged else None
        last = self._recent[-1] if self._recent else None
        capture = self._capture()
        cue = None
        if capture["problems"]:
            # The installer's words: what to change so the kiosk can judge again.
            cue = "Not judging: " + "; ".join(p["message"] for p in capture["problems"])
        elif last is not None and self.life.active:
            from core.verdict import cue as make_cue

            cue = make_cue(last.get("reasons") or [])
        snap.update(
            session_id=self.writer.session_id if self.life.active else None,
            state=self._state(),
            led=self.indicator.state,
            cadence_spm=_round(getattr(self.analyzer, "cadence_spm", None), 1),
            lean_deg=_round(_median([s.get("lean_deg") for s in recent]), 2),
            hip_ankle_offset=_round(_median([s.get("hip_ankle_offset") for s in recent]), 3),
            good_share=_round(good_share, 3),
            steps=self.stats.steps if self.life.active else 0,
            duration_s=_round(duration, 2),
            fps=_round(self._fps_ema, 1),
            fault=self.fault,
            cue=cue,
            facing=getattr(self.analyzer, "facing", None),
            skeleton=self._skeleton(),
            recent_steps=[
                {
                    "leg": s.get("leg"),
                    "t": _round(s.get("contact_t"), 3),
                    "verdict": s.get("verdict"),
                    "lean_deg": _round(s.get("lean_deg"), 2),
                    "hip_ankle_offset": _round(s.get("hip_ankle_offset"), 3),
                    "problems": list(s.get("problems") or []),
                    "reasons": list(s.get("reasons") or []),
                }
                for s in self._recent
            ],
            capture=capture,
            midstance=self._latest_midstance() if self.life.active else None,
        )
        snap["seq"] = self._seq
        return snap

    def _latest_midstance(self) -> dict[str, Any] | None:
        """The snapshot's ``midstance``: the latest judged step's figure, None before one."""
        for s in reversed(self._recent):
            pose = s.get("midstance_pose")
            if s.get("verdict") is not None and pose and s.get("hip_ankle_offset") is not None:
                return {
                    "xy": pose["xy"],
                    "vis": pose["vis"],
                    "hip_ankle_offset": _round(s.get("hip_ankle_offset"), 4),
                    "lean_deg": _round(s.get("lean_deg"), 2),
                    "steps": 1,
                    "leg": s.get("leg"),
                    "t": _round(s.get("contact_t"), 3),
                    "verdict": s.get("verdict"),
                }
        return None

    def _capture(self) -> dict[str, Any]:
        """The snapshot's ``capture``: the problems in force at the latest frame."""
        problems = [p.as_dict() if hasattr(p, "as_dict") else dict(p) for p in self._problems]
        return {"ok": not problems, "problems": _json_safe(problems)}

    def _skeleton(self) -> dict | None:
        if self._frame_size is None:
            return None
        try:
            xy, vis = self.analyzer.pose
        except Exception:
            return None
        if xy is None:
            return None
        xy = np.asarray(xy, dtype=float)
        vis = np.zeros(len(xy)) if vis is None else np.asarray(vis, dtype=float)
        return {
            "width": self._frame_size[0],
            "height": self._frame_size[1],
            "xy": [
                [round(float(x), 1), round(float(y), 1)] if math.isfinite(x + y) else None
                for x, y in xy
            ],
            "vis": [round(float(v), 3) if math.isfinite(v) else 0.0 for v in vis],
        }

    def _write_snapshot(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_snap < 1.0 / self.cfg["session"]["snapshot_hz"]:
            return
        self._last_snap = now
        self._seq += 1
        try:
            snapshot.write(self.run_dir, self.snapshot())
            self._snap_error = None
        except OSError as exc:
            self._snap_error = str(exc)

    # -- the end -------------------------------------------------------------------------

    def _shutdown(self) -> None:
        self.watchdog.stopping()
        self.capture.close()
        if self.life.end():
            self._end_session(self._stop_reason)
        self.writer.flush(force=True)
        self.indicator.state = "off"
        self.fault = None
        with contextlib.suppress(OSError):
            snapshot.write(self.run_dir, snapshot.blank(state="idle", led="off"))


def _frame_problem(rgb: Any) -> str | None:
    """What makes ``rgb`` unusable as an RGB camera frame, or None when it is fine."""
    shape = getattr(rgb, "shape", None)
    if shape is None:
        return f"not an image: {type(rgb).__name__}"
    if len(shape) != 3 or shape[2] != 3:
        return f"shape {tuple(shape)}, expected height x width x 3"
    if shape[0] == 0 or shape[1] == 0:
        return f"empty image {tuple(shape)}"
    if rgb.dtype != np.uint8:
        return f"pixel type {rgb.dtype}, expected uint8"
    return None


def _json_safe(value: Any) -> Any:
    """NaN/inf to None and numpy scalars to plain numbers, so the summary stores as JSON."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
