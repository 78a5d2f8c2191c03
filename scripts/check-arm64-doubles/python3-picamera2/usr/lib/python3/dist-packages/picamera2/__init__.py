"""TEST DOUBLE of Raspberry Pi's picamera2, for `make check-arm64` only: a machine with no camera.

Debian has no picamera2 (it comes from the Raspberry Pi archive), so the emulated arm64 roots
install this package under the same name instead. Like picamera2 it is imported from the system
site-packages by the appliance's ``--system-site-packages`` venv, and like picamera2 it
refuses to import when the venv puts another numpy major version in front of the system's:
picamera2 imports simplejpeg, a C extension the Raspberry Pi archive builds against the
release's numpy, and a numpy 2 from pip makes that import fail with "numpy.dtype size
changed" (raspberrypi/picamera2 issues 1088 and 1211). It reports no camera attached, which is
what the check wants from ``midstance doctor``. It never ships: only scripts/check-arm64.sh
installs it.
"""

import re
from importlib.metadata import distributions

import numpy
import PIL.Image  # noqa: F401  (picamera2 imports PIL at import time too)

TEST_DOUBLE = True

#: the numpy that apt installed, which the Raspberry Pi archive's simplejpeg is built against
_built_for = next(distributions(name="numpy", path=["/usr/lib/python3/dist-packages"])).version


def _major(version: str) -> int:
    return int(re.match(r"\d+", version).group())


if _major(numpy.__version__) != _major(_built_for):
    # simplejpeg's own words when the numpy ABI it was compiled for is not the one loaded
    raise ValueError(
        "numpy.dtype size changed, may indicate binary incompatibility. (test double: "
        f"picamera2's simplejpeg is built for the system numpy {_built_for}, "
        f"numpy {numpy.__version__} is loaded from {numpy.__file__})"
    )


class Picamera2:
    """The part of picamera2's API the appliance calls, on a machine with no camera."""

    @staticmethod
    def global_camera_info() -> list:
        """No camera attached."""
        return []

    def __init__(self, camera_num: int = 0):
        # what picamera2 itself raises when asked for a camera that is not there
        raise IndexError("list index out of range")
