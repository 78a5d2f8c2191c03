"""Two feet tracked by continuity, whatever the pose model calls them.

In a side view the pose model's "left" and "right" are guesses: BlazePose swaps them now and
then, and while one foot passes behind the other it often puts both labels on the one it sees.
Gait events read off the labels would then jump between feet, split stances and swap legs.
:class:`FootTracker` follows the two physical feet from frame to frame instead: each frame's
labelled feet go to the track whose predicted position (last position plus last velocity) is
nearer, and two labels on one spot count as one foot seen (the other foot is hidden), as does
a swing foot that jumps faster than a foot moves to just beside the foot on the belt. The
tracks keep the names the labels had when tracking began; leg identity then comes from the
gait (stances of one foot alternate with the other's), not from the labels.

Per frame it works on the analyzer's short point list (see :mod:`core.analysis`): the knee,
ankle, heel and toe of each side are swapped when the labels are, and a hidden foot's points
lose their visibility. Plain Python: a few dozen scalar operations a frame.
"""

from __future__ import annotations

import math

#: Two labelled feet closer than this (leg lengths) are one foot seen twice.
SAME_FOOT = 0.12
#: A track not seen for this long (seconds) predicts no motion: its last velocity is stale.
STALE_S = 0.2
#: Share of the last velocity carried into the prediction, and the fastest a foot moves
#: (leg lengths per second; the swing foot peaks near 8 L/s). A one-frame jump of a
#: mislabelled keypoint is faster than that and must not steer the next frame's assignment.
CARRY = 0.5
MAX_SPEED = 10.0
#: A swing foot that jumps faster than :data:`MAX_SPEED` to within this distance (leg lengths)
#: of the foot on the belt is that foot labelled twice: as a merge, only a little farther apart.
GHOST = 0.25
#: Vertical distance counts this much more than horizontal: where the swing foot passes the
#: stance foot they are at one x, and only their height tells them apart.
Y_WEIGHT = 1.0
#: With one foot on the belt: two feet this far apart in height (leg lengths) are told apart
#: by height alone when the lower is within ``BELT_X`` of where the belt foot should be.
LIFT = 0.08
BELT_X = 0.3


class FootTracker:
    """Assigns each frame's two labelled feet to two persistent tracks (see module docstring).

    ``slots`` are the offsets of the left and right leg in the point list and ``parts`` the
    offsets of the knee, ankle, heel and toe within a leg; ``foot`` the offsets of the points
    averaged into the foot's position (ankle, heel, toe).
    """

    def __init__(self, slots=(0, 6), parts=(2, 3, 4, 5), foot=(3, 4, 5), min_vis: float = 0.3):
        self.slots, self.parts, self.foot, self.min_vis = slots, parts, foot, min_vis
        self.reset()

    def reset(self) -> None:
        """Forget the tracks (a new runner)."""
        self._pos: list[tuple[float, float] | None] = [None, None]
        self._vel: list[tuple[float, float]] = [(0.0, 0.0), (0.0, 0.0)]
        self._seen_t: list[float | None] = [None, None]
        self.swapped = False  # the labels are swapped relative to the tracks in this frame
        self.switches = 0  # times the label-to-track mapping changed (a pose-model swap)
        self.merged = 0  # frames with both labels on one foot

    def _centre(self, p: list, v: list, slot: int) -> tuple[float, float] | None:
        # plain loop: it runs twice a frame, where comprehensions and sum() cost more
        n = sx = sy = 0.0
        for i in self.foot:
            if v[slot + i] >= self.min_vis:
                x, y = p[slot + i]
                if x == x and y == y:
                    n += 1.0
                    sx += x
                    sy += y
        return (sx / n, sy / n) if n else None

    def _predict(self, k: int, t: float, on_belt: bool) -> tuple[float, float] | None:
        pos, seen = self._pos[k], self._seen_t[k]
        if pos is None or seen is None:
            return None
        dt = t - seen
        if dt > STALE_S:
            return pos
        # A foot on the belt moves at the belt's steady speed: its velocity carries in full.
        carry = 1.0 if on_belt else CARRY
        return (pos[0] + carry * self._vel[k][0] * dt, pos[1] + carry * self._vel[k][1] * dt)

    def _ghost(self, t: float, assign: list, k: int, scale: float) -> int | None:
        """``k`` when swing track ``k``'s foot, this frame, jumped faster than a foot moves onto
        the foot on the belt (the pose model put both labels near one foot); else None."""
        prev, seen, q, belt = self._pos[k], self._seen_t[k], assign[k], assign[1 - k]
        if prev is None or seen is None or q is None or belt is None or not 0 < t - seen <= STALE_S:
            return None
        jump = math.hypot(q[0] - prev[0], q[1] - prev[1]) / (t - seen)
        near = math.hypot(q[0] - belt[0], q[1] - belt[1])
        return k if jump > MAX_SPEED * scale and near < GHOST * scale else None

    def untangle(
        self, t: float, p: list, v: list, scale: float, on_belt: tuple[bool, bool] = (False, False)
    ) -> tuple[list, list]:
        """The frame's points with the legs in track order.

        ``scale`` is the leg length in pixels; ``on_belt`` says which track is in a stance
        (from the gait events): a foot on the belt is the one seen when two labels merge.
        """
        obs = [self._centre(p, v, s) for s in self.slots]
        pred = [self._predict(0, t, on_belt[0]), self._predict(1, t, on_belt[1])]
        hidden = None  # track whose foot is hidden this frame
        steady = None  # (belt track, its velocity) that a merged frame must not change
        if obs[0] is not None and obs[1] is not None and _cost(*obs) < SAME_FOOT * scale:
            # One foot, labelled twice: it is the track predicted nearer; the other is hidden.
            self.merged += 1
            one = ((obs[0][0] + obs[1][0]) / 2, (obs[0][1] + obs[1][1]) / 2)
            d = [_cost(one, q) if q is not None else math.inf for q in pred]
            near = 0 if d[0] <= d[1] else 1
            if on_belt[0] != on_belt[1]:
                near = 0 if on_belt[0] else 1
            hidden = 1 - near
            if on_belt[near]:
                # Two feet passing each other can look like one: the foot on the belt is the
                # lower of the two.
                one = max(obs, key=lambda q: q[1])
                # Which of the two it is stays a guess: the belt foot keeps its velocity (the
                # belt's), so one wrong guess cannot carry its track off with the swing foot.
                steady = (near, self._vel[near])
            assign = [one, None] if near == 0 else [None, one]
            swap = self.swapped  # keep the mapping: nothing tells otherwise
        elif None in pred or obs == [None, None]:
            # A track never seen yet (a foot hidden from the start): nothing to compare with.
            swap = self.swapped
            assign = [obs[1], obs[0]] if swap else [obs[0], obs[1]]
        else:
            same = _cost(obs[0], pred[0]) + _cost(obs[1], pred[1])
            cross = _cost(obs[0], pred[1]) + _cost(obs[1], pred[0])
            swap = cross < same
            if on_belt[0] != on_belt[1] and None not in obs:
                # A foot on the belt stays down until it leaves: when the pose model garbles
                # a frame (both labels jump), the lower foot near the belt foot's path is it.
                belt = 0 if on_belt[0] else 1
                low = 0 if obs[0][1] >= obs[1][1] else 1
                apart = abs(obs[0][1] - obs[1][1]) > LIFT * scale
                if apart and abs(obs[low][0] - pred[belt][0]) < BELT_X * scale:
                    swap = low != belt
            assign = [obs[1], obs[0]] if swap else [obs[0], obs[1]]
            if on_belt[0] != on_belt[1]:
                hidden = self._ghost(t, assign, 1 if on_belt[0] else 0, scale)
                if hidden is not None:
                    assign[hidden] = None
        if swap != self.swapped:
            self.switches += 1
        self.swapped = swap
        for k in (0, 1):
            q = assign[k]
            if q is None:
                continue
            prev, seen = self._pos[k], self._seen_t[k]
            if prev is not None and seen is not None and 0 < t - seen <= STALE_S:
                dt = t - seen
                vel = ((q[0] - prev[0]) / dt, (q[1] - prev[1]) / dt)
                fast = math.hypot(*vel) > MAX_SPEED * scale
                self._vel[k] = (0.0, 0.0) if fast else vel
            else:
                self._vel[k] = (0.0, 0.0)
            self._pos[k], self._seen_t[k] = q, t
        if steady is not None:
            self._vel[steady[0]] = steady[1]
        if not swap and hidden is None:
            return p, v
        p, v = list(p), list(v)
        a, b = self.slots
        if swap:
            for i in self.parts:
                p[a + i], p[b + i] = p[b + i], p[a + i]
                v[a + i], v[b + i] = v[b + i], v[a + i]
        if hidden is not None:
            slot = self.slots[hidden]
            for i in self.foot:
                v[slot + i] = 0.0
        return p, v


def _cost(obs, pred) -> float:
    """Distance of an observation from a prediction, pixels, the vertical weighted by
    :data:`Y_WEIGHT` (0 when either is unknown)."""
    if obs is None or pred is None:
        return 0.0
    return math.hypot(obs[0] - pred[0], Y_WEIGHT * (obs[1] - pred[1]))
