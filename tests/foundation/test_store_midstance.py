"""The midstance pose of each step in the session store (schema 3), on real SQLite files:
round trip, what is left out, and a version 2 store migrated in place."""

from __future__ import annotations

import json
import sqlite3

from common.store import POSE_COLUMN, SCHEMA_VERSION, STEP_COLUMNS, Store
from core import landmarks
from core.midstance import normalise, typical

from .conftest import downgrade, schema_of


def pose(shift: float = 0.0) -> dict:
    """A normalised pose from made-up pixels: leg 200 px, runner facing -x (s = -1)."""
    xy = [[300.0 - 2 * i - shift, 100.0 + 15 * i] for i in range(landmarks.COUNT)]
    vis = [0.9] * landmarks.COUNT
    vis[3] = 0.1  # not seen: stored as None
    ankle = xy[landmarks.INDEX["left_ankle"]]
    return normalise(xy, vis, ankle, -1, 200.0)


def step(verdict="good", offset=0.02, with_pose=True, **kw):
    d = {
        "leg": "left", "contact_t": 1.0, "midstance_t": 1.1, "toe_off_t": 1.25,
        "hip_ankle_offset": offset, "lean_deg": 6.0, "cadence_spm": 170.0, "verdict": verdict,
    }  # fmt: skip
    if with_pose:
        d[POSE_COLUMN] = pose()
    return d | kw


def test_normalise_puts_the_stance_ankle_at_the_origin_forward_positive_y_up():
    p = pose()
    ankle = landmarks.INDEX["left_ankle"]
    assert p["xy"][ankle] == [0.0, 0.0]
    # facing -x: a point further left in the image (smaller x) is ahead, so x > 0;
    # higher in the image (smaller y) is up, so y > 0
    nose = p["xy"][0]
    assert nose[0] < 0 and nose[1] > 0  # the made-up nose sits right of and above the ankle
    assert nose == [round(-(300.0 - 300.0 + 2 * ankle) / 200.0, 3), round(15 * ankle / 200.0, 3)]
    assert p["xy"][3] is None and p["vis"][3] == 0.1
    assert normalise([[1.0, 2.0]] * 33, [1.0] * 33, (float("nan"), 1.0), 1, 200.0) is None


def test_poses_round_trip_through_a_real_store(tmp_path):
    store = Store.in_dir(tmp_path)
    sid = store.start_session(1.0)
    store.add_steps(
        sid,
        [
            step("good", 0.05),
            step(None, None, problems=["feet_out_of_frame"]),  # unjudged: left out
            step("bad", -0.12, **{POSE_COLUMN: {"xy": [[1, 2]] * 3, "vis": []}}),  # malformed
            step("warn", -0.04, with_pose=False),  # no pose (an older sense)
            step("good", 0.01, **{POSE_COLUMN: pose(10.0)}),
        ],
    )
    store.close()
    again = Store.in_dir(tmp_path)  # a fresh connection: read from the file
    got = again.midstance_poses(sid)
    assert [g["hip_ankle_offset"] for g in got] == [0.05, 0.01]
    assert got[0]["pose"] == pose() and got[1]["pose"] == pose(10.0)
    assert got[0]["verdict"] == "good" and got[0]["leg"] == "left"
    # the steps still hold every step (the malformed pose cost the step nothing) but not the
    # pose: the step list and the CSV stay numbers
    steps = again.steps(sid)
    assert len(steps) == 5 and [s["verdict"] for s in steps][2] == "bad"
    assert set(steps[0]) == {"id", "at", *STEP_COLUMNS}
    raw = sqlite3.connect(tmp_path / "midstance.sqlite3").execute(
        f"SELECT {POSE_COLUMN} FROM steps ORDER BY id"
    )
    stored = [r[0] for r in raw]
    assert stored[2] is None and stored[3] is None
    assert json.loads(stored[0]) == pose() and len(stored[0]) < 1200  # compact
    assert again.midstance_poses(sid + 1) == []
    again.close()


def test_typical_is_the_per_landmark_median():
    a, b, c = pose(0.0), pose(20.0), pose(40.0)
    t = typical([a, b, c])
    assert t["xy"] == b["xy"] and t["vis"] == b["vis"]
    # a landmark seen in under half of the poses is not drawn
    a["xy"][5] = b["xy"][5] = None
    assert typical([a, b, c])["xy"][5] is None


def test_a_version_2_store_gains_the_pose_column_in_place(tmp_path):
    path = tmp_path / "midstance.sqlite3"
    store = Store(path)
    sid = store.start_session(1.0)
    store.add_steps(sid, [step("good", with_pose=False)] * 2)
    store.close()
    downgrade(path, POSE_COLUMN, 2)

    store = Store(path)
    version, columns = schema_of(path)
    assert version == SCHEMA_VERSION == 4
    assert columns[-1] == POSE_COLUMN
    assert len(store.steps(sid)) == 2 and store.midstance_poses(sid) == []
    store.add_steps(sid, [step("warn", -0.1)])
    assert [g["hip_ankle_offset"] for g in store.midstance_poses(sid)] == [-0.1]
    assert store.integrity_check() == "ok"
    store.close()
