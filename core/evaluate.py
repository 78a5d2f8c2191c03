"""Scoring a report against hand- or force-plate-annotated truth (``midstance eval``).

Pure functions: a truth dict (the ``<stem>.contacts.json`` format, ARCHITECTURE section 5)
and a ``midstance-report/1`` dict in, plain dicts out. No files, no printing.

Truth::

    {"fps": 30, "facing": "left", "near_leg": "left",
     "events": [{"leg": "near|far", "type": "ic|to|ms", "frame": 16}, ...],
     "capture_fps": 240,              <- optional: a slow-motion export filmed at 240 fps
     "group": "clip|mocap",           <- optional: which targets apply (see TARGETS)
     "expect": {"capture_ok": false}}  <- optional: the capture judge must refuse this view,
                                          or {"reason": "hip_behind"}: a runner given that
                                          fault, which every judged step should name, or
                                          {"others_in_view": true}: someone else in the
                                          picture; the judge may refuse, but every step it
                                          judges must be judged right

Frames are 0-based frames of the input. Their time is ``frame / fps``, or ``frame /
capture_fps`` for a slow-motion export, whose report times are real time (``--capture-fps``);
given the input's own frame times (``frame_times``), frame ``k`` is at ``frame_times[k]``, so a
phone clip with a variable frame rate is scored at the times its frames were filmed.

Contacts are matched by time alone, one-to-one, nearest first, within
:data:`TOLERANCE_FRAMES` frames of the truth, whatever leg the report names: a step found
but labelled with the wrong leg is a labelling error (``leg_label_accuracy``), not a miss.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from core.errors import InputError
from core.facing import FACINGS
from core.verdict import REASONS, VERDICTS

FORMAT = "midstance-eval/1"

#: contacts this many truth frames apart or closer are the same contact (issue 10)
TOLERANCE_FRAMES = 3

#: an IC-to-IC interval this far from the median is a missed or extra annotation
CADENCE_OUTLIER = 0.20

LEGS = ("near", "far")
EVENT_TYPES = ("ic", "to", "ms")
SIDES = FACINGS

# a float rounding margin, so that "exactly 3 frames" is inside the tolerance
_EPS = 1e-9

#: a report gives its times to 0.1 ms (``core.analysis`` rounds them to 4 decimals), so a
#: contact exactly :data:`TOLERANCE_FRAMES` from the truth may read up to half that farther
REPORT_TIME_STEP_S = 1e-4


def check_truth(truth: Any, where: str = "truth") -> dict:
    """The truth dict, checked: raises :class:`InputError` naming the first wrong field.

    ``fps`` and ``events`` are required; ``facing`` and ``near_leg`` must be left/right when
    given; ``capture_fps`` from 1 to 1000; ``expect`` an object.
    """
    if not isinstance(truth, dict):
        raise InputError(f"{where}: must be a JSON object with fps, facing, near_leg, events")
    fps = truth.get("fps")
    if not _is_number(fps) or not (math.isfinite(fps) and fps > 0):
        raise InputError(f"{where}: 'fps' must be a positive number, got {fps!r}")
    for key in ("facing", "near_leg"):
        if truth.get(key) is not None and truth[key] not in SIDES:
            raise InputError(f"{where}: '{key}' must be left or right, got {truth[key]!r}")
    capture = truth.get("capture_fps")
    if capture is not None and not (_is_number(capture) and 1 <= capture <= 1000):
        raise InputError(f"{where}: 'capture_fps' must be from 1 to 1000, got {capture!r}")
    expect = truth.get("expect", {})
    if not isinstance(expect, dict):
        raise InputError(f"{where}: 'expect' must be an object such as {{\"capture_ok\": false}}")
    if "reason" in expect and expect["reason"] not in REASONS:
        raise InputError(
            f"{where}: 'expect.reason' must be one of {', '.join(REASONS)},"
            f" got {expect['reason']!r}"
        )
    events = truth.get("events")
    if not isinstance(events, list):
        raise InputError(f"{where}: 'events' must be a list of {{leg, type, frame}}")
    for i, e in enumerate(events):
        at = f"{where}: events[{i}]"
        if not isinstance(e, dict):
            raise InputError(f"{at}: must be an object with leg, type, frame")
        if e.get("leg") not in LEGS:
            raise InputError(f"{at}: 'leg' must be near or far, got {e.get('leg')!r}")
        if e.get("type") not in EVENT_TYPES:
            raise InputError(f"{at}: 'type' must be ic, to or ms, got {e.get('type')!r}")
        frame = e.get("frame")
        if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
            raise InputError(f"{at}: 'frame' must be a whole number >= 0, got {frame!r}")
        t = e.get("t")
        if t is not None and not (_is_number(t) and math.isfinite(t) and t >= 0):
            raise InputError(f"{at}: 't' must be seconds >= 0 when given, got {t!r}")
    return truth


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def frame_seconds(truth: dict, capture_fps: float | None = None) -> float:
    """Seconds of real time per truth frame: ``1 / capture_fps`` for a slow-motion export
    (``capture_fps`` given, or carried by the truth), else ``1 / fps``."""
    rate = capture_fps if capture_fps is not None else truth.get("capture_fps")
    return 1.0 / float(rate if rate is not None else truth["fps"])


def frame_time(
    frames: np.ndarray, frame_s: float, frame_times: np.ndarray | None = None
) -> np.ndarray:
    """Seconds of truth ``frames``: ``frame * frame_s``, or the input's own time of each frame
    (``frame_times``, real time) when given; a frame past the input's last continues from it
    at ``frame_s``."""
    frames = np.asarray(frames, dtype=float)
    if frame_times is None or not len(frame_times):
        return frames * frame_s
    ft = np.asarray(frame_times, dtype=float)
    k = np.clip(frames.astype(int), 0, len(ft) - 1)
    return ft[k] + (frames - k) * frame_s


def frame_clock(times: np.ndarray, frame_s: float, frame_times: np.ndarray | None) -> np.ndarray:
    """Times (seconds) as positions among the input's frames (fractional frame numbers),
    multiplied by ``frame_s``: the clock the matching tolerance is counted on. With evenly
    timed frames (``frame_times`` None) that is the time itself; with a variable frame rate,
    "within 3 frames" is 3 of the input's frames, so a contact inside a gap of dropped frames
    is matched across the gap."""
    times = np.asarray(times, dtype=float)
    if frame_times is None or len(frame_times) < 2:
        return times
    ft = np.asarray(frame_times, dtype=float)
    pos = np.interp(times, ft, np.arange(len(ft), dtype=float))
    pos = np.where(times < ft[0], (times - ft[0]) / frame_s, pos)
    pos = np.where(times > ft[-1], len(ft) - 1 + (times - ft[-1]) / frame_s, pos)
    return pos * frame_s


def truth_events(
    truth: dict, capture_fps: float | None = None, frame_times: np.ndarray | None = None
) -> dict[tuple[str, str], np.ndarray]:
    """``{(leg, type): sorted times in seconds}`` for every leg near/far and type ic/to/ms
    (``frame_times``: see :func:`frame_time`)."""
    dt = frame_seconds(truth, capture_fps)
    out = {}
    for leg in LEGS:
        for kind in EVENT_TYPES:
            frames = [e["frame"] for e in truth["events"] if e["leg"] == leg and e["type"] == kind]
            out[leg, kind] = frame_time(np.sort(np.asarray(frames, dtype=float)), dt, frame_times)
    return out


def match_contacts(
    truth_t: Iterable[float], predicted_t: Iterable[float], tolerance_s: float
) -> list[tuple[int, int]]:
    """Pairs ``(truth index, predicted index)``: one-to-one, nearest first, each pair at most
    ``tolerance_s`` apart (inclusive). Sorted by truth index.

    Nearest first (a greedy assignment on the time difference) rather than in time order:
    a spurious contact one frame from a true one must not steal it from the real detection
    two frames away.
    """
    a = np.asarray(list(truth_t), dtype=float)
    b = np.asarray(list(predicted_t), dtype=float)
    if not len(a) or not len(b):
        return []
    gap = np.abs(a[:, None] - b[None, :])
    ii, jj = np.nonzero(gap <= tolerance_s * (1 + _EPS) + _EPS)
    order = np.lexsort((jj, ii, gap[ii, jj]))  # by gap, ties by truth then predicted index
    used_a, used_b, pairs = set(), set(), []
    for k in order:
        i, j = int(ii[k]), int(jj[k])
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j))
    return sorted(pairs)


def exact_ic_times(truth: dict) -> dict[str, np.ndarray] | None:
    """Each leg's IC times from the events' optional ``t`` (seconds, e.g. a force plate's own
    time, which the frame number rounds), or None unless every IC carries one. The truth
    cadence uses them: at 30 fps the rounding alone moves an 11-step cadence by ~1 spm."""
    ics = [e for e in truth["events"] if e["type"] == "ic"]
    if not ics or any(e.get("t") is None for e in ics):
        return None
    return {leg: np.sort([float(e["t"]) for e in ics if e["leg"] == leg]) for leg in LEGS}


def truth_cadence_spm(ic_times: dict[str, np.ndarray]) -> float | None:
    """Steps per minute from each leg's IC times (seconds): ``120 / mean stride``, the
    IC-to-IC intervals of both legs pooled; intervals more than :data:`CADENCE_OUTLIER` from
    their median are dropped (a missed annotation doubles one). None with no interval."""
    strides = np.concatenate([np.diff(np.sort(t)) for t in ic_times.values()] or [np.empty(0)])
    if not len(strides):
        return None
    mid = float(np.median(strides))
    kept = strides[np.abs(strides - mid) <= CADENCE_OUTLIER * mid]
    return 120.0 / float(np.mean(kept)) if len(kept) and mid > 0 else None


def _stance_event(
    ic_t: float, leg_ics: np.ndarray, events: np.ndarray, slack: float
) -> float | None:
    # that stance's event: the leg's first one from its IC up to (not including) its next IC;
    # ``slack`` (half a frame) absorbs float rounding of frame times
    nxt = leg_ics[leg_ics > ic_t + slack]
    end = nxt[0] if len(nxt) else math.inf
    inside = events[(events >= ic_t - slack) & (events < end - slack)]
    return float(inside[0]) if len(inside) else None


def _median(values: list[float]) -> float | None:
    return float(np.median(values)) if values else None


def _ms(x: float | None) -> float | None:
    return None if x is None else round(1000.0 * x, 1)


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(float(x), digits)


def score_item(
    truth: dict,
    report: dict,
    capture_fps: float | None = None,
    frame_times: np.ndarray | None = None,
) -> dict:
    """Score one ``midstance-report/1`` dict against its truth; returns the item dict of
    ``midstance-eval/1`` (without ``name`` and ``kind``, which the caller knows).

    ``capture_fps``: the rate the report's input was re-timed to (the truth's own
    ``capture_fps`` when omitted); the truth's frames are then real time ``frame /
    capture_fps``. ``frame_times``: the input's own frame times in the report's time base
    (:func:`frame_time`), for an input whose frames are unevenly timed; contacts then match
    within 3 of its frames (:func:`frame_clock`). Errors are absolute, in milliseconds;
    ``*_bias_ms_median`` are signed (positive = the report is late).
    """
    check_truth(truth)
    frame_s = frame_seconds(truth, capture_fps)
    tol = TOLERANCE_FRAMES * frame_s
    events = truth_events(truth, capture_fps, frame_times)
    near_side = truth.get("near_leg")
    side_of = {"near": near_side, "far": _other(near_side)}

    # truth ICs of both legs in one list, remembering each one's leg
    truth_ic = [(float(t), leg) for leg in LEGS for t in events[leg, "ic"]]
    truth_ic.sort()
    steps = [s for s in report.get("steps") or [] if s.get("contact_t") is not None]
    pred_t = [float(s["contact_t"]) for s in steps]
    reach = tol + REPORT_TIME_STEP_S / 2
    clock = [frame_clock(x, frame_s, frame_times) for x in ([t for t, _ in truth_ic], pred_t)]
    pairs = match_contacts(*clock, reach)

    # precision only where the truth looked: the annotation may cover part of the input
    all_t = np.concatenate([v for v in events.values()] + [np.empty(0)])
    lo, hi = (all_t.min() - reach, all_t.max() + reach) if len(all_t) else (math.inf, -math.inf)
    in_span = sum(1 for t in pred_t if lo - _EPS <= t <= hi + _EPS)

    matched_legs = [truth_ic[i][1] for i, _ in pairs]
    per_leg_total = {leg: len(events[leg, "ic"]) for leg in LEGS}
    per_leg_recall = {
        leg: (matched_legs.count(leg) / n if n else None) for leg, n in per_leg_total.items()
    }

    labelled = [
        steps[j].get("leg") == side_of[truth_ic[i][1]]
        for i, j in pairs
        if near_side is not None and steps[j].get("leg") in SIDES
    ]
    ic_err = [pred_t[j] - truth_ic[i][0] for i, j in pairs]
    to_err, ms_err = [], []
    for i, j in pairs:
        t_ic, leg = truth_ic[i]
        for kind, field, errs in (("to", "toe_off_t", to_err), ("ms", "midstance_t", ms_err)):
            want = _stance_event(t_ic, events[leg, "ic"], events[leg, kind], 0.5 * frame_s)
            got = steps[j].get(field)
            if want is not None and got is not None:
                errs.append(float(got) - want)

    truth_cadence = truth_cadence_spm(
        exact_ic_times(truth) or {leg: events[leg, "ic"] for leg in LEGS}
    )
    cadence = report.get("cadence_spm")
    cadence_error = (
        None if cadence is None or truth_cadence is None else float(cadence) - truth_cadence
    )
    # The rate shown live at each step (the page, the session), against the run's.
    shown = [float(x["cadence_spm"]) for x in steps if x.get("cadence_spm") is not None]
    step_cadence_error = (
        max(abs(x - truth_cadence) for x in shown) if shown and truth_cadence is not None else None
    )
    capture = report.get("capture") or {}
    verdicts = {v: 0 for v in (*VERDICTS, "unjudged")}
    for s in report.get("steps") or []:
        verdicts[s.get("verdict") if s.get("verdict") in VERDICTS else "unjudged"] += 1
    # A runner given a known fault: the share of the judged steps that name it.
    fault = (truth.get("expect") or {}).get("reason")
    judged = [s for s in report.get("steps") or [] if s.get("verdict") in VERDICTS]
    fault_share = (
        sum(fault in (s.get("reasons") or ()) for s in judged) / len(judged)
        if fault and judged
        else None
    )
    facing = truth.get("facing")
    ic_med = _median([abs(e) for e in ic_err])
    return {
        "fps": report.get("fps"),
        "truth_cadence_spm": _round(truth_cadence, 2),
        "cadence_spm": _round(cadence, 2),
        "cadence_error_spm": _round(cadence_error, 2),
        "step_cadence_error_spm_max": _round(step_cadence_error, 2),
        "recall": _round(len(pairs) / len(truth_ic), 4) if truth_ic else None,
        "precision": _round(len(pairs) / in_span, 4) if in_span else None,
        "near_recall": _round(per_leg_recall["near"], 4),
        "far_recall": _round(per_leg_recall["far"], 4),
        "ic_error_ms_median": _ms(ic_med),
        "ic_error_frames_median": _round(None if ic_med is None else ic_med / frame_s, 2),
        "ic_bias_ms_median": _ms(_median(ic_err)),
        "to_error_ms_median": _ms(_median([abs(e) for e in to_err])),
        "to_bias_ms_median": _ms(_median(to_err)),
        "ms_error_ms_median": _ms(_median([abs(e) for e in ms_err])),
        "leg_label_accuracy": _round(sum(labelled) / len(labelled), 4) if labelled else None,
        "facing": report.get("facing"),
        "facing_ok": None if facing is None else report.get("facing") == facing,
        "capture_ok": capture.get("ok"),
        "capture_problems": [p.get("code") for p in capture.get("problems") or []],
        "verdicts": verdicts,
        "fault_share": _round(fault_share, 4),
        "steps": len(report.get("steps") or []),
        "steps_in_truth_span": in_span,
        "truth_contacts": len(truth_ic),
        "matched": len(pairs),
        "tolerance_ms": _ms(tol),
        "capture_fps": capture_fps if capture_fps is not None else truth.get("capture_fps"),
        "group": truth.get("group"),
        "expect": dict(truth.get("expect") or {}),
        "warnings": list(report.get("warnings") or []),
    }


def _other(side: str | None) -> str | None:
    return {"left": "right", "right": "left"}.get(side)


def timebase_drift(t: Iterable[float], frame_s: float) -> float:
    """Largest gap in seconds between the input's frame times and ``frame * frame_s``, the
    times the truth assumes (a late first frame or a variable frame rate makes it grow)."""
    t = np.asarray(list(t), dtype=float)
    return float(np.max(np.abs(t - np.arange(len(t)) * frame_s))) if len(t) else 0.0


def uneven_frame_times(t: np.ndarray, frame_s: float) -> np.ndarray | None:
    """The input's frame times ``t`` when they stray from ``frame * frame_s`` by more than half
    a frame (a variable frame rate: score at them, :func:`score_item`'s ``frame_times``), else
    None (evenly timed: ``frame * frame_s``, as the file's rounded times mean)."""
    return t if timebase_drift(t, frame_s) > 0.5 * frame_s else None


def score_input(truth: dict, report: dict, t: np.ndarray, capture_fps: float | None = None) -> dict:
    """:func:`score_item` of a report on an input whose frames were at times ``t`` (seconds).

    A variable frame rate (a phone clip): the truth's frames are the input's frames, at the
    times the file gives them, not frame/fps, and the scores' ``warnings`` say so. Evenly
    timed inputs keep frame/fps (their files round the times)."""
    frame_s = frame_seconds(truth, capture_fps)
    frame_times = uneven_frame_times(t, frame_s)
    scored = score_item(truth, report, capture_fps, frame_times=frame_times)
    if frame_times is not None:
        drift = timebase_drift(t, frame_s)
        scored["warnings"].append(
            f"eval: the input's frame times differ from frame/fps by up to {1000 * drift:.0f} ms"
            " (a variable frame rate, or a first frame after 0 s): truth frames scored at the"
            " input's own frame times"
        )
    return scored


# ---------------------------------------------------------------------------- targets


def _mocap(item: dict) -> bool:
    # a view made bad on purpose is held to the bad-view targets only
    return item.get("group") == "mocap" and not _refuse(item)


def _native(item: dict) -> bool:
    return _mocap(item) and (item.get("fps") or 0) >= 100


def _low_rate(item: dict) -> bool:
    return _mocap(item) and item.get("fps") is not None and item["fps"] < 100


def _clip(item: dict) -> bool:
    return item.get("group") == "clip" and not _refuse(item) and not _others(item)


def _others(item: dict) -> bool:
    return bool(item.get("expect", {}).get("others_in_view"))


def _others_ok(item: dict) -> bool:
    return _others(item) and item.get("capture_ok") is True


def _clip_good_form(item: dict) -> bool:
    return _clip(item) and not _fault(item)


def _fault(item: dict) -> bool:
    return bool(item.get("expect", {}).get("reason"))


def _refuse(item: dict) -> bool:
    return item.get("expect", {}).get("capture_ok") is False


def _every(item: dict) -> bool:
    return True


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
}

#: The done criteria of issue 10 section 3 (and two of our own, last), one per line:
#: (check, which items, item field, comparison, limit). A missing value (None) fails.
TARGETS: tuple[tuple[str, Callable[[dict], bool], str, str, Any], ...] = (
    ("every item loads and is scored", _every, "error", "is", None),
    ("mocap recall >= 0.95 at the native rate", _native, "recall", ">=", 0.95),
    ("mocap precision >= 0.95 at the native rate", _native, "precision", ">=", 0.95),
    ("mocap recall >= 0.90 below 100 fps", _low_rate, "recall", ">=", 0.90),
    ("mocap precision >= 0.90 below 100 fps", _low_rate, "precision", ">=", 0.90),
    ("mocap cadence within 1.5 spm", _mocap, "cadence_abs_error_spm", "<=", 1.5),
    ("mocap IC median error <= 10 ms at the native rate", _native, "ic_error_ms_median", "<=", 10),
    ("mocap TO median error <= 15 ms at the native rate", _native, "to_error_ms_median", "<=", 15),
    ("mocap facing correct", _mocap, "facing_ok", "==", True),
    ("clip near-leg recall >= 0.95", _clip, "near_recall", ">=", 0.95),
    ("clip far-leg recall >= 0.80", _clip, "far_recall", ">=", 0.80),
    ("clip IC median error <= 1 frame", _clip, "ic_error_frames_median", "<=", 1.0),
    ("clip cadence within 1.5 spm", _clip, "cadence_abs_error_spm", "<=", 1.5),
    ("clip every judged step good", _clip_good_form, "judged_not_good", "==", 0),
    ("clip facing correct", _clip, "facing_ok", "==", True),
    ("bad view: capture.ok false", _refuse, "capture_ok", "is", False),
    ("bad view: no step judged", _refuse, "judged_steps", "==", 0),
    # Someone else in the picture (a runner on the next treadmill): refusing is honest, a
    # wrong verdict is not; where the view is accepted, the runner's steps are found.
    ("others in view: every judged step good", _others, "judged_not_good", "==", 0),
    ("others in view, ok: near-leg recall >= 0.95", _others_ok, "near_recall", ">=", 0.95),
    ("others in view, ok: cadence within 1.5 spm", _others_ok, "cadence_abs_error_spm", "<=", 1.5),
    # The judge's other side (not in issue 10): a good runner given a known fault is judged,
    # and told of it.
    ("form fault: the view judged", _fault, "capture_ok", "is", True),
    ("form fault named on >= 90 % of judged steps", _fault, "fault_share", ">=", 0.9),
)


def _target_value(item: dict, field: str) -> Any:
    # values derived from the item's fields, so the table can name them as fields
    if field == "error":
        return item.get("error")
    if "error" in item:
        return None  # a failed item fails every target that applies to it
    v = item.get("verdicts") or {}
    if field == "cadence_abs_error_spm":
        e = item.get("cadence_error_spm")
        return None if e is None else abs(e)
    if field == "judged_steps":
        return sum(v.get(k, 0) for k in VERDICTS)
    if field == "judged_not_good":
        return v.get("warn", 0) + v.get("bad", 0)
    return item.get(field)


def check_targets(items: list[dict]) -> list[dict]:
    """``[{"check", "ok", "detail"}]``: each :data:`TARGETS` rule over the items it applies
    to (rules that apply to none are left out)."""
    out = []
    for check, applies, field, op, limit in TARGETS:
        chosen = [it for it in items if applies(it)]
        if not chosen:
            continue
        fails = []
        for it in chosen:
            value = _target_value(it, field)
            ok = value is limit if op == "is" else value is not None and _OPS[op](value, limit)
            if not ok:
                fails.append(f"{it.get('name', '?')} ({field} {_show(value)})")
        detail = f"{len(chosen) - len(fails)} of {len(chosen)} items"
        if fails:
            detail += "; not met: " + ", ".join(fails)
        out.append({"check": check, "ok": not fails, "detail": detail})
    return out


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "n/a" if value is None else str(value)


def summarize(items: list[dict], skipped: int = 0) -> dict:
    """The ``summary`` of ``midstance-eval/1`` over item dicts (scored ones and error rows
    ``{"name", "kind", "error"}``)."""
    scored = [it for it in items if "error" not in it]

    def vals(field: str) -> list[float]:
        return [it[field] for it in scored if it.get(field) is not None]

    def stat(fn, field: str, digits: int = 4):
        v = vals(field)
        return round(float(fn(v)), digits) if v else None

    cad = [abs(e) for e in vals("cadence_error_spm")]
    shown = [
        it["step_cadence_error_spm_max"]
        for it in scored
        if it.get("capture_ok") and it.get("step_cadence_error_spm_max") is not None
    ]
    return {
        "items": len(items),
        "scored": len(scored),
        "failed": len(items) - len(scored),
        "skipped": skipped,
        "recall_min": stat(np.min, "recall"),
        "recall_median": stat(np.median, "recall"),
        "precision_min": stat(np.min, "precision"),
        "precision_median": stat(np.median, "precision"),
        "cadence_error_spm_max": round(max(cad), 2) if cad else None,
        "step_cadence_error_spm_max": round(max(shown), 2) if shown else None,
        "ic_error_ms_median": stat(np.median, "ic_error_ms_median", 1),
        "to_error_ms_median": stat(np.median, "to_error_ms_median", 1),
        "leg_label_accuracy_min": stat(np.min, "leg_label_accuracy"),
        "facing_errors": sum(1 for it in scored if it.get("facing_ok") is False),
        "targets": check_targets(items),
    }
