"""The trace format ``midstance-trace/1``: body landmarks over time, one JSON object a line.

::

    {"format": "midstance-trace/1", "fps": 30.0, "width": 720, "height": 1280,
     "landmarks": [33 BlazePose names], "source": "..."}
    {"t": 0.0, "xy": [[x, y] or null, ... x33], "vis": [0..1, ... x33]}
    {"t": 0.0333, "xy": null, "vis": null}          <- no person found in this frame
    {"t": 1.0, "xy": [...], "vis": [...], "roll_deg": -1.6}   <- the camera's roll measured

x, y are pixels of the source frame (y down); ``t`` is seconds from the start of the input,
never decreasing. A landmark that is missing is ``null`` in ``xy`` (and reads as NaN with
visibility 0). A trace may carry only some landmarks, e.g. one made from motion capture.
``roll_deg`` (optional, on the frames it was measured on, a second apart, later 5 s) is the
camera's roll read from the picture (:mod:`device.level`; + = turned clockwise): a trace made
from landmarks alone has none.

Reading is strict: anything malformed raises :class:`core.errors.InputError` naming the file
and line, with one exception: a *last* line without its newline that does not parse is taken
as a frame still being written by a live recorder and dropped with a warning in
``Trace.warnings``.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import numpy as np

from core import landmarks
from core.errors import InputError

FORMAT = "midstance-trace/1"


def to_microsecond(t: float) -> float:
    """``t`` seconds to the nearest microsecond: what a trace keeps of a frame's time, and what
    the analysis reads a live frame's time as (:meth:`core.analysis.RunAnalyzer.push`). Times of
    whole frames tie in its comparisons (a stance of 3 frames against 0.6 of 5), and a tie must
    fall the same way live as from the recording. (Cheaper than ``round(t, 6)``, which formats
    the float as decimal: this runs every frame.)"""
    return math.floor(t * 1e6 + 0.5) / 1e6


@dataclass
class Trace:
    """A whole trace in memory: ``N`` frames of 33 landmarks.

    ``t`` (N,) seconds; ``xy`` (N, 33, 2) pixels, NaN = missing; ``vis`` (N, 33) in 0..1,
    0 = missing. ``roll`` (N,) the camera's roll in degrees on the frames it was measured on,
    NaN on the others, or None when the trace has no measurement at all. ``header`` is the
    first line as read (extra keys kept); ``warnings`` lists anything the reader tolerated.
    """

    fps: float
    width: int
    height: int
    source: str
    t: np.ndarray
    xy: np.ndarray
    vis: np.ndarray
    landmarks: tuple[str, ...] = landmarks.NAMES
    roll: np.ndarray | None = None
    header: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.t)

    def rolls(self) -> list[float | None]:
        """The camera's roll at each frame, None where it was not measured."""
        if self.roll is None:
            return [None] * len(self)
        return [None if r != r else float(r) for r in self.roll]


def roll_field(rolls: list[float]) -> np.ndarray | None:
    """:attr:`Trace.roll` from each frame's roll (NaN where not measured): None when no frame
    was measured."""
    return np.asarray(rolls, dtype=float) if np.isfinite(rolls).any() else None


def retime(trace: Trace, capture_fps: float) -> Trace:
    """The trace in real time, for a slow-motion export: filmed at ``capture_fps`` frames per
    second, played back at ``trace.fps``.

    Times scale by ``trace.fps / capture_fps`` (``t_real = t_file * trace.fps / capture_fps``)
    and ``fps`` becomes ``capture_fps``; the header keeps a note (``capture_fps`` and the
    file's own rate as ``file_fps``). Landmarks are untouched. Re-timing a trace that is
    already at ``capture_fps`` changes nothing, so a trace written in real time by
    ``midstance pose --capture-fps F`` can be given the same ``F`` again harmlessly.

    Raises :class:`core.errors.InputError` unless ``capture_fps`` is a finite rate from 1 to
    1000 frames per second (a typo such as 2400 or 0.3 would silently rescale every step).
    """
    try:
        rate = float(capture_fps)
    except (TypeError, ValueError):
        raise InputError(f"capture fps must be a number, got {capture_fps!r}") from None
    if not (math.isfinite(rate) and 1.0 <= rate <= 1000.0):
        raise InputError(f"capture fps must be from 1 to 1000 frames per second, got {rate:g}")
    scale = trace.fps / rate
    # the first re-timing records the file's own rate; a second one must not overwrite it
    file_fps = trace.header.get("file_fps", trace.fps)
    header = {**trace.header, "fps": rate, "capture_fps": rate, "file_fps": file_fps}
    return replace(trace, fps=rate, t=np.asarray(trace.t, dtype=float) * scale, header=header)


def header_dict(fps: float, width: int, height: int, source: str) -> dict[str, Any]:
    """The first line of a trace as a dict."""
    return {
        "format": FORMAT,
        "fps": float(fps),
        "width": int(width),
        "height": int(height),
        "landmarks": list(landmarks.NAMES),
        "source": str(source),
    }


def is_trace_header(line: str | bytes) -> bool:
    """True when ``line`` is the header of a midstance trace (any version)."""
    try:
        head = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(head, dict) and str(head.get("format", "")).startswith("midstance-trace/")


def _check_header(head: Any, where: str) -> tuple[float, int, int, str]:
    if not isinstance(head, dict) or "format" not in head:
        raise InputError(f"{where}: not a midstance trace (no 'format' header)")
    if head["format"] != FORMAT:
        raise InputError(f"{where}: unknown trace format {head['format']!r} (expected {FORMAT})")
    names = head.get("landmarks")
    if not isinstance(names, list) or len(names) != landmarks.COUNT:
        count = len(names) if isinstance(names, list) else 0
        raise InputError(f"{where}: header needs {landmarks.COUNT} landmark names, got {count}")
    if tuple(names) != landmarks.NAMES:
        raise InputError(f"{where}: landmark names are not BlazePose's 33 in order")
    try:
        fps = float(head["fps"])
        width, height = int(head["width"]), int(head["height"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{where}: header needs numeric fps, width, height ({exc})") from None
    if not (math.isfinite(fps) and fps > 0) or width <= 0 or height <= 0:
        raise InputError(f"{where}: fps, width and height must be positive")
    return fps, width, height, str(head.get("source", ""))


def _parse_frame(obj: Any, where: str) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    if not isinstance(obj, dict) or "t" not in obj:
        raise InputError(f"{where}: a frame must be an object with 't', 'xy', 'vis'")
    t = obj["t"]
    if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
        raise InputError(f"{where}: 't' must be a finite number of seconds")
    xy_in, vis_in = obj.get("xy"), obj.get("vis")
    if xy_in is None and vis_in is None:
        return float(t), None, None
    if not isinstance(xy_in, list) or len(xy_in) != landmarks.COUNT:
        n = len(xy_in) if isinstance(xy_in, list) else type(xy_in).__name__
        raise InputError(f"{where}: 'xy' needs {landmarks.COUNT} entries, got {n}")
    if not isinstance(vis_in, list) or len(vis_in) != landmarks.COUNT:
        n = len(vis_in) if isinstance(vis_in, list) else type(vis_in).__name__
        raise InputError(f"{where}: 'vis' needs {landmarks.COUNT} entries, got {n}")
    xy = np.full((landmarks.COUNT, 2), np.nan)
    vis = np.zeros(landmarks.COUNT)
    for i, (p, v) in enumerate(zip(xy_in, vis_in, strict=True)):
        if p is None:
            continue
        if (
            not isinstance(p, list)
            or len(p) != 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in p)
        ):
            raise InputError(f"{where}: xy[{i}] ({landmarks.NAMES[i]}) must be [x, y] or null")
        if not (math.isfinite(p[0]) and math.isfinite(p[1])):
            raise InputError(f"{where}: xy[{i}] ({landmarks.NAMES[i]}) is not finite")
        if isinstance(v, bool) or not isinstance(v, int | float) or not (0.0 <= v <= 1.0):
            raise InputError(f"{where}: vis[{i}] ({landmarks.NAMES[i]}) must be in 0..1")
        xy[i] = p
        vis[i] = v
    return float(t), xy, vis


def read_trace(path: str | os.PathLike) -> Trace:
    """Read a whole trace file; raises InputError("FILE:LINE: what is wrong") on bad input."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    lines = text.split("\n")
    unterminated = not text.endswith("\n")
    if not unterminated:
        lines.pop()  # the empty string after the final newline
    if not lines or not lines[0].strip():
        raise InputError(f"{path}:1: empty file, not a midstance trace")
    try:
        head = json.loads(lines[0])
    except ValueError:
        raise InputError(f"{path}:1: not a midstance trace (first line is not JSON)") from None
    fps, width, height, source = _check_header(head, f"{path}:1")
    warnings: list[str] = []
    ts: list[float] = []
    xys: list[np.ndarray] = []
    viss: list[np.ndarray] = []
    rolls: list[float] = []
    empty_xy, empty_vis = landmarks.empty_pose()
    last_t = -math.inf
    for n, line in enumerate(lines[1:], start=2):
        where = f"{path}:{n}"
        if not line.strip():
            raise InputError(f"{where}: empty line")
        try:
            obj = json.loads(line, parse_constant=_reject_constant)
        except ValueError as exc:
            if unterminated and n == len(lines):
                warnings.append(f"{where}: dropped a partial last line (still being written?)")
                break
            raise InputError(f"{where}: malformed JSON ({_short(exc)})") from None
        t, xy, vis = _parse_frame(obj, where)
        if t < last_t:
            raise InputError(f"{where}: time goes backwards ({t} after {last_t})")
        last_t = t
        ts.append(t)
        xys.append(empty_xy if xy is None else xy)
        viss.append(empty_vis if vis is None else vis)
        rolls.append(_parse_roll(obj, where))
    count = len(ts)
    return Trace(
        fps=fps,
        width=width,
        height=height,
        source=source,
        t=np.asarray(ts, dtype=float),
        xy=np.array(xys, dtype=float).reshape(count, landmarks.COUNT, 2),
        vis=np.array(viss, dtype=float).reshape(count, landmarks.COUNT),
        roll=roll_field(rolls),
        header=head,
        warnings=warnings,
    )


def _parse_roll(obj: dict, where: str) -> float:
    roll = obj.get("roll_deg")
    if roll is None:
        return math.nan
    if isinstance(roll, bool) or not isinstance(roll, int | float) or not -90 <= roll <= 90:
        raise InputError(f"{where}: 'roll_deg' must be degrees from -90 to 90")
    return float(roll)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed")


def _short(exc: Exception) -> str:
    return str(exc).split(":")[0]


def _num(v: float) -> float | int:
    # 3 decimals of a pixel is far below any pose model's precision and keeps files small.
    r = round(float(v), 3)
    return int(r) if r.is_integer() else r


class TraceWriter:
    """Write a trace frame by frame (a context manager).

    ``TraceWriter(path_or_textfile, fps, width, height, source)``; ``.write(t, xy, vis)``
    appends a frame (``None, None`` = no person; NaN positions become null; ``roll_deg``
    the camera's roll when it was measured at this frame). Each frame is
    flushed as one whole line, so a reader never sees more than a partial last line.

    Example::

        with TraceWriter("run.jsonl", 30, 720, 1280, "camera") as w:
            w.write(0.0, xy, vis)
    """

    def __init__(
        self, target: str | os.PathLike | IO[str], fps: float, width: int, height: int, source: str
    ):
        if isinstance(target, str | os.PathLike):
            self._file: IO[str] = open(target, "w", encoding="utf-8")  # noqa: SIM115
            self._owned = True
        else:
            self._file = target
            self._owned = False
        self._last_t = -math.inf
        self._line(header_dict(fps, width, height, source))

    def _line(self, obj: dict) -> None:
        self._file.write(json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n")

    def write(
        self, t: float, xy: np.ndarray | None, vis: np.ndarray | None, roll_deg: float | None = None
    ) -> None:
        """Append one frame at ``t`` seconds; raises ValueError if time goes backwards."""
        t = float(t)
        if not math.isfinite(t) or t < self._last_t:
            raise ValueError(f"trace time must be finite and not decrease: {t}")
        self._last_t = t
        roll = {} if roll_deg is None or roll_deg != roll_deg else {"roll_deg": round(roll_deg, 2)}
        if xy is None:
            self._line({"t": to_microsecond(t), "xy": None, "vis": None, **roll})
            return
        xy = np.asarray(xy, dtype=float)
        vis = np.zeros(landmarks.COUNT) if vis is None else np.asarray(vis, dtype=float)
        ok = np.isfinite(xy).all(axis=1)
        vis = np.clip(np.nan_to_num(vis), 0.0, 1.0)
        self._line(
            {
                "t": to_microsecond(t),
                "xy": [[_num(x), _num(y)] if k else None for (x, y), k in zip(xy, ok, strict=True)],
                "vis": [round(float(v), 4) if k else 0 for v, k in zip(vis, ok, strict=True)],
                **roll,
            }
        )
        self._file.flush()

    def close(self) -> None:
        """Flush, and close the file if this writer opened it."""
        if self._owned:
            self._file.close()
        else:
            self._file.flush()

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_trace(path: str | os.PathLike | IO[str], trace: Trace) -> None:
    """Write a whole :class:`Trace` to ``path`` (or an open text file)."""
    with TraceWriter(path, trace.fps, trace.width, trace.height, trace.source) as w:
        for t, xy, vis, roll in zip(trace.t, trace.xy, trace.vis, trace.rolls(), strict=True):
            if not np.isfinite(xy).any():
                w.write(t, None, None, roll)
            else:
                w.write(t, xy, vis, roll)
