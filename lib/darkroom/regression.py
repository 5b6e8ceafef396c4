"""Linear regression on the Chicago fire-and-theft data, solved exactly and by gradient descent.

The write-up behind this module ("Dangers of tunable parameters in TensorFlow") found that the
CS 20SI lecture's gradient-descent recipe -- float32, ``w = b = 0``, one plain SGD step per sample
in file order, learning rate 0.001, 100 epochs -- lands well away from the least-squares line
(both lines are in :mod:`darkroom.writeups` under ``fire_theft_*``). This module gives each
way of fitting the line as one function returning a small dataclass, so a notebook can put them
side by side:

- :func:`fit_exact` (closed form, TensorFlow ops) and :func:`fit_lstsq` (NumPy) -- the answer;
- :func:`fit_sgd_per_sample` -- the course's recipe, as one compiled TensorFlow loop;
- :func:`fit_gd` -- full-batch gradient descent with any Keras optimizer, compiled;
- :func:`fit_keras_dense` -- a Keras ``Dense(1)`` model, the successor of the removed
  ``tf.contrib.learn.LinearRegressor`` the follow-up post criticised;
- :func:`fit_quadratic` and :func:`fit_robust` (Huber or L1) -- the alternatives;
- :func:`sweep_steps` -- one optimizer run (FTRL, as the estimator) read off at several step counts;
- :func:`sweep_sgd` -- learning rate x epochs, classified as diverged / crawling / circling /
  converged using :func:`sgd_limit` (where per-sample SGD settles for a learning rate, and how
  fast), plus plotting helpers for lines, loss curves, the sweep and the SGD path;
- :func:`fit_sgd_per_sample_eager` -- the same recipe as a Python loop of eager steps, for timing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "OUTLIER",
    "LineFit",
    "QuadFit",
    "SweepResult",
    "StepsSweep",
    "fire_theft_path",
    "load_fire_theft",
    "mse",
    "fit_exact",
    "fit_lstsq",
    "exact_graph",
    "fit_sgd_per_sample",
    "fit_sgd_per_sample_eager",
    "sgd_path",
    "sgd_limit",
    "fit_gd",
    "fit_keras_dense",
    "fit_quadratic",
    "fit_robust",
    "sweep_sgd",
    "sweep_steps",
    "without_outlier",
    "plot_fits",
    "plot_loss_curves",
    "plot_sweep",
    "plot_sgd_path",
    "plot_steps_sweep",
]

# The write-ups' numbers (the course's SGD line, the exact line, the estimator's) live in
# darkroom.writeups under "fire_theft_*"; this module computes and never restates them.
# The upper-right point that pulls a parabola through it.
OUTLIER = (39.7, 147.0)


# --------------------------------------------------------------------------------------------
# Results


@dataclass
class LineFit:
    """A fitted line ``y = slope * x + intercept`` and what it cost.

    ``history`` is the mean squared error over the whole data set after each epoch (empty for
    closed-form fits); ``seconds`` is the wall time of the call, compilation included.
    """

    slope: float
    intercept: float
    seconds: float = 0.0
    history: list[float] = field(default_factory=list)
    method: str = ""
    model: Any = None

    def predict(self, x: np.ndarray | Sequence[float]) -> np.ndarray:
        """The line evaluated at ``x``."""
        return self.slope * np.asarray(x, dtype=np.float64) + self.intercept


@dataclass
class QuadFit:
    """A fitted parabola ``y = a x^2 + b x + c``."""

    a: float
    b: float
    c: float
    seconds: float = 0.0
    method: str = "quadratic least squares"

    def predict(self, x: np.ndarray | Sequence[float]) -> np.ndarray:
        """The parabola evaluated at ``x``."""
        x = np.asarray(x, dtype=np.float64)
        return (self.a * x + self.b) * x + self.c


@dataclass
class SweepResult:
    """Per-sample SGD over a grid of learning rates x epoch counts.

    Arrays are indexed ``[i_learning_rate, j_epochs]``. ``verdict`` is one of ``"diverged"``
    (the loss blew up), ``"crawling"`` (still moving towards the answer), ``"circling"``
    (settled, but away from the answer) and ``"converged"``. ``limit_slope``,
    ``limit_intercept`` and ``rate`` (per learning rate) are where the run settles and how fast
    (see :func:`sgd_limit`).
    """

    learning_rates: list[float]
    epochs: list[int]
    slope: np.ndarray
    intercept: np.ndarray
    loss: np.ndarray
    verdict: np.ndarray
    exact: LineFit
    seconds: float = 0.0
    limit_slope: np.ndarray = field(default_factory=lambda: np.zeros(0))
    limit_intercept: np.ndarray = field(default_factory=lambda: np.zeros(0))
    rate: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def settling_rows(self, shrink: float = 1e-3) -> list[dict[str, Any]]:
        """Per learning rate: where the run settles, the per-epoch shrink factor, and the epochs
        needed to shrink the distance to the settling point by ``shrink`` (``lr x epochs`` too,
        which stays nearly constant when the epochs needed grow like 1/lr)."""
        if not 0 < shrink < 1:
            raise ValueError(f"shrink must be in (0, 1), got {shrink!r}")
        out = []
        for lr, w, b, r in zip(self.learning_rates, self.limit_slope, self.limit_intercept, self.rate):
            stable = bool(r < 1.0)
            epochs = float(np.log(shrink) / np.log(r)) if stable else None
            out.append(dict(
                learning_rate=lr,
                settles_at_slope=float(w) if stable else "diverges",
                settles_at_intercept=float(b) if stable else "diverges",
                shrink_per_epoch=float(r),
                epochs_needed=epochs,
                lr_x_epochs=lr * epochs if stable else None,
            ))
        return out

    def rows(self) -> list[dict[str, Any]]:
        """One dict per grid cell, for a table."""
        out = []
        for i, lr in enumerate(self.learning_rates):
            for j, ep in enumerate(self.epochs):
                out.append(
                    dict(
                        learning_rate=lr,
                        epochs=ep,
                        slope=float(self.slope[i, j]),
                        intercept=float(self.intercept[i, j]),
                        mse=float(self.loss[i, j]),
                        verdict=str(self.verdict[i, j]),
                    )
                )
        return out


@dataclass
class StepsSweep:
    """One optimizer run read off after several step counts (the estimator's ``steps``).

    ``slope``, ``intercept`` and ``mse`` (over all the data) are indexed like ``steps``;
    ``batch_size`` is ``None`` for full-batch steps.
    """

    steps: list[int]
    slope: np.ndarray
    intercept: np.ndarray
    mse: np.ndarray
    exact: LineFit
    optimizer: str
    learning_rate: float
    batch_size: int | None
    seconds: float = 0.0

    def relative_error(self) -> np.ndarray:
        """Per step count, the larger of the slope's and the intercept's relative error."""
        return np.maximum(
            np.abs(self.slope - self.exact.slope) / abs(self.exact.slope),
            np.abs(self.intercept - self.exact.intercept) / abs(self.exact.intercept),
        )

    def first_within(self, tol: float = 1e-3) -> int | None:
        """The first step count whose line is within ``tol`` relative error of least squares."""
        hits = [n for n, e in zip(self.steps, self.relative_error()) if e <= tol]
        return hits[0] if hits else None

    def rows(self) -> list[dict[str, Any]]:
        """One dict per step count, for a table."""
        return [
            dict(steps=n, slope=float(w), intercept=float(b), mse=float(m), rel_error=float(e))
            for n, w, b, m, e in zip(
                self.steps, self.slope, self.intercept, self.mse, self.relative_error()
            )
        ]


# --------------------------------------------------------------------------------------------
# Data


def fire_theft_path() -> Path:
    """Where the committed workbook lives: ``data/fire_theft.xls`` in the checkout.

    ``DARKROOM_DATA`` (see :mod:`darkroom.paths`) is looked at first, so a copy placed there wins;
    otherwise the file committed in the repository is used.
    """
    from darkroom import paths

    override = os.environ.get("DARKROOM_DATA")
    if override and (Path(override) / "fire_theft.xls").is_file():
        return Path(override) / "fire_theft.xls"
    return paths.repo_root() / "data" / "fire_theft.xls"


def load_fire_theft(path: str | os.PathLike[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read the fire-and-theft workbook with xlrd and return ``(x, y)`` as float64 arrays.

    ``x`` is fires per 1000 housing units, ``y`` thefts per 1000 population, in file order.
    The first row must be the header ``X, Y``. A missing file raises ``FileNotFoundError`` and an
    unreadable or malformed one ``ValueError``, both naming the path.
    """
    import xlrd

    path = Path(path) if path is not None else fire_theft_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"fire-and-theft workbook not found at {path}: expected an Excel 97 .xls file "
            "(regenerate it with `python data/make_fire_theft.py`)"
        )
    try:
        book = xlrd.open_workbook(str(path), encoding_override="utf-8")
    except Exception as exc:  # xlrd raises several unrelated types for a damaged file
        raise ValueError(
            f"could not read {path} as an Excel 97 workbook ({type(exc).__name__}: {exc}); "
            "expected the file written by data/make_fire_theft.py"
        ) from exc
    sheet = book.sheet_by_index(0)
    if sheet.nrows < 2 or sheet.ncols < 2:
        raise ValueError(
            f"{path} has {sheet.nrows} rows x {sheet.ncols} columns: expected a header row "
            "'X, Y' and at least one data row"
        )
    header = [str(v).strip() for v in sheet.row_values(0)[:2]]
    if header != ["X", "Y"]:
        raise ValueError(f"{path} starts with header {header}: expected ['X', 'Y']")
    try:
        data = np.asarray(
            [sheet.row_values(i)[:2] for i in range(1, sheet.nrows)], dtype=np.float64
        )
    except ValueError as exc:
        raise ValueError(f"{path} holds a non-numeric value below the header: {exc}") from exc
    return data[:, 0].copy(), data[:, 1].copy()


def without_outlier(
    x: np.ndarray, y: np.ndarray, point: tuple[float, float] = OUTLIER
) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` with every row equal to ``point`` removed (the post's upper-right point)."""
    x, y = _check_xy(x, y)
    keep = ~(np.isclose(x, point[0]) & np.isclose(y, point[1]))
    if keep.all():
        raise ValueError(f"point {point} is not in the data")
    return x[keep], y[keep]


def mse(fit: LineFit | QuadFit, x: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error of ``fit`` on ``(x, y)``."""
    x, y = _check_xy(x, y)
    return float(np.mean((fit.predict(x) - y) ** 2))


def _check_xy(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or y.ndim != 1 or x.shape != y.shape or x.size < 2:
        raise ValueError(
            f"expected x and y as 1-D arrays of the same length >= 2, got shapes {x.shape} and "
            f"{y.shape}"
        )
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("x and y must be finite (no NaN or inf)")
    return x, y


def _check_schedule(learning_rate: float, epochs: int) -> None:
    """A positive learning rate and at least one epoch, or a ValueError naming the bad value."""
    _check_positive("learning_rate", learning_rate)
    if int(epochs) < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs!r}")


def _check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


# --------------------------------------------------------------------------------------------
# Exact answers


def fit_exact(x: np.ndarray, y: np.ndarray) -> LineFit:
    """Closed-form least squares with TensorFlow ops in float64, as the post computed it.

    ``slope = sum((x - mean x)(y - mean y)) / sum((x - mean x)^2)``, ``intercept = mean y - slope
    * mean x``.
    """
    import tensorflow as tf

    x, y = _check_xy(x, y)
    start = time.perf_counter()
    X = tf.constant(x, tf.float64)
    Y = tf.constant(y, tf.float64)
    dx = X - tf.reduce_mean(X)
    slope = tf.reduce_sum(dx * (Y - tf.reduce_mean(Y))) / tf.reduce_sum(dx**2)
    intercept = tf.reduce_mean(Y) - slope * tf.reduce_mean(X)
    slope, intercept = float(slope.numpy()), float(intercept.numpy())
    return LineFit(slope, intercept, time.perf_counter() - start, method="exact (TensorFlow)")


def fit_lstsq(x: np.ndarray, y: np.ndarray) -> LineFit:
    """Least squares with ``numpy.linalg.lstsq`` on the design matrix ``[x, 1]``."""
    x, y = _check_xy(x, y)
    start = time.perf_counter()
    (slope, intercept), *_ = np.linalg.lstsq(np.stack([x, np.ones_like(x)], axis=1), y, rcond=None)
    return LineFit(
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


def exact_graph(x: np.ndarray, y: np.ndarray, named: bool = True,
                log_dir: str | os.PathLike[str] | None = None) -> tuple[LineFit, Any]:
    """The closed-form least-squares line as a traced TensorFlow graph: ``(fit, GraphDef)``.

    ``named=True`` names every op (``tf.name_scope`` groups ``means`` and ``least_squares``; the
    line is stored in the variables ``slope`` and ``intercept``, then ``model/prediction`` and
    ``loss/mse`` follow); ``named=False`` is the write-up's operator-overloading code, whose
    subtractions and powers get TensorFlow's default names (``sub``, ``pow``). With ``log_dir`` (a
    run name goes to ``outputs/logs/<name>``) the graph is written for TensorBoard's Graphs tab.
    """
    import tensorflow as tf

    from darkroom import training

    x, y = _check_xy(x, y)
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
    graph_def = training.trace_graph(function, X, Y, log_dir=log_dir)
    slope, intercept = (float(v) for v in function(X, Y))
    fit = LineFit(slope, intercept, time.perf_counter() - start, method="exact (traced graph)")
    return fit, graph_def


def fit_quadratic(x: np.ndarray, y: np.ndarray) -> QuadFit:
    """Least-squares parabola ``y = a x^2 + b x + c`` (the course's next model)."""
    x, y = _check_xy(x, y)
    start = time.perf_counter()
    coeffs, *_ = np.linalg.lstsq(np.stack([x**2, x, np.ones_like(x)], axis=1), y, rcond=None)
    a, b, c = (float(v) for v in coeffs)
    return QuadFit(a, b, c, time.perf_counter() - start)


def fit_robust(
    x: np.ndarray,
    y: np.ndarray,
    loss: str = "huber",
    delta: float | None = None,
    iterations: int = 200,
    tol: float = 1e-10,
) -> LineFit:
    """A line fitted with a robust loss by iteratively reweighted least squares.

    ``loss="huber"`` is quadratic for residuals below ``delta`` and linear above (default
    ``delta = 1.345 * sigma``, sigma estimated from the median absolute deviation of the L1
    fit's residuals: 95% efficiency on Gaussian noise). ``loss="l1"`` minimises the sum of
    absolute residuals (least absolute deviations).
    """
    x, y = _check_xy(x, y)
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
        _check_positive("delta", delta)
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
    return LineFit(float(params[0]), float(params[1]), time.perf_counter() - start, method=name)


# --------------------------------------------------------------------------------------------
# Per-sample SGD: the course's recipe, compiled

_PER_SAMPLE_LOOPS: dict[tuple[bool, bool], Callable[..., Any]] = {}


def _per_sample_loop(jit_compile: bool, record_steps: bool) -> Callable[..., Any]:
    """The compiled per-sample SGD loop (built once per setting).

    ``lr``, ``w0`` and ``b0`` are vectors: every learning rate runs in the same loop with its own
    ``w, b``, so a whole sweep costs one run. Returns ``w`` and ``b`` after every epoch, shape
    ``(epochs, len(lr))``, or with ``record_steps`` after every step, ``(epochs * n, len(lr))``.
    """
    key = (jit_compile, record_steps)
    if key in _PER_SAMPLE_LOOPS:
        return _PER_SAMPLE_LOOPS[key]
    import tensorflow as tf

    vector = tf.TensorSpec([None], tf.float32)
    signature = [vector] * 5 + [tf.TensorSpec([], tf.int32)]

    @tf.function(input_signature=signature, jit_compile=jit_compile)
    def loop(x, y, lr, w0, b0, epochs):
        n = tf.shape(x)[0]
        w, b = w0, b0
        size = epochs * n if record_steps else epochs
        ws = tf.TensorArray(tf.float32, size=size)
        bs = tf.TensorArray(tf.float32, size=size)
        for epoch in tf.range(epochs):
            for i in tf.range(n):
                # Gradient of the per-sample loss (y_i - (w x_i + b))^2, one plain step each.
                residual = (x[i] * w + b) - y[i]
                w = w - lr * (2.0 * residual * x[i])
                b = b - lr * (2.0 * residual)
                if record_steps:
                    ws = ws.write(epoch * n + i, w)
                    bs = bs.write(epoch * n + i, b)
            if not record_steps:
                ws = ws.write(epoch, w)
                bs = bs.write(epoch, b)
        return ws.stack(), bs.stack()

    _PER_SAMPLE_LOOPS[key] = loop
    return loop


def _run_per_sample(
    x: np.ndarray,
    y: np.ndarray,
    learning_rates: Sequence[float],
    epochs: int,
    start: tuple[np.ndarray, np.ndarray] | None = None,
    record_steps: bool = False,
    jit_compile: bool = True,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Run the compiled loop; returns per-epoch (or per-step) ``w``, ``b`` and the seconds taken."""
    import tensorflow as tf

    if int(epochs) < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs!r}")
    for lr in learning_rates:
        _check_positive("learning_rate", lr)
    lr = np.asarray(learning_rates, dtype=np.float32)
    w0, b0 = start if start is not None else (np.zeros_like(lr), np.zeros_like(lr))
    began = time.perf_counter()
    from darkroom.training import quiet_first_xla_compile

    with quiet_first_xla_compile(bool(jit_compile)):
        ws, bs = _per_sample_loop(bool(jit_compile), record_steps)(
            tf.constant(x, tf.float32),
            tf.constant(y, tf.float32),
            tf.constant(lr),
            tf.constant(w0, tf.float32),
            tf.constant(b0, tf.float32),
            tf.constant(int(epochs), tf.int32),
        )
        ws, bs = ws.numpy(), bs.numpy()
    return ws, bs, time.perf_counter() - began


def _epoch_mse(x: np.ndarray, y: np.ndarray, ws: np.ndarray, bs: np.ndarray) -> np.ndarray:
    """MSE of every ``(w, b)`` in broadcastable arrays, in float64; inf where it overflowed."""
    with np.errstate(over="ignore", invalid="ignore"):
        pred = ws[..., None].astype(np.float64) * x + bs[..., None].astype(np.float64)
        loss = np.mean((pred - y) ** 2, axis=-1)
    return np.where(np.isfinite(loss), loss, np.inf)


def fit_sgd_per_sample(
    x: np.ndarray,
    y: np.ndarray,
    learning_rate: float = 0.001,
    epochs: int = 100,
    jit_compile: bool = True,
) -> LineFit:
    """The CS 20SI recipe: float32, ``w = b = 0``, one plain SGD step per sample in file order.

    The loss of one sample is ``(y_i - (w x_i + b))^2``. The whole run (epochs x samples) is one
    compiled TensorFlow loop (``tf.function``, XLA by default), not a Python loop of eager steps.
    With the defaults it reproduces the post's line (``writeups.value("fire_theft_sgd_slope")``,
    ``..._intercept``). ``history``
    is the float64 MSE over all samples after each epoch.
    """
    x, y = _check_xy(x, y)
    ws, bs, seconds = _run_per_sample(x, y, [learning_rate], epochs, jit_compile=jit_compile)
    history = _epoch_mse(x, y, ws[:, 0], bs[:, 0])
    return LineFit(
        float(ws[-1, 0]),
        float(bs[-1, 0]),
        seconds,
        history.tolist(),
        method=f"per-sample SGD (lr={learning_rate:g}, {epochs} epochs)",
    )


def fit_sgd_per_sample_eager(
    x: np.ndarray, y: np.ndarray, learning_rate: float = 0.001, epochs: int = 1
) -> LineFit:
    """The same recipe as :func:`fit_sgd_per_sample`, as a Python loop of eager TensorFlow steps.

    This is how the TF1 code ran it (one ``session.run`` per sample); it is here only to time
    against the compiled loop -- use a few epochs.
    """
    import tensorflow as tf

    x, y = _check_xy(x, y)
    _check_schedule(learning_rate, epochs)
    w = tf.Variable(0.0, dtype=tf.float32)
    b = tf.Variable(0.0, dtype=tf.float32)
    X = tf.constant(x, tf.float32)
    Y = tf.constant(y, tf.float32)
    start = time.perf_counter()
    for _ in range(int(epochs)):
        for i in range(len(x)):
            with tf.GradientTape() as tape:
                loss = tf.square(Y[i] - (X[i] * w + b))
            gw, gb = tape.gradient(loss, [w, b])
            w.assign_sub(learning_rate * gw)
            b.assign_sub(learning_rate * gb)
    return LineFit(
        float(w.numpy()),
        float(b.numpy()),
        time.perf_counter() - start,
        method=f"per-sample SGD, eager Python loop (lr={learning_rate:g}, {epochs} epochs)",
    )


def sgd_limit(x: np.ndarray, y: np.ndarray, learning_rate: float) -> tuple[float, float, float]:
    """Where per-sample SGD at ``learning_rate`` ends up, and how fast: ``(slope, intercept, rate)``.

    One epoch of per-sample steps on a squared loss is an affine map ``theta -> A theta + c``
    (each step is ``theta -= 2 lr (a_i . theta - y_i) a_i`` with ``a_i = (x_i, 1)``). Its fixed
    point is where the end-of-epoch parameters settle -- not the least-squares answer unless the
    learning rate goes to 0 -- and ``rate``, the spectral radius of ``A``, is the factor by which
    the distance to that point shrinks per epoch (``rate >= 1``: the run diverges). Computed in
    float64.
    """
    x, y = _check_xy(x, y)
    _check_positive("learning_rate", learning_rate)
    A = np.eye(2)
    c = np.zeros(2)
    for xi, yi in zip(x, y):
        a = np.array([xi, 1.0])
        step = np.eye(2) - 2.0 * learning_rate * np.outer(a, a)
        A = step @ A
        c = step @ c + 2.0 * learning_rate * yi * a
    rate = float(np.max(np.abs(np.linalg.eigvals(A))))
    if rate >= 1.0:
        return float("nan"), float("nan"), rate
    slope, intercept = np.linalg.solve(np.eye(2) - A, c)
    return float(slope), float(intercept), rate


def sgd_path(
    x: np.ndarray,
    y: np.ndarray,
    learning_rate: float = 0.001,
    epochs: int = 100,
    last_epochs: int = 1,
) -> np.ndarray:
    """``(w, b)`` after every per-sample step of the last ``last_epochs`` epochs, shape (steps, 2).

    The path shows why the answer is off: within an epoch each sample drags the line its own way,
    so with a fixed learning rate the parameters go round a loop instead of settling.
    """
    x, y = _check_xy(x, y)
    if not 1 <= last_epochs <= epochs:
        raise ValueError(f"last_epochs must be in 1..epochs={epochs}, got {last_epochs}")
    start = None
    if epochs > last_epochs:
        ws, bs, _ = _run_per_sample(x, y, [learning_rate], epochs - last_epochs)
        start = (ws[-1], bs[-1])
    ws, bs, _ = _run_per_sample(x, y, [learning_rate], last_epochs, start, record_steps=True)
    return np.stack([ws[:, 0], bs[:, 0]], axis=1)


def sweep_sgd(
    x: np.ndarray,
    y: np.ndarray,
    learning_rates: Sequence[float] = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6),
    epochs: Sequence[int] = (100, 1000, 10000),
    tol: float = 1e-3,
) -> SweepResult:
    """Per-sample SGD for every learning rate x epoch count, in a single compiled run.

    All learning rates train side by side in one loop of ``max(epochs)`` epochs, and the fit
    after each requested epoch count is read off. Each cell gets a verdict, using the point the
    run settles at for its learning rate (:func:`sgd_limit`):

    - ``diverged``: the loss is not finite, or the epoch map expands (rate >= 1);
    - ``converged``: slope and intercept within ``tol`` relative error of least squares;
    - ``circling``: closer to its own settling point than that point is to the answer -- more
      epochs cannot help, the learning rate is too high;
    - ``crawling``: still far from where it is heading -- the learning rate is too low for this
      many epochs.
    """
    x, y = _check_xy(x, y)
    learning_rates = [float(v) for v in learning_rates]
    epochs = sorted({int(e) for e in epochs})
    if not learning_rates or not epochs or epochs[0] < 1:
        raise ValueError(
            f"expected at least one learning rate and epoch counts >= 1, got {learning_rates} "
            f"and {epochs}"
        )
    exact = fit_lstsq(x, y)
    ws, bs, seconds = _run_per_sample(x, y, learning_rates, epochs[-1])
    target = np.array([exact.slope, exact.intercept])
    shape = (len(learning_rates), len(epochs))
    slope, intercept, loss = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    verdict = np.empty(shape, dtype=object)
    limits = [sgd_limit(x, y, lr) for lr in learning_rates]
    for j, ep in enumerate(epochs):
        w, b = ws[ep - 1].astype(np.float64), bs[ep - 1].astype(np.float64)
        slope[:, j], intercept[:, j] = w, b
        loss[:, j] = _epoch_mse(x, y, w, b)
        for i, (lim_w, lim_b, rate) in enumerate(limits):
            params = np.array([w[i], b[i]])
            limit = np.array([lim_w, lim_b])
            error = np.max(np.abs(params - target) / np.abs(target))
            if not np.isfinite(loss[i, j]) or rate >= 1.0:
                verdict[i, j] = "diverged"
            elif error <= tol:
                verdict[i, j] = "converged"
            elif np.max(np.abs(params - limit) / np.abs(target)) < np.max(
                np.abs(limit - target) / np.abs(target)
            ):
                verdict[i, j] = "circling"
            else:
                verdict[i, j] = "crawling"
    return SweepResult(
        learning_rates,
        epochs,
        slope,
        intercept,
        loss,
        verdict,
        exact,
        seconds,
        limit_slope=np.array([v[0] for v in limits]),
        limit_intercept=np.array([v[1] for v in limits]),
        rate=np.array([v[2] for v in limits]),
    )


# --------------------------------------------------------------------------------------------
# Full-batch gradient descent with a Keras optimizer, compiled


def fit_gd(
    x: np.ndarray,
    y: np.ndarray,
    learning_rate: float = 0.003,
    epochs: int = 20000,
    optimizer: str = "sgd",
    seed: int = 0,
    strategy: Any = None,
) -> LineFit:
    """Full-batch gradient descent on the mean squared error, one step per epoch.

    ``optimizer`` is a name from :data:`darkroom.training.OPTIMIZERS`; ``w`` and ``b`` start at 0
    in float32 and all epochs run inside one ``tf.function`` loop. ``history`` is the loss before
    each step. ``seed`` is accepted for the shared training signature (the start is deterministic);
    ``strategy`` places the variables.
    For plain SGD on this data, learning rates above about 0.0037 diverge (twice the inverse of
    the largest curvature of the loss).
    """
    import keras
    import tensorflow as tf

    from darkroom import training

    x, y = _check_xy(x, y)
    _check_schedule(learning_rate, epochs)
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    with training.strategy_scope(strategy):
        w = tf.Variable(0.0, dtype=tf.float32, name="slope")
        b = tf.Variable(0.0, dtype=tf.float32, name="intercept")
        opt = training.optimizer(optimizer, learning_rate)
        opt.build([w, b])
    X = tf.constant(x, tf.float32)
    Y = tf.constant(y, tf.float32)

    @tf.function
    def train(num_epochs: tf.Tensor) -> tf.Tensor:
        losses = tf.TensorArray(tf.float32, size=num_epochs)
        for epoch in tf.range(num_epochs):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(Y - (X * w + b)))
            opt.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
            losses = losses.write(epoch, loss)
        return losses.stack()

    history = train(tf.constant(int(epochs), tf.int32)).numpy().astype(np.float64)
    return LineFit(
        float(w.numpy()),
        float(b.numpy()),
        time.perf_counter() - start,
        history.tolist(),
        method=f"full-batch {optimizer} (lr={learning_rate:g}, {epochs} epochs)",
    )


def sweep_steps(
    x: np.ndarray,
    y: np.ndarray,
    steps: Sequence[int] = (100, 1_000, 2_000, 10_000, 100_000),
    optimizer: str = "ftrl",
    learning_rate: float = 0.2,
    batch_size: int | None = None,
    seed: int = 0,
) -> StepsSweep:
    """One run of ``max(steps)`` optimizer steps on the MSE, the line read off after each count.

    This is the estimator's knob: ``LinearRegressor.fit(steps=...)`` trained the line with FTRL
    (``tf.contrib.learn``'s default for linear models, learning rate 0.2) on the mean squared
    error, and the write-up asked whether more steps bring it to least squares. ``w = b = 0`` in
    float32; ``batch_size=None`` takes full-batch steps (the same run as :func:`fit_gd`), an integer
    draws each batch uniformly with replacement from the data (stateless, seeded by ``seed``),
    like the estimator's shuffled input queue. All steps run in one compiled ``tf.function`` loop.
    """
    import tensorflow as tf

    x, y = _check_xy(x, y)
    counts = sorted({int(n) for n in steps})
    if not counts or counts[0] < 1:
        raise ValueError(f"steps must be a non-empty list of counts >= 1, got {list(steps)!r}")
    _check_positive("learning_rate", learning_rate)
    if batch_size is not None and int(batch_size) < 1:
        raise ValueError(f"batch_size must be None (full batch) or >= 1, got {batch_size!r}")
    from darkroom import training

    opt = training.optimizer(optimizer, learning_rate)
    start = time.perf_counter()
    w = tf.Variable(0.0, dtype=tf.float32, name="slope")
    b = tf.Variable(0.0, dtype=tf.float32, name="intercept")
    opt.build([w, b])
    X = tf.constant(x, tf.float32)
    Y = tf.constant(y, tf.float32)
    n = len(x)

    @tf.function
    def train(num_steps: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        ws = tf.TensorArray(tf.float32, size=num_steps)
        bs = tf.TensorArray(tf.float32, size=num_steps)
        for step in tf.range(num_steps):
            if batch_size is None:
                xb, yb = X, Y
            else:
                idx = tf.random.stateless_uniform(
                    [int(batch_size)], seed=tf.stack([seed, step]), maxval=n, dtype=tf.int32
                )
                xb, yb = tf.gather(X, idx), tf.gather(Y, idx)
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(yb - (xb * w + b)))
            opt.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
            ws = ws.write(step, w.read_value())
            bs = bs.write(step, b.read_value())
        return ws.stack(), bs.stack()

    ws, bs = train(tf.constant(counts[-1], tf.int32))
    at = np.asarray(counts) - 1
    slope = ws.numpy()[at].astype(np.float64)
    intercept = bs.numpy()[at].astype(np.float64)
    return StepsSweep(
        counts,
        slope,
        intercept,
        _epoch_mse(x, y, slope, intercept),
        fit_lstsq(x, y),
        optimizer,
        float(learning_rate),
        None if batch_size is None else int(batch_size),
        time.perf_counter() - start,
    )


def _dense_line() -> Any:
    import keras

    return keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer="zeros")],
        name="dense_line",
    )


def fit_keras_dense(
    x: np.ndarray,
    y: np.ndarray,
    learning_rate: float = 0.1,
    epochs: int = 500,
    optimizer: str = "adam",
    batch_size: int | None = None,
    seed: int = 0,
    strategy: Any = None,
) -> LineFit:
    """Fit ``keras.Sequential([Input((1,)), Dense(1)])`` on the MSE with :func:`darkroom.training.fit`.

    This is today's stand-in for ``tf.contrib.learn.LinearRegressor`` (removed from TensorFlow).
    The kernel and bias start at zero like the other fits; ``batch_size=None`` means the full
    batch (one step per epoch); samples stay in file order. ``history`` is Keras' per-epoch
    training loss. The model is returned in ``LineFit.model``.
    """
    from darkroom import training

    x, y = _check_xy(x, y)
    _check_schedule(learning_rate, epochs)
    start = time.perf_counter()
    result = training.fit(
        _dense_line, (x.astype(np.float32)[:, None], y.astype(np.float32)), loss="mse",
        optimizer=optimizer, learning_rate=learning_rate, epochs=int(epochs),
        batch_size=batch_size or len(x), shuffle=False, seed=seed, strategy=strategy, desc="Dense(1)",
    )
    kernel, bias = result.model.layers[-1].get_weights()
    return LineFit(
        float(kernel.ravel()[0]),
        float(bias.ravel()[0]),
        time.perf_counter() - start,
        result.history["loss"],
        method=f"Keras Dense(1) {optimizer} (lr={learning_rate:g}, {epochs} epochs)",
        model=result.model,
    )


# --------------------------------------------------------------------------------------------
# Plots


def plot_fits(
    x: np.ndarray,
    y: np.ndarray,
    fits: Mapping[str, LineFit | QuadFit],
    ax: Any = None,
    title: str | None = None,
    highlight: tuple[float, float] | None = None,
) -> Any:
    """Scatter the data and draw each fit over ``[0, 1.05 max x]``; returns the Axes."""
    import matplotlib.pyplot as plt

    x, y = _check_xy(x, y)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    ax.plot(x, y, "o", color="0.3", ms=4, label="data")
    if highlight is not None:
        ax.plot(*highlight, "o", color="crimson", ms=11, mfc="none", mew=1.5, label="outlier")
    grid = np.linspace(0, 1.05 * x.max(), 200)
    for label, fit in fits.items():
        ax.plot(grid, fit.predict(grid), lw=2, label=label)
    ax.set_xlabel("fires per 1000 housing units (X)")
    ax.set_ylabel("thefts per 1000 population (Y)")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_loss_curves(
    histories: Mapping[str, Sequence[float]],
    floor: float | None = None,
    ax: Any = None,
    logy: bool = True,
    title: str | None = None,
) -> Any:
    """Loss against epoch for several runs; ``floor`` draws the exact fit's loss as a line."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for label, history in histories.items():
        h = np.asarray(history, dtype=np.float64)
        ax.plot(np.arange(1, h.size + 1), h, label=label)
    if floor is not None:
        ax.axhline(floor, color="k", ls="--", lw=1, label="exact least squares")
    ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean squared error")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


_VERDICT_COLOURS = {
    "diverged": "#d62728",
    "circling": "#ff7f0e",
    "crawling": "#1f77b4",
    "converged": "#2ca02c",
}


def plot_sweep(sweep: SweepResult, ax: Any = None, title: str | None = None) -> Any:
    """Heat map of the sweep: colour = verdict, text = slope / intercept reached."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    if ax is None:
        _, ax = plt.subplots(figsize=(1.8 * len(sweep.epochs) + 2, 0.7 * len(sweep.learning_rates) + 1.5))
    names = list(_VERDICT_COLOURS)
    codes = np.vectorize(names.index)(sweep.verdict)
    ax.imshow(codes, cmap=ListedColormap(list(_VERDICT_COLOURS.values())), vmin=0,
              vmax=len(names) - 1, aspect="auto", alpha=0.75)
    for i in range(len(sweep.learning_rates)):
        for j in range(len(sweep.epochs)):
            if sweep.verdict[i, j] == "diverged":
                text = "diverged"
            else:
                text = f"{sweep.slope[i, j]:.3f} / {sweep.intercept[i, j]:.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(sweep.epochs)), [f"{e:,}" for e in sweep.epochs])
    ax.set_yticks(range(len(sweep.learning_rates)), [f"{lr:g}" for lr in sweep.learning_rates])
    ax.set_xlabel("epochs")
    ax.set_ylabel("learning rate")
    ax.set_title(
        title
        or f"per-sample SGD: slope / intercept (exact {sweep.exact.slope:.3f} / "
        f"{sweep.exact.intercept:.2f})"
    )
    ax.legend(
        handles=[Patch(color=c, alpha=0.75, label=n) for n, c in _VERDICT_COLOURS.items()],
        loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8,
    )
    return ax


def plot_sgd_path(
    x: np.ndarray,
    y: np.ndarray,
    path: np.ndarray,
    fits: Mapping[str, LineFit] | None = None,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """The per-step ``(slope, intercept)`` path over contours of the MSE, with fits marked."""
    import matplotlib.pyplot as plt

    x, y = _check_xy(x, y)
    path = np.asarray(path, dtype=np.float64)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    points = [path] + [np.array([[f.slope, f.intercept]]) for f in (fits or {}).values()]
    allp = np.concatenate(points)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    pad = 0.25 * np.maximum(hi - lo, [0.2, 2.0])
    ws = np.linspace(lo[0] - pad[0], hi[0] + pad[0], 150)
    bs = np.linspace(lo[1] - pad[1], hi[1] + pad[1], 150)
    W, B = np.meshgrid(ws, bs)
    loss = _epoch_mse(x, y, W, B)
    ax.contour(W, B, loss, levels=20, colors="0.7", linewidths=0.7)
    ax.plot(path[:, 0], path[:, 1], "-", color="tab:orange", lw=1, label="SGD steps")
    ax.plot(path[-1, 0], path[-1, 1], "o", color="tab:orange", label="end of run")
    for (label, fit), marker in zip((fits or {}).items(), "*sD^v"):
        ax.plot(fit.slope, fit.intercept, marker, ms=10, label=label)
    ax.set_xlabel("slope w")
    ax.set_ylabel("intercept b")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_steps_sweep(
    sweeps: Mapping[str, StepsSweep],
    marks: Mapping[str, tuple[int, float, float]] | None = None,
    title: str | None = None,
) -> Any:
    """Slope and intercept against steps (log axis) for each sweep, least squares dashed.

    ``marks`` adds single points ``label -> (steps, slope, intercept)``, e.g. a write-up's result.
    Returns the Figure.
    """
    import matplotlib.pyplot as plt

    if not sweeps:
        raise ValueError("sweeps is empty: expected at least one StepsSweep to draw")
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    exact = next(iter(sweeps.values())).exact
    for ax, name, target in zip(axes, ("slope", "intercept"), (exact.slope, exact.intercept)):
        for label, sweep in sweeps.items():
            ax.plot(sweep.steps, getattr(sweep, name), "o-", ms=4, label=label)
        for (label, point), marker in zip((marks or {}).items(), "*Dsv"):
            ax.plot(point[0], point[1 if name == "slope" else 2], marker, ms=12, color="k",
                    label=label)
        ax.axhline(target, color="k", ls="--", lw=1, label="least squares")
        ax.set_xscale("log")
        ax.set_xlabel("steps")
        ax.set_ylabel(name)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
