"""Where the camera may stand and how level: ``python -m corpus.heights [--data DIR]
[--view M,M[,DEG[,ROLL]] ...]``.

Every Hamner trial in the data folder seen by a pinhole camera (:func:`corpus.mocap.
project_camera`, the stress set's phone lens) from each ``--view`` (distance from the runner
and lens height above the belt, metres; optionally turned DEG degrees from side-on toward the
runner's back, :func:`corpus.mocap.turn`, and rolled ROLL degrees on its mount, clockwise,
:func:`corpus.stress.rolled`), analysed and scored like ``midstance eval`` does. One
row per view: the trials whose cadence is off by more than 1.5 steps/min (and how many of those
the capture judge refused), the warn or bad verdicts (every runner in the shared data runs with
good form, so each is a false alarm), and the trials refused as ``camera_too_high``,
``camera_too_low`` or ``not_side_on``. The figures of docs/eval.md (stop 22), docs/capture.md
and the README's camera placement come from it (a level camera: the rolled views).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.analysis import analyze_trace
from core.evaluate import score_item
from core.trace import Trace
from corpus import hamner
from corpus.items import default_data, hamner_trial, hamner_trials, mocap_item_truth
from corpus.mocap import turn
from corpus.stress import rolled, seen_by_camera

#: Distance and lens height (m), turn and roll (deg): hip height, a little and well above it,
#: near the belt; then at hip height, turned from side-on toward the runner's back; then at hip
#: height, rolled either way (no level on the mount: the lean and the offsets read against a
#: tilted upright).
VIEWS = (
    (2.0, 1.0, 0.0, 0.0), (2.0, 1.5, 0.0, 0.0), (3.0, 1.5, 0.0, 0.0), (3.0, 2.0, 0.0, 0.0),
    (2.0, 2.0, 0.0, 0.0), (2.0, 0.2, 0.0, 0.0), (2.0, 0.0, 0.0, 0.0), (2.0, 1.0, 10.0, 0.0),
    (2.0, 1.0, 20.0, 0.0), (2.0, 1.0, 30.0, 0.0), (2.0, 1.0, 40.0, 0.0),
    (2.0, 1.0, 0.0, 2.0), (2.0, 1.0, 0.0, -2.0), (2.0, 1.0, 0.0, 3.0), (2.0, 1.0, 0.0, -3.0),
    (2.0, 1.0, 0.0, 4.0), (2.0, 1.0, 0.0, -4.0),
)  # fmt: skip


def seen_from(
    trial: dict, distance_m: float, lens_m: float, turn_deg: float = 0.0, roll_deg: float = 0.0
) -> tuple[dict, dict]:
    """One Hamner trial (:func:`corpus.items.hamner_trial`) through the stress set's phone lens
    (:func:`corpus.stress.seen_by_camera`), turned ``turn_deg`` from side-on toward the
    runner's back and rolled ``roll_deg`` clockwise: its ``midstance-report/1`` and its eval
    score."""
    if turn_deg:
        trial = {**trial, "points": turn(trial["points"], turn_deg, trial["x0"])}
    xy, vis = seen_by_camera(trial, 1000.0 * distance_m, 1000.0 * lens_m)
    if roll_deg:
        xy = rolled(xy, roll_deg, hamner.WIDTH, hamner.HEIGHT)
    what = f"hamner2013 seen {distance_m:g} m away, the lens {lens_m:g} m above the belt"
    what += f", turned {turn_deg:g} deg toward the back" if turn_deg else ""
    what += f", rolled {roll_deg:g} deg" if roll_deg else ""
    trace = Trace(trial["rate"], hamner.WIDTH, hamner.HEIGHT, what, trial["t"], xy, vis)
    truth = mocap_item_truth(trace, trial["contacts"], trial["t"], trial["pelvis"], "right",
                             "right", what)  # fmt: skip
    report = analyze_trace(trace)
    return report, score_item(truth, report)


def view_row(
    trials: list[dict],
    distance_m: float,
    lens_m: float,
    turn_deg: float = 0.0,
    roll_deg: float = 0.0,
) -> dict:
    """The figures of one view over ``trials``: ``{"n", "off", "off_refused", "alarms",
    "too_high", "too_low", "not_side_on"}``."""
    row = dict.fromkeys(("off", "off_refused", "alarms", "too_high", "too_low", "not_side_on"), 0)
    for trial in trials:
        _, score = seen_from(trial, distance_m, lens_m, turn_deg, roll_deg)
        codes = set(score["capture_problems"])
        err = score["cadence_error_spm"]
        if err is None or abs(err) > 1.5:
            row["off"] += 1
            row["off_refused"] += not score["capture_ok"]
        row["alarms"] += score["verdicts"]["warn"] + score["verdicts"]["bad"]
        row["too_high"] += "camera_too_high" in codes
        row["too_low"] += "camera_too_low" in codes
        row["not_side_on"] += "not_side_on" in codes
    return {"n": len(trials), **row}


def _view(text: str) -> tuple[float, float, float, float]:
    try:
        values = [float(v) for v in text.split(",")]
        if len(values) not in (2, 3, 4):
            raise ValueError
    except ValueError:
        msg = (f"{text!r}: give DISTANCE,LENS in metres (and a turn and a roll in degrees),"
               " e.g. 2,1 or 2,1,20 or 2,1,0,3")  # fmt: skip
        raise argparse.ArgumentTypeError(msg) from None
    distance, lens, turned, roll = (*values, 0.0, 0.0)[:4]
    if (not 0.5 <= distance <= 10 or not -1 <= lens <= 4 or not 0 <= turned <= 80
            or not -30 <= roll <= 30):  # fmt: skip
        msg = f"{text!r}: distance 0.5-10 m, lens -1 to 4 m, turn 0-80 deg, roll -30 to 30 deg"
        raise argparse.ArgumentTypeError(msg)
    return distance, lens, turned, roll


def main(argv: list[str] | None = None) -> int:
    """Print one row per view; exit 2 when the data folder has no Hamner trial."""
    parser = argparse.ArgumentParser(prog="python -m corpus.heights", description=__doc__)
    parser.add_argument("--data", type=Path, default=None, help="the shared data folder")
    parser.add_argument("--view", type=_view, nargs="+", default=list(VIEWS),
                        metavar="M,M[,DEG[,ROLL]]", help="distance,lens height in metres"
                        "[,turn from side-on toward the back in degrees[,roll clockwise in"
                        " degrees]]")  # fmt: skip
    args = parser.parse_args(argv)
    data = args.data or default_data()
    pairs = hamner_trials(data) if data.is_dir() else []
    if not pairs:
        print(f"python -m corpus.heights: {data}: no Hamner trial", file=sys.stderr)
        return 2
    trials = [hamner_trial(data, s, r) for s, r in pairs]
    print("distance  lens  turn  roll  trials  cadence off (refused)  warn/bad  too high"
          "  too low  not side-on")  # fmt: skip
    for distance, lens, turned, roll in args.view:
        r = view_row(trials, distance, lens, turned, roll)
        off = f"{r['off']:11d} ({r['off_refused']})"
        print(f"{distance:6.1f} m {lens:4.1f} m {turned:3.0f}° {roll:+4.0f}° {r['n']:6d}  {off}"
              f"  {r['alarms']:14d}  {r['too_high']:8d}  {r['too_low']:7d}"
              f"  {r['not_side_on']:11d}", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
