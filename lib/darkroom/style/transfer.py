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

This module holds :func:`stylize`, its options and its stages (the working sizes, each
optimised in turn). Beside it in :mod:`darkroom.style`: the Adam and L-BFGS drivers
(:mod:`~darkroom.style.solvers`), the result and what records it (:mod:`~darkroom.style.results`),
the stopping rule (:mod:`~darkroom.style.stopping`), colour preservation
(:mod:`~darkroom.style.colors`) and the experiments on runs (:mod:`~darkroom.style.trials`).
The features, their weights (ImageNet, a file, or the offline random filters) and the
perceptual loss live in the foundation module :mod:`darkroom.core.vgg`; the procedural style
images in :func:`darkroom.core.synthetic.procedural_style`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from darkroom.core import color, images, perceptual, vgg
from darkroom.core.vgg import CONTENT_LAYERS, MIN_SIDE, STYLE_LAYERS
from darkroom.style.colors import preserve_colors_space, transfer_luminance
from darkroom.style.results import StyleResult, _Recorder
from darkroom.style.solvers import _Objective, _run_adam, _run_lbfgs

__all__ = ["blend_weights", "stylize"]


def _at_size(image: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """``image`` resized to ``hw`` with :func:`darkroom.core.images.resize`, untouched if it already has that size."""
    return image if tuple(image.shape[:2]) == tuple(hw) else images.resize(image, hw)


# --------------------------------------------------------------------------- inputs, options, sizes


def blend_weights(weights: Sequence[float] | None, num_styles: int) -> np.ndarray:
    """Style blend weights normalised to sum 1; ``None`` means equal weights."""
    if num_styles < 1:
        raise ValueError("styles: expected at least one style image, received none")
    if weights is None:
        return np.full(num_styles, 1.0 / num_styles)
    w = np.asarray(list(weights), np.float64)
    if w.shape != (num_styles,):
        raise ValueError(
            f"style_blend_weights: expected {num_styles} weights (one per style), received {w.tolist()}"
        )
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise ValueError(
            f"style_blend_weights: expected non-negative weights with a positive sum, received {w.tolist()}"
        )
    return w / w.sum()


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


# --------------------------------------------------------------------------- stylize


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


def _run_stages(
    setup: _Stage,
    content_img: np.ndarray,
    style_imgs: list[np.ndarray],
    scales: list[float],
    stages: Iterable[tuple[tuple[int, int], int]],
    x: np.ndarray,
    recorder: _Recorder,
) -> StyleResult:
    """Optimise each (working size, budget) in turn from ``x``, every later stage from the previous
    stage's best image upsampled; the result ``recorder`` kept."""
    import tensorflow as tf

    try:
        for stage, (hw, budget) in enumerate(stages):
            if stage > 0:  # continue from the previous stage's best image, upsampled
                x = tf.image.resize(recorder.best_x, hw, method="bicubic").numpy()[0]
            recorder.start_stage(stage, hw, budget)
            _run_stage(setup, content_img, _styles_at(style_imgs, scales, hw[1]), x, budget, recorder)
            recorder.end_stage()
    finally:
        recorder.close()
    return recorder.result(setup.extractor.weights_description)


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
    beta_1: float = 0.9,
    beta_2: float = 0.999,
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
        (learning_rate, beta_1, beta_2, epsilon),
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
    return _run_stages(setup, content_img, style_imgs, scales, zip(sizes, budgets), x, recorder)
