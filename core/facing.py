"""Which way the runner faces in the image: image-left or image-right.

The surest sign is motion: on a treadmill the belt carries the stance foot toward the runner's
back, whatever the pose model thinks the foot looks like. The foot's shape adds weaker evidence
(the toe, ``foot_index``, is ahead of the heel; the nose ahead of the ears), which a pose model
gets wrong now and then. :class:`FacingVote` sums both kinds frame by frame and decides by
motion once a few stance frames are in, by shape only when no motion is seen for long; a fixed
setting (``"left"``/``"right"``) skips the vote.
"""

from __future__ import annotations

#: Which way the runner faces in the image.
FACINGS = ("left", "right")
#: A facing setting: one of the two, or "auto" (decided from the motion).
FACING_CHOICES = ("auto", *FACINGS)
_SIGN = {"right": 1, "left": -1}


def sign(facing: str | None) -> int:
    """``+1`` for a runner facing image-right (+x), ``-1`` for image-left, 0 when unknown."""
    return _SIGN.get(facing, 0)


class FacingVote:
    """Streaming facing detection from toe-ahead-of-heel and nose-ahead-of-ears evidence.

    :meth:`add` takes one frame's evidence: ``forward`` = (toe_x - heel_x) or (nose_x - ear_x)
    divided by the leg length (positive = facing +x), with a weight in 0..1. The decision is
    taken when at least ``min_frames`` frames voted and the summed evidence points one way at
    least ``margin`` times as strongly as the other, and then kept until :meth:`reset`.
    """

    def __init__(
        self,
        min_frames: int = 8,
        margin: float = 4.0,
        min_motion: int = 6,
        shape_only_after: int = 120,
    ):
        self.min_frames, self.margin = min_frames, margin
        self.min_motion, self.shape_only_after = min_motion, shape_only_after
        self.reset()

    def reset(self) -> None:
        """Forget the votes (a new runner)."""
        self.pos = self.neg = 0.0
        self.frames = 0
        self.motion_pos = self.motion_neg = 0
        self.facing: str | None = None

    def add_motion(self, forward: float) -> str | None:
        """Add one stance frame's motion evidence: ``forward`` > 0 when the belt carries the
        foot toward -x (the runner faces +x). Decides once ``min_motion`` frames agree three
        to one."""
        if self.facing is not None:
            return self.facing
        if forward > 0:
            self.motion_pos += 1
        elif forward < 0:
            self.motion_neg += 1
        if self.motion_pos + self.motion_neg >= self.min_motion:
            if self.motion_pos > 3 * self.motion_neg:
                self.facing = "right"
            elif self.motion_neg > 3 * self.motion_pos:
                self.facing = "left"
        return self.facing

    def add(self, forward: float, weight: float = 1.0) -> str | None:
        """Add one frame's evidence; returns the decision so far (None while unsure)."""
        if self.facing is not None or weight <= 0 or forward != forward:  # NaN check
            return self.facing
        if forward > 0:
            self.pos += forward * weight
        else:
            self.neg -= forward * weight
        self.frames += 1
        # Shape alone decides only when no motion was seen for long (a runner standing still).
        if self.frames >= max(self.min_frames, self.shape_only_after):
            if self.pos > self.margin * self.neg and self.pos > 0:
                self.facing = "right"
            elif self.neg > self.margin * self.pos and self.neg > 0:
                self.facing = "left"
        return self.facing
