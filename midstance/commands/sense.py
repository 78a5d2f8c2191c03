"""`midstance sense`: camera -> pose -> core -> LED, store and live snapshot (the appliance)."""

from __future__ import annotations

import signal
import sys

from core.errors import ConfigError

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
    from device import appliance

    sense = appliance.build(cfg, args.led, realtime=args.realtime, loop=args.loop)
    install_signal_handlers(sense)
    try:
        result = sense.run(max_frames=args.max_frames, duration_s=args.duration)
    finally:
        sense.close()
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
