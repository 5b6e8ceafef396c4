"""Scores (MAE, PSNR, SSIM with a border excluded, target first), score tables, the post's r2,
seams, speed and their plots."""

from __future__ import annotations

import time
from collections.abc import Sequence
from fractions import Fraction

import keras
import numpy as np

from darkroom.core import color, images, metrics, training
from darkroom.superres.pairs import photo_splits
from darkroom.superres.pixels import _crop_to_multiple, degrade, from_signed, scale_fraction
from darkroom.superres.upscaling import METHODS, _patch_model_sizes, _predict, upscale

BORDER = 8  # pixels excluded on every side when scoring (SR papers shave a border of about the scale)


# ----------------------------------------------------------------------------- scores
def _shave(image: np.ndarray, border: int) -> np.ndarray:
    return image[border : image.shape[0] - border, border : image.shape[1] - border] if border else image


def score(target: np.ndarray, prediction: np.ndarray, border: int = BORDER) -> dict[str, float]:
    """MAE (the post's mean absolute difference, on [0, 1]), PSNR (dB, peak 1) and SSIM
    (:func:`darkroom.core.metrics.ssim`: 11x11 Gaussian window, sigma 1.5) of ``prediction`` against
    ``target`` (gray, or colour by luminance, in [0, 1]), with ``border`` pixels excluded on every
    side before any of them is computed."""
    true, pred = color.to_luminance(target), color.to_luminance(prediction)
    if pred.shape != true.shape:
        raise ValueError(f"target and prediction must have the same shape, got {true.shape} and {pred.shape}")
    pred, true = _shave(pred, border), _shave(true, border)
    return {
        "mae": float(np.mean(np.abs(pred - true))),
        "psnr": metrics.psnr(pred, true, data_range=1.0),
        "ssim": metrics.ssim(pred, true, data_range=1.0),
    }


def round_trip(
    photo: np.ndarray, method_or_model: str | keras.Model, scale: float = 1.5, blend: str = "gaussian"
) -> tuple[np.ndarray, np.ndarray]:
    """(original, enlargement): ``photo`` gray by luminance and cut to a multiple of p, then
    degraded by ``scale`` and enlarged back with ``method_or_model``. What every score compares."""
    frac = scale_fraction(scale)
    hr = _crop_to_multiple(color.to_luminance(photo), frac.numerator)
    return hr, upscale(degrade(hr, float(frac)), method_or_model, float(frac), blend=blend)


def evaluate(
    photos: Sequence[np.ndarray],
    method_or_model: str | keras.Model,
    scale: float = 1.5,
    blend: str = "gaussian",
    border: int = BORDER,
) -> dict[str, float]:
    """Mean MAE / PSNR / SSIM over ``photos`` (gray by luminance, cut to a multiple of p):
    degrade each, upscale it back with ``method_or_model`` and compare with the original."""
    rows = [score(*round_trip(photo, method_or_model, scale, blend), border) for photo in photos]
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


def evaluate_pairs(
    inputs: np.ndarray,
    labels: np.ndarray,
    method_or_model: str | keras.Model,
    scale: float = 1.5,
    blend: str = "gaussian",
    border: int = BORDER,
) -> dict[str, float]:
    """Mean MAE / PSNR / SSIM over prepared pairs in [-1, 1] (as from :func:`prepare_pairs`):
    the post's protocol, scored on [0, 1] with ``border`` pixels excluded."""
    inputs, labels = np.asarray(inputs), np.asarray(labels)
    if len(inputs) != len(labels) or len(inputs) == 0:
        raise ValueError(
            f"inputs and labels must be non-empty and of equal length, got {len(inputs)} and {len(labels)}"
        )
    rows = []
    for lr, hr in zip(inputs, labels):
        sr = upscale(from_signed(np.squeeze(lr)), method_or_model, scale, blend=blend)
        rows.append(score(from_signed(np.squeeze(hr)), sr, border))
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


def megapixels_per_second(
    method_or_model: str | keras.Model,
    size: int = 512,
    scale: float = 1.5,
    blend: str = "gaussian",
    repeats: int = 3,
    seed: int = 0,
) -> float:
    """Output megapixels per second of upscaling a random low-res image to ``size`` x ``size``
    (best of ``repeats`` after one warm-up call)."""
    frac = scale_fraction(scale)
    lr_side = round(size / float(frac))
    image = np.random.default_rng(seed).random((lr_side, lr_side), dtype=np.float32)
    upscale(image, method_or_model, float(frac), blend=blend)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = upscale(image, method_or_model, float(frac), blend=blend)
        best = min(best, time.perf_counter() - start)
    return out.size / 1e6 / best


#: What :func:`score_rows` scores: a method name, a model or a training result, or a pair (one of those, blend).
Candidate = str | keras.Model | training.TrainResult | tuple


def score_rows(
    photos: Sequence[np.ndarray],
    candidates: dict[str, Candidate],
    scale: float = 1.5,
    *,
    bench_size: int | None = None,
    reference: str | None = "bicubic",
) -> dict[str, dict[str, float | str | None]]:
    """The score table's rows, one per candidate: ``{name: row}``, in the order given.

    A candidate is a method name, a model, a :class:`darkroom.core.training.TrainResult` (its model, and its
    ``seconds`` as ``train_s``) or a pair (any of those, blend) for patch models. A row holds
    ``method`` (the name), the :func:`evaluate` scores (mae, psnr, ssim) on ``photos``,
    ``dB_vs_<reference>`` (PSNR minus that method's; omitted when ``reference`` is None),
    ``train_s`` and ``mp_per_s`` (:func:`megapixels_per_second` at ``bench_size``; None when not given).
    """
    ref = None if reference is None else evaluate(photos, reference, scale)["psnr"]
    rows = {}
    for name, candidate in candidates.items():
        upscaler, blend = candidate if isinstance(candidate, tuple) else (candidate, "gaussian")
        result = upscaler if isinstance(upscaler, training.TrainResult) else None
        model = result.model if result is not None else upscaler
        scores = evaluate(photos, model, scale, blend=blend)
        row: dict[str, float | str | None] = {"method": name, "mae": scores["mae"], "psnr": scores["psnr"]}
        if ref is not None:
            row[f"dB_vs_{reference}"] = scores["psnr"] - ref
        row["ssim"] = scores["ssim"]
        row["train_s"] = None if result is None else result.seconds
        row["mp_per_s"] = (
            None if bench_size is None else megapixels_per_second(model, bench_size, scale, blend=blend)
        )
        rows[name] = row
    return rows


def writeup_r2(
    inputs: np.ndarray,
    labels: np.ndarray,
    model: keras.Model,
    scale: float = 1.5,
    patches_per_image: int = 1,
    seed: int = 0,
) -> float:
    """What the post reports as "r2": its training loss, not a coefficient of determination.

    The post names its loss ``R2`` (``tf.reduce_mean(tf.pow(tf_y - y_pred, 2))``: the mean squared
    difference on pixels in [-1, 1]) and evaluates it on "a random patch from every image" of the
    test and validation sets. This does the same for a patch model on prepared pairs in [-1, 1]
    (as from :func:`prepare_pairs`): ``patches_per_image`` random aligned patches per pair.
    """
    sizes = _patch_model_sizes(model)
    frac = scale_fraction(scale)
    if sizes is None or Fraction(sizes[1], sizes[0]) != frac:
        raise ValueError(
            f"writeup_r2 needs a patch model that enlarges x{float(frac):g} (as build_mlp makes), "
            f"got {model.name!r} with input {model.input_shape} and output {model.output_shape}"
        )
    inputs, labels = np.asarray(inputs, np.float32), np.asarray(labels, np.float32)
    if len(inputs) != len(labels) or len(inputs) == 0:
        raise ValueError(
            f"inputs and labels must be non-empty and of equal length, got {len(inputs)} and {len(labels)}"
        )
    (n_in, n_out), (p, q) = sizes, (frac.numerator, frac.denominator)
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for lr, hr in zip(inputs, labels):
        lr, hr = np.squeeze(lr), np.squeeze(hr)
        for _ in range(patches_per_image):
            top = int(rng.integers(0, (lr.shape[0] - n_in) // q + 1)) * q
            left = int(rng.integers(0, (lr.shape[1] - n_in) // q + 1)) * q
            xs.append(lr[top : top + n_in, left : left + n_in])
            ys.append(hr[top * p // q : top * p // q + n_out, left * p // q : left * p // q + n_out])
    pred = _predict(model, np.stack(xs)[..., None], 1024)[..., 0]
    return float(np.mean((pred - np.stack(ys)) ** 2))


def seam_contrast(image: np.ndarray, period: int) -> float:
    """How strongly a grid of ``period``-pixel tiles (starting at pixel 0) shows in ``image``.

    The mean absolute step between neighbouring pixels across the tile borders, divided by the
    mean step between neighbours inside the tiles: about 1 when the image has no grid there (steps
    across a border are like any other), above 1 where tiles meet at seams.
    """
    gray = color.to_luminance(image)
    if period < 2 or min(gray.shape) <= period:
        raise ValueError(f"period must be at least 2 and smaller than the image {gray.shape}, got {period}")
    dx, dy = np.abs(np.diff(gray, axis=1)), np.abs(np.diff(gray, axis=0))
    # step j lies between pixels j and j + 1: a border of tiles starting at k * period is step k * period - 1
    across_x = np.zeros(dx.shape[1], bool)
    across_x[period - 1 :: period] = True
    across_y = np.zeros(dy.shape[0], bool)
    across_y[period - 1 :: period] = True
    across = np.concatenate([dx[:, across_x].ravel(), dy[across_y].ravel()])
    inside = np.concatenate([dx[:, ~across_x].ravel(), dy[~across_y].ravel()])
    return float(across.mean() / max(inside.mean(), 1e-12))


def plot_scores(
    rows: Sequence[dict],
    key: str = "psnr",
    label: str = "method",
    reference: float | None = None,
    ax=None,
    title: str | None = None,
):
    """Horizontal bars of ``row[key]`` per ``row[label]`` (minus ``reference`` when given, e.g. the
    bicubic PSNR, so bars show the gain over it); returns the Axes."""
    import matplotlib.pyplot as plt

    if not rows:
        raise ValueError("plot_scores: received no rows")
    names = [str(r[label]) for r in rows]
    values = np.array([float(r[key]) - (reference or 0.0) for r in rows])
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * len(rows) + 1))
    ax.barh(names[::-1], values[::-1], color=["tab:red" if v < 0 else "tab:blue" for v in values[::-1]])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"{key} minus reference" if reference is not None else key)
    ax.grid(axis="x", alpha=0.3)
    if title:
        ax.set_title(title)
    return ax


def cleanup_rows(
    clean: np.ndarray, passes: dict[str, np.ndarray], border: int = BORDER, edge_share: float = 0.1
) -> list[dict[str, float | str]]:
    """How well each image in ``passes`` cleans up toward ``clean`` (gray or colour, by luminance).

    Rows: ``image`` (the name), :func:`score` against ``clean`` (mae, psnr, ssim), ``noise`` (the
    standard deviation of the difference from ``clean`` where ``clean`` is flat: its smallest half of
    gradients) and ``edges`` (the mean gradient at ``clean``'s strongest ``edge_share`` of gradients,
    over ``clean``'s own there: 1 keeps edges as sharp, below 1 blurs them).
    """
    truth = _shave(color.to_luminance(clean), border)
    grad = _gradient(truth)
    flat, edge = grad <= np.quantile(grad, 0.5), grad >= np.quantile(grad, 1 - edge_share)
    rows: list[dict[str, float | str]] = []
    for name, image in passes.items():
        row: dict[str, float | str] = {"image": name, **score(clean, image, border)}
        img = _shave(color.to_luminance(image), border)
        row["noise"] = float(np.std((img - truth)[flat]))
        row["edges"] = float(_gradient(img)[edge].mean() / max(grad[edge].mean(), 1e-12))
        rows.append(row)
    return rows


def _gradient(gray: np.ndarray) -> np.ndarray:
    gy, gx = np.gradient(gray.astype(np.float64))
    return np.hypot(gx, gy)


def quality_table(models: dict[int, keras.Model], photos: Sequence[np.ndarray] | None = None) -> list[dict]:
    """Mean luma PSNR (dB) on ``photos`` (default: the held-out test photos) per scale: nearest,
    bilinear, bicubic and the model, each after an antialiased bicubic downscale (:func:`degrade`)."""
    if photos is None:
        photos = photo_splits("embedded")["test"]
    rows = []
    for scale, model in sorted(models.items()):
        row: dict = {"scale": f"x{scale}"}
        for method in METHODS:
            row[method] = evaluate(photos, method, scale)["psnr"]
        row["model"] = evaluate(photos, model, scale)["psnr"]
        row["gain_vs_bicubic"] = row["model"] - row["bicubic"]
        rows.append(row)
    return rows


def _upscaler(candidate: Candidate) -> tuple[str | keras.Model, str]:
    """The method or model a :data:`Candidate` enlarges with, and its blend (gaussian unless given)."""
    upscaler, blend = candidate if isinstance(candidate, tuple) else (candidate, "gaussian")
    return (upscaler.model if isinstance(upscaler, training.TrainResult) else upscaler), blend


def plot_enlargements(
    original: np.ndarray,
    candidates: dict[str, Candidate],
    scale: float = 1.5,
    *,
    box: tuple[slice, slice] | None = None,
    ncols: int | None = None,
    size: float = 2.6,
):
    """Degrade ``original`` by ``scale``, enlarge it back with each candidate (a method, a model, a
    training result or a pair (one of those, blend), as in :func:`score_rows`) and show each beside
    the original, all cut to ``box`` when given. Returns the figure."""
    if not candidates:
        raise ValueError("plot_enlargements: received no candidates")
    small = degrade(original, scale)
    panels = []
    for candidate in candidates.values():
        upscaler, blend = _upscaler(candidate)
        panels.append(upscale(small, upscaler, scale, blend=blend))
    panels.append(np.asarray(original)[: panels[0].shape[0], : panels[0].shape[1]])
    if box is not None:
        panels = [p[box] for p in panels]
    return images.show_images(panels, titles=[*list(candidates), "original"], ncols=ncols, size=size)


def plot_seams(
    enlarged: dict[str, np.ndarray],
    tiled: str,
    blended: str,
    box: tuple[slice, slice],
    gain: float = 10,
    size: float = 2.6,
):
    """``box`` of each image in ``enlarged`` and, last, the absolute difference between its ``tiled``
    and ``blended`` entries times ``gain``: where tiling leaves seams they show there as a grid.
    Returns the figure."""
    missing = sorted({tiled, blended} - set(enlarged))
    if missing:
        raise ValueError(f"plot_seams: {missing} not among the images given {list(enlarged)}")
    difference = np.abs(enlarged[tiled] - enlarged[blended])
    panels = [v[box] for v in enlarged.values()] + [np.clip(gain * difference[box], 0, 1)]
    return images.show_images(panels, titles=[*list(enlarged), f"|tiled - blended| x{gain:g}"], size=size)
