"""Session start and end decisions."""

from device.lifecycle import Lifecycle


def test_starts_when_running_and_times_out():
    life = Lifecycle(timeout_s=5)
    assert life.update(0.0, running=False) is None
    assert life.update(1.0, running=True) == "start"
    assert life.started_t == 1.0
    assert life.update(2.0, running=True) is None
    assert life.update(6.9, running=False) is None  # 4.9 s without running
    assert life.update(7.1, running=False) == "timeout"
    assert not life.active
    assert life.update(8.0, running=False) is None
    assert life.update(9.0, running=True) == "start"


def test_end_by_reset():
    life = Lifecycle(timeout_s=5)
    assert not life.end()
    life.update(0.0, running=True)
    assert life.end()
    assert life.update(0.1, running=True) == "start"
