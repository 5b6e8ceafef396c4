"""darkroom.regression.full_batch: gradient descent with Keras optimizers, the steps sweep, Keras Dense(1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from darkroom import regression as reg
from darkroom.core import writeups
from darkroom.regression import fire_theft

EXACT = (writeups.value("fire_theft_exact_slope"), writeups.value("fire_theft_exact_intercept"))

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def xy() -> tuple[np.ndarray, np.ndarray]:
    return fire_theft.load_fire_theft(REPO / "data" / "fire_theft.xls")


@pytest.mark.parametrize("optimizer, learning_rate, epochs", [("sgd", 0.003, 20000), ("adam", 0.5, 2000)])
def test_full_batch_gd_lands_on_the_exact_answer(xy, optimizer, learning_rate, epochs):
    fit = reg.fit_gd(*xy, learning_rate=learning_rate, epochs=epochs, optimizer=optimizer)
    assert abs(fit.slope - EXACT[0]) < 1e-3
    assert abs(fit.intercept - EXACT[1]) < 1e-3
    assert len(fit.history) == epochs and fit.history[-1] < fit.history[0]


def test_full_batch_sgd_above_the_stability_limit_diverges(xy):
    fit = reg.fit_gd(*xy, learning_rate=0.005, epochs=200)
    assert not np.isfinite(fit.history[-1]) or fit.history[-1] > 1e6


def test_keras_dense_fit_is_a_line(xy):
    import keras

    fit = reg.fit_keras_dense(*xy, learning_rate=0.5, epochs=30, optimizer="adadelta")
    assert isinstance(fit.model.optimizer, keras.optimizers.Adadelta)  # from optimizers.optimizer
    fit = reg.fit_keras_dense(*xy, learning_rate=0.5, epochs=30)
    assert len(fit.history) == 30 and fit.history[-1] < fit.history[0]
    pred = fit.model.predict(np.array([[10.0]], np.float32), verbose=0)[0, 0]
    assert pred == pytest.approx(fit.predict([10.0])[0], rel=1e-5)


def test_steps_sweep_full_batch_is_the_same_run_as_fit_gd(xy):
    sweep = reg.sweep_steps(*xy, steps=(7, 50), optimizer="ftrl", learning_rate=0.2)
    for n, slope, intercept in zip(sweep.steps, sweep.slope, sweep.intercept):
        fit = reg.fit_gd(*xy, learning_rate=0.2, epochs=n, optimizer="ftrl")
        assert (slope, intercept) == pytest.approx((fit.slope, fit.intercept), rel=1e-5)
    assert [r["steps"] for r in sweep.rows()] == [7, 50]


def test_ftrl_reaches_least_squares_only_with_many_more_steps(xy):
    sweep = reg.sweep_steps(*xy, steps=(2_000, 30_000), optimizer="ftrl", learning_rate=0.2)
    err = sweep.relative_error()
    assert err[0] > 0.1  # at the estimator's 2,000 steps the line is still far off
    assert err[1] < 1e-3  # but FTRL's shrinking step size does arrive
    assert sweep.mse[1] < sweep.mse[0]


def test_steps_sweep_minibatches_are_seeded(xy):
    a = reg.sweep_steps(*xy, steps=(20,), batch_size=8, seed=1)
    b = reg.sweep_steps(*xy, steps=(20,), batch_size=8, seed=1)
    c = reg.sweep_steps(*xy, steps=(20,), batch_size=8, seed=2)
    full = reg.sweep_steps(*xy, steps=(20,))
    assert a.slope[0] == b.slope[0] and a.slope[0] != c.slope[0]
    assert a.slope[0] != full.slope[0] and a.batch_size == 8 and full.batch_size is None


def test_steps_sweep_refuses_bad_settings(xy):
    with pytest.raises(ValueError, match="steps must be"):
        reg.sweep_steps(*xy, steps=())
    with pytest.raises(ValueError, match="steps must be"):
        reg.sweep_steps(*xy, steps=(0, 10))
    with pytest.raises(ValueError, match="batch_size"):
        reg.sweep_steps(*xy, steps=(10,), batch_size=0)
    with pytest.raises(ValueError, match=r"'newton'.*sgd, momentum, rmsprop, adadelta"):
        reg.sweep_steps(*xy, steps=(10,), optimizer="newton")


def test_first_within_finds_the_first_close_step_count(xy):
    sweep = reg.sweep_steps(*xy, steps=(100, 3_000, 20_000), optimizer="sgd", learning_rate=0.003)
    assert sweep.relative_error()[0] > 0.1
    assert sweep.first_within(1e-2) == 3_000
    assert sweep.first_within(1e-12) is None
