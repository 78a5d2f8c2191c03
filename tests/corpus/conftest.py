"""The clip's corpus items, built once for the tests that pose them again."""

from __future__ import annotations

import pytest

from corpus.__main__ import main as build_corpus


@pytest.fixture(scope="session")
def clip_corpus(tmp_path_factory, models_dir):
    """``python -m corpus DIR --only clip``: the clip and every item made from it."""
    out = tmp_path_factory.mktemp("clip_corpus")
    assert build_corpus([str(out), "--only", "clip"]) == 0
    return out
