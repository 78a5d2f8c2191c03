"""How near the hip-behind limit a good runner may land before the judge speaks:
``python -m corpus.margins DIR [--ahead X ...] [--only PATTERN]``.

The sources want the hip right over the ankle at midstance, yet the shared data's runners land
it 0.04-0.17 leg lengths ahead, far from the limit (-0.05). Held-out runners may land it
closer. For every good item of a built corpus (``python -m corpus DIR``; a video through our
pipeline), the hips and everything above them are moved back (:func:`corpus.transforms.sit_back`)
until the runner's median midstance puts the hip ``X`` leg lengths ahead of the ankle, and the
run is analysed. One row per group of items (:func:`corpus.faults.group_of`) and ``X``: the
judged steps, the share not called good (median and most over the items), the items with any
step not good, and the reasons given. Every such runner lands as the sources want, so each
warn from ``X`` >= 0.02 on is a false alarm of the step-to-step scatter; at 0 and below
the judge may rightly start to speak.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from core.analysis import analyze_trace
from core.trace import Trace
from corpus.faults import good_items
from corpus.transforms import sit_back

#: Where the hip lands at the runner's median midstance, leg lengths ahead of the ankle.
AHEAD = (0.05, 0.03, 0.02, 0.01, 0.0)


def judged(trace: Trace) -> list[dict]:
    """The judged steps of ``trace``'s report."""
    return [s for s in analyze_trace(trace)["steps"] if s["verdict"] is not None]


def usual_offset(trace: Trace) -> float | None:
    """The median hip-ankle offset of ``trace``'s judged steps (None when none is judged)."""
    offsets = [s["hip_ankle_offset"] for s in judged(trace) if s["hip_ankle_offset"] is not None]
    return float(np.median(offsets)) if offsets else None


def main(argv: list[str] | None = None) -> int:
    """Print the table for a built corpus; exit 2 on a bad DIR or option."""
    parser = argparse.ArgumentParser(prog="python -m corpus.margins", description=__doc__)
    parser.add_argument("dir", type=Path, help="a corpus built by python -m corpus")
    parser.add_argument("--ahead", type=float, nargs="+", default=list(AHEAD), metavar="X",
                        help="leg lengths the hip lands ahead of the ankle at the median"
                             " midstance (default: %(default)s)")  # fmt: skip
    parser.add_argument("--only", default="*", metavar="PATTERN", help="item names to take")
    args = parser.parse_args(argv)
    if not args.dir.is_dir():
        print(f"python -m corpus.margins: {args.dir}: no such folder", file=sys.stderr)
        return 2
    if any(abs(x) > 0.5 for x in args.ahead):
        print("python -m corpus.margins: --ahead must be within -0.5..0.5 leg lengths",
              file=sys.stderr)  # fmt: skip
        return 2
    groups = good_items(args.dir, args.only)
    if not groups:
        print(f"python -m corpus.margins: {args.dir}: no item with its truth", file=sys.stderr)
        return 2
    print(f"{'group':34s} {'n':>3s} {'ahead':>6s} {'judged':>6s}  not good (median, most)"
          "  items  reasons")  # fmt: skip
    for name, members in groups.items():
        # Each runner's hip as recorded, measured once: it is moved from there to each X.
        usual = [(trace, facing, usual_offset(trace)) for trace, facing in members]
        for ahead in args.ahead:
            shares, steps, warned, reasons = [], 0, 0, Counter()
            for trace, facing, offset in usual:
                report = [] if offset is None else judged(sit_back(trace, facing, offset - ahead))
                if not report:
                    continue
                told = [s for s in report if s["verdict"] != "good"]
                shares.append(len(told) / len(report))
                steps += len(report)
                warned += bool(told)
                for s in told:
                    reasons.update(s["reasons"])
            if not shares:
                continue
            said = ", ".join(f"{r} {n}" for r, n in reasons.most_common()) or "-"
            print(f"{name:34s} {len(members):3d} {ahead:+6.2f} {steps:6d}"
                  f"  {np.median(shares):5.2f} {max(shares):5.2f}"
                  f"             {warned:5d}  {said}", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
