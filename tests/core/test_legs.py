"""Leg naming by the gait and the view (core/legs.py): unit cases on made-up steps. The real
footage's cases are in tests/core/test_rhythm.py, tests/core/test_warmup_feet.py and the
stress items of tests/device/test_eval_cli.py."""

from __future__ import annotations

from core.legs import LegNamer

STEP_S = 0.36  # a step time, seconds


def _chain(namer: LegNamer, steps: list[tuple[float, str, float]]) -> list[str]:
    """Names of steps ``(contact_t, track name, foot visibility)``, a runner facing left."""
    return [namer.name(t, track, vis, STEP_S, "left") for t, track, vis in steps]


def _steps(start: float, tracks: list[str], vis: list[float]) -> list[tuple[float, str, float]]:
    """Steps a step time apart from ``start``: ``(contact_t, track name, foot visibility)``."""
    return [
        (start + i * STEP_S, track, v) for i, (track, v) in enumerate(zip(tracks, vis, strict=True))
    ]


def _alternating(n: int, first_track: str, first_vis: float, other_vis: float) -> list:
    """``n`` steps from 0 s, the two feet taking turns (track names and visibilities)."""
    other = "left" if first_track == "right" else "right"
    return _steps(0.0, [first_track, other] * (n // 2), [first_vis, other_vis] * (n // 2))


def test_a_step_timed_off_the_beat_keeps_the_feet_told_apart_by_sight():
    # Facing left, the near leg is the left one, seen well (0.95); the far one half hidden
    # (0.65). The pose model's track names are the wrong way round throughout. A step timed
    # late (1.45 step times after the last: a dropped frame, a contact missed between) breaks
    # the chain of alternating steps; the feet are still told apart by how well each is seen.
    namer = LegNamer()
    steps = _alternating(6, "right", 0.95, 0.65)
    # (the first step takes its track's name: there is no other foot yet to compare with)
    assert _chain(namer, steps) == ["right"] + ["right", "left"] * 2 + ["right"]
    late = 5 * STEP_S + 1.45 * STEP_S
    after = _steps(late, ["left", "right", "left"], [0.66, 0.94, 0.64])
    assert _chain(namer, after) == ["right", "left", "right"]


def test_feet_seen_alike_start_a_new_chain_on_their_tracks_names():
    # Keypoints with confidences, not visibilities (RTMPose), or motion capture: no foot is
    # seen better, so after a break the foot tracks' names decide, as at the start.
    namer = LegNamer()
    steps = _alternating(4, "left", 0.9, 0.9)
    assert _chain(namer, steps) == ["left", "right"] * 2
    late = 3 * STEP_S + 1.45 * STEP_S
    assert _chain(namer, _steps(late, ["right", "left"], [0.9, 0.9])) == ["right", "left"]


def test_after_a_break_the_better_seen_class_is_near_however_little():
    # Someone else's feet in view: after the break the far foot is seen at 0.89 against the
    # near one's 0.98, under the 0.10 that first tells feet apart; this runner's feet were told
    # apart before, so the better seen is still the near one (it took the tracks' names, and
    # two steps in a row one leg's, before).
    namer = LegNamer()
    steps = _alternating(4, "left", 0.97, 0.7)
    assert _chain(namer, steps)[1:] == ["right", "left", "right"]
    late = 3 * STEP_S + 1.6 * STEP_S
    after = _steps(late, ["right", "right", "left"], [0.98, 0.89, 0.97])
    assert _chain(namer, after) == ["left", "right", "left"]


def test_a_new_runner_starts_with_nothing_known():
    namer = LegNamer()
    _chain(namer, _alternating(4, "right", 0.95, 0.65))
    namer.reset()
    # the first step of the next runner takes its track's name, whatever its visibility
    assert _chain(namer, [(10.0, "right", 0.95)]) == ["right"]
