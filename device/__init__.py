"""The Midstance appliance: camera, pose model, LED strip, staff button and the frame loop."""

from pathlib import Path

#: The committed sample clip (MIT, see device/sample/ATTRIBUTION.md): the demo's "camera".
SAMPLE_CLIP = Path(__file__).resolve().with_name("sample") / "treadmill_side_30fps.mp4"
