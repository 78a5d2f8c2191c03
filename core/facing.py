"""Which way the runner faces in the image: image-left or image-right.

The foot points forward: for a runner facing image-right the toe (``foot_index``) is to the
right of the heel in every frame, stance or swing; the nose is ahead of the ears likewise.
:class:`FacingVote` sums that evidence frame by frame (visibility-weighted, in leg lengths) and
decides once it is clear; a fixed setting (``"left"``/``"right"``) skips the vote.
"""

from __future__ import annotations

FACINGS = ("left", "right")
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

    def __init__(self, min_frames: int = 8, margin: float = 4.0):
        self.min_frames, self.margin = min_frames, margin
        self.reset()

    def reset(self) -> None:
        """Forget the votes (a new runner)."""
        self.pos = self.neg = 0.0
        self.frames = 0
        self.facing: str | None = None

    def add(self, forward: float, weight: float = 1.0) -> str | None:
        """Add one frame's evidence; returns the decision so far (None while unsure)."""
        if self.facing is not None or weight <= 0 or forward != forward:  # NaN check
            return self.facing
        if forward > 0:
            self.pos += forward * weight
        else:
            self.neg -= forward * weight
        self.frames += 1
        if self.frames >= self.min_frames:
            if self.pos > self.margin * self.neg and self.pos > 0:
                self.facing = "right"
            elif self.neg > self.margin * self.pos and self.neg > 0:
                self.facing = "left"
        return self.facing
