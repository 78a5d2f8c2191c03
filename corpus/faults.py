"""How big a fault must be before the judge names it: ``python -m corpus.faults DIR
[--kind sit_back|bent ...] [--sizes X ...] [--only PATTERN]`` (``--sizes`` with one
``--kind``: leg lengths for sit_back, degrees for bent).

Every runner in the shared data runs well, so the corpus alone cannot tell a judge that sees
faults from one that never speaks. For every item of a built corpus (``python -m corpus DIR``)
that the capture judge should accept, its landmarks (through our pipeline for a video) are
given each fault of :data:`corpus.transforms.FAULTS` at each size, hips sat back by a share
of the leg (``sit_back``) or the trunk bent forward at the hips by degrees (``bent``), and
analysed. One row per group of items (the same name but for the Hamner subject and run) and
size: the least and the median share of judged steps that name the fault, and the median share
not called good.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
from pathlib import Path

import numpy as np

from core.analysis import analyze_trace
from core.trace import Trace
from corpus.transforms import FAULTS

#: The fault sizes swept by default: leg lengths for sit_back, degrees for bent.
SIZES = {"sit_back": (0.1, 0.15, 0.2, 0.25, 0.3), "bent": (20.0, 25.0, 30.0, 35.0, 40.0)}


def told(trace: Trace, facing: str, kind: str, size: float) -> tuple[float, float] | None:
    """``(named, flagged)``: the shares of the judged steps of ``trace`` given the fault
    ``kind`` of ``size`` that name it and that are not good (None when none is judged)."""
    change, reason = FAULTS[kind]
    report = analyze_trace(change(trace, facing, size))
    judged = [s for s in report["steps"] if s["verdict"] is not None]
    if not judged:
        return None
    named = sum(reason in s["reasons"] for s in judged) / len(judged)
    return named, sum(s["verdict"] != "good" for s in judged) / len(judged)


def group_of(name: str) -> str:
    """The group an item's name belongs to: its name without a Hamner subject and run."""
    return re.sub(r"_s\d\d_run\d+", "", name)


def good_items(folder: Path, only: str = "*") -> dict[str, list[tuple[Trace, str]]]:
    """The items of a built corpus that show a runner as recorded, by :func:`group_of`:
    ``{group: [(trace, facing)]}`` (a video's landmarks through our pipeline; the items made
    bad on purpose or given a fault already left out; ``only`` a pattern of item names)."""
    from midstance.commands.analyze import load_input
    from midstance.commands.eval import find_items, load_truth
    from midstance.commands.pose import DEFAULT_MODEL

    pose_args = argparse.Namespace(model=DEFAULT_MODEL, threads=2, models_dir=None)
    groups: dict[str, list[tuple[Trace, str]]] = {}
    for path, _, truth_path in find_items(folder):
        stem = path.name.split(".")[0]
        if not truth_path.exists() or not fnmatch.fnmatch(stem, only):
            continue
        truth = load_truth(truth_path)
        if truth.get("expect"):
            continue  # a view made bad on purpose, or a fault given already
        trace = load_input(path, pose_args, capture_fps=truth.get("capture_fps"))
        groups.setdefault(group_of(stem), []).append((trace, truth["facing"]))
    return groups


def main(argv: list[str] | None = None) -> int:
    """Print the fault table for a built corpus; exit 2 on a bad DIR or option."""
    parser = argparse.ArgumentParser(prog="python -m corpus.faults", description=__doc__)
    parser.add_argument("dir", type=Path, help="a corpus built by python -m corpus")
    parser.add_argument("--kind", nargs="+", choices=sorted(SIZES), default=list(SIZES))
    parser.add_argument("--sizes", type=float, nargs="+", metavar="X",
                        help="sizes to sweep (default: each kind's own)")  # fmt: skip
    parser.add_argument("--only", default="*", metavar="PATTERN", help="item names to take")
    args = parser.parse_args(argv)
    if not args.dir.is_dir():
        print(f"python -m corpus.faults: {args.dir}: no such folder", file=sys.stderr)
        return 2
    if args.sizes and len(set(args.kind)) > 1:
        print("python -m corpus.faults: --sizes needs one --kind (leg lengths for sit_back,"
              " degrees for bent)", file=sys.stderr)  # fmt: skip
        return 2
    if args.sizes and min(args.sizes) < 0:
        print("python -m corpus.faults: --sizes must be >= 0", file=sys.stderr)
        return 2
    groups = good_items(args.dir, args.only)
    if not groups:
        print(f"python -m corpus.faults: {args.dir}: no item with its truth", file=sys.stderr)
        return 2
    print(f"{'group':34s} {'n':>3s} {'fault':8s} {'size':>5s}  named (least, median)  not good")
    for kind in args.kind:
        for name, members in groups.items():
            for size in args.sizes or SIZES[kind]:
                shares = [told(trace, facing, kind, size) for trace, facing in members]
                shares = [s for s in shares if s is not None]
                if not shares:
                    continue
                named, flagged = np.array(shares).T
                print(f"{name:34s} {len(members):3d} {kind:8s} {size:5g}"
                      f"  {named.min():5.2f} {np.median(named):5.2f}"
                      f"           {np.median(flagged):5.2f}", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
