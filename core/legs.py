"""Which leg took a step: from the gait and the view, not from the pose model's labels.

Running steps alternate (there is no double support), so once one step's leg is known, every
later one follows from the time since the last step: about one step time later it is the other
leg, about two step times later the same leg (a step was missed between). :class:`LegNamer`
keeps that chain and decides which of its two alternating classes is the near leg from how well
each class's stance foot is seen (the far foot is partly hidden behind the near leg and the
treadmill, so the pose model sees it less well). Motion capture sees both feet equally: then the
foot tracks' own names decide (they are right there). Where a step falls off the beat (a contact
timed late, steps missed between) a new chain begins; its first step is named by how well the
runner's near and far foot were seen before, and its two classes then by which is seen better.

Legs are named by the camera's side: the near leg of a runner facing image-left is the left leg
(an unmirrored camera sees a runner's left side when they face image-left).
"""

from __future__ import annotations

from core.facing import FACINGS

#: Mean foot visibility two classes must differ by before visibility says which is near: half
#: the gap BlazePose's visibility (an estimate of occlusion) shows between a near and a far
#: foot in a clear side view. A pose model whose scores are confidences, not visibilities
#: (RTMPose), scores the two feet within a few hundredths, either way round: under the margin
#: the foot tracks' names decide, as they would have to with no visibility at all.
VIS_MARGIN = 0.10
#: How far (in step times) a gap may be from a whole number of steps and still count.
PHASE_SLACK = 0.3
#: Longest gap (in step times) the chain bridges; beyond it a new chain starts.
MAX_STEPS_BRIDGED = 3


def other(leg: str) -> str:
    """The other leg."""
    return "right" if leg == "left" else "left"


class LegNamer:
    """Names each step's leg (see the module docstring). One call per step, in time order."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        """Forget the runner (a new one may be in front of the camera)."""
        self._seen: tuple[float, float] | None = None  # the near and far foot's visibility
        self._new_chain()

    def _new_chain(self) -> None:
        """Start a new chain (a gap too long or off the step time), keeping how well each of
        the runner's feet is seen."""
        self._last_t: float | None = None
        self._parity = 0
        self._vis = [[0.0, 0], [0.0, 0]]  # per class: summed foot visibility, steps
        self._votes = [0, 0]  # per class: steps whose foot track is called "left"

    def name(
        self,
        contact_t: float,
        track_leg: str,
        foot_vis: float,
        step_s: float | None,
        facing: str | None,
    ) -> str:
        """The leg (``"left"``/``"right"``) of a step that began at ``contact_t`` seconds.

        ``track_leg`` is the name of the foot track the stance was found on, ``foot_vis`` its
        stance foot's mean visibility (0..1), ``step_s`` the current step time (half a stride;
        None when not known yet), ``facing`` the runner's facing.
        """
        if self._last_t is not None and contact_t >= self._last_t:
            gap = contact_t - self._last_t
            steps = gap / step_s if step_s else None
            n = round(steps) if steps is not None else 0
            if steps is not None and 1 <= n <= MAX_STEPS_BRIDGED and abs(steps - n) < PHASE_SLACK:
                self._parity ^= n % 2
            else:
                self._new_chain()
        elif self._last_t is not None:
            return track_leg  # out of time order (a held first stance): its own track's name
        self._last_t = contact_t
        k = self._parity
        self._vis[k][0] += foot_vis
        self._vis[k][1] += 1
        self._votes[k] += track_leg == "left"
        (v0, n0), (v1, n1) = self._vis
        if facing in FACINGS and n0 and n1:
            m0, m1 = v0 / n0, v1 / n1
            # Once this runner's feet were told apart by sight, a new chain's classes are
            # named by which is seen better, however little: the margin is for pose models
            # whose scores say nothing of which foot is near.
            if abs(m0 - m1) > VIS_MARGIN or (self._seen and m0 != m1):
                near = 0 if m0 > m1 else 1
                if abs(m0 - m1) > VIS_MARGIN:
                    self._seen = (max(m0, m1), min(m0, m1))
                return facing if k == near else other(facing)
        elif facing in FACINGS and self._seen:
            # A new chain's first step: the runner's feet as seen before the break.
            near_vis, far_vis = self._seen
            near = abs(foot_vis - near_vis) <= abs(foot_vis - far_vis)
            return facing if near else other(facing)
        # No visibility evidence: the majority name of this class's foot tracks.
        n = self._vis[k][1]
        left = self._votes[k]
        if 2 * left == n:
            return track_leg
        return "left" if 2 * left > n else "right"
