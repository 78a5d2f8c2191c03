"""Each step keeps its verdict's reasons (schema 4): stored, read back as lists, and added in
place to a version 3 file without losing a row."""

from __future__ import annotations

from common.store import SCHEMA_VERSION, STEP_COLUMNS, Store

from .conftest import downgrade, schema_of


def step(verdict, reasons=None, **kw):
    return {"leg": "left", "contact_t": 1.0, "hip_ankle_offset": -0.08, "verdict": verdict,
            "reasons": reasons, **kw}  # fmt: skip


def test_reasons_are_stored_and_read_back_as_lists(tmp_path):
    store = Store.in_dir(tmp_path)
    sid = store.start_session(1.0)
    store.add_steps(sid, [
        step("bad", ["hip_behind", "overstride"]), step("good", []), step("good"),
        step(None, problems=["feet_out_of_frame"]), step("warn", ("low_cadence",)),
    ])  # fmt: skip
    got = [s["reasons"] for s in store.steps(sid)]
    assert got == [["hip_behind", "overstride"], [], [], [], ["low_cadence"]]
    assert STEP_COLUMNS[-1] == "reasons"  # the newest field last: the CSV keeps its order
    store.close()


def test_a_version_3_store_gains_the_reasons_column_in_place(tmp_path):
    path = tmp_path / "midstance.sqlite3"
    store = Store(path)
    sid = store.start_session(1.0)
    store.add_steps(sid, [step("warn"), step("good")])
    store.close()
    downgrade(path, "reasons", 3)

    store = Store(path)
    version, columns = schema_of(path)
    assert version == SCHEMA_VERSION == 4
    assert columns[-1] == "reasons"
    old = store.steps(sid)
    assert [s["verdict"] for s in old] == ["warn", "good"] and [s["reasons"] for s in old] == [
        [],
        [],
    ]
    store.add_steps(sid, [step("bad", ["hip_behind"])])
    assert store.steps(sid)[-1]["reasons"] == ["hip_behind"]
    assert store.integrity_check() == "ok" and store.session(sid)["steps"] == 3
    store.close()
