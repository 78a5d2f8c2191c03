"""`midstance sense`: camera -> pose -> core -> LED, store and live snapshot (the appliance)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path

from common import snapshot
from common.store import Store, StoreError
from core.errors import ConfigError, MidstanceError

HELP = "run the appliance: camera, pose model, step judging, LED, session store"


def add_arguments(parser):
    """Register this command's options (every one overrides the config file)."""
    add_common_arguments(parser)
    parser.add_argument(
        "--led",
        choices=["gpio", "mock", "terminal", "none"],
        default="gpio",
        help="the LED: GPIO pins from the config, gpiozero mock pins, the terminal, or none",
    )
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument(
        "--realtime",
        dest="realtime",
        action="store_true",
        default=None,
        help="pace a video file in real time like a camera (the default for files)",
    )
    pace.add_argument(
        "--fast", dest="realtime", action="store_false", help="read a video file as fast as it can"
    )
    parser.add_argument("--loop", action="store_true", help="loop a video file")
    parser.add_argument("--max-frames", type=int, default=None, help="stop after N frames")
    parser.add_argument(
        "--duration", type=float, default=None, help="stop after S seconds (wall time)"
    )


def add_common_arguments(parser, source_default=None):
    """The options ``sense`` and ``demo`` share."""
    parser.add_argument(
        "--source",
        default=source_default,
        help="'camera' or a video file (default: the config's camera.source)",
    )
    parser.add_argument("--config", default=None, help="the TOML config file")
    parser.add_argument("--state-dir", default=None, help="where the session store lives")
    parser.add_argument("--run-dir", default=None, help="where the live snapshot is written")
    parser.add_argument("--model", choices=["lite", "full", "heavy"], default=None)
    parser.add_argument("--models-dir", default=None, help="where the pose model files are")
    parser.add_argument("--facing", choices=["auto", "left", "right"], default=None)


def load_config_from_args(args, **extra):
    """The config file with the command line's overrides laid over it."""
    from device.config import load_config

    over: dict = {"paths": {}, "pose": {}, "analysis": {}, "camera": {}}
    if args.state_dir:
        over["paths"]["state_dir"] = str(args.state_dir)
    if args.run_dir:
        over["paths"]["run_dir"] = str(args.run_dir)
    if args.model:
        over["pose"]["model"] = args.model
    if args.models_dir:
        over["pose"]["models_dir"] = str(args.models_dir)
    if args.facing:
        over["analysis"]["facing"] = args.facing
    if args.source:
        over["camera"]["source"] = str(args.source)
    for section, values in extra.items():
        over.setdefault(section, {}).update(values)
    return load_config(args.config, {k: v for k, v in over.items() if v})


def prepare_dir(path: str | os.PathLike, what: str) -> Path:
    """Create a state or run directory; ConfigError naming it when that is not possible."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot create it: {exc.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"{what} {path}: not writable by this user")
    return path


def build_sense(cfg, led: str, realtime: bool | None, loop: bool, stream=None, log=None):
    """Open every part (store, LED, button, model, source) and return a ready ``Sense``.

    The LED shows ``fault`` and the snapshot names the problem before a missing model or a
    bad source is reported, so the kiosk shows it too.
    """
    from device.camera import open_source
    from device.indicator import make_indicator
    from device.runtime import Sense
    from device.watchdog import Watchdog

    run_dir = prepare_dir(cfg["paths"]["run_dir"], "run directory")
    indicator = make_indicator(led, cfg["led"], stream=stream)
    try:
        store = Store.in_dir(prepare_dir(cfg["paths"]["state_dir"], "state directory"))
    except (ConfigError, StoreError) as exc:
        # Shown on the LED and the page before exiting, or the kiosk just looks switched off.
        indicator.state = "fault"
        _fault_snapshot(run_dir, f"store: {exc}")
        indicator.close()
        if isinstance(exc, ConfigError):
            raise
        raise MidstanceError(str(exc)) from None
    source_name = cfg["camera"]["source"]
    is_file = source_name != "camera"
    if is_file and not Path(source_name).is_file():
        indicator.state = "fault"
        _fault_snapshot(run_dir, f"video file {source_name}: no such file")
        indicator.close()
        raise MidstanceError(f"{source_name}: no such video file")
    try:
        from device.pose import PoseEstimator

        estimator = PoseEstimator(
            model=cfg["pose"]["model"],
            models_dir=cfg["pose"]["models_dir"] or None,
            threads=cfg["pose"]["threads"],
        )
    except MidstanceError as exc:
        indicator.state = "fault"
        _fault_snapshot(run_dir, f"pose model: {exc}")
        indicator.close()
        raise
    realtime = True if realtime is None else realtime
    fps = None
    if is_file:
        from device.video import VideoReader

        with VideoReader(source_name) as reader:
            fps = float(reader.fps)
    source = open_source(cfg["camera"], realtime=realtime, loop=loop)
    sense = Sense(
        cfg,
        source,
        indicator,
        store,
        run_dir,
        estimator,
        latest=not is_file or realtime,
        fps=fps,
        watchdog=Watchdog.from_env(),
        log=log,
    )
    sense.button = None
    if cfg["button"]["pin"] >= 0 and led in ("gpio", "mock"):
        from device.button import StaffButton
        from device.indicator import mock_pin_factory

        factory = mock_pin_factory() if led == "mock" else None
        sense.button = StaffButton(
            cfg["button"]["pin"], sense.request_reset, cfg["button"]["hold_s"], factory
        )
    return sense


def _fault_snapshot(run_dir, text: str) -> None:
    snap = snapshot.blank(state="fault", led="fault")
    snap["fault"] = text
    with contextlib.suppress(OSError):
        snapshot.write(run_dir, snap)


def close_sense(sense) -> None:
    """Release the LED, the button and the store."""
    if getattr(sense, "button", None) is not None:
        sense.button.close()
    sense.indicator.close()
    sense.store.close()


def install_signal_handlers(sense) -> None:
    """SIGTERM (systemd stop) and SIGINT (Ctrl-C) end the session as ``shutdown``."""

    def stop(signum, frame):
        sense.request_stop("shutdown")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def run(args) -> int:
    """Run the appliance until stopped; returns the exit code."""
    cfg = load_config_from_args(args)
    for name in ("max_frames", "duration"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise ConfigError(f"--{name.replace('_', '-')} must be positive, got {value}")
    sense = build_sense(cfg, args.led, args.realtime, args.loop)
    install_signal_handlers(sense)
    try:
        result = sense.run(max_frames=args.max_frames, duration_s=args.duration)
    finally:
        close_sense(sense)
    print(
        f"midstance sense: {result['frames']} frames, {result['steps']} steps,"
        f" {result['fps']:.1f} frames/s",
        file=sys.stderr,
    )
    if result["damage"]:
        # the steps up to the damage are stored; the file was not replayed
        print(f"midstance sense: error: {result['damage']}", file=sys.stderr)
        return 2
    return 0
