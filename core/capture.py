"""Capture quality: does the camera view support a verdict? (ARCHITECTURE section 3)

A verdict is only as good as the view. The capture judge watches named problems; while one of
them makes verdicts unreliable, steps are still timed (cadence) but not judged
(``verdict: None``), the LED shows ``not_judging`` and the page, ``/setup`` and ``doctor`` say
what to change, in words an installer can act on.

Problem codes (a contract: reports, ``/api/live`` and the page use them):

========================  =====================================================================
``feet_out_of_frame``     the feet leave the image (bottom or sides)
``not_side_on``           the camera does not see the runner from the side
``camera_too_low``        the lens is well below hip height (the feet look foreshortened)
``camera_too_high``       the lens is well above hip height
``runner_too_small``      the runner is too few pixels tall for reliable landmarks
``feet_blurred``          the foot landmarks jitter from frame to frame (motion blur)
``labels_unstable``       the pose model keeps swapping left and right
``slow_motion``           the timing looks like a slow-motion file: give ``--capture-fps``
``not_running``           the motion is not running (walking, standing)
``camera_moving``         the background or the whole runner moves in the image (panning)
========================  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

#: Every problem code and the installer's words for it (``{side}`` filled in where known).
PROBLEMS: dict[str, str] = {
    "feet_out_of_frame": "feet leave the frame{where}: move the camera back or tilt it down",
    "not_side_on": "the runner is not seen from the side: put the camera square to the belt",
    "camera_too_low": "the camera is too low: raise the lens to about hip height",
    "camera_too_high": "the camera is too high: lower the lens to about hip height",
    "runner_too_small": "the runner is too small in the image: move the camera closer",
    "feet_blurred": "the feet are blurred: add light or shorten the exposure",
    "labels_unstable": "left and right legs keep swapping: make sure the side view is clear",
    "slow_motion": (
        "this looks like a slow-motion file: give the rate it was filmed at with --capture-fps"
    ),
    "not_running": "no running steps found: the runner is walking or standing",
    "camera_moving": "the camera is moving: fix it firmly to a stand",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One capture problem: its code, the installer's message and its share of the frames."""

    code: str
    message: str
    share: float

    def as_dict(self) -> dict:
        """The report's ``{"code", "message", "share"}``."""
        return {"code": self.code, "message": self.message, "share": round(self.share, 3)}


def problem(code: str, share: float, where: str = "") -> Problem:
    """A :class:`Problem` with its standard message (``where`` e.g. ``" at the bottom"``)."""
    return Problem(code, PROBLEMS[code].format(where=where), float(share))
