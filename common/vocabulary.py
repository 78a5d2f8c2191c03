"""The appliance's words, each list defined once: what a step, the LED and the live view can be.

The step's words come from the analysis core, which produces them; the appliance's own words
(live states, why a session ended) are defined here. Import them from this module in ``device``
and ``web`` so a new word is added in one place.
"""

from core.facing import FACING_CHOICES, FACINGS
from core.landmarks import LEGS
from core.step import STEP_FIELDS
from core.verdict import LED_STATES, REASONS, VERDICTS

#: What ``sense`` is doing, as the live snapshot and ``/api/live`` say it. ``offline`` is said
#: by the page when the snapshot is stale (sense not running).
LIVE_STATES = ("running", "idle", "no_runner", "not_judging", "fault", "starting", "offline")

#: Why a session ended.
END_REASONS = ("timeout", "reset", "shutdown", "interrupted")

__all__ = [
    "END_REASONS",
    "FACINGS",
    "FACING_CHOICES",
    "LED_STATES",
    "LEGS",
    "LIVE_STATES",
    "REASONS",
    "STEP_FIELDS",
    "VERDICTS",
]
