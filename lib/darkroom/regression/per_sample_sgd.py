"""The course's recipe: per-sample SGD on the fire-and-theft line, as one compiled TensorFlow loop.

The write-up ("Dangers of tunable parameters in TensorFlow") found that the CS 20SI lecture's
gradient-descent recipe -- float32, ``w = b = 0``, one plain SGD step per sample in file order,
learning rate 0.001, 100 epochs -- lands well away from the least-squares line. Here:
:func:`fit_sgd_per_sample` runs it (and :func:`fit_sgd_per_sample_eager` as the TF1 code did, a
Python loop of eager steps, for timing); :func:`sgd_limit` computes where it settles for a learning
rate and how fast; :func:`sgd_path` follows it step by step; :func:`sweep_sgd` runs learning rate x
epochs in one loop and classifies each cell as diverged / crawling / circling / converged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from darkroom.regression import fire_theft
from darkroom.regression.least_squares import fit_lstsq

__all__ = ["fit_sgd_per_sample", "fit_sgd_per_sample_eager", "sgd_limit", "sgd_path", "sweep_sgd"]


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
        fire_theft.check_positive("learning_rate", lr)
    lr = np.asarray(learning_rates, dtype=np.float32)
    w0, b0 = start if start is not None else (np.zeros_like(lr), np.zeros_like(lr))
    began = time.perf_counter()
    from darkroom.core.progress import quiet_first_xla_compile

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
    x, y = fire_theft.check_fit_data(x, y)
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

    x, y = fire_theft.check_fit_data(x, y)
    fire_theft.check_schedule(learning_rate, epochs)
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
    x, y = fire_theft.check_fit_data(x, y)
    fire_theft.check_positive("learning_rate", learning_rate)
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
    x, y = fire_theft.check_fit_data(x, y)
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
    x, y = fire_theft.check_fit_data(x, y)
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
