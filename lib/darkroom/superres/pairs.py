"""Photos split by image, the post's prepared pairs, aligned patch pairs and random crops; the text example."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from darkroom.core import color
from darkroom.superres.pixels import (
    _crop_to_multiple,
    _tf_resize,
    degrade,
    extract_patches,
    from_signed,
    scale_fraction,
    to_signed,
)
from darkroom.superres.upscaling import upscale


# ----------------------------------------------------------------------------- data
def photo_splits(
    source: str = "embedded",
    max_images: int | None = None,
    max_side: int | None = None,
    seed: int = 0,
) -> dict[str, list[np.ndarray]]:
    """Photos for training and scoring, split by image: ``{"train", "val", "test"}`` lists.

    ``"embedded"``: :func:`darkroom.core.data.sample_photos` (its own by-image split) with the gray
    photos of :data:`darkroom.core.images.GRAY_SAMPLE_IMAGES` added to training (none of them is a
    held-out scene). ``"caltech256"``: :func:`darkroom.core.datasets.caltech256` split 75 / 12.5 / 12.5 by
    image as in the post, ``max_images`` of them; raises FileNotFoundError when it is absent.
    ``max_side`` centre-crops every photo to at most that side (to keep quick runs quick).
    """
    from darkroom.core import data, datasets, images

    if source == "embedded":
        splits = {k: list(data.sample_photos(k).values()) for k in ("train", "val", "test")}
        splits["train"] += [images.sample_image(n) for n in images.GRAY_SAMPLE_IMAGES]
    elif source == "caltech256":
        items = datasets.caltech256()
        if max_images is not None:
            order = np.random.default_rng(seed).permutation(len(items))[:max_images]
            items = [items[i] for i in sorted(order)]
        parts = data.split_by_image(items, val=0.125, test=0.125, seed=seed)
        splits = {k: [images.load_image(item.path) for item in v] for k, v in parts.items()}
    else:
        raise ValueError(f"source must be 'embedded' or 'caltech256', got {source!r}")
    if max_side is not None:
        splits = {k: [_center_crop_max(im, max_side) for im in v] for k, v in splits.items()}
    return splits


def _center_crop_max(image: np.ndarray, side: int) -> np.ndarray:
    top, left = max(0, (image.shape[0] - side) // 2), max(0, (image.shape[1] - side) // 2)
    return image[top : top + side, left : left + side]


def _center_square(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return image[top : top + side, left : left + side]


def prepare_pairs(
    photos: Sequence[np.ndarray],
    label_size: int = 150,
    scale: float = 1.5,
    crops_per_image: int = 1,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The post's preprocessing: (inputs (N, 100, 100), labels (N, 150, 150)) in [-1, 1].

    Each photo becomes gray by relative luminance, is centre-cropped to a square, resized to
    ``label_size`` (the label) and degraded by ``scale`` (the input). ``crops_per_image > 1`` adds
    random square crops (side between ``label_size`` and the short side) of the same photo, the
    way to get more than one example out of each of a handful of embedded photos.
    """
    frac = scale_fraction(scale)
    if (label_size * frac.denominator) % frac.numerator:
        raise ValueError(f"label_size must make label_size / scale an integer, got {label_size} at x{scale}")
    rng = np.random.default_rng(seed)
    labels = []
    for photo in photos:
        gray = color.to_luminance(photo)
        squares = [_center_square(gray)]
        side = min(gray.shape)
        for _ in range(crops_per_image - 1):
            s = int(rng.integers(min(label_size, side), side + 1))
            top = int(rng.integers(0, gray.shape[0] - s + 1))
            left = int(rng.integers(0, gray.shape[1] - s + 1))
            squares.append(gray[top : top + s, left : left + s])
        labels += [_tf_resize(sq, (label_size, label_size)) for sq in squares]
    y = np.stack(labels).astype(np.float32)
    x = degrade(y[..., None], scale)[..., 0]
    return to_signed(x), to_signed(y)


def patch_pairs(
    inputs: np.ndarray,
    labels: np.ndarray,
    input_size: int = 10,
    scale: float = 1.5,
    stride: int | None = None,
    on_bicubic: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Aligned (input, label) patch pairs (N, in, in, 1), (N, out, out, 1) from image pairs.

    The input patch at low-resolution offset ``k * stride`` covers exactly the label patch at
    ``k * stride * scale``; ``stride`` (default ``input_size``) must be a multiple of q in p/q.
    ``on_bicubic=True`` is the post's side experiment: inputs are first upscaled bicubically, so
    input and label patches are both ``input_size`` (taken at the same high-res offsets).
    """
    frac = scale_fraction(scale)
    stride = input_size if stride is None else stride
    if on_bicubic:
        up = [to_signed(upscale(from_signed(np.squeeze(x)), "bicubic", float(frac))) for x in inputs]
        return _same_size_pairs(np.stack(up), np.asarray(labels), input_size, stride)
    out_size = input_size * frac
    if out_size.denominator != 1 or (stride * frac).denominator != 1:
        raise ValueError(
            f"input_size and stride must be multiples of {frac.denominator} at x{scale}, got {input_size}, {stride}"
        )
    xs, ys = [], []
    for lr, hr in zip(np.asarray(inputs), np.asarray(labels)):
        lr, hr = np.squeeze(lr), np.squeeze(hr)
        hs = lr.shape[0] - (lr.shape[0] - input_size) % stride  # keep the grid, drop the ragged border
        ws = lr.shape[1] - (lr.shape[1] - input_size) % stride
        xs.append(extract_patches(lr[:hs, :ws], input_size, stride))
        ys.append(extract_patches(hr[: int(hs * frac), : int(ws * frac)], int(out_size), int(stride * frac)))
    return np.concatenate(xs)[..., None], np.concatenate(ys)[..., None]


def _same_size_pairs(
    inputs: np.ndarray, labels: np.ndarray, size: int, stride: int
) -> tuple[np.ndarray, np.ndarray]:
    xs = [extract_patches(np.squeeze(x), size, stride) for x in inputs]
    ys = [extract_patches(np.squeeze(y), size, stride) for y in labels]
    return np.concatenate(xs)[..., None], np.concatenate(ys)[..., None]


def random_crop_pairs(
    photos: Sequence[np.ndarray],
    num_crops: int,
    crop_size: int = 48,
    scale: float = 1.5,
    min_std: float = 0.0,
    augment: bool = True,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Random aligned (low-res, high-res) crops in [-1, 1] for fully convolutional models.

    Each photo (gray by luminance, at its own resolution) is cut to a multiple of p and degraded
    once as a whole; crops of ``crop_size`` (high-res side, a multiple of p) are then taken at
    aligned offsets. Crops whose high-res standard deviation (on [0, 1]) is below ``min_std`` are
    skipped: flat sky teaches nothing about edges. ``augment`` applies the 8 flips/rotations.
    Returns (N, crop/scale, crop/scale, 1), (N, crop, crop, 1).
    """
    frac = scale_fraction(scale)
    p, q = frac.numerator, frac.denominator
    if crop_size % p:
        raise ValueError(f"crop_size must be a multiple of {p} at x{scale}, got {crop_size}")
    lr_size = crop_size * q // p
    rng = np.random.default_rng(seed)
    pairs = []
    for photo in photos:
        hr = _crop_to_multiple(color.to_luminance(photo), p)
        if min(hr.shape) < crop_size:
            continue
        pairs.append((hr, degrade(hr, float(frac))))
    if not pairs:
        raise ValueError(f"no photo is at least {crop_size} pixels on its short side")
    xs, ys = [], []
    attempts = 0
    while len(xs) < num_crops:
        attempts += 1
        if attempts > 50 * num_crops + 1000:
            raise ValueError(f"could not find {num_crops} crops with std >= {min_std}; lower min_std")
        hr, lr = pairs[int(rng.integers(len(pairs)))]
        top = int(rng.integers(0, (lr.shape[0] - lr_size) // q + 1)) * q
        left = int(rng.integers(0, (lr.shape[1] - lr_size) // q + 1)) * q
        y = hr[top * p // q : top * p // q + crop_size, left * p // q : left * p // q + crop_size]
        if y.std() < min_std:
            continue
        x = lr[top : top + lr_size, left : left + lr_size]
        if augment:
            k, flip = int(rng.integers(4)), bool(rng.integers(2))
            x, y = np.rot90(x, k), np.rot90(y, k)
            if flip:
                x, y = x[:, ::-1], y[:, ::-1]
        xs.append(x)
        ys.append(y)
    return to_signed(np.stack(xs))[..., None], to_signed(np.stack(ys))[..., None]


def text_image(text: str = "5B", height: int = 48, pad: int = 16) -> np.ndarray:
    """Black ``text`` on white, drawn by matplotlib (its default font) ``height`` pixels tall plus
    ``pad`` around: a gray (H, W) float32 image in [0, 1] with the sharp edges the post's "5" and "B" had."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not text.strip() or height < 8 or pad < 0:
        raise ValueError(
            f"text_image needs visible text, height >= 8 and pad >= 0, got {text!r}, {height}, {pad}"
        )
    dpi = 100
    h, w = height + 2 * pad, int(0.75 * height * len(text)) + 2 * pad
    fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi, facecolor="white")
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=height * 72 / dpi, color="black")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())[..., :3]
    return color.to_luminance(rgba)
