"""Linear regression on the Chicago fire-and-theft data, solved exactly and by gradient descent.

The write-up behind this module ("Dangers of tunable parameters in TensorFlow") found that the
CS 20SI lecture's gradient-descent recipe -- float32, ``w = b = 0``, one plain SGD step per sample
in file order, learning rate 0.001, 100 epochs -- lands well away from the least-squares line
(both lines are in :mod:`darkroom.core.writeups` under ``fire_theft_*``). This module gives each
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
  fast);
- :func:`fit_sgd_per_sample_eager` -- the same recipe as a Python loop of eager steps, for timing.

The data and the result types (:class:`~darkroom.regression.fire_theft.LineFit` and the sweeps) are in
:mod:`darkroom.regression.fire_theft`; the figures in :mod:`darkroom.regression.plots`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from darkroom.regression import fire_theft

__all__ = [
    "exact_graph",
    "fit_exact",
    "fit_gd",
    "fit_keras_dense",
    "fit_lstsq",
    "fit_quadratic",
    "fit_robust",
    "fit_sgd_per_sample",
    "fit_sgd_per_sample_eager",
    "sgd_limit",
    "sgd_path",
    "sweep_sgd",
    "sweep_steps",
]


# --------------------------------------------------------------------------------------------
# Checks


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


def fit_exact(x: np.ndarray, y: np.ndarray) -> fire_theft.LineFit:
    """Closed-form least squares with TensorFlow ops in float64, as the post computed it.

    ``slope = sum((x - mean x)(y - mean y)) / sum((x - mean x)^2)``, ``intercept = mean y - slope
    * mean x``.
    """
    import tensorflow as tf

    x, y = fire_theft.check_xy(x, y)
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
    x, y = fire_theft.check_xy(x, y)
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

    from darkroom.core import training

    x, y = fire_theft.check_xy(x, y)
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
    fit = fire_theft.LineFit(slope, intercept, time.perf_counter() - start, method="exact (traced graph)")
    return fit, graph_def


def fit_quadratic(x: np.ndarray, y: np.ndarray) -> fire_theft.QuadFit:
    """Least-squares parabola ``y = a x^2 + b x + c`` (the course's next model)."""
    x, y = fire_theft.check_xy(x, y)
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
    x, y = fire_theft.check_xy(x, y)
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
    return fire_theft.LineFit(float(params[0]), float(params[1]), time.perf_counter() - start, method=name)


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
    from darkroom.core.training import quiet_first_xla_compile

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


def fit_sgd_per_sample(
    x: np.ndarray,
    y: np.ndarray,
    learning_rate: float = 0.001,
    epochs: int = 100,
    jit_compile: bool = True,
) -> fire_theft.LineFit:
    """The CS 20SI recipe: float32, ``w = b = 0``, one plain SGD step per sample in file order.

    The loss of one sample is ``(y_i - (w x_i + b))^2``. The whole run (epochs x samples) is one
    compiled TensorFlow loop (``tf.function``, XLA by default), not a Python loop of eager steps.
    With the defaults it reproduces the post's line (``writeups.value("fire_theft_sgd_slope")``,
    ``..._intercept``). ``history``
    is the float64 MSE over all samples after each epoch.
    """
    x, y = fire_theft.check_xy(x, y)
    ws, bs, seconds = _run_per_sample(x, y, [learning_rate], epochs, jit_compile=jit_compile)
    history = fire_theft.line_mse(x, y, ws[:, 0], bs[:, 0])
    return fire_theft.LineFit(
        float(ws[-1, 0]),
        float(bs[-1, 0]),
        seconds,
        history.tolist(),
        method=f"per-sample SGD (lr={learning_rate:g}, {epochs} epochs)",
    )


def fit_sgd_per_sample_eager(
    x: np.ndarray, y: np.ndarray, learning_rate: float = 0.001, epochs: int = 1
) -> fire_theft.LineFit:
    """The same recipe as :func:`fit_sgd_per_sample`, as a Python loop of eager TensorFlow steps.

    This is how the TF1 code ran it (one ``session.run`` per sample); it is here only to time
    against the compiled loop -- use a few epochs.
    """
    import tensorflow as tf

    x, y = fire_theft.check_xy(x, y)
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
    return fire_theft.LineFit(
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
    x, y = fire_theft.check_xy(x, y)
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
    x, y = fire_theft.check_xy(x, y)
    if not 1 <= last_epochs <= epochs:
        raise ValueError(f"last_epochs must be in 1..epochs={epochs}, got {last_epochs}")
    start = None
    if epochs > last_epochs:
        ws, bs, _ = _run_per_sample(x, y, [learning_rate], epochs - last_epochs)
        start = (ws[-1], bs[-1])
    ws, bs, _ = _run_per_sample(x, y, [learning_rate], last_epochs, start, record_steps=True)
    return np.stack([ws[:, 0], bs[:, 0]], axis=1)


def _verdict(
    params: np.ndarray, limit: np.ndarray, target: np.ndarray, rate: float, loss: float, tol: float
) -> str:
    """Classify one sweep cell (see :func:`sweep_sgd`) from where it is, settles and should be."""
    scale = np.abs(target)
    if not np.isfinite(loss) or rate >= 1.0:
        return "diverged"
    if np.max(np.abs(params - target) / scale) <= tol:
        return "converged"
    if np.max(np.abs(params - limit) / scale) < np.max(np.abs(limit - target) / scale):
        return "circling"
    return "crawling"


def sweep_sgd(
    x: np.ndarray,
    y: np.ndarray,
    learning_rates: Sequence[float] = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6),
    epochs: Sequence[int] = (100, 1000, 10000),
    tol: float = 1e-3,
) -> fire_theft.SweepResult:
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
    x, y = fire_theft.check_xy(x, y)
    learning_rates = [float(v) for v in learning_rates]
    epochs = sorted({int(e) for e in epochs})
    if not learning_rates or not epochs or epochs[0] < 1:
        raise ValueError(
            f"expected at least one learning rate and epoch counts >= 1, got {learning_rates} and {epochs}"
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
        loss[:, j] = fire_theft.line_mse(x, y, w, b)
        for i, (lim_w, lim_b, rate) in enumerate(limits):
            verdict[i, j] = _verdict(
                np.array([w[i], b[i]]), np.array([lim_w, lim_b]), target, rate, loss[i, j], tol
            )
    return fire_theft.SweepResult(
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
) -> fire_theft.LineFit:
    """Full-batch gradient descent on the mean squared error, one step per epoch.

    ``optimizer`` is a name from :data:`darkroom.core.training.OPTIMIZERS`; ``w`` and ``b`` start at 0
    in float32 and all epochs run inside one ``tf.function`` loop. ``history`` is the loss before
    each step. ``seed`` is accepted for the shared training signature (the start is deterministic);
    ``strategy`` places the variables.
    For plain SGD on this data, learning rates above about 0.0037 diverge (twice the inverse of
    the largest curvature of the loss).
    """
    import keras
    import tensorflow as tf

    from darkroom.core import training

    x, y = fire_theft.check_xy(x, y)
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
    return fire_theft.LineFit(
        float(w.numpy()),
        float(b.numpy()),
        time.perf_counter() - start,
        history.tolist(),
        method=f"full-batch {optimizer} (lr={learning_rate:g}, {epochs} epochs)",
    )


def _record_steps(
    x: np.ndarray, y: np.ndarray, opt: Any, num_steps: int, batch_size: int | None, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``num_steps`` optimizer steps on the MSE of a line from ``w = b = 0`` in one compiled loop;
    the slope and intercept after every step. ``batch_size=None`` is full batch; otherwise each batch
    is drawn uniformly with replacement (stateless, seeded by ``seed``)."""
    import tensorflow as tf

    w = tf.Variable(0.0, dtype=tf.float32, name="slope")
    b = tf.Variable(0.0, dtype=tf.float32, name="intercept")
    opt.build([w, b])
    X = tf.constant(x, tf.float32)
    Y = tf.constant(y, tf.float32)
    n = len(x)

    @tf.function
    def train(steps: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        ws = tf.TensorArray(tf.float32, size=steps)
        bs = tf.TensorArray(tf.float32, size=steps)
        for step in tf.range(steps):
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

    ws, bs = train(tf.constant(num_steps, tf.int32))
    return ws.numpy(), bs.numpy()


def sweep_steps(
    x: np.ndarray,
    y: np.ndarray,
    steps: Sequence[int] = (100, 1_000, 2_000, 10_000, 100_000),
    optimizer: str = "ftrl",
    learning_rate: float = 0.2,
    batch_size: int | None = None,
    seed: int = 0,
) -> fire_theft.StepsSweep:
    """One run of ``max(steps)`` optimizer steps on the MSE, the line read off after each count.

    This is the estimator's knob: ``LinearRegressor.fit(steps=...)`` trained the line with FTRL
    (``tf.contrib.learn``'s default for linear models, learning rate 0.2) on the mean squared
    error, and the write-up asked whether more steps bring it to least squares. ``w = b = 0`` in
    float32; ``batch_size=None`` takes full-batch steps (the same run as :func:`fit_gd`), an integer
    draws each batch uniformly with replacement from the data (stateless, seeded by ``seed``),
    like the estimator's shuffled input queue. All steps run in one compiled ``tf.function`` loop.
    """
    from darkroom.core import training

    x, y = fire_theft.check_xy(x, y)
    counts = sorted({int(n) for n in steps})
    if not counts or counts[0] < 1:
        raise ValueError(f"steps must be a non-empty list of counts >= 1, got {list(steps)!r}")
    _check_positive("learning_rate", learning_rate)
    if batch_size is not None and int(batch_size) < 1:
        raise ValueError(f"batch_size must be None (full batch) or >= 1, got {batch_size!r}")
    start = time.perf_counter()
    ws, bs = _record_steps(x, y, training.optimizer(optimizer, learning_rate), counts[-1], batch_size, seed)
    at = np.asarray(counts) - 1
    slope = ws[at].astype(np.float64)
    intercept = bs[at].astype(np.float64)
    return fire_theft.StepsSweep(
        counts,
        slope,
        intercept,
        fire_theft.line_mse(x, y, slope, intercept),
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
) -> fire_theft.LineFit:
    """Fit ``keras.Sequential([Input((1,)), Dense(1)])`` on the MSE with :func:`darkroom.core.training.fit`.

    This is today's stand-in for ``tf.contrib.learn.LinearRegressor`` (removed from TensorFlow).
    The kernel and bias start at zero like the other fits; ``batch_size=None`` means the full
    batch (one step per epoch); samples stay in file order. ``history`` is Keras' per-epoch
    training loss. The model is returned in ``LineFit.model``.
    """
    from darkroom.core import training

    x, y = fire_theft.check_xy(x, y)
    _check_schedule(learning_rate, epochs)
    start = time.perf_counter()
    result = training.fit(
        _dense_line,
        (x.astype(np.float32)[:, None], y.astype(np.float32)),
        loss="mse",
        optimizer=optimizer,
        learning_rate=learning_rate,
        epochs=int(epochs),
        batch_size=batch_size or len(x),
        shuffle=False,
        seed=seed,
        strategy=strategy,
        desc="Dense(1)",
    )
    kernel, bias = result.model.layers[-1].get_weights()
    return fire_theft.LineFit(
        float(kernel.ravel()[0]),
        float(bias.ravel()[0]),
        time.perf_counter() - start,
        result.history["loss"],
        method=f"Keras Dense(1) {optimizer} (lr={learning_rate:g}, {epochs} epochs)",
        model=result.model,
    )
