"""The report format ``midstance-report/1`` (ARCHITECTURE section 5): build it and check it.

::

    {"format": "midstance-report/1", "facing": "left|right", "fps": ..., "duration_s": ...,
     "cadence_spm": ..., "steps": [{"leg", "contact_t", "midstance_t", "toe_off_t",
     "hip_ankle_offset", "lean_deg", "trunk_deg", "hip_bend_deg", "overstride",
     "knee_flexion_ic_deg", "bounce", "verdict", ...extras}, ...],
     "summary": {...}, "warnings": [...]}

Times are seconds from the start of the input (real time). ``capture`` is
``{"ok": bool, "problems": [{"code", "message", "share"}]}`` (:mod:`core.capture`); a step
with ``"verdict": null`` was timed but not judged, its ``problems`` name why. ``cadence_spm`` is
null when a problem that makes the step times wrong held for a fifth of the run or more
(:data:`core.capture.UNTIMED`), or with fewer than :data:`core.analysis.SHOWN_STRIDES`
strides timed, with a warning saying so. Step extras:
``lean_to_deg`` (lean at toe-off), ``contact_time_s`` (null below 25 fps), ``cadence_spm``
(live cadence at that step), ``reasons``. The summary is
:meth:`core.stats.SessionStats.summary` plus ``cue`` (the cue for the most frequent reason),
``reasons`` (count per reason), ``steps_by_leg`` and the ``thresholds`` used.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from core.capture import CLEARED
from core.capture import untimed as capture_untimed
from core.errors import InputError
from core.landmarks import LEGS
from core.stats import SessionStats
from core.verdict import VERDICTS, Thresholds, cue

FORMAT = "midstance-report/1"

#: Step fields every report step carries (ARCHITECTURE section 5), in this order.
STEP_KEYS = (
    "leg", "contact_t", "midstance_t", "toe_off_t", "hip_ankle_offset", "lean_deg",
    "trunk_deg", "hip_bend_deg", "overstride", "knee_flexion_ic_deg", "bounce", "verdict",
)  # fmt: skip
TOP_KEYS = ("format", "facing", "fps", "duration_s", "cadence_spm", "steps", "summary", "warnings")


def build_report(
    steps: list,
    facing: str | None,
    fps: float,
    duration_s: float,
    cadence: float | None,
    warnings: list[str] | None = None,
    thresholds: Thresholds | None = None,
    capture: dict | None = None,
) -> dict[str, Any]:
    """The report dict for a list of :class:`core.analysis.Step` (or step dicts).

    ``capture`` is the capture judge's ``{"ok", "problems"}`` (:mod:`core.capture`); None means
    nothing was checked, reported as ok with no problems.
    """
    rows = [s if isinstance(s, dict) else s.as_dict() for s in steps]
    stats = SessionStats()
    for row in rows:
        stats.add(row)
    summary = stats.summary(duration_s)
    by_leg = Counter(row["leg"] for row in rows)
    summary.update(
        cue=cue(list(summary["reasons"])[:1]),
        steps_by_leg={leg: by_leg.get(leg, 0) for leg in LEGS},
        thresholds=(thresholds or Thresholds()).as_dict(),
    )
    warnings = list(warnings or [])
    if fps < 25:
        warnings.append(
            f"contact time not measured: {fps:g} fps is too coarse (a stance is ~8 frames"
            " at 30 fps; 25 fps or more needed)"
        )
    capture = capture or {"ok": True, "problems": []}
    codes = [p["code"] for p in capture["problems"]]
    # the step rate as timed; given as the runner's only when the step times can be right
    untimed = capture_untimed(capture["problems"])
    if "slow_motion" in codes:
        spm = "" if cadence is None else f" ({cadence:.0f} steps/min as timed)"
        warnings.append(
            f"the timing looks like slow motion{spm}: running with flight phases but strides"
            " far too long; give the rate it was filmed at with --capture-fps"
        )
    for p in capture["problems"]:
        if p["code"] != "slow_motion" and p["share"] >= CLEARED:
            warnings.append(f"not judged where the view was poor: {p['message']}")
    if untimed and cadence is not None:
        warnings.append(f"step rate not given: the step times are wrong ({untimed[0]['message']})")
    if not rows:
        why = "; ".join(p["message"] for p in capture["problems"] if p["code"] != "not_running")
        warnings.append("no running steps found" + (f": {why}" if why else ""))
    if facing is None and not any(p["share"] >= CLEARED for p in capture["problems"]):
        # (with the view at fault, fixing the view comes first: the facing follows from it)
        warnings.append("facing not determined: no steps judged (set --facing left|right)")
    if rows and min(by_leg.get("left", 0), by_leg.get("right", 0)) < 0.5 * max(by_leg.values()):
        few = min(LEGS, key=lambda leg: by_leg.get(leg, 0))
        warnings.append(f"few {few}-leg steps: that leg was often hidden or unreliable")
    return {
        "format": FORMAT,
        "facing": facing,
        "fps": float(fps),
        "duration_s": round(float(duration_s), 3),
        "cadence_spm": None if cadence is None or untimed else round(float(cadence), 1),
        "steps": rows,
        "summary": summary,
        "warnings": warnings,
        "capture": capture,
    }


def validate_report(report: Any, where: str = "report") -> dict[str, Any]:
    """Check a report dict's shape; raises InputError naming the first problem."""
    if not isinstance(report, dict):
        raise InputError(f"{where}: a report must be a JSON object")
    if report.get("format") != FORMAT:
        raise InputError(f"{where}: unknown report format {report.get('format')!r}")
    for key in TOP_KEYS:
        if key not in report:
            raise InputError(f"{where}: missing {key!r}")
    if report["facing"] not in ("left", "right", None):
        raise InputError(f"{where}: facing must be left, right or null")
    if not isinstance(report["steps"], list):
        raise InputError(f"{where}: 'steps' must be a list")
    for i, step in enumerate(report["steps"]):
        if not isinstance(step, dict):
            raise InputError(f"{where}: steps[{i}] must be an object")
        for key in STEP_KEYS:
            if key not in step:
                raise InputError(f"{where}: steps[{i}] misses {key!r}")
        bad_verdict = step["verdict"] is not None and step["verdict"] not in VERDICTS
        if bad_verdict or step["leg"] not in LEGS:
            raise InputError(f"{where}: steps[{i}] has a bad leg or verdict")
        for key in STEP_KEYS[1:-1]:
            v = step[key]
            if v is not None and not (isinstance(v, int | float) and math.isfinite(v)):
                raise InputError(f"{where}: steps[{i}].{key} must be a number or null")
    return report
