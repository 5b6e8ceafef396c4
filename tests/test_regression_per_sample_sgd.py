"""darkroom.regression.per_sample_sgd: the course's recipe reproduced, where it settles, its path and its sweep."""

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


def test_sweep_classifies_diverge_circle_crawl(xy):
    sweep = reg.sweep_sgd(*xy, learning_rates=(1e-2, 1e-3, 1e-5), epochs=(100, 1000))
    assert sweep.slope.shape == (3, 2)
    assert list(sweep.verdict[0]) == ["diverged", "diverged"]
    assert sweep.verdict[1, 0] == "circling"
    assert round(sweep.slope[1, 0], 4) == 1.7184
    assert list(sweep.verdict[2]) == ["crawling", "crawling"]
    assert len(sweep.rows()) == 6


def test_eager_loop_takes_the_same_steps_as_the_compiled_one(xy):
    eager = reg.fit_sgd_per_sample_eager(*xy, learning_rate=0.001, epochs=2)
    compiled = reg.fit_sgd_per_sample(*xy, learning_rate=0.001, epochs=2, jit_compile=False)
    assert (eager.slope, eager.intercept) == pytest.approx((compiled.slope, compiled.intercept), rel=1e-5)


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
