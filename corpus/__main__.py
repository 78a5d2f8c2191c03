"""Build the evaluation corpus: ``python -m corpus OUTDIR [--only PATTERNS] [--data DIR]
[--set corpus|stress]`` (the stress set: :mod:`corpus.stress`).

Every item is an input (``NAME.mp4`` or ``NAME.trace.jsonl``) and its truth
(``NAME.contacts.json``), made from the shared real data (never written to). Items whose
outputs are newer than their inputs and than this package's code are skipped; outputs are
written to a temporary name and moved into place, so an interrupted build leaves no half item.
One line is printed per item. Exit status 2 when the data folder is missing or holds nothing
known, 1 when an item could not be built (a damaged file: one line on stderr, the rest built).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import sys
from pathlib import Path

import numpy as np

from corpus import contact_times
from corpus.items import Item, all_items, default_data
from corpus.stress import stress_items

# -- building ------------------------------------------------------------------------------


def up_to_date(outputs: list[Path], deps: list[Path]) -> bool:
    """True when every output exists and is newer than every input and this package's code."""
    code = list(Path(__file__).parent.glob("*.py"))
    if not all(p.exists() for p in outputs):
        return False
    newest = max(p.stat().st_mtime for p in [*deps, *code])
    return min(p.stat().st_mtime for p in outputs) >= newest


def summary(doc: dict) -> str:
    """One line about a truth document: rate, frames, event counts, cadence, contact time."""
    count = {k: sum(e["type"] == k for e in doc["events"]) for k in ("ic", "to", "ms")}
    rate = float(doc.get("capture_fps", doc["fps"]))
    ct = contact_times(doc["events"], rate)
    ct_ms = f"{1000 * float(np.median(ct)):.0f} ms" if ct else "-"
    cad = doc.get("cadence_spm")
    return (f"{doc['fps']:g} fps {doc.get('n_frames', '?')} frames facing {doc['facing']}: "
            f"ic {count['ic']} to {count['to']} ms {count['ms']}, "
            f"cadence {cad if cad is not None else '-'} spm, contact {ct_ms}")  # fmt: skip


def build_item(item: Item, out: Path) -> tuple[str, dict]:
    """Build one item into ``out`` unless up to date; returns ``(status, truth)``."""
    dst = out / f"{item.name}{item.suffix}"
    dst_truth = out / f"{item.name}.contacts.json"
    if up_to_date([dst, dst_truth], item.deps):
        return "ok", json.loads(dst_truth.read_text())
    # Temporary names start with a dot and end in .tmp so no scanner takes them for items.
    tmp = out / f".{dst.name}.tmp"
    tmp_truth = out / f".{dst_truth.name}.tmp"
    try:
        doc = item.build(tmp)
        tmp_truth.write_text(json.dumps(doc, indent=1) + "\n")
        os.replace(tmp, dst)
        os.replace(tmp_truth, dst_truth)
    finally:
        for p in (tmp, tmp_truth):
            p.unlink(missing_ok=True)
    return "built", doc


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    ap = argparse.ArgumentParser(prog="python -m corpus", description=__doc__.splitlines()[0])
    ap.add_argument("outdir", type=Path, help="where the items go (e.g. build/corpus)")
    ap.add_argument("--only", metavar="PATTERNS",
                    help="only items whose name matches (globs, comma-separated)")  # fmt: skip
    ap.add_argument("--data", type=Path, default=None, help="the shared data folder")
    ap.add_argument("--set", choices=("corpus", "stress"), default="corpus",
                    help="issue 10's corpus (default) or the stress set")  # fmt: skip
    args = ap.parse_args(argv)
    data = (args.data or default_data()).resolve()
    if not data.is_dir():
        print(f"corpus: shared data not found at {data} (use --data DIR)", file=sys.stderr)
        return 2
    out = args.outdir.resolve()
    if out == data or data in out.parents:
        print(f"corpus: refusing to write into the shared data ({out})", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    items = stress_items(data) if args.set == "stress" else all_items(data)
    if not items:
        print(f"corpus: no clip, Fukuchi or Hamner trial found in {data}", file=sys.stderr)
        return 2
    if args.only:
        patterns = [p for p in args.only.split(",") if p]
        items = [
            i for i in items if any(fnmatch.fnmatch(i.name, p) or p in i.name for p in patterns)
        ]
    failed = 0
    for item in items:
        try:
            status, doc = build_item(item, out)
        except (OSError, ValueError, KeyError, IndexError) as exc:
            # A damaged file dropped into the data folder costs its own items, not the rest.
            failed += 1
            print(f"corpus: {item.name}: cannot build ({type(exc).__name__}: {exc})",
                  file=sys.stderr, flush=True)  # fmt: skip
            continue
        print(f"{status:5s} {item.name + item.suffix:40s} {summary(doc)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
