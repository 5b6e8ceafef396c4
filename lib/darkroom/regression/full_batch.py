"""Gradient descent with a Keras optimizer on the fire-and-theft line, full batch unless asked otherwise.

:func:`fit_gd` runs full-batch gradient descent with any optimizer of
:data:`darkroom.core.optimizers.OPTIMIZERS` in one compiled loop; :func:`sweep_steps` is the
estimator's knob, one optimizer run (FTRL by default) read off at several step counts, full batch
or seeded minibatches; :func:`fit_keras_dense` fits a Keras ``Dense(1)`` model through
:func:`darkroom.core.training.fit`, the successor of the removed ``tf.contrib.learn.LinearRegressor``
the follow-up post criticised.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from darkroom.core import optimizers
from darkroom.regression import fire_theft
from darkroom.regression.least_squares import fit_lstsq

__all__ = ["fit_gd", "fit_keras_dense", "sweep_steps"]


def fit_gd(
    x: np.ndarray,
    y: np.ndarray,
    learning_rate: float = 0.003,
    epochs: int = 20000,
    optimizer: str = "sgd",
    strategy: Any = None,
) -> fire_theft.LineFit:
    """Full-batch gradient descent on the mean squared error, one step per epoch.

    ``optimizer`` is a name from :data:`darkroom.core.optimizers.OPTIMIZERS`; ``w`` and ``b`` start at 0
    in float32 and all epochs run inside one ``tf.function`` loop. ``history`` is the loss before
    each step. Nothing in the run is random (a fixed start, the full batch), so there is no seed;
    ``strategy`` places the variables.
    For plain SGD on this data, learning rates above about 0.0037 diverge (twice the inverse of
    the largest curvature of the loss).
    """
    import tensorflow as tf

    from darkroom.core import training

    x, y = fire_theft.check_fit_data(x, y)
    fire_theft.check_schedule(learning_rate, epochs)
    start = time.perf_counter()
    with training.strategy_scope(strategy):
        w = tf.Variable(0.0, dtype=tf.float32, name="slope")
        b = tf.Variable(0.0, dtype=tf.float32, name="intercept")
        opt = optimizers.optimizer(optimizer, learning_rate)
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

    x, y = fire_theft.check_fit_data(x, y)
    counts = sorted({int(n) for n in steps})
    if not counts or counts[0] < 1:
        raise ValueError(f"steps must be a non-empty list of counts >= 1, got {list(steps)!r}")
    fire_theft.check_positive("learning_rate", learning_rate)
    if batch_size is not None and int(batch_size) < 1:
        raise ValueError(f"batch_size must be None (full batch) or >= 1, got {batch_size!r}")
    start = time.perf_counter()
    ws, bs = _record_steps(x, y, optimizers.optimizer(optimizer, learning_rate), counts[-1], batch_size, seed)
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

    x, y = fire_theft.check_fit_data(x, y)
    fire_theft.check_schedule(learning_rate, epochs)
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
