"""`midstance demo`: the whole appliance on the sample clip, the page and the LED in one process.

The sample clip loops in real time as if a camera saw it, the LED is drawn in the terminal, and
the page is served on http://HOST:PORT. State and run directories default to a per-user cache
folder, so the demo never touches a real installation's data.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from core.errors import MidstanceError
from device import SAMPLE_CLIP
from midstance.commands.sense import (
    add_common_arguments,
    install_signal_handlers,
    load_config_from_args,
)

HELP = "run the appliance on the sample clip with the page and a terminal LED (no hardware)"


def demo_dir() -> Path:
    """The demo's own folder: ``$XDG_CACHE_HOME/midstance/demo`` (``~/.cache/...``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "midstance" / "demo"


def add_arguments(parser):
    """Register this command's options."""
    add_common_arguments(parser, source_default=None)
    parser.add_argument("--host", default="127.0.0.1", help="address to serve the page on")
    parser.add_argument("--port", type=int, default=8080, help="port to serve the page on")
    parser.add_argument("--duration", type=float, default=None, help="stop after S seconds")


def run(args) -> int:
    """Run the demo until Ctrl-C; returns the exit code."""
    from device import appliance
    from web import create_app
    from web.server import make_server

    args.source = args.source or str(SAMPLE_CLIP)
    args.state_dir = args.state_dir or str(demo_dir() / "state")
    args.run_dir = args.run_dir or str(demo_dir() / "run")
    # The demo has no GPIO and no staff button; the terminal is its LED.
    cfg = load_config_from_args(args, button={"pin": -1})
    sense = appliance.build(cfg, "terminal", realtime=True, loop=True)
    try:
        app = create_app({
            "STATE_DIR": cfg["paths"]["state_dir"], "RUN_DIR": cfg["paths"]["run_dir"],
            "MIDSTANCE_CONFIG": cfg,
        })  # fmt: skip
        srv = make_server(app, args.host, args.port)
    except OSError as exc:
        sense.close()
        raise MidstanceError(f"cannot serve the page on {args.host}:{args.port}: {exc}") from None
    except BaseException:
        sense.close()
        raise
    web = threading.Thread(target=srv.run, name="midstance-web", daemon=True)
    web.start()
    host = "localhost" if args.host in ("127.0.0.1", "0.0.0.0", "::") else args.host
    print(f"Midstance demo: open http://{host}:{srv.port}/  (Ctrl-C to stop)", flush=True)
    print(f"  clip {args.source}, store in {cfg['paths']['state_dir']}", flush=True)
    install_signal_handlers(sense)
    try:
        sense.run(duration_s=args.duration)
    finally:
        srv.close()
        sense.close()
    print("Midstance demo: stopped", file=sys.stderr)
    return 0
