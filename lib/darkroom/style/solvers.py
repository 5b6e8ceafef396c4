"""The two optimisers :func:`darkroom.style.transfer.stylize` drives, each over one working size.

``_Objective`` is neural-style's loss at that size as a compiled TensorFlow function of the image;
``_run_adam`` is neural-style's Adam (TF1's bias correction folded into the step size) and
``_run_lbfgs`` SciPy's L-BFGS-B inside VGG's pixel range. Both report every iteration to a callback
(:mod:`darkroom.style.results`' recorder), which keeps the history and says when to stop. Nothing
here is public: the options are ``stylize``'s.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from darkroom.core import perceptual, progress, vgg

__all__: list[str] = []


class _Objective:
    """The neural-style loss at one working size, as a compiled TensorFlow function of the image."""

    def __init__(self, loss: perceptual.PerceptualLoss, content_vgg: np.ndarray, jit_compile: bool):
        import tensorflow as tf

        self.loss = loss
        self.content_targets = loss.content_targets(content_vgg[None])
        self.parts = tf.function(self._parts, jit_compile=jit_compile, reduce_retracing=True)

    def _parts(self, image):
        return self.loss(image, self.content_targets)


def _run_adam(
    obj: _Objective,
    x0: np.ndarray,
    budget: int,
    adam: tuple[float, float, float, float],
    jit_compile: bool,
    on_iter,
) -> None:
    """Optimise with neural-style's Adam (``adam`` = learning rate, beta1, beta2, epsilon) until
    ``on_iter`` says stop."""
    import tensorflow as tf

    learning_rate, b1, b2, eps = adam
    image = tf.Variable(x0[None], dtype=tf.float32)
    m = tf.Variable(tf.zeros_like(image))
    v = tf.Variable(tf.zeros_like(image))
    t = tf.Variable(0.0)

    @tf.function(jit_compile=jit_compile)
    def step():
        with tf.GradientTape() as tape:
            total, c, s, tv = obj._parts(image)
        g = tape.gradient(total, image)
        before = tf.identity(image)
        t.assign_add(1.0)
        m.assign(b1 * m + (1 - b1) * g)
        v.assign(b2 * v + (1 - b2) * tf.square(g))
        # TF1 AdamOptimizer's bias correction folded into the step size, as neural-style ran it.
        alpha = learning_rate * tf.sqrt(1 - tf.pow(b2, t)) / (1 - tf.pow(b1, t))
        image.assign_sub(alpha * m / (tf.sqrt(v) + eps))
        return before, total, c, s, tv

    for i in range(budget):
        with progress.quiet_first_xla_compile(jit_compile and i == 0):
            before, total, c, s, tv = step()
        if on_iter(before, float(total), float(c), float(s), float(tv)):
            break
    final_parts = obj.parts(image)
    on_iter(image, *(float(p) for p in final_parts), final=True)


def _run_lbfgs(obj: _Objective, x0: np.ndarray, budget: int, memory: int, jit_compile: bool, on_iter) -> None:
    """Optimise with SciPy's L-BFGS-B inside VGG's pixel range until ``on_iter`` says stop or ``budget`` runs out."""
    import scipy.optimize
    import tensorflow as tf
    from threadpoolctl import threadpool_limits

    shape = (1, *x0.shape)

    @tf.function(jit_compile=jit_compile, autograph=False)  # straight-line code: nothing for AutoGraph to do
    def value_and_grad(flat):
        img = tf.reshape(flat, shape)
        with tf.GradientTape() as tape:
            tape.watch(img)
            total, c, s, tv = obj._parts(img)
        return total, c, s, tv, tf.reshape(tape.gradient(total, img), [-1])

    last: dict[str, Any] = {}

    def fun(x64):
        total, c, s, tv, g = value_and_grad(tf.constant(x64, tf.float32))
        last.update(x=x64, parts=(float(total), float(c), float(s), float(tv)))
        return float(total), g.numpy().astype(np.float64)

    def callback(intermediate_result):
        x = intermediate_result.x
        if last.get("x") is not x and not np.array_equal(last.get("x"), x):
            fun(x)
        if on_iter(tf.reshape(tf.constant(x, tf.float32), shape), *last["parts"]):
            raise StopIteration

    lo = np.broadcast_to(-vgg.VGG_MEAN_RGB, x0.shape).ravel().astype(np.float64)
    hi = np.broadcast_to(255.0 - vgg.VGG_MEAN_RGB, x0.shape).ravel().astype(np.float64)
    x_init = np.clip(x0.ravel().astype(np.float64), lo, hi)
    # L-BFGS-B calls OpenBLAS, whose idle threads keep spinning on the cores TensorFlow needs for the next
    # gradient; one BLAS thread made each iteration 22% faster at 128 px on 2 cores.
    with threadpool_limits(limits=1, user_api="blas"):
        with progress.quiet_first_xla_compile(jit_compile):
            fun(x_init)
        on_iter(tf.constant(x_init.reshape(shape), tf.float32), *last["parts"])  # iteration 0: the start
        scipy.optimize.minimize(
            fun,
            x_init,
            jac=True,
            method="L-BFGS-B",
            bounds=scipy.optimize.Bounds(lo, hi),
            callback=callback,
            options=dict(maxiter=max(budget - 1, 1), maxcor=memory, ftol=0.0, gtol=0.0, maxfun=budget * 3),
        )
