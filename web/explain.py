"""What the numbers and the warnings mean, in a runner's words: the one place the pages' texts live.

The pages receive :func:`texts` as a JSON data block (``<script type="application/json"
id="ms-texts">``, never executed, so the strict CSP holds) and show each text one tap away
beside its number (``web/static/js/common.js``: ``ms.explain``). Units and signs follow the
API (ARCHITECTURE section 3): leg lengths shown as % of the runner's leg (or cm from a height
kept in the runner's browser), degrees forward positive.
"""

from __future__ import annotations

from typing import Any

#: Each number the pages show: its name in words, its unit, and what it means (with its sign).
METRICS: dict[str, dict[str, str]] = {
    "hip_ankle_offset": {
        "label": "hip vs ankle",
        "unit": "cm with your height, else % of leg length",
        "text": (
            "Where your hip is compared with the foot on the belt, at midstance (the moment"
            " your body passes over that foot). Plus = hip ahead of the ankle, minus = hip"
            " behind it. Ahead of the ankle is good; behind means sitting back: a step is"
            " told when it lands well behind and that leg's hip usually lands behind too, or"
            " far behind on its own. It is not a score: 0 is a hip right over the ankle."
            " Shown in % of your leg length (hip to ankle), or in cm once you enter your"
            " height (kept on this phone only; the leg is taken as 0.49 of the height). The"
            " CSV gives leg lengths: 0.05 = 5 %."
        ),
    },
    "lean_deg": {
        "label": "lean",
        "unit": "degrees",
        "text": (
            "How far the line from your ankle to your shoulders tips forward at midstance, in"
            " degrees. Plus = forward, minus = leaning back. About 5 to 10 degrees is an"
            " ordinary running lean. Lean from the ankles, not the hips: the whole body tips"
            " as one line."
        ),
    },
    "hip_bend_deg": {
        "label": "hip bend",
        "unit": "degrees",
        "text": (
            "How much more your upper body tips forward than your legs, in degrees: bending"
            " at the hips. Plus = folded forward at the hips. Under 15 degrees is fine; more,"
            " with your hip usually behind the ankle, means you bend at the hips instead of"
            " leaning from the ankles (over 25 is too much either way)."
        ),
    },
    "overstride": {
        "label": "overstride",
        "unit": "% of leg length",
        "text": (
            "How far ahead of your hip the foot lands, in % of your leg length (the CSV gives"
            " leg lengths: 0.30 = 30 %). Plus = the foot lands ahead of the hip. Up to about"
            " 30 % is fine (more at speed); more means reaching forward with the foot:"
            " shorter, quicker steps bring it back under you."
        ),
    },
    "cadence_spm": {
        "label": "cadence",
        "unit": "steps per minute",
        "text": (
            "Steps per minute, both feet counted (never strides: one stride is two steps)."
            " Many runners settle around 160 to 180; below 140 the kiosk says so. Quicker,"
            " lighter steps land the foot closer under the hip."
        ),
    },
    "settled_cadence_spm": {
        "label": "settled cadence",
        "unit": "steps per minute",
        "text": (
            "Your own step rate: the middle value of your first 30 seconds of steady running"
            " in the session. It stays fixed for the session, so the staff can set a target a"
            " few % above it."
        ),
    },
    "cadence_target": {
        "label": "step-rate target",
        "unit": "steps per minute",
        "text": (
            "Your settled cadence plus the few % the staff chose. Taking 5 to 10 % more steps"
            " per minute at the same speed lowers the load on the knee and hip (Heiderscheit"
            " 2011). Under the target the step says so; the kiosk sets it after 30 seconds of"
            " steady running."
        ),
    },
    "knee_flexion_ic_deg": {
        "label": "knee at contact",
        "unit": "degrees",
        "text": (
            "How bent your knee is when the foot touches the belt, in degrees (0 = a straight"
            " leg). A softly bent knee lands more gently; a straight knee far ahead of the hip"
            " brakes every step."
        ),
    },
    "bounce": {
        "label": "bounce",
        "unit": "% of leg length",
        "text": (
            "How far your hip rises and falls in one step, in % of your leg length (always"
            " plus). Less bounce means less effort spent going up instead of forward."
        ),
    },
    "good_share": {
        "label": "good steps",
        "unit": "% of judged steps",
        "text": (
            "The share of judged steps with nothing to correct: hip over the foot, a lean"
            " from the ankles, no overstride. Steps the camera could not judge are left out."
        ),
    },
}

#: Why a step warned, in a few words (one per :data:`core.verdict.REASONS`, in its order),
#: shown beside the step dots.
REASON_WORDS: dict[str, str] = {
    "hip_behind": "hip behind the ankle",
    "hip_bend": "bending at the hips",
    "overstride": "foot landing far ahead of the hip",
    "lean_forward": "leaning too far forward",
    "lean_back": "leaning back",
    "low_cadence": "slow step rate",
    "below_cadence_target": "under your step-rate target",
}


def texts() -> dict[str, Any]:
    """Everything the pages explain: ``{"metrics": METRICS, "reasons": REASON_WORDS}``."""
    return {"metrics": METRICS, "reasons": REASON_WORDS}
