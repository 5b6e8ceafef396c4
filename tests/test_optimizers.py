"""darkroom.core.optimizers: optimizers by name and learning-rate schedules."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from darkroom.core import optimizers, training

X = np.linspace(-1, 1, 32, dtype=np.float32)[:, None]
Y = 2 * X + 0.5


def line_model() -> keras.Model:
    """Dense(1) from zero, so a run's weights depend only on the data order and the optimizer."""
    return keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros")])


def test_unknown_optimizer_raises_naming_it_and_the_accepted_names() -> None:
    with pytest.raises(
        ValueError, match=r"'nesterov'.*sgd, momentum, rmsprop, adadelta, adagrad, adam, ftrl"
    ):
        optimizers.optimizer("nesterov")
    with pytest.raises(ValueError, match="'adamw'"):
        training.fit(line_model, (X, Y), loss="mse", optimizer="adamw")


@pytest.mark.parametrize("name", optimizers.OPTIMIZERS)
def test_every_optimizer_builds_and_takes_a_step(name: str) -> None:
    model = line_model()
    model.compile(optimizer=optimizers.optimizer(name, 0.1), loss="mse")
    before = [w.copy() for w in model.get_weights()]
    model.train_on_batch(X, Y)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_sgd_is_plain_and_momentum_is_point_nine() -> None:
    assert optimizers.optimizer("sgd").momentum == 0.0
    assert optimizers.optimizer("momentum", 0.5).momentum == 0.9
    assert float(optimizers.optimizer("momentum", 0.5).learning_rate) == 0.5


def test_learning_rate_schedule_shapes_and_errors() -> None:
    assert optimizers.learning_rate_schedule(0.1, total_steps=10) == 0.1
    exp = optimizers.learning_rate_schedule(0.1, "exponential", total_steps=10)
    cos = optimizers.learning_rate_schedule(0.1, "cosine", total_steps=10)
    assert float(exp(0)) == pytest.approx(0.1) and float(exp(10)) == pytest.approx(0.01)
    assert float(cos(0)) == pytest.approx(0.1) and float(cos(10)) == pytest.approx(0.001)
    with pytest.raises(ValueError, match=r"'linear'.*constant, exponential, cosine"):
        optimizers.learning_rate_schedule(0.1, "linear", total_steps=10)
