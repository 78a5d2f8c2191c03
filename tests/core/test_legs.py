"""Leg naming by the gait and the view (core/legs.py): unit cases on made-up steps. The real
footage's cases are in tests/core/test_rhythm.py, tests/core/test_warmup_feet.py and the
stress items of tests/device/test_eval_cli.py."""

from __future__ import annotations

from core.legs import LegNamer

STEP_S = 0.36  # a step time, seconds


def _chain(namer: LegNamer, steps: list[tuple[float, str, float]]) -> list[str]:
    """Names of steps ``(contact_t, track name, foot visibility)``, a runner facing left."""
    return [namer.name(t, track, vis, STEP_S, "left") for t, track, vis in steps]


def test_a_step_timed_off_the_beat_keeps_the_feet_told_apart_by_sight():
    # Facing left, the near leg is the left one, seen well (0.95); the far one half hidden
    # (0.65). The pose model's track names are the wrong way round throughout. A step timed
    # late (1.45 step times after the last: a dropped frame, a contact missed between) breaks
    # the chain of alternating steps; the feet are still told apart by how well each is seen.
    namer = LegNamer()
    steps = [(i * STEP_S, "right" if i % 2 == 0 else "left", 0.95 if i % 2 == 0 else 0.65)
             for i in range(6)]  # fmt: skip
    # (the first step takes its track's name: there is no other foot yet to compare with)
    assert _chain(namer, steps) == ["right"] + ["right", "left"] * 2 + ["right"]
    late = 5 * STEP_S + 1.45 * STEP_S
    after = [
        (late, "left", 0.66),
        (late + STEP_S, "right", 0.94),
        (late + 2 * STEP_S, "left", 0.64),
    ]
    assert _chain(namer, after) == ["right", "left", "right"]


def test_feet_seen_alike_start_a_new_chain_on_their_tracks_names():
    # Keypoints with confidences, not visibilities (RTMPose), or motion capture: no foot is
    # seen better, so after a break the foot tracks' names decide, as at the start.
    namer = LegNamer()
    steps = [(i * STEP_S, "left" if i % 2 == 0 else "right", 0.9) for i in range(4)]
    assert _chain(namer, steps) == ["left", "right"] * 2
    late = 3 * STEP_S + 1.45 * STEP_S
    assert _chain(namer, [(late, "right", 0.9), (late + STEP_S, "left", 0.9)]) == ["right", "left"]


def test_after_a_break_the_better_seen_class_is_near_however_little():
    # Someone else's feet in view: after the break the far foot is seen at 0.89 against the
    # near one's 0.98, under the 0.10 that first tells feet apart; this runner's feet were told
    # apart before, so the better seen is still the near one (it took the tracks' names, and
    # two steps in a row one leg's, before).
    namer = LegNamer()
    steps = [(i * STEP_S, "left" if i % 2 == 0 else "right", 0.97 if i % 2 == 0 else 0.7)
             for i in range(4)]  # fmt: skip
    assert _chain(namer, steps)[1:] == ["right", "left", "right"]
    late = 3 * STEP_S + 1.6 * STEP_S
    after = [
        (late, "right", 0.98),
        (late + STEP_S, "right", 0.89),
        (late + 2 * STEP_S, "left", 0.97),
    ]
    assert _chain(namer, after) == ["left", "right", "left"]


def test_a_new_runner_starts_with_nothing_known():
    namer = LegNamer()
    steps = [(i * STEP_S, "right" if i % 2 == 0 else "left", 0.95 if i % 2 == 0 else 0.65)
             for i in range(4)]  # fmt: skip
    _chain(namer, steps)
    namer.reset()
    # the first step of the next runner takes its track's name, whatever its visibility
    assert _chain(namer, [(10.0, "right", 0.95)]) == ["right"]
