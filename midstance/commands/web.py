"""`midstance web`: serve the phone page and API with waitress (never Flask's dev server)."""

from __future__ import annotations

import os

from core.errors import ConfigError

HELP = "serve the phone page, the JSON API and /metrics on the LAN (waitress)"


def add_arguments(parser):
    """Register this command's options."""
    parser.add_argument(
        "--state-dir", default=os.environ.get("STATE_DIRECTORY", "state"),
        help="session store and web secret key (default: $STATE_DIRECTORY or ./state)",
    )  # fmt: skip
    parser.add_argument(
        "--run-dir", default=os.environ.get("RUNTIME_DIRECTORY", "run"),
        help="live snapshot of `midstance sense` (default: $RUNTIME_DIRECTORY or ./run)",
    )  # fmt: skip
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")
    parser.add_argument("--port", type=int, default=8080, help="TCP port (default: 8080)")
    parser.add_argument("--threads", type=int, default=None, help="worker threads (default: 96)")
    parser.add_argument("--kiosk-url", default=None, help="URL printed on the QR sticker")
    parser.add_argument(
        "--config", default=None,
        help="the TOML config file, for the staff settings' values when none is saved "
        "(default: /etc/midstance/config.toml when it exists)",
    )  # fmt: skip
    parser.add_argument(
        "--allowed-host", action="append", default=[], metavar="NAME",
        help="a Host name to serve besides localhost and the kiosk's own addresses and name"
        " (repeatable; other names get 400, against DNS rebinding)",
    )  # fmt: skip


def run(args) -> int:
    """Serve until interrupted; returns the exit code."""
    from device.config import load_config
    from web import create_app
    from web.server import make_server, serve

    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be 0..65535, got {args.port}")
    if args.threads is not None and not 1 <= args.threads <= 1000:
        raise ConfigError(f"--threads must be 1..1000, got {args.threads}")
    try:
        os.makedirs(args.run_dir, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--run-dir {args.run_dir}: {exc.strerror}") from None
    # The page shows the settings in force, so it reads the same file as `sense`.
    cfg = load_config(args.config)
    config = {"STATE_DIR": args.state_dir, "RUN_DIR": args.run_dir, "MIDSTANCE_CONFIG": cfg}
    if args.kiosk_url:
        config["KIOSK_URL"] = args.kiosk_url
    config["ALLOWED_HOSTS"] = args.allowed_host
    app = create_app(config)
    try:
        srv = make_server(app, args.host, args.port, args.threads)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    except ValueError:  # waitress: a name that resolves to nothing, an address like 999.1.1.1
        raise ConfigError(
            f"--host {args.host}: not an address of this machine (e.g. 0.0.0.0 or 127.0.0.1)"
        ) from None
    host = f"[{srv.host}]" if ":" in srv.host else srv.host  # an IPv6 address in a URL
    print(f"midstance web: serving on http://{host}:{srv.port}/", flush=True)
    serve(srv)
    return 0
