"""Model files: pinned sums, bad files as one-line errors, the packed-asset extraction."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from device.pose import ModelError, PoseEstimator, models
from tests.conftest import midstance


def test_provisioned_files_verify(models_dir):
    assert models.verify(models_dir) == []
    for name, entry in models.manifest().items():
        digest = models.sha256_of(models_dir / entry["file"])
        assert digest in entry["sha256"], name


def test_models_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("MIDSTANCE_MODELS_DIR", str(tmp_path / "env"))
    assert models.models_dir() == tmp_path / "env"
    assert models.models_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("MIDSTANCE_MODELS_DIR")
    assert models.models_dir().parts[-3:] == (".cache", "midstance", "models")


@pytest.fixture
def broken_dir(models_dir, tmp_path):
    """A copy of the models directory to damage."""
    d = tmp_path / "models"
    shutil.copytree(models_dir, d)
    return d


def damage_missing(p):
    p.unlink()


def damage_truncated(p):
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def damage_flipped(p):
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))


def damage_empty(p):
    p.write_bytes(b"")


@pytest.mark.parametrize(
    "damage, message",
    [
        (damage_missing, "missing"),
        (damage_truncated, "SHA-256 does not match"),
        (damage_flipped, "SHA-256 does not match"),
        (damage_empty, "empty file"),
    ],
)
@pytest.mark.parametrize("name", ["pose_detection", "pose_landmark_full"])
def test_bad_model_file_is_a_one_line_error(broken_dir, damage, message, name):
    path = broken_dir / models.manifest()[name]["file"]
    damage(path)
    with pytest.raises(ModelError, match=message) as err:
        PoseEstimator("full", models_dir=broken_dir)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert any(message in p for p in models.verify(broken_dir))


def test_verify_command_exit_codes(models_dir, broken_dir):
    ok = midstance("models", "verify", "--dir", str(models_dir), timeout=60)
    assert ok.returncode == 0 and "4 files verified" in ok.stdout
    damage_truncated(broken_dir / "pose_landmark_heavy.tflite")
    bad = midstance("models", "verify", "--dir", str(broken_dir), timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.count("\n") == 1 and "pose_landmark_heavy.tflite" in bad.stderr


def test_fetch_is_cached(models_dir):
    # A complete directory is verified and left alone: no network, no rewrite.
    before = {p.name: p.stat().st_mtime_ns for p in models_dir.iterdir()}
    lines = []
    models.fetch(models_dir, log=lines.append)
    assert lines == [f"models: all 4 files present and verified in {models_dir}"]
    assert {p.name: p.stat().st_mtime_ns for p in models_dir.iterdir()} == before


def test_unknown_model_name(models_dir):
    with pytest.raises(ModelError, match="unknown landmark model 'medium'"):
        PoseEstimator("medium", models_dir)


def test_tflite_cut_from_a_packed_bundle(models_dir, tmp_path):
    # The npm package ships the detector inside an Emscripten asset bundle; without the
    # loader's byte ranges the model is found by its TFL3 identifier.
    detector = (models_dir / "pose_detection.tflite").read_bytes()
    assert detector[4:8] == b"TFL3"
    package = tmp_path / "none.tgz"
    import tarfile

    with tarfile.open(package, "w:gz"):
        pass
    cut = models._cut_tflite(b"\x00" * 64 + detector, package)
    assert hashlib.sha256(cut).hexdigest() == hashlib.sha256(detector).hexdigest()
