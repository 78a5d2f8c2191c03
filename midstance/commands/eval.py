"""`midstance eval DIR [--json OUT] [--model lite|full|heavy] [--capture-fps F]`: score the
analysis against annotated truth.

Every video (``.mp4 .mov .avi .mkv .m4v .webm``) or trace (``*.trace.jsonl``) in DIR with a
truth file ``<stem>.contacts.json`` beside it is analysed as ``midstance analyze`` would
(videos through the pose model) and scored by :mod:`core.evaluate`; inputs without truth are
listed as skipped. A truth file may carry ``"capture_fps"`` for its item (a slow-motion
export); ``--capture-fps`` applies to the items without it. Which done criteria of issue 10
apply (:data:`core.evaluate.TARGETS`) follows the truth's ``"group"`` (``clip``, ``mocap``);
a video without one counts as ``clip``.

Prints one row per item and a summary; ``--json OUT`` writes ``midstance-eval/1``. Exit code
0 when every item was scored, 1 when some item could not be loaded or scored (its row says
why; the others are still scored), 2 for a usage error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core import evaluate
from core.analysis import analyze_trace
from core.errors import InputError, MidstanceError
from midstance.commands import atomic_output

HELP = "score the analysis of every annotated video or trace in a folder against its truth"

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".m4v", ".webm")
TRACE_SUFFIX = ".trace.jsonl"
TRUTH_SUFFIX = ".contacts.json"


def add_arguments(parser) -> None:
    """Register this command's options."""
    from midstance.commands.pose import add_capture_fps_argument, add_model_arguments

    parser.add_argument(
        "dir", metavar="DIR", help="a folder of videos / traces with <stem>.contacts.json truth"
    )
    parser.add_argument("--json", metavar="OUT", help="write the midstance-eval/1 JSON here")
    add_model_arguments(parser)
    add_capture_fps_argument(parser)


def find_items(directory: Path) -> list[tuple[Path, str, Path]]:
    """``(input, kind, truth path)`` for every video or trace in ``directory`` (not its
    subfolders), sorted by name; the truth path may not exist."""
    items = []
    for path in sorted(directory.iterdir()):
        name = path.name
        if name.startswith(".") or not path.is_file():
            continue
        if name.lower().endswith(TRACE_SUFFIX):
            stem, kind = name[: -len(TRACE_SUFFIX)], "trace"
        elif path.suffix.lower() in VIDEO_SUFFIXES:
            stem, kind = path.stem, "video"
        else:
            continue
        items.append((path, kind, directory / f"{stem}{TRUTH_SUFFIX}"))
    return items


def _check_out(out: Path, items: list[tuple[Path, str, Path]]) -> None:
    # before the (possibly long) run: a slip must not overwrite an input or its truth
    if out.is_dir():
        raise InputError(f"{out}: is a directory; --json needs a file name")
    if not out.parent.resolve().is_dir():
        raise InputError(f"{out}: folder {out.parent} does not exist")
    target = out.resolve()
    for path, _, truth in items:
        for protected in (path, truth):
            if protected.exists() and protected.resolve() == target:
                raise InputError(f"--json {out}: is an input of this evaluation; choose another")


def load_truth(path: Path) -> dict:
    """A truth file, parsed and checked; InputError naming the file on anything wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise InputError(f"{path.name}: cannot read ({reason})") from None
    try:
        truth = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{path.name}: not valid JSON ({str(exc).split(':')[0]})") from None
    return evaluate.check_truth(truth, path.name)


def score_path(path: Path, kind: str, truth_path: Path, args) -> dict:
    """The item dict of one input: analysed and scored, or ``{"error": ...}``."""
    from midstance.commands.analyze import load_input
    from midstance.commands.pose import check_capture_fps

    item: dict = {"name": path.name, "kind": kind}
    try:
        truth = load_truth(truth_path)
        item.update(
            group=truth.get("group") or ("clip" if kind == "video" else None),
            expect=dict(truth.get("expect") or {}),
        )
        # the item's own rate beats the command line's: a corpus mixes exports
        capture_fps = truth.get("capture_fps")
        capture_fps = check_capture_fps(args.capture_fps if capture_fps is None else capture_fps)
        # the real rate, known before loading: the target rules need it for a failed item too
        item["fps"] = capture_fps or float(truth["fps"])
        trace = load_input(path, args, capture_fps=capture_fps)
        file_fps = trace.header.get("file_fps", trace.fps)
        report = analyze_trace(trace)
        scored = evaluate.score_input(truth, report, trace.t, capture_fps)
    except MidstanceError as exc:
        item["error"] = str(exc)
        return item
    except Exception as exc:  # one item's bug must not lose a long run
        item["error"] = f"internal error (please report): {type(exc).__name__}: {exc}"
        return item
    item.update(scored)
    # real footage is held to the clip targets unless its truth names another group
    item["group"] = truth.get("group") or ("clip" if kind == "video" else None)
    item["file_fps"] = file_fps
    return item


def _f(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _yes(value) -> str:
    return "-" if value is None else ("ok" if value else "NO")


COLUMNS = (
    # header, width, cell of an item
    ("kind", 5, lambda it: it["kind"]),
    ("fps", 6, lambda it: _f(it["fps"], ".4g")),
    ("truth", 6, lambda it: _f(it["truth_cadence_spm"], ".1f")),
    ("cadnc", 6, lambda it: _f(it["cadence_spm"], ".1f")),
    ("recall", 6, lambda it: _f(it["recall"], ".2f")),
    ("prec", 5, lambda it: _f(it["precision"], ".2f")),
    ("near", 5, lambda it: _f(it["near_recall"], ".2f")),
    ("far", 5, lambda it: _f(it["far_recall"], ".2f")),
    ("IC ms", 5, lambda it: _f(it["ic_error_ms_median"], ".0f")),
    ("TO ms", 5, lambda it: _f(it["to_error_ms_median"], ".0f")),
    ("MS ms", 5, lambda it: _f(it["ms_error_ms_median"], ".0f")),
    ("label", 5, lambda it: _f(it["leg_label_accuracy"], ".2f")),
    ("facing", 6, lambda it: _yes(it["facing_ok"])),
    ("captr", 5, lambda it: _yes(it["capture_ok"])),
    ("g/w/b/unjudged", 0, lambda it: "{good}/{warn}/{bad}/{unjudged}".format(**it["verdicts"])),
)


def table_lines(result: dict) -> list[str]:
    """The table printed on stdout: one row per item, skipped inputs, the summary, targets."""
    items, s = result["items"], result["summary"]
    width = max([len(it["name"]) for it in items] + [4])
    head = f"{'item':<{width}}  " + " ".join(f"{h:>{w}}" for h, w, _ in COLUMNS)
    lines = [head]
    for it in items:
        if "error" in it:
            lines.append(f"{it['name']:<{width}}  {it['kind']:>5} error: {it['error']}")
            continue
        lines.append(f"{it['name']:<{width}}  " + " ".join(f"{c(it):>{w}}" for _, w, c in COLUMNS))
    lines += [f"skipped: {sk['name']} ({sk['reason']})" for sk in result["skipped"]]
    lines.append(
        f"{s['items']} items: {s['scored']} scored, {s['failed']} failed, {s['skipped']} skipped;"
        f" recall min {_f(s['recall_min'], '.2f')} median {_f(s['recall_median'], '.2f')};"
        f" precision min {_f(s['precision_min'], '.2f')}"
        f" median {_f(s['precision_median'], '.2f')};"
        f" max |cadence error| {_f(s['cadence_error_spm_max'], '.1f')} spm"
        f" (a step's, where judged: {_f(s.get('step_cadence_error_spm_max'), '.1f')});"
        f" median IC error {_f(s['ic_error_ms_median'], '.0f')} ms,"
        f" TO {_f(s['to_error_ms_median'], '.0f')} ms; facing errors {s['facing_errors']}"
    )
    lines += [
        f"target {'met' if t['ok'] else 'NOT MET'}: {t['check']} ({t['detail']})"
        for t in s["targets"]
    ]
    return lines


def _write_json(out: Path, result: dict) -> None:
    with atomic_output(out, "results") as tmp:
        tmp.write_text(json.dumps(result, indent=1, allow_nan=False) + "\n", encoding="utf-8")


def run(args) -> int:
    """Run the command; returns the exit code (0 all scored, 1 some item failed)."""
    from midstance.commands.pose import check_capture_fps

    check_capture_fps(args.capture_fps)
    directory = Path(args.dir)
    if not directory.exists():
        raise InputError(f"{directory}: no such folder")
    if not directory.is_dir():
        raise InputError(f"{directory}: not a folder (eval takes a folder of videos or traces)")
    found = find_items(directory)
    todo = [f for f in found if f[2].exists()]
    skipped = [
        {"name": p.name, "kind": kind, "reason": f"no {truth.name}"}
        for p, kind, truth in found
        if not truth.exists()
    ]
    if not todo:
        what = f"{len(found)} inputs but none has" if found else "no video or trace with"
        raise InputError(
            f"{directory}: nothing to evaluate ({what} a <stem>{TRUTH_SUFFIX} truth beside it)"
        )
    out = Path(args.json) if args.json else None
    if out:
        _check_out(out, found)
    items = []
    for n, (path, kind, truth) in enumerate(todo, start=1):
        # progress on stderr: a video through the pose model takes a while, stdout is the table
        print(f"midstance eval: [{n}/{len(todo)}] {path.name}", file=sys.stderr, flush=True)
        items.append(score_path(path, kind, truth, args))
    result = {
        "format": evaluate.FORMAT,
        "dir": str(directory),
        "options": {"model": args.model, "capture_fps": check_capture_fps(args.capture_fps)},
        "items": items,
        "skipped": skipped,
        "summary": evaluate.summarize(items, skipped=len(skipped)),
    }
    if out:
        _write_json(out, result)
    print("\n".join(table_lines(result)))
    return 1 if result["summary"]["failed"] else 0
