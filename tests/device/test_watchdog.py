"""sd_notify over a real datagram socket, as systemd listens for it."""

from __future__ import annotations

import os
import socket

from device.watchdog import Watchdog


def _listener(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2.0)
    return sock


def test_ready_and_rate_limited_pings(tmp_path):
    path = str(tmp_path / "notify")
    sock = _listener(path)
    dog = Watchdog.from_env({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000"})
    assert dog.enabled and dog.interval_s == 4.0
    assert dog.ready()
    assert sock.recv(256) == b"READY=1\nSTATUS=judging steps"
    assert dog.ping(now=100.0)
    assert not dog.ping(now=101.0)  # within half the interval
    assert dog.ping(now=102.5)
    assert sock.recv(256) == b"WATCHDOG=1"
    assert sock.recv(256) == b"WATCHDOG=1"
    dog.close()
    sock.close()


def test_abstract_socket_and_other_pid():
    name = f"midstance-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2.0)
    dog = Watchdog.from_env(
        {"NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "1", "WATCHDOG_PID": "1"}
    )
    assert dog.interval_s is None  # meant for another process
    assert dog.stopping()
    assert sock.recv(64) == b"STOPPING=1"
    sock.close()


def test_outside_systemd_does_nothing():
    dog = Watchdog.from_env({})
    assert not dog.enabled and not dog.ready() and not dog.ping()
