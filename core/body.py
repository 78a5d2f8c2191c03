"""The analysis's per-frame view of the body: the dozen landmarks it reads, named by side.

Each frame the analyzer takes from the 33 BlazePose landmarks (:mod:`core.landmarks`) one short
list of points, :data:`POINTS`: the six points of each leg (shoulder to toe), the left side's
then the right side's, then the nose and the two ears. A :class:`Side` says where one side's
points sit in that list, so the near leg's hip is ``p[near.hip]`` and the far one's
``p[near.other.hip]``. Indices are plain ints: reading a point costs what ``p[3]`` does.

Example::

    p = xy.take(POINTS, axis=0).tolist()     # the frame's points, (x, y) each
    near = SIDES["left"]
    knee, far_ankle = p[near.knee], p[near.other.ankle]
"""

from __future__ import annotations

from core.landmarks import INDEX, LEGS

#: Visibility below which a landmark is not used.
MIN_VIS = 0.3

#: The parts of one side, in their order in the point list.
PARTS = ("shoulder", "hip", "knee", "ankle", "heel", "foot_index")


class Side:
    """Where one side's points sit in the point list (``toe`` is BlazePose's ``foot_index``).

    ``name`` is ``"left"`` or ``"right"``; ``other`` the opposite :class:`Side`.
    """

    __slots__ = ("ankle", "heel", "hip", "knee", "name", "other", "shoulder", "toe")

    def __init__(self, name: str, start: int):
        self.name = name
        self.shoulder, self.hip, self.knee, self.ankle, self.heel, self.toe = range(
            start, start + len(PARTS)
        )
        self.other: Side = self

    def __repr__(self) -> str:
        return f"Side({self.name!r})"


LEFT = Side("left", 0)
RIGHT = Side("right", len(PARTS))
LEFT.other, RIGHT.other = RIGHT, LEFT
#: Both sides, left first (the order of the point list), and by name.
BOTH = (LEFT, RIGHT)
SIDES: dict[str, Side] = {"left": LEFT, "right": RIGHT}

#: The face points after the legs' (the facing falls back on them).
NOSE, LEFT_EAR, RIGHT_EAR = 2 * len(PARTS), 2 * len(PARTS) + 1, 2 * len(PARTS) + 2

#: Landmark index (0..32) of each entry of the point list.
POINTS: tuple[int, ...] = (
    *(INDEX[f"{side}_{part}"] for side in LEGS for part in PARTS),
    INDEX["nose"],
    INDEX["left_ear"],
    INDEX["right_ear"],
)
#: The legs' part of :data:`POINTS` (shoulder to toe, both sides).
LEG_POINTS: tuple[int, ...] = POINTS[: 2 * len(PARTS)]
