"""Optimisation-based style transfer (Gatys, Ecker & Bethge 2015/2016) on VGG19 features.

The option set and defaults follow anishathalye/neural-style, the tool used by the
"Playing with Image Style Transfer" write-up: content layers relu4_2/relu5_2, style
layers relu1_1..relu5_1, gram matrices normalised by the feature map size, Adam at
learning rate 10 on an image held in VGG's own units (0..255, mean pixel removed), a
total-variation term, and the best-loss image kept.  Added on top: L-BFGS,
multi-resolution, a relative-change stopping rule, frames for a movie of the
optimisation, and colour preservation in LAB or YCbCr::

    from darkroom.style import transfer
    result = transfer.stylize(content, [starry, mosaic], style_blend_weights=[3, 1],
                           iterations=300, width=256)
    result.image, result.loss, result.stopped_at, result.weights

The features live in the foundation module :mod:`darkroom.core.vgg`, their weights (ImageNet, a
file, or the offline random filters) in :mod:`darkroom.core.vgg_weights` and the perceptual loss in
:mod:`darkroom.core.perceptual`; the procedural style images in
:func:`darkroom.core.synthetic.procedural_style`.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from darkroom.core import color, images, metrics, perceptual, synthetic, training, vgg
from darkroom.core.vgg import CONTENT_LAYERS, MIN_SIDE, STYLE_LAYERS

__all__ = [
    "COLOR_SPACES",
    "FeatureTrial",
    "StyleResult",
    "blend_weights",
    "feature_trial",
    "plot_convergence",
    "preserve_colors_space",
    "projected_hours",
    "relative_change_stop",
    "seconds_per_iteration",
    "stopping_iteration",
    "stylize",
    "time_to_reach",
    "transfer_luminance",
]


def _at_size(image: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """``image`` resized to ``hw`` with :func:`darkroom.core.images.resize`, untouched if it already has that size."""
    return image if tuple(image.shape[:2]) == tuple(hw) else images.resize(image, hw)


# --------------------------------------------------------------------------- loss settings


def blend_weights(weights: Sequence[float] | None, n_styles: int) -> np.ndarray:
    """Style blend weights normalised to sum 1; ``None`` means equal weights."""
    if n_styles < 1:
        raise ValueError("styles: expected at least one style image, received none")
    if weights is None:
        return np.full(n_styles, 1.0 / n_styles)
    w = np.asarray(list(weights), np.float64)
    if w.shape != (n_styles,):
        raise ValueError(
            f"style_blend_weights: expected {n_styles} weights (one per style), received {w.tolist()}"
        )
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise ValueError(
            f"style_blend_weights: expected non-negative weights with a positive sum, received {w.tolist()}"
        )
    return w / w.sum()


def _stalled(losses: Sequence[float], tol: float, window: int) -> np.ndarray:
    """For iterations ``window + 1 .. len(losses)``: did the running best improve by at most ``tol`` over ``window``?"""
    best = np.minimum.accumulate(np.asarray(losses, np.float64))
    then, now = best[:-window], best[window:]
    return then - now <= tol * np.abs(then)


def relative_change_stop(losses: Sequence[float], tol: float | None, window: int) -> bool:
    """True when the best loss so far improved by less than ``tol`` (relative) over ``window`` iterations.

    Using the running best makes the rule immune to Adam's small oscillations.
    """
    if tol is None or len(losses) <= window:
        return False
    return bool(_stalled(losses, tol, window)[-1])


def stopping_iteration(losses: Sequence[float], tol: float | None, window: int) -> int | None:
    """The number of iterations after which ``relative_change_stop`` would have stopped ``losses`` (None: never).

    The rule looks only at the loss history, so it can be replayed on a finished run to see what it saves.
    """
    if tol is None or len(losses) <= window:
        return None
    fired = np.flatnonzero(_stalled(losses, tol, window))
    return int(fired[0]) + window + 1 if fired.size else None


COLOR_SPACES: tuple[str, ...] = ("lab", "ycbcr")


def preserve_colors_space(preserve_colors: bool | str | None) -> str | None:
    """``preserve_colors`` as a colour space: False/None -> None, True -> "lab", or "lab" / "ycbcr"."""
    if preserve_colors is None or preserve_colors is False:
        return None
    if preserve_colors is True:
        return "lab"
    if isinstance(preserve_colors, str) and preserve_colors.lower() in COLOR_SPACES:
        return preserve_colors.lower()
    raise ValueError(f"preserve_colors: expected False, True, 'lab' or 'ycbcr'; received {preserve_colors!r}")


def transfer_luminance(styled: Any, content: Any, space: str = "lab") -> np.ndarray:
    """Keep ``content``'s colours under ``styled``'s lightness; ``content`` is resized to ``styled``.

    The luminance-only transfer of Gatys et al. (2016, "Preserving colour"), after the
    optimisation as neural-style does it.  ``space="ycbcr"`` is neural-style's own recipe:
    Rec. 601 luma (Y) of the result with the content's Cb, Cr.  ``space="lab"`` (darkroom's
    default) takes CIE L of the result with the content's a, b: L follows perceived lightness,
    so saturated content colours keep their brightness relations better.
    """
    if space not in COLOR_SPACES:
        raise ValueError(f"space: expected one of {COLOR_SPACES}; received {space!r}")
    styled = color.as_float_rgb(styled, "styled")
    content = color.as_float_rgb(content, "content")
    if content.shape[:2] != styled.shape[:2]:
        content = _at_size(content, styled.shape[:2])
    if space == "ycbcr":
        # Full-range (JPEG / PIL) YCbCr with Rec. 601 luma: the conversion neural-style calls through PIL.
        ycc = color.rgb_to_ycbcr(content, "rec601", chroma_offset=0.5)
        ycc[..., 0] = color.rgb_to_ycbcr(styled, "rec601")[..., 0]
        return color.ycbcr_to_rgb(ycc, "rec601", chroma_offset=0.5)
    L, _ = color.split_lab(color.rgb_to_lab(styled))
    _, ab = color.split_lab(color.rgb_to_lab(content))
    return color.lab_to_rgb(color.join_lab(L, ab)).astype(np.float32)


# --------------------------------------------------------------------------- stylize


@dataclass
class StyleResult:
    """What :func:`stylize` returns.

    ``image`` is the best-loss image (float32 RGB [0, 1]); ``history`` has one entry per
    iteration across all stages ("loss", "content", "style", "tv", "seconds" since the
    start, "stage"), the loss of the image each step started from, plus (Adam) one entry
    per stage for the image after its last step; ``frames`` are (iteration, image) every ``checkpoint_iterations``;
    ``stopped_at`` is the iteration (1-based, counting all stages) where the stopping
    rule fired in the last stage, or None if it ran its full budget.
    """

    image: np.ndarray
    loss: float
    history: dict[str, list[float]]
    frames: list[tuple[int, np.ndarray]]
    stopped_at: int | None
    iterations: int
    seconds: float
    seconds_per_iteration: float
    weights: str
    stages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def caption(self) -> str:
        """A short line naming the weights (VGG19) or the features (anything else), for figure captions."""
        name = self.weights.split(" (")[0].split(" --")[0]
        return ("weights: " if "VGG19" in name else "features: ") + name


def _as_image(x: Any, name: str) -> np.ndarray:
    if isinstance(x, (str, os.PathLike)):
        from darkroom.core import images

        x = images.load_image(x)
    arr = np.asarray(x)
    if arr.ndim == 3 and arr.shape[-1] == 4:
        warnings.warn(f"{name}: dropping the alpha channel of an RGBA image", stacklevel=3)
        arr = arr[..., :3]
    if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] == 1):
        warnings.warn(f"{name}: gray image {arr.shape} repeated to RGB", stacklevel=3)
    img = color.as_float_rgb(arr, name)
    if img.ndim != 3:
        raise ValueError(f"{name}: expected one image (H, W, 3), received shape {img.shape}")
    if min(img.shape[:2]) < 2:
        raise ValueError(
            f"{name}: expected an image at least {MIN_SIDE} px on its short side, received {img.shape}"
        )
    return img


def _target_hw(content: np.ndarray, width: int | None, max_side: int | None) -> tuple[int, int]:
    h, w = content.shape[:2]
    if width is not None:
        h, w = max(1, int(round(h * width / w))), int(width)
    if max_side is not None and max(h, w) > max_side:
        s = max_side / max(h, w)
        h, w = max(1, int(round(h * s))), max(1, int(round(w * s)))
    if min(h, w) < MIN_SIDE:
        raise ValueError(
            f"content: the working size {h}x{w} is below {MIN_SIDE} px on a side; VGG19 needs more"
        )
    return h, w


def _stage_sizes(final_hw: tuple[int, int], multires: int | Sequence[float] | None) -> list[tuple[int, int]]:
    if multires is None or multires == 0:
        scales: list[float] = []
    elif isinstance(multires, int):
        scales = [0.5**k for k in range(multires, 0, -1)]
    else:
        scales = sorted(float(s) for s in multires)
        if any(not 0 < s < 1 for s in scales):
            raise ValueError(
                f"multires: expected scales in (0, 1) for the stages before full size, received {multires}"
            )
    sizes = []
    for s in scales:
        hw = (max(MIN_SIDE, round(final_hw[0] * s)), max(MIN_SIDE, round(final_hw[1] * s)))
        if hw != final_hw and hw not in sizes:
            sizes.append(hw)
    return [*sizes, final_hw]


def _stage_budget(multires_iterations: int | Sequence[int] | None, iterations: int, n_pre: int) -> list[int]:
    if multires_iterations is None:
        pre = [iterations] * n_pre
    elif isinstance(multires_iterations, int):
        pre = [multires_iterations] * n_pre
    else:
        pre = list(multires_iterations)
        if len(pre) != n_pre:
            raise ValueError(f"multires_iterations: expected {n_pre} numbers, received {pre}")
    return [int(i) for i in pre] + [int(iterations)]


# --------------------------------------------------------------------------- one stage


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
        with training.quiet_first_xla_compile(jit_compile and i == 0):
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
        with training.quiet_first_xla_compile(jit_compile):
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


_PARTS = ("loss", "content", "style", "tv")


class _Recorder:
    """What every iteration reports, kept across stages: history, frames, each stage's best image, the bar.

    Called by the optimiser loops as ``recorder(x, total, content, style, tv, final=False)``; returns
    True when the stage should stop (its budget spent, or the stopping rule fired).
    """

    def __init__(
        self,
        to_rgb,
        total_budget: int,
        *,
        tol: float | None,
        tol_window: int,
        checkpoint_iterations: int | None,
        progress: bool,
    ):
        self.t_start = time.perf_counter()
        self.to_rgb, self.tol, self.tol_window = to_rgb, tol, tol_window
        self.checkpoint_iterations = checkpoint_iterations
        self.history: dict[str, list[float]] = {k: [] for k in (*_PARTS, "seconds", "stage")}
        self.frames: list[tuple[int, np.ndarray]] = []
        self.stages: list[dict[str, Any]] = []
        self.iteration = 0
        self.best_x = None
        self.bar = training.progress(total_budget, "style transfer") if progress else None

    def start_stage(self, stage: int, hw: tuple[int, int], budget: int) -> None:
        self.stage, self.hw, self.budget = stage, hw, budget
        self.losses: list[float] = []
        self.best_loss, self.best_x, self.stopped = math.inf, None, None
        self.t_stage = self.t_first = self.t_last = time.perf_counter()

    def _record(self, values: Sequence[float]) -> None:
        for k, val in zip(_PARTS, values):
            self.history[k].append(val)
        self.history["seconds"].append(time.perf_counter() - self.t_start)
        self.history["stage"].append(self.stage)

    def __call__(self, x, total: float, c: float, s: float, tv: float, final: bool = False) -> bool:
        import tensorflow as tf

        if total < self.best_loss:
            self.best_loss, self.best_x = total, tf.identity(x)
        self._record((total, c, s, tv))
        if final:  # the image after the last update: recorded, not counted as an iteration
            return False
        if self.checkpoint_iterations and self.iteration % self.checkpoint_iterations == 0:
            self.frames.append((self.iteration, self.to_rgb(x)))
        self.losses.append(total)
        self.iteration += 1
        if len(self.losses) == 1:
            self.t_first = time.perf_counter()
        else:
            self.t_last = time.perf_counter()
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{total:.4g}", size=f"{self.hw[1]}x{self.hw[0]}", refresh=False)
        if relative_change_stop(self.losses, self.tol, self.tol_window):
            self.stopped = self.iteration
            return True
        return len(self.losses) >= self.budget

    def end_stage(self) -> None:
        iters = len(self.losses)
        if self.bar is not None and self.stopped is not None:
            self.bar.total -= self.budget - iters  # an early stop shrinks the bar, not a gap
            self.bar.refresh()
        seconds = time.perf_counter() - self.t_stage
        # Per-iteration time excludes the first step, which pays for tracing and compiling.
        steady = (self.t_last - self.t_first) / (iters - 1) if iters > 1 else seconds
        self.stages.append(
            dict(
                size=self.hw,
                iterations=iters,
                stopped_at=self.stopped,
                seconds=seconds,
                seconds_per_iteration=steady,
                best_loss=self.best_loss,
            )
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def result(self, weights: str) -> StyleResult:
        image = self.to_rgb(self.best_x.numpy())
        if self.checkpoint_iterations:
            self.frames.append((self.iteration, image))
        last = self.stages[-1]
        return StyleResult(
            image=image,
            loss=float(self.best_loss),
            history=self.history,
            frames=self.frames,
            stopped_at=last["stopped_at"],
            iterations=self.iteration,
            seconds=time.perf_counter() - self.t_start,
            seconds_per_iteration=last["seconds_per_iteration"],
            weights=weights,
            stages=self.stages,
        )


# --------------------------------------------------------------------------- stylize


def _style_list(styles: Any) -> list[np.ndarray]:
    if (isinstance(styles, np.ndarray) and styles.ndim in (2, 3)) or isinstance(styles, (str, os.PathLike)):
        styles = [styles]
    styles = list(styles)
    if not styles:
        raise ValueError("styles: expected at least one style image, received an empty list")
    return [_as_image(s, f"styles[{i}]") for i, s in enumerate(styles)]


def _style_scales(style_scales: Sequence[float] | float | None, n_styles: int) -> list[float]:
    if style_scales is None:
        scales = [1.0] * n_styles
    elif np.isscalar(style_scales):
        scales = [float(style_scales)] * n_styles
    else:
        scales = [float(s) for s in style_scales]
        if len(scales) != n_styles:
            raise ValueError(f"style_scales: expected {n_styles} scales (one per style), received {scales}")
    if any(s <= 0 for s in scales):
        raise ValueError(f"style_scales: expected positive scales, received {scales}")
    return scales


def _check_options(
    *,
    optimizer: str,
    iterations: int,
    lbfgs_memory: int,
    content_weight_blend: float,
    checkpoint_iterations: int | None,
) -> None:
    if optimizer not in ("adam", "lbfgs"):
        raise ValueError(f"optimizer: expected 'adam' or 'lbfgs', received {optimizer!r}")
    if iterations < 1:
        raise ValueError(f"iterations: expected >= 1, received {iterations}")
    if lbfgs_memory < 1:
        raise ValueError(f"lbfgs_memory: expected >= 1 past steps, received {lbfgs_memory}")
    if not 0 <= content_weight_blend <= 1:
        raise ValueError(
            f"content_weight_blend: expected a number in [0, 1], received {content_weight_blend}"
        )
    if checkpoint_iterations is not None and checkpoint_iterations < 1:
        raise ValueError(f"checkpoint_iterations: expected >= 1 or None, received {checkpoint_iterations}")


def _initial_image(
    content: np.ndarray, initial: Any, noiseblend: float | None, hw: tuple[int, int], seed: int
) -> np.ndarray:
    """The starting image in VGG units: ``initial`` (default the content) blended with neural-style's noise."""
    if initial is not None:
        start = _at_size(_as_image(initial, "initial"), hw)
        noiseblend = 0.0 if noiseblend is None else float(noiseblend)
    else:
        start = _at_size(content, hw)
        noiseblend = 1.0 if noiseblend is None else float(noiseblend)
    if not 0 <= noiseblend <= 1:
        raise ValueError(f"initial_noiseblend: expected a number in [0, 1], received {noiseblend}")
    # neural-style's noise: N(0, 1) * 0.256 in VGG units around the mean pixel.
    noise = np.random.default_rng(seed).normal(size=(*hw, 3)).astype(np.float32) * 0.256
    return (1 - noiseblend) * vgg.preprocess(start) + noiseblend * noise


def _styles_at(style_imgs: Sequence[np.ndarray], scales: Sequence[float], width: int) -> list[np.ndarray]:
    """Each style in VGG units, resized to ``scale`` x ``width`` wide (neural-style's ``style_scales``)."""
    out = []
    for img, sc in zip(style_imgs, scales):
        sw = max(MIN_SIDE, int(round(sc * width)))
        sh = max(MIN_SIDE, int(round(img.shape[0] * sw / img.shape[1])))
        out.append(vgg.preprocess(_at_size(img, (sh, sw))))
    return out


@dataclass(frozen=True)
class _Stage:
    """What every stage of one :func:`stylize` call shares: the loss settings and the optimiser's."""

    extractor: Any
    loss_kwargs: dict[str, Any]
    optimizer: str
    adam: tuple[float, float, float, float]
    lbfgs_memory: int
    jit_compile: bool


def _run_stage(
    setup: _Stage,
    content_img: np.ndarray,
    styles_vgg: list[np.ndarray],
    x0: np.ndarray,
    budget: int,
    recorder: _Recorder,
) -> None:
    """One working size: build the loss there, optimise from ``x0``, let ``recorder`` keep the best."""
    loss = perceptual.PerceptualLoss(setup.extractor, styles_vgg, **setup.loss_kwargs)
    obj = _Objective(loss, vgg.preprocess(_at_size(content_img, x0.shape[:2])), setup.jit_compile)
    if setup.optimizer == "adam":
        _run_adam(obj, x0, budget, setup.adam, setup.jit_compile, recorder)
    else:
        _run_lbfgs(obj, x0, budget, setup.lbfgs_memory, setup.jit_compile, recorder)


def _rgb_output(content_img: np.ndarray, preserve_colors: bool | str):
    """A function from an image batch in VGG units to the RGB result, colours kept as ``preserve_colors`` asks."""
    keep_space = preserve_colors_space(preserve_colors)

    def to_rgb(x) -> np.ndarray:
        img = vgg.deprocess(np.asarray(x)[0])
        return transfer_luminance(img, content_img, keep_space) if keep_space else img

    return to_rgb


def stylize(
    content: Any,
    styles: Any,
    *,
    iterations: int = 1000,
    content_weight: float = 5.0,
    content_weight_blend: float = 1.0,
    style_weight: float = 500.0,
    style_layer_weight_exp: float = 1.0,
    style_blend_weights: Sequence[float] | None = None,
    style_scales: Sequence[float] | float | None = None,
    tv_weight: float = 100.0,
    learning_rate: float = 10.0,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
    pooling: str = "max",
    initial: Any = None,
    initial_noiseblend: float | None = None,
    preserve_colors: bool | str = False,
    width: int | None = None,
    max_side: int | None = None,
    checkpoint_iterations: int | None = None,
    optimizer: str = "adam",
    lbfgs_memory: int = 20,
    tol: float | None = None,
    tol_window: int = 50,
    multires: int | Sequence[float] | None = None,
    multires_iterations: int | Sequence[int] | None = None,
    weights: str | os.PathLike | None = "auto",
    seed: int = 0,
    jit_compile: bool = False,
    progress: bool = True,
    style_layers: Sequence[str] = STYLE_LAYERS,
    content_layers: Sequence[str] = CONTENT_LAYERS,
) -> StyleResult:
    """Paint ``content`` in the style of ``styles`` by optimising the image (Gatys et al.).

    Options and defaults are neural-style's: ``content_weight`` 5, ``content_weight_blend`` 1 (relu4_2
    vs relu5_2), ``style_weight`` 500, ``style_layer_weight_exp`` 1, equal ``style_blend_weights``,
    ``style_scales`` 1 (a style is resized to scale x the content's width), ``tv_weight`` 100, Adam with
    learning rate 10, betas 0.9/0.999, eps 1e-8, max ``pooling``, start from noise unless ``initial`` is
    given, ``width`` resizes the content.  Additions: ``optimizer="lbfgs"``; ``tol``/``tol_window`` stop
    when the best loss improves by less than ``tol`` (relative) over ``tol_window`` iterations;
    ``multires`` (an int n: stages at 1/2^n..1/2 size, or explicit scales) optimises small first, each
    earlier stage for ``multires_iterations`` (default ``iterations``); ``checkpoint_iterations`` records
    frames; ``max_side`` caps the working size.  ``lbfgs_memory`` (past steps L-BFGS keeps): 20 reached a
    given loss soonest at 256 px on a 2-core CPU (SciPy's 10 took 1.3x as long, 50 spent the gain on
    bookkeeping); each kept step costs 16 bytes per pixel channel, about 250 MB for 20 at 512 px.
    """
    import tensorflow as tf

    content_img, style_imgs = _as_image(content, "content"), _style_list(styles)
    blend = blend_weights(style_blend_weights, len(style_imgs))
    scales = _style_scales(style_scales, len(style_imgs))
    _check_options(
        optimizer=optimizer,
        iterations=iterations,
        lbfgs_memory=lbfgs_memory,
        content_weight_blend=content_weight_blend,
        checkpoint_iterations=checkpoint_iterations,
    )
    final_hw = _target_hw(content_img, width, max_side)
    c_layers = list(zip(content_layers, [content_weight_blend, 1.0 - content_weight_blend]))
    loss_kwargs = dict(
        content_weight=content_weight,
        style_weight=style_weight,
        tv_weight=tv_weight,
        style_layers=list(style_layers),
        content_layers=c_layers,
        blend=blend,
        layer_weights=perceptual.style_layer_weights(len(style_layers), style_layer_weight_exp),
    )
    layers = perceptual.loss_layers(style_layers, c_layers)
    vgg.warn_if_huge(*final_hw, vgg.deepest_layer(layers))
    setup = _Stage(
        vgg.vgg_features(weights, pooling, layers, seed=seed),
        loss_kwargs,
        optimizer,
        (learning_rate, beta1, beta2, epsilon),
        lbfgs_memory,
        jit_compile,
    )
    sizes = _stage_sizes(final_hw, multires)
    budgets = _stage_budget(multires_iterations, iterations, len(sizes) - 1)
    x = _initial_image(content_img, initial, initial_noiseblend, sizes[0], seed)
    recorder = _Recorder(
        _rgb_output(content_img, preserve_colors),
        sum(budgets),
        tol=tol,
        tol_window=tol_window,
        checkpoint_iterations=checkpoint_iterations,
        progress=progress,
    )
    try:
        for stage, (hw, budget) in enumerate(zip(sizes, budgets)):
            if stage > 0:  # continue from the previous stage's best image, upsampled
                x = tf.image.resize(recorder.best_x, hw, method="bicubic").numpy()[0]
            recorder.start_stage(stage, hw, budget)
            _run_stage(setup, content_img, _styles_at(style_imgs, scales, hw[1]), x, budget, recorder)
            recorder.end_stage()
    finally:
        recorder.close()
    return recorder.result(setup.extractor.weights_description)


@dataclass
class FeatureTrial:
    """What :func:`feature_trial` returns: two runs with one feature set and how close each came to the transfer."""

    weights: str
    texture: StyleResult
    transfer: StyleResult
    texture_distance: float
    transfer_distance: float


def feature_trial(
    content: Any,
    style_image: Any,
    weights: str | os.PathLike | None,
    *,
    iterations: int = 100,
    width: int = 128,
    optimizer: str = "lbfgs",
    seed: int = 0,
) -> FeatureTrial:
    """Judge a feature set by what it makes: a texture from noise and a transfer from the photo.

    The texture run has content weight 0, so only the features' style statistics shape it; the
    transfer run uses neural-style's default weights starting from ``content``.  Each result is
    scored with :func:`darkroom.core.metrics.style_distance`, which uses a filter bank of its own, so feature sets can
    be compared without any of them judging itself.
    """
    common = dict(
        iterations=iterations, width=width, optimizer=optimizer, weights=weights, seed=seed, progress=False
    )
    texture = stylize(content, style_image, initial=None, content_weight=0.0, **common)
    transfer = stylize(content, style_image, initial=content, **common)
    return FeatureTrial(
        weights=transfer.weights,
        texture=texture,
        transfer=transfer,
        texture_distance=metrics.style_distance(style_image, texture.image),
        transfer_distance=metrics.style_distance(style_image, transfer.image),
    )


def time_to_reach(result: StyleResult, loss: float) -> float | None:
    """Seconds from the start of ``result``'s run until its final-size loss first fell to ``loss`` (None: never).

    Only the last stage counts: earlier, smaller stages measure a different (smaller-image) loss.
    """
    last = max(result.history["stage"]) if result.history["stage"] else 0
    for value, stage, seconds in zip(
        result.history["loss"], result.history["stage"], result.history["seconds"]
    ):
        if stage == last and value <= loss:
            return float(seconds)
    return None


def plot_convergence(
    runs: dict[str, StyleResult], target: float | None = None, ax: Any = None, title: str | None = None
) -> Any:
    """Full-size loss against wall-clock seconds for each named run (log scale); returns the Axes.

    Seconds, not iterations, on the x axis: an L-BFGS iteration and an Adam iteration cost different amounts.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for name, r in runs.items():
        last = max(r.history["stage"])
        pts = [
            (t, v)
            for v, st, t in zip(r.history["loss"], r.history["stage"], r.history["seconds"])
            if st == last
        ]
        ax.plot([t for t, _ in pts], [v for _, v in pts], label=name)
    if target is not None:
        ax.axhline(target, color="k", ls="--", lw=1, label=f"loss {target:.3g}")
    ax.set(xlabel="seconds", ylabel="loss", yscale="log")
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def seconds_per_iteration(
    sizes: Sequence[int] = (128, 256, 512),
    *,
    iterations: int = 5,
    weights: str | os.PathLike | None = "auto",
    optimizer: str = "adam",
    jit_compile: bool = False,
) -> dict[int, float]:
    """Seconds per optimisation step at each square size on this machine (the compiling first step excluded)."""
    rng = np.random.default_rng(0)
    out = {}
    for size in sizes:
        content = rng.random((size, size, 3)).astype(np.float32)
        style = synthetic.procedural_style("swirls", size)
        res = stylize(
            content,
            style,
            iterations=iterations,
            weights=weights,
            optimizer=optimizer,
            progress=False,
            jit_compile=jit_compile,
        )
        out[int(size)] = res.seconds_per_iteration
    return out


def projected_hours(
    seconds_per_iteration: Mapping[int, float], size: int, iterations: int = 1000
) -> str | None:
    """How long ``iterations`` steps at ``size`` px take at the timed rate, in hours, as a phrase
    for setting beside a write-up's time; None when ``size`` was not timed."""
    if iterations < 1:
        raise ValueError(f"iterations: expected >= 1, received {iterations}")
    t = seconds_per_iteration.get(size)
    return f"{t * iterations / 3600:.2g} hours: {iterations} VGG19 iterations at {size} px" if t else None
