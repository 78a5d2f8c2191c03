"""The systemd units verify cleanly and keep the camera and GPIO reachable; the installer parses."""

from __future__ import annotations

import configparser
import subprocess

from tests.conftest import REPO

UNITS = ("midstance.target", "midstance-sense.service", "midstance-web.service")
EXEC = "/opt/midstance/.venv/bin/midstance"


def unit(name):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(REPO / "systemd" / name)
    return parser


def test_units_verify(tmp_path):
    binary = tmp_path / "midstance"
    binary.write_text("#!/bin/sh\nexit 0\n")
    binary.chmod(0o755)
    for name in UNITS:
        text = (REPO / "systemd" / name).read_text()
        (tmp_path / name).write_text(text.replace(EXEC, str(binary)))
    proc = subprocess.run(
        ["/usr/bin/systemd-analyze", "verify", "--man=no", *(str(tmp_path / n) for n in UNITS)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "", proc.stderr  # no unknown keys, no warnings


def test_units_verify_catches_a_broken_unit(tmp_path):
    """The check above can fail: a missing ExecStart binary does."""
    (tmp_path / "midstance-sense.service").write_text(
        (REPO / "systemd" / "midstance-sense.service")
        .read_text()
        .replace(EXEC, str(tmp_path / "missing"))
    )
    proc = subprocess.run(
        ["/usr/bin/systemd-analyze", "verify", "--man=no", tmp_path / "midstance-sense.service"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode != 0 and "is not executable" in proc.stderr


def test_sense_unit_is_a_watched_notify_service_with_devices():
    svc = unit("midstance-sense.service")["Service"]
    assert svc["Type"] == "notify" and int(svc["WatchdogSec"]) > 0
    assert svc["Restart"] == "always"
    assert svc["User"] == "midstance"
    assert set(svc["SupplementaryGroups"].split()) == {"video", "gpio"}
    assert svc["StateDirectory"] == "midstance" and svc["RuntimeDirectory"] == "midstance"
    for hidden in ("PrivateDevices", "DevicePolicy"):
        assert hidden not in svc  # /dev/video*, /dev/media*, /dev/dma_heap, /dev/gpiochip*
    assert svc["ProtectSystem"] == "strict" and svc["NoNewPrivileges"] == "yes"
    assert "--state-dir /var/lib/midstance --run-dir /run/midstance" in svc["ExecStart"]
    web = unit("midstance-web.service")["Service"]
    assert web["Restart"] == "always" and web["PrivateDevices"] == "yes"
    assert "--run-dir /run/midstance" in web["ExecStart"]
    target = unit("midstance.target")
    assert set(target["Unit"]["Wants"].split()) == set(UNITS[1:])


def test_sysusers_and_tmpfiles():
    users = (REPO / "systemd" / "sysusers.d" / "midstance.conf").read_text().splitlines()
    entries = [line.split() for line in users if line and not line.startswith("#")]
    assert entries[0][:3] == ["u", "midstance", "-"]
    assert {("m", "midstance", "video"), ("m", "midstance", "gpio")} <= {tuple(e) for e in entries}
    tmp = (REPO / "systemd" / "tmpfiles.d" / "midstance.conf").read_text()
    assert "d /var/lib/midstance 0750 midstance midstance" in tmp
    assert "d /run/midstance 0755 midstance midstance" in tmp


def test_install_script_parses():
    script = REPO / "scripts" / "install-pi.sh"
    proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    text = script.read_text()
    for needle in ("python3-picamera2", "python3-lgpio", "--system-site-packages",
                   "models fetch", "systemd-sysusers", "systemd-tmpfiles",
                   "systemctl enable midstance.target"):  # fmt: skip
        assert needle in text
    broken = script.read_text() + "\nif then fi\n"
    proc = subprocess.run(["bash", "-n"], input=broken, capture_output=True, text=True)
    assert proc.returncode != 0  # bash -n does catch a syntax error
