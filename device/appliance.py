"""The appliance assembled in one place from the config: pins, LED, button, store, pose
model and camera, handed to the frame loop (:class:`device.runtime.Sense`).

``--led`` picks the pins once (:func:`pin_factory`): ``gpio`` the Pi's GPIO (gpiozero's
default), ``mock`` gpiozero's mock PWM pins (any machine, the tests), ``terminal`` and
``none`` no pins at all (and so no staff button). The LED and the button share that factory.

Example::

    sense = build(load_config(), led="mock")
    sense.run(max_frames=300)
    sense.close()
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, TextIO

from common import snapshot
from common.store import Store, StoreError
from core.errors import ConfigError, MidstanceError
from device.indicator import Indicator, make_indicator, mock_pin_factory
from device.runtime import FrameObserver, Sense

#: ``--led`` choices that drive GPIO pins (the others have none, so no button either).
PIN_LEDS = ("gpio", "mock")


def pin_factory(led: str) -> Any:
    """The gpiozero pin factory for ``--led``: mock PWM pins for ``mock``, else None
    (gpiozero's default: the Pi's GPIO; unused by ``terminal`` and ``none``)."""
    return mock_pin_factory() if led == "mock" else None


def open_indicator(cfg: Any, led: str, pins: Any = None, stream: TextIO | None = None):
    """The LED for ``--led`` with the config's ``[led]`` section on ``pins``."""
    return make_indicator(led, cfg["led"], stream=stream, pin_factory=pins)


def open_button(cfg: Any, led: str, pins: Any = None):
    """The staff button of the config's ``[button]`` on ``pins``; None when it is switched
    off (``pin = -1``) or ``led`` drives no pins."""
    if cfg["button"]["pin"] < 0 or led not in PIN_LEDS:
        return None
    from device.button import StaffButton

    return StaffButton(cfg["button"]["pin"], None, cfg["button"]["hold_s"], pins)


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


def build(
    cfg: Any,
    led: str = "gpio",
    *,
    realtime: bool | None = None,
    loop: bool = False,
    source: Any = None,
    estimator: Any = None,
    fps: float | None = None,
    stream: TextIO | None = None,
    log: TextIO | None = None,
    observer: FrameObserver | None = None,
) -> Sense:
    """Open every part and return a ready :class:`Sense` (:meth:`Sense.close` releases them).

    The camera is the config's ``camera.source`` (``camera`` or a video file, paced in real
    time unless ``realtime=False``, looped with ``loop``) and the pose model its ``[pose]``,
    unless ``source`` (a :class:`device.camera.FrameSource`, ``fps`` its frame rate) or
    ``estimator`` are given (benchmarks). A real-time source hands the loop only its newest
    frame. Before a missing store, video file or model is reported, the LED shows ``fault``
    and the snapshot names the problem, so the kiosk shows it too.
    """
    from device.watchdog import Watchdog

    run_dir = prepare_dir(cfg["paths"]["run_dir"], "run directory")
    pins = pin_factory(led)
    indicator = open_indicator(cfg, led, pins, stream)
    try:
        store = Store.in_dir(prepare_dir(cfg["paths"]["state_dir"], "state directory"))
    except (ConfigError, StoreError) as exc:
        # Shown on the LED and the page before exiting, or the kiosk just looks switched off.
        _fail(indicator, run_dir, f"store: {exc}")
        if isinstance(exc, ConfigError):
            raise
        raise MidstanceError(str(exc)) from None
    realtime = True if realtime is None else realtime
    source_name = cfg["camera"]["source"]
    is_camera = source is None and source_name == "camera"
    is_file = source is None and not is_camera
    if is_file and not Path(source_name).is_file():
        _fail(indicator, run_dir, f"video file {source_name}: no such file")
        store.close()
        raise MidstanceError(f"{source_name}: no such video file")
    if estimator is None:
        try:
            from device.pose import PoseEstimator

            estimator = PoseEstimator(
                model=cfg["pose"]["model"],
                models_dir=cfg["pose"]["models_dir"] or None,
                threads=cfg["pose"]["threads"],
            )
        except MidstanceError as exc:
            _fail(indicator, run_dir, f"pose model: {exc}")
            store.close()
            raise
    if is_file:
        from device.video import VideoReader

        with VideoReader(source_name) as reader:
            fps = float(reader.fps)
    if source is None:
        from device.camera import open_source

        source = open_source(cfg["camera"], realtime=realtime, loop=loop)
    try:
        button = open_button(cfg, led, pins)
    except MidstanceError:
        indicator.close()
        store.close()
        raise
    return Sense(
        cfg,
        source,
        indicator,
        store,
        run_dir,
        estimator,
        latest=is_camera or realtime,
        fps=fps,
        watchdog=Watchdog.from_env(),
        log=log,
        button=button,
        observer=observer,
    )


def _fail(indicator: Indicator, run_dir: Path, text: str) -> None:
    """Show ``text`` as the fault on the LED and the page, then let the LED go."""
    indicator.state = "fault"
    snap = snapshot.blank(state="fault", led="fault")
    snap["fault"] = text
    with contextlib.suppress(OSError):
        snapshot.write(run_dir, snap)
    indicator.close()
