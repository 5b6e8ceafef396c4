"""darkroom.core.timing: the stopwatch and a model's training throughput."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from darkroom.core import timing

X = np.linspace(-1, 1, 32, dtype=np.float32)[:, None]
Y = 2 * X + 0.5


def line_model() -> keras.Model:
    """Dense(1) from zero, so a run's weights depend only on the data order and the optimizer."""
    return keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros")])


def test_throughput_counts_examples_over_the_timed_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    class TwoSeconds:
        seconds = 2.0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    model = line_model()
    model.compile(optimizer="sgd", loss="mse")
    monkeypatch.setattr(timing, "Stopwatch", TwoSeconds)
    assert timing.throughput(model, (X[:16], Y[:16]), steps=5) == pytest.approx(16 * 5 / 2.0)
    data = tf.data.Dataset.from_tensor_slices((X, Y)).batch(8)
    assert timing.throughput(model, data, steps=3, warmup=2) == pytest.approx(8 * 3 / 2.0)
    with pytest.raises(ValueError, match="not compiled"):
        timing.throughput(line_model(), (X, Y))


def test_stopwatch_measures_the_clock_between_enter_and_exit() -> None:
    ticks = iter([100.0, 102.5])
    with timing.Stopwatch(clock=lambda: next(ticks)) as sw:
        assert sw.seconds == 0.0
    assert sw.seconds == 2.5
