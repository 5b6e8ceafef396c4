"""Tests for darkroom.regression: the post's numbers and the errors."""

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


def test_exact_and_lstsq_match_the_post(xy):
    for fit in (reg.fit_exact(*xy), reg.fit_lstsq(*xy)):
        assert fit.slope == pytest.approx(1.3134560, abs=5e-8)
        assert fit.intercept == pytest.approx(16.995157, abs=5e-7)
        assert (fit.slope, fit.intercept) == pytest.approx(EXACT, rel=1e-10)


def test_exact_on_a_hand_computed_line():
    fit = reg.fit_exact(np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0]))
    assert (fit.slope, fit.intercept) == pytest.approx((2.0, 1.0))


@pytest.mark.parametrize("jit_compile", [True, False])
def test_per_sample_sgd_reproduces_the_posts_wrong_answer(xy, jit_compile):
    fit = reg.fit_sgd_per_sample(*xy, learning_rate=0.001, epochs=100, jit_compile=jit_compile)
    assert round(fit.slope, 4) == round(writeups.value("fire_theft_sgd_slope"), 4) == 1.7184
    assert round(fit.intercept, 4) == round(writeups.value("fire_theft_sgd_intercept"), 4) == 15.7892
    assert len(fit.history) == 100 and fit.history[-1] < fit.history[0]


def test_per_sample_sgd_matches_a_numpy_float32_loop(xy):
    x, y = (v.astype(np.float32) for v in xy)
    w = b = np.float32(0)
    lr = np.float32(0.01 / 10)
    for _ in range(3):
        for xi, yi in zip(x, y):
            r = (xi * w + b) - yi
            w, b = w - lr * (np.float32(2) * r * xi), b - lr * (np.float32(2) * r)
    fit = reg.fit_sgd_per_sample(*xy, learning_rate=0.001, epochs=3, jit_compile=False)
    assert (fit.slope, fit.intercept) == pytest.approx((float(w), float(b)), rel=1e-6)


def test_sgd_limit_is_where_per_sample_sgd_settles(xy):
    slope, intercept, rate = reg.sgd_limit(*xy, 0.001)
    fit = reg.fit_sgd_per_sample(*xy, learning_rate=0.001, epochs=2000)
    assert 0 < rate < 1
    assert (fit.slope, fit.intercept) == pytest.approx((slope, intercept), rel=1e-4)
    assert abs(slope - EXACT[0]) > 0.3  # settled, but far from least squares
    assert reg.sgd_limit(*xy, 0.01)[2] > 1  # this learning rate diverges


def test_sgd_path_ends_at_the_fit(xy):
    path = reg.sgd_path(*xy, learning_rate=0.001, epochs=100, last_epochs=2)
    fit = reg.fit_sgd_per_sample(*xy, learning_rate=0.001, epochs=100)
    assert path.shape == (84, 2)
    np.testing.assert_allclose(path[-1], [fit.slope, fit.intercept], rtol=1e-5)


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
    assert isinstance(fit.model.optimizer, keras.optimizers.Adadelta)  # from training.optimizer
    fit = reg.fit_keras_dense(*xy, learning_rate=0.5, epochs=30)
    assert len(fit.history) == 30 and fit.history[-1] < fit.history[0]
    pred = fit.model.predict(np.array([[10.0]], np.float32), verbose=0)[0, 0]
    assert pred == pytest.approx(fit.predict([10.0])[0], rel=1e-5)


def test_quadratic_fits_a_parabola_exactly():
    x = np.linspace(-2, 3, 9)
    fit = reg.fit_quadratic(x, 0.5 * x**2 - x + 2)
    assert (fit.a, fit.b, fit.c) == pytest.approx((0.5, -1.0, 2.0))


def test_quadratic_beats_the_line_in_sample_and_flips_without_the_outlier(xy):
    quad, line = reg.fit_quadratic(*xy), reg.fit_lstsq(*xy)
    assert fire_theft.mse(quad, *xy) < fire_theft.mse(line, *xy)
    assert quad.a > 0  # concave up because of (39.7, 147)
    x2, y2 = fire_theft.without_outlier(*xy)
    assert len(x2) == 41 and reg.fit_quadratic(x2, y2).a < 0


def test_robust_fits_ignore_a_wild_point():
    x = np.arange(10.0)
    y = 2 * x + 1
    y[9] = 100.0
    for loss in ("huber", "l1"):
        fit = reg.fit_robust(x, y, loss=loss)
        assert (fit.slope, fit.intercept) == pytest.approx((2.0, 1.0), abs=1e-3)
    assert reg.fit_lstsq(x, y).slope > 3


def test_sweep_classifies_diverge_circle_crawl(xy):
    sweep = reg.sweep_sgd(*xy, learning_rates=(1e-2, 1e-3, 1e-5), epochs=(100, 1000))
    assert sweep.slope.shape == (3, 2)
    assert list(sweep.verdict[0]) == ["diverged", "diverged"]
    assert sweep.verdict[1, 0] == "circling"
    assert round(sweep.slope[1, 0], 4) == 1.7184
    assert list(sweep.verdict[2]) == ["crawling", "crawling"]
    assert len(sweep.rows()) == 6


def test_bad_inputs_raise_clear_errors(xy):
    with pytest.raises(ValueError, match="same length"):
        reg.fit_lstsq(np.arange(3.0), np.arange(4.0))
    with pytest.raises(ValueError, match="finite"):
        reg.fit_exact(np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="learning_rate"):
        reg.fit_sgd_per_sample(*xy, learning_rate=0.0)
    with pytest.raises(ValueError, match=r"'newton'.*sgd, momentum, rmsprop, adadelta"):
        reg.fit_gd(*xy, optimizer="newton")
    with pytest.raises(ValueError, match="huber"):
        reg.fit_robust(*xy, loss="l3")


def test_l1_fit_matches_a_linear_program(xy):
    from scipy.optimize import linprog

    x, y = xy
    n = len(x)
    # minimise sum t_i subject to -t_i <= y_i - (w x_i + b) <= t_i
    cost = np.r_[0.0, 0.0, np.ones(n)]
    a_ub = np.block([[-x[:, None], -np.ones((n, 1)), -np.eye(n)], [x[:, None], np.ones((n, 1)), -np.eye(n)]])
    lp = linprog(cost, A_ub=a_ub, b_ub=np.r_[-y, y], bounds=[(None, None)] * 2 + [(0, None)] * n)
    fit = reg.fit_robust(x, y, loss="l1")
    assert np.abs(y - fit.predict(x)).sum() == pytest.approx(lp.fun, rel=1e-7)
    assert (fit.slope, fit.intercept) == pytest.approx(tuple(lp.x[:2]), rel=1e-5)


def test_eager_loop_takes_the_same_steps_as_the_compiled_one(xy):
    eager = reg.fit_sgd_per_sample_eager(*xy, learning_rate=0.001, epochs=2)
    compiled = reg.fit_sgd_per_sample(*xy, learning_rate=0.001, epochs=2, jit_compile=False)
    assert (eager.slope, eager.intercept) == pytest.approx((compiled.slope, compiled.intercept), rel=1e-5)


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


def test_settling_rows_show_epochs_growing_like_one_over_lr(xy):
    sweep = reg.sweep_sgd(*xy, learning_rates=(1e-2, 1e-5, 1e-6), epochs=(10,))
    rows = sweep.settling_rows()
    assert rows[0]["settles_at_slope"] == "diverges" and rows[0]["epochs_needed"] is None
    assert rows[2]["epochs_needed"] == pytest.approx(10 * rows[1]["epochs_needed"], rel=0.02)
    assert rows[2]["lr_x_epochs"] == pytest.approx(rows[1]["lr_x_epochs"], rel=0.02)
    r = rows[1]["shrink_per_epoch"]
    assert r ** rows[1]["epochs_needed"] == pytest.approx(1e-3)
    with pytest.raises(ValueError, match="shrink"):
        sweep.settling_rows(shrink=2.0)


def test_first_within_finds_the_first_close_step_count(xy):
    sweep = reg.sweep_steps(*xy, steps=(100, 3_000, 20_000), optimizer="sgd", learning_rate=0.003)
    assert sweep.relative_error()[0] > 0.1
    assert sweep.first_within(1e-2) == 3_000
    assert sweep.first_within(1e-12) is None


def test_exact_graph_names_its_ops_and_logs_them(xy, tmp_path):
    from darkroom.core import training

    named, graph = reg.exact_graph(*xy, log_dir=tmp_path / "named")
    exact = reg.fit_exact(*xy)
    assert (named.slope, named.intercept) == pytest.approx((exact.slope, exact.intercept), rel=1e-12)
    names = {node.name for node in graph.node}
    assert {
        "means/Xavg",
        "least_squares/numerator",
        "least_squares/slope",
        "variables/slope",
        "model/prediction",
        "loss/mse",
    } <= names
    assert list((tmp_path / "named").glob("events.out.tfevents.*"))
    _, overloaded = reg.exact_graph(*xy, named=False)
    plain = {node.name for node in overloaded.node}
    assert {"sub", "pow", "truediv", "numerator"} <= plain and not any("/" in n for n in plain - {"pow/y"})
    nodes, edges = training.graph_edges(graph)
    assert ("least_squares/numerator", "least_squares/slope", "data") in edges
    assert ("variables/slope", "model/slope_X/ReadVariableOp", "control") in edges
    assert "Const" not in nodes.values() and "Identity" not in nodes.values()
