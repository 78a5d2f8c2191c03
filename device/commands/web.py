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
        "--allowed-host", action="append", default=[], metavar="NAME",
        help="a Host name to serve besides localhost and the kiosk's own addresses and name"
        " (repeatable; other names get 400, against DNS rebinding)",
    )  # fmt: skip


def run(args) -> int:
    """Serve until interrupted; returns the exit code."""
    from web import create_app
    from web.server import make_server, serve

    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be 0..65535, got {args.port}")
    try:
        os.makedirs(args.run_dir, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--run-dir {args.run_dir}: {exc.strerror}") from None
    config = {"STATE_DIR": args.state_dir, "RUN_DIR": args.run_dir}
    if args.kiosk_url:
        config["KIOSK_URL"] = args.kiosk_url
    config["ALLOWED_HOSTS"] = args.allowed_host
    app = create_app(config)
    try:
        srv = make_server(app, args.host, args.port, args.threads)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from exc
    print(f"midstance web: serving on http://{srv.host}:{srv.port}/", flush=True)
    serve(srv)
    return 0
