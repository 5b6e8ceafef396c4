"""Shared test set-up: quiet TensorFlow, and keep every test's outputs out of the repository."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest

import darkroom  # noqa: F401  (first: it quiets TensorFlow before any test imports it)


@pytest.fixture(autouse=True)
def _outputs_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Send outputs/ to a temporary folder so tests never touch a user's results."""
    monkeypatch.setenv("DARKROOM_OUTPUTS", str(tmp_path_factory.mktemp("outputs")))


@pytest.fixture(autouse=True)
def _environment_restored():
    """Undo what a test's in-process ``darkroom`` command sets in ``os.environ`` (``-q`` sets
    TQDM_DISABLE), so the next test on the same worker starts from the same environment."""
    before = dict(os.environ)
    yield
    for key in set(os.environ) - set(before):
        del os.environ[key]
    os.environ.update(before)
