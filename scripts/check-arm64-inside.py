"""`make check-arm64`'s arm64 side: run inside an emulated arm64 Debian root after `make install`.

``scripts/check-arm64.sh`` copies this file and its inputs into WORK (the first 90 frames of the
sample clip, the whole clip's x86 trace) and runs it with the installed appliance's Python::

    /opt/midstance/.venv/bin/python check-arm64-inside.py WORK

It runs what the appliance runs, as installed (the ``midstance`` in /opt/midstance/.venv, the
units in /etc/systemd/system), and writes ``WORK/result.json``: the versions in use, each check's
seconds and any problems. The outputs (the arm64 trace and report) are held against x86 by
``check-arm64-compare.py`` on the host.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

PREFIX = Path("/opt/midstance")
BIN = PREFIX / ".venv" / "bin"
MODELS = PREFIX / "models"
UNIT_DIR = Path("/etc/systemd/system")
UNITS = [
    UNIT_DIR / n for n in ("midstance.target", "midstance-sense.service", "midstance-web.service")
]
DOCTOR = [str(BIN / "midstance"), "doctor", "--config", "/etc/midstance/config.toml",
          "--state-dir", "/var/lib/midstance", "--run-dir", "/run/midstance",
          "--models-dir", str(MODELS)]  # fmt: skip


class Checks:
    """Runs commands, times them, keeps their output in WORK and collects problems."""

    def __init__(self, work: Path):
        self.work = work
        self.problems: list[str] = []
        self.seconds: dict[str, float] = {}
        self.crashes: list[str] = []

    def run(self, name: str, cmd: list[str], tries: int = 1, **kw) -> subprocess.CompletedProcess:
        """Run ``cmd``; its stdout and stderr land in ``WORK/<name>.out`` / ``.err``.

        With ``tries`` > 1 a run killed by a signal is run again, and said so: qemu-user now
        and then crashes a many-threaded process (a fault of the emulator, not of the program,
        which then runs through)."""
        start = time.monotonic()
        for attempt in range(tries):
            proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
            if proc.returncode >= 0:
                break
            if attempt + 1 < tries:
                self.crashes.append(f"{name}: killed by signal {-proc.returncode}, run again")
                print(f"-- {name}: killed by signal {-proc.returncode}; again", flush=True)
        self.seconds[name] = round(time.monotonic() - start, 1)
        (self.work / f"{name}.out").write_text(proc.stdout)
        (self.work / f"{name}.err").write_text(proc.stderr)
        print(f"-- {name}: exit {proc.returncode} in {self.seconds[name]} s", flush=True)
        for line in (proc.stdout + proc.stderr).splitlines():
            print(f"   {line}")
        if "Traceback (most recent call last)" in proc.stderr:
            self.problems.append(f"{name}: a traceback (see {name}.err)")
        return proc

    def expect(self, ok: bool, problem: str) -> None:
        """Note ``problem`` unless ``ok``."""
        if not ok:
            self.problems.append(problem)


def dist_version(name: str) -> str | None:
    """The installed version of distribution ``name`` (None when absent)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def versions() -> dict:
    """What this root runs: release, Python, numpy (and where from), the TFLite runtime."""
    import numpy

    from device.pose import tflite  # the installed package, as the appliance imports it

    runtime = tflite.RUNTIME
    runtime_dist = "ai-edge-litert" if runtime == "ai_edge_litert" else "tflite-runtime"
    os_release = Path("/etc/os-release").read_text().splitlines()
    release = dict(line.split("=", 1) for line in os_release if "=" in line)
    systemd = subprocess.run(["systemctl", "--version"], capture_output=True, text=True)
    return {
        "release": release.get("VERSION_CODENAME", "?"),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "numpy_from": "apt" if numpy.__file__.startswith("/usr/lib/") else "pip",
        "runtime": f"{runtime_dist} {dist_version(runtime_dist)}",
        "opencv": dist_version("opencv-python-headless"),
        "av": dist_version("av"),
        "gpiozero": dist_version("gpiozero"),
        "systemd": systemd.stdout.split("\n", 1)[0],
    }


def decode_difference(work: Path) -> dict:
    """How this machine's decoding of the clip differs from x86's, in 8-bit RGB levels."""
    import importlib.util

    import numpy as np

    spec = importlib.util.spec_from_file_location("compare", work / "check-arm64-compare.py")
    compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare)
    here = compare.decoded_frames(work / "clip90.mkv").astype(np.int16)
    x86 = np.load(work / "clip90.rgb.npy").astype(np.int16)
    diff = here - x86
    return {"max": int(np.abs(diff).max()), "mean": round(float(diff.mean()), 2),
            "share_differing": round(float((diff != 0).mean()), 3)}  # fmt: skip


def check_doubles(c: Checks) -> dict:
    """Which Raspberry Pi packages are the check's test doubles, imported as the venv sees them."""
    probe = ("import json, lgpio, picamera2; print(json.dumps({m.__name__: "
             "getattr(m, 'TEST_DOUBLE', False) for m in (picamera2, lgpio)}))")  # fmt: skip
    proc = c.run("imports", [str(BIN / "python"), "-c", probe])
    c.expect(proc.returncode == 0, "imports: picamera2 / lgpio do not import in the venv")
    return json.loads(proc.stdout) if proc.returncode == 0 else {}


def main(work: Path) -> int:
    """Run every check; write ``WORK/result.json``; exit 1 when one failed."""
    c = Checks(work)
    info = versions()
    install = json.loads((work / "install.json").read_text())
    c.problems += install.get("problems", [])
    info["doubles"] = check_doubles(c)

    proc = c.run("models", [str(BIN / "midstance"), "models", "verify", "--dir", str(MODELS)])
    c.expect(proc.returncode == 0 and "files verified" in proc.stdout, "models verify failed")

    proc = c.run("pose", [str(BIN / "midstance"), "pose", str(work / "clip90.mkv"),
                          "--out", str(work / "clip90.trace.jsonl"),
                          "--models-dir", str(MODELS)], tries=2)  # fmt: skip
    c.expect(proc.returncode == 0, f"pose: exit {proc.returncode}")
    # the same pipeline on x86's decoded pixels, and how this CPU's decoding differs
    compare = [str(BIN / "python"), str(work / "check-arm64-compare.py")]
    proc = c.run("pose-pixels", [*compare, "pose-frames", str(work / "clip90.rgb.npy"),
                                 str(work / "clip90.pixels.trace.jsonl"),
                                 "--models-dir", str(MODELS)], tries=2)  # fmt: skip
    c.expect(proc.returncode == 0, f"pose on x86's pixels: exit {proc.returncode}")
    info["decode_diff"] = decode_difference(work)

    proc = c.run("analyze", [str(BIN / "midstance"), "analyze", str(work / "clip.trace.jsonl"),
                             "--json", str(work / "clip.report.json")])  # fmt: skip
    c.expect(proc.returncode == 0, f"analyze: exit {proc.returncode}")

    # the LED and the staff button on gpiozero's mock pins: the project's own device tests
    pip = [str(BIN / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    proc = c.run("pip-pytest", [*pip, "pytest>=8,<10", "pytest-timeout"])
    c.expect(proc.returncode == 0, "pytest: cannot install it in the venv")
    tests = ["tests/device/test_indicator.py", "tests/device/test_button.py"]
    proc = c.run("gpio-tests", [str(BIN / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                *tests], cwd=PREFIX)  # fmt: skip
    passed = re.search(r"(\d+) passed", proc.stdout)
    info["gpio_tests"] = passed.group(0) if passed else "none passed"
    c.expect(proc.returncode == 0 and passed is not None, f"LED/button: exit {proc.returncode}")

    # doctor as the installer runs it, on a machine with no camera and no GPIO chip
    proc = c.run("doctor", ["runuser", "-u", "midstance", "--", *DOCTOR])
    lines = proc.stdout.splitlines()
    c.expect(proc.returncode == 1, f"doctor: exit {proc.returncode}, expected 1 (no camera)")
    c.expect(any(ln.startswith("ok    models:") for ln in lines), "doctor: models not ok")
    c.expect(any(ln.startswith("FAIL  camera:") and "no camera found" in ln for ln in lines),
             "doctor: the missing camera is not named")  # fmt: skip
    for what in ("config", "state dir", "run dir", "store"):
        c.expect(any(ln.startswith(f"ok    {what}:") for ln in lines), f"doctor: {what} not ok")
    info["doctor"] = lines
    proc = c.run("doctor-mock", ["runuser", "-u", "midstance", "--", *DOCTOR, "--led", "mock"])
    c.expect(any(ln.startswith("ok    gpio:") for ln in proc.stdout.splitlines()),
             "doctor --led mock: the LED and button on mock pins are not ok")  # fmt: skip

    proc = c.run("systemd-verify", ["systemd-analyze", "verify", "--man=no", *map(str, UNITS)])
    said = proc.stderr.strip()[:300]
    c.expect(
        proc.returncode == 0 and not said, f"systemd-analyze verify: exit {proc.returncode}: {said}"
    )

    info.update(install=install, seconds=c.seconds, crashes=c.crashes, problems=c.problems)
    (work / "result.json").write_text(json.dumps(info, indent=1) + "\n")
    for problem in c.problems:
        print(f"check-arm64 ({info['release']}): {problem}", file=sys.stderr)
    return 1 if c.problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
