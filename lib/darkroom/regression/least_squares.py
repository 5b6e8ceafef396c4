"""The exact answers by least squares: the line in closed form and as a traced graph, a parabola,
and robust lines by reweighted least squares.

The lines every descent in :mod:`darkroom.regression` is measured against. :func:`fit_exact` is the
closed form in TensorFlow ops as the write-up computed it, :func:`fit_lstsq` the same with NumPy;
:func:`exact_graph` traces the closed form as a TensorFlow graph (named ops, for TensorBoard);
:func:`fit_quadratic` is the course's next model; :func:`fit_robust` fits a line with a Huber or
L1 loss by iteratively reweighted least squares.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from darkroom.core import graphs
from darkroom.regression import fire_theft

__all__ = ["exact_graph", "fit_exact", "fit_lstsq", "fit_quadratic", "fit_robust"]


def fit_exact(x: np.ndarray, y: np.ndarray) -> fire_theft.LineFit:
    """Closed-form least squares with TensorFlow ops in float64, as the post computed it.

    ``slope = sum((x - mean x)(y - mean y)) / sum((x - mean x)^2)``, ``intercept = mean y - slope
    * mean x``.
    """
    import tensorflow as tf

    x, y = fire_theft.check_fit_data(x, y)
    start = time.perf_counter()
    X = tf.constant(x, tf.float64)
    Y = tf.constant(y, tf.float64)
    dx = X - tf.reduce_mean(X)
    slope = tf.reduce_sum(dx * (Y - tf.reduce_mean(Y))) / tf.reduce_sum(dx**2)
    intercept = tf.reduce_mean(Y) - slope * tf.reduce_mean(X)
    slope, intercept = float(slope.numpy()), float(intercept.numpy())
    return fire_theft.LineFit(slope, intercept, time.perf_counter() - start, method="exact (TensorFlow)")


def fit_lstsq(x: np.ndarray, y: np.ndarray) -> fire_theft.LineFit:
    """Least squares with ``numpy.linalg.lstsq`` on the design matrix ``[x, 1]``."""
    x, y = fire_theft.check_fit_data(x, y)
    start = time.perf_counter()
    (slope, intercept), *_ = np.linalg.lstsq(np.stack([x, np.ones_like(x)], axis=1), y, rcond=None)
    return fire_theft.LineFit(
        float(slope), float(intercept), time.perf_counter() - start, method="lstsq (NumPy)"
    )


def _exact_ops_named(X: Any, Y: Any) -> tuple[Any, Any]:
    """The closed form with every op named and grouped, so TensorBoard's graph reads like the formula."""
    import tensorflow as tf

    with tf.name_scope("means"):
        x_avg = tf.reduce_mean(X, name="Xavg")
        y_avg = tf.reduce_mean(Y, name="Yavg")
    with tf.name_scope("least_squares"):
        dx = tf.subtract(X, x_avg, name="dx")
        dy = tf.subtract(Y, y_avg, name="dy")
        numerator = tf.reduce_sum(tf.multiply(dx, dy, name="dx_dy"), name="numerator")
        denominator = tf.reduce_sum(tf.square(dx, name="dx_squared"), name="denominator")
        slope = tf.divide(numerator, denominator, name="slope")
        intercept = tf.subtract(y_avg, tf.multiply(slope, x_avg, name="slope_Xavg"), name="intercept")
    return slope, intercept


def _exact_ops_overloaded(X: Any, Y: Any) -> tuple[Any, Any]:
    """The write-up's code: Python operators, so only the reductions it named get names."""
    import tensorflow as tf

    x_avg = tf.reduce_mean(X, name="Xavg")
    y_avg = tf.reduce_mean(Y, name="Yavg")
    numerator = tf.reduce_sum((X - x_avg) * (Y - y_avg), name="numerator")
    denominator = tf.reduce_sum((X - x_avg) ** 2, name="denominator")
    slope = numerator / denominator
    return slope, y_avg - slope * x_avg


def _named_model_and_loss(X: Any, Y: Any, slope: Any, intercept: Any, w: Any, b: Any) -> None:
    """Store the line in the named variables, then the model's prediction and its MSE, each named."""
    import tensorflow as tf

    with tf.name_scope("variables"):
        w.assign(slope, name="slope")
        b.assign(intercept, name="intercept")
    with tf.name_scope("model"):
        prediction = tf.add(tf.multiply(w, X, name="slope_X"), b, name="prediction")
    with tf.name_scope("loss"):
        tf.reduce_mean(tf.square(tf.subtract(Y, prediction, name="residual"), name="squared"), name="mse")


def exact_graph(
    x: np.ndarray, y: np.ndarray, named: bool = True, log_dir: str | os.PathLike[str] | None = None
) -> tuple[fire_theft.LineFit, Any]:
    """The closed-form least-squares line as a traced TensorFlow graph: ``(fit, GraphDef)``.

    ``named=True`` names every op (``tf.name_scope`` groups ``means`` and ``least_squares``; the
    line is stored in the variables ``slope`` and ``intercept``, then ``model/prediction`` and
    ``loss/mse`` follow); ``named=False`` is the write-up's operator-overloading code, whose
    subtractions and powers get TensorFlow's default names (``sub``, ``pow``). With ``log_dir`` (a
    run name goes to ``outputs/logs/<name>``) the graph is written for TensorBoard's Graphs tab.
    """
    import tensorflow as tf

    x, y = fire_theft.check_fit_data(x, y)
    ops = _exact_ops_named if named else _exact_ops_overloaded
    w = tf.Variable(0.0, dtype=tf.float64, name="slope")
    b = tf.Variable(0.0, dtype=tf.float64, name="intercept")

    def line(X: Any, Y: Any) -> tuple[Any, Any]:
        slope, intercept = ops(X, Y)
        if named:
            _named_model_and_loss(X, Y, slope, intercept, w, b)
        return slope, intercept

    function = tf.function(line)
    start = time.perf_counter()
    X, Y = tf.constant(x, tf.float64, name="X"), tf.constant(y, tf.float64, name="Y")
    graph_def = graphs.trace_graph(function, X, Y, log_dir=log_dir)
    slope, intercept = (float(v) for v in function(X, Y))
    fit = fire_theft.LineFit(slope, intercept, time.perf_counter() - start, method="exact (traced graph)")
    return fit, graph_def


def fit_quadratic(x: np.ndarray, y: np.ndarray) -> fire_theft.QuadFit:
    """Least-squares parabola ``y = a x^2 + b x + c`` (the course's next model)."""
    x, y = fire_theft.check_fit_data(x, y)
    start = time.perf_counter()
    coeffs, *_ = np.linalg.lstsq(np.stack([x**2, x, np.ones_like(x)], axis=1), y, rcond=None)
    a, b, c = (float(v) for v in coeffs)
    return fire_theft.QuadFit(a, b, c, time.perf_counter() - start)


def fit_robust(
    x: np.ndarray,
    y: np.ndarray,
    loss: str = "huber",
    delta: float | None = None,
    iterations: int = 200,
    tol: float = 1e-10,
) -> fire_theft.LineFit:
    """A line fitted with a robust loss by iteratively reweighted least squares.

    ``loss="huber"`` is quadratic for residuals below ``delta`` and linear above (default
    ``delta = 1.345 * sigma``, sigma estimated from the median absolute deviation of the L1
    fit's residuals: 95% efficiency on Gaussian noise). ``loss="l1"`` minimises the sum of
    absolute residuals (least absolute deviations).
    """
    x, y = fire_theft.check_fit_data(x, y)
    if loss not in ("huber", "l1"):
        raise ValueError(f"loss must be 'huber' or 'l1', got {loss!r}")
    start = time.perf_counter()
    design = np.stack([x, np.ones_like(x)], axis=1)
    params, *_ = np.linalg.lstsq(design, y, rcond=None)
    if loss == "huber" and delta is None:
        # Scale from the L1 fit's residuals: least-squares residuals are inflated by the very
        # outliers Huber is meant to down-weight.
        l1 = fit_robust(x, y, "l1", iterations=iterations, tol=tol)
        residuals = y - l1.predict(x)
        sigma = np.median(np.abs(residuals - np.median(residuals))) / 0.6745
        delta = 1.345 * max(sigma, 1e-6 * max(float(np.std(y)), 1.0))
        params = np.array([l1.slope, l1.intercept])
    if delta is not None:
        fire_theft.check_positive("delta", delta)
    for _ in range(iterations):
        r = np.abs(y - design @ params)
        if loss == "huber":
            weights = np.where(r <= delta, 1.0, delta / np.maximum(r, 1e-300))
        else:
            weights = 1.0 / np.maximum(r, 1e-8)
        sw = np.sqrt(weights)
        new, *_ = np.linalg.lstsq(design * sw[:, None], y * sw, rcond=None)
        done = np.max(np.abs(new - params)) < tol
        params = new
        if done:
            break
    name = f"Huber (delta={delta:.3g})" if loss == "huber" else "L1 (least absolute deviations)"
    return fire_theft.LineFit(float(params[0]), float(params[1]), time.perf_counter() - start, method=name)
