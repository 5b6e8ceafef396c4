"""Seeding, profiles, paths and the shared training helpers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import darkroom
from darkroom import paths, profiles, training


def test_seed_everything_repeats_numpy_and_tensorflow() -> None:
    import tensorflow as tf

    darkroom.seed_everything(3)
    first = (np.random.rand(3), tf.random.uniform((3,)).numpy())
    darkroom.seed_everything(3)
    second = (np.random.rand(3), tf.random.uniform((3,)).numpy())
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_profile_selection() -> None:
    cfg = profiles.select("smoke", smoke=dict(epochs=1), default=dict(epochs=10), full=dict(epochs=100))
    assert cfg.epochs == 1 and cfg.profile == "smoke"
    with pytest.raises(ValueError, match="unknown profile 'fast'.*smoke, default, full"):
        profiles.select("fast", smoke={}, default={}, full={})
    with pytest.raises(ValueError, match="same knobs.*'full': \\['size'\\]"):
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


def test_save_model_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keras

    monkeypatch.setenv("DARKROOM_OUTPUTS", str(tmp_path))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = training.save_model(model, "tiny")
    assert path == tmp_path / "models" / "tiny.keras"
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(training.load_model("tiny")(x), model(x), rtol=1e-6)
    with pytest.raises(ValueError, match="bare name"):
        training.save_model(model, "tiny.keras")
    with pytest.raises(FileNotFoundError, match="ghost.keras"):
        training.load_model("ghost")


def test_keras_progress_counts_epochs_and_strategy_scope() -> None:
    import keras
    import tensorflow as tf

    with training.strategy_scope() as strategy:
        assert strategy is tf.distribute.get_strategy()
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile("sgd", "mse")
    cb = training.keras_progress(3, "fit")
    model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[cb])
    assert cb.bar.n == 3 and "loss" in cb.bar.postfix


def test_train_result_and_plot_history() -> None:
    import matplotlib

    matplotlib.use("Agg")
    result = training.TrainResult(model=None, history={"loss": [3.0, 2.0, 1.0]}, seconds=1.0)
    assert result.final() == 1.0
    ax = training.plot_history(result.history, logy=True)
    assert ax.get_yscale() == "log" and len(ax.lines) == 1
    with pytest.raises(KeyError, match="val_loss"):
        training.plot_history(result.history, keys=["val_loss"])


def test_stopwatch_measures() -> None:
    with training.Stopwatch() as sw:
        sum(range(10000))
    assert sw.seconds > 0


_XLA_SCRIPT = """
import sys
import darkroom, tensorflow as tf
from darkroom.training import quiet_first_xla_compile
f = tf.function(lambda x: tf.reduce_sum(x * x), jit_compile=True)
with quiet_first_xla_compile(sys.argv[1] == "quiet"):
    print(float(f(tf.ones(3))))
"""


def test_quiet_first_xla_compile_hides_only_the_xla_announcement() -> None:
    # Run twice in fresh processes: XLA announces itself once per process, from native code.
    runs = {mode: subprocess.run([sys.executable, "-c", _XLA_SCRIPT, mode], capture_output=True, text=True,
                                 timeout=300, check=True) for mode in ("loud", "quiet")}
    assert "Compiled cluster using XLA" in runs["loud"].stderr  # the control: the line exists to hide
    assert "Compiled cluster using XLA" not in runs["quiet"].stderr
    assert runs["quiet"].stdout.strip() == runs["loud"].stdout.strip() == "3.0"


_PEAK_SCRIPT = """
import json, resource, darkroom
print(json.dumps({"hwm": darkroom.peak_rss_bytes(), "ru": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def test_peak_rss_bytes_is_the_childs_own_peak_not_the_parents() -> None:
    ballast = np.ones(400 * 2**20 // 8)  # 400 MiB touched in this (parent) process
    out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT], capture_output=True, text=True, timeout=120, check=True)
    child = json.loads(out.stdout)
    assert darkroom.peak_rss_bytes() >= ballast.nbytes
    assert child["ru"] >= ballast.nbytes  # the control: ru_maxrss inherits the parent's size at fork
    assert 0 < child["hwm"] < 200 * 2**20  # a bare interpreter plus darkroom's light import
