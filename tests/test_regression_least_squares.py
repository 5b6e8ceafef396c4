"""darkroom.regression.least_squares: the exact line (closed form, NumPy, traced graph), parabola, robust lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from darkroom import regression as reg
from darkroom.core import graphs, writeups
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


def test_exact_graph_names_its_ops_and_logs_them(xy, tmp_path):

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
    nodes, edges = graphs.graph_edges(graph)
    assert ("least_squares/numerator", "least_squares/slope", "data") in edges
    assert ("variables/slope", "model/slope_X/ReadVariableOp", "control") in edges
    assert "Const" not in nodes.values() and "Identity" not in nodes.values()
