"""Seeding, profiles, paths and peak memory (training helpers are tested in test_training.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import darkroom
from darkroom.core import paths, profiles


def test_seed_everything_repeats_numpy_and_tensorflow() -> None:
    import tensorflow as tf

    darkroom.seed_everything(3)
    # the legacy global generator is what seed_everything must seed for code that still uses it
    first = (
        np.random.rand(3),  # noqa: NPY002
        tf.random.uniform((3,)).numpy(),
    )
    darkroom.seed_everything(3)
    second = (
        np.random.rand(3),  # noqa: NPY002
        tf.random.uniform((3,)).numpy(),
    )
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_profile_selection() -> None:
    cfg = profiles.select("smoke", smoke=dict(epochs=1), default=dict(epochs=10), full=dict(epochs=100))
    assert cfg.epochs == 1 and cfg.profile == "smoke"
    with pytest.raises(ValueError, match=r"unknown profile 'fast'.*smoke, default, full"):
        profiles.select("fast", smoke={}, default={}, full={})
    with pytest.raises(ValueError, match=r"same knobs.*'full': \['size'\]"):
        profiles.select("smoke", smoke=dict(size=1), default=dict(size=2), full={})


def test_atomic_write_leaves_the_old_file_when_interrupted(tmp_path: Path) -> None:
    target = tmp_path / "result.txt"
    target.write_text("good")
    with pytest.raises(RuntimeError):
        with paths.atomic_write(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["result.txt"]
    with paths.atomic_write(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"


def test_outputs_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DARKROOM_OUTPUTS", str(tmp_path / "o"))
    assert paths.models_dir() == tmp_path / "o" / "models" and paths.models_dir().is_dir()
    assert (paths.repo_root() / "pyproject.toml").is_file()


_PEAK_SCRIPT = """
import json, resource, darkroom
print(json.dumps({"hwm": darkroom.peak_rss_bytes(), "ru": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def test_peak_rss_bytes_is_the_childs_own_peak_not_the_parents() -> None:
    ballast = np.ones(400 * 2**20 // 8)  # 400 MiB touched in this (parent) process
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    child = json.loads(out.stdout)
    assert darkroom.peak_rss_bytes() >= ballast.nbytes
    assert child["ru"] >= ballast.nbytes  # the control: ru_maxrss inherits the parent's size at fork
    assert 0 < child["hwm"] < 200 * 2**20  # a bare interpreter plus darkroom's light import
