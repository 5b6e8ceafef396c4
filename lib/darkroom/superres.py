"""Super-resolution: enlarge grayscale (and colour) photos with learned models.

The image-scaling write-up (Caltech-256, 2016) trained a multilayer perceptron that maps 10x10
grayscale patches to 15x15 ones (x1.5) and beat nearest-neighbour upscaling on mean absolute
pixel difference. This module holds every piece that experiment needs, plus what it left undone:

- data preparation as the post did it (centre-crop square, 150x150 labels, 100x100 inputs, gray
  by relative luminance, pixels in [-1, 1], split by image) and random aligned crops for conv nets;
- patch extraction and reassembly (tiles, or overlapping patches blended with a Gaussian);
- ``degrade`` (the one definition of "make it low resolution") and ``upscale`` (any image,
  any method or model, colour handled on luminance);
- the baselines (nearest, bilinear, bicubic), the post's MLP, SRCNN 9-1-5, an ESPCN-style
  sub-pixel net and a residual sub-pixel net trained with L1, a schedule and informative crops;
- training through :func:`darkroom.training.fit` (:func:`train_upscaler`) and the post's own grid of
  choices, one at a time with early stopping on a validation plateau (:func:`compare_settings`);
- scores: MAE on [0, 1] (the post's metric), PSNR and SSIM with a border excluded, target first;
- the post's clean-up pass (:func:`refine`) and its text example (:func:`text_image`).

Conventions: public functions take images in [0, 1] (float) or uint8; models see and produce
pixels in [-1, 1], as in the post. A scale such as 1.5 is handled as the fraction p/q = 3/2: a
low-resolution block of q x q pixels becomes a p x p block, so sizes that are multiples of q on
the low-resolution side line up exactly with multiples of p on the high-resolution side.
"""

from __future__ import annotations

import functools
import math
import os
import time
from fractions import Fraction
from typing import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from darkroom import color, images, metrics, training, writeups

__all__ = [
    "METHODS",
    "BORDER",
    "scale_fraction",
    "to_signed",
    "from_signed",
    "degrade",
    "patch_positions",
    "extract_patches",
    "reassemble",
    "gaussian_window",
    "photo_splits",
    "prepare_pairs",
    "patch_pairs",
    "random_crop_pairs",
    "build_mlp",
    "build_srcnn",
    "build_espcn",
    "build_residual_subpixel",
    "LOSSES",
    "train_upscaler",
    "SETTING_KEYS",
    "GRIDS",
    "writeup_settings",
    "compare_settings",
    "plot_settings",
    "upscale",
    "refine",
    "cleanup_rows",
    "text_image",
    "SHIPPED_SCALES",
    "shipped_model_path",
    "load_upscaler",
    "train_shipped",
    "save_upscaler",
    "quality_table",
    "tile_count",
    "score",
    "evaluate",
    "evaluate_pairs",
    "score_rows",
    "writeup_r2",
    "seam_contrast",
    "plot_scores",
    "throughput",
    "BicubicResize",
    "SpaceToDepth",
    "DepthToSpace",
]

METHODS = ("nearest", "bilinear", "bicubic")
BORDER = 8  # pixels excluded on every side when scoring (SR papers shave a border of about the scale)


# ----------------------------------------------------------------------------- scale and pixels
def scale_fraction(scale: float | Fraction) -> Fraction:
    """Return ``scale`` as a small fraction p/q (1.5 -> 3/2, 2 -> 2/1); it must be > 1."""
    try:
        frac = Fraction(scale).limit_denominator(12)
    except (TypeError, ValueError):
        raise TypeError(f"scale must be a number such as 1.5 or 2, got {scale!r}") from None
    if frac <= 1 or abs(float(frac) - float(scale)) > 1e-6:
        raise ValueError(f"scale must be a number > 1 that is a simple fraction (1.5, 2, 3), got {scale!r}")
    return frac


def to_signed(x: np.ndarray) -> np.ndarray:
    """Map pixels from [0, 1] to the post's [-1, 1]."""
    return (np.asarray(x, np.float32) * 2.0 - 1.0).astype(np.float32)


def from_signed(x: np.ndarray) -> np.ndarray:
    """Map pixels from [-1, 1] back to [0, 1] (clipped)."""
    return np.clip((np.asarray(x, np.float32) + 1.0) / 2.0, 0.0, 1.0).astype(np.float32)


def _as_batch(image: np.ndarray) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """(N, H, W, C) float32 view of a 2-D, 3-D or 4-D image and a function that restores the layout."""
    arr = np.asarray(image, np.float32)
    if arr.ndim == 2:
        return arr[None, :, :, None], lambda b: b[0, :, :, 0]
    if arr.ndim == 3:
        return arr[None], lambda b: b[0]
    if arr.ndim == 4:
        return arr, lambda b: b
    raise ValueError(f"image must have 2, 3 or 4 dimensions, got shape {arr.shape}")


def _tf_resize(image: np.ndarray, size: tuple[int, int], method: str = "bicubic", *,
               antialias: bool | None = None, clip: bool = True) -> np.ndarray:
    """:func:`darkroom.images.resize` with TensorFlow's kernels, the ones the models apply in the graph."""
    return images.resize(image, size, method, antialias=antialias, backend="tensorflow", clip=clip)


def degrade(image: np.ndarray, scale: float = 1.5) -> np.ndarray:
    """Make the low-resolution version of ``image`` (the single definition used everywhere).

    Bicubic downscaling with an anti-aliasing filter (as MATLAB's ``imresize`` and SR benchmarks do)
    to ``round(H / scale) x round(W / scale)``, clipped to [0, 1]. Accepts uint8 or float in [0, 1],
    gray or colour, one image or a batch (N, H, W, C); returns float32 of the same layout.
    """
    frac = scale_fraction(scale)
    arr = np.asarray(image)
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    batch, restore = _as_batch(arr)
    h, w = batch.shape[1:3]
    size = (max(1, round(h / float(frac))), max(1, round(w / float(frac))))
    return restore(_tf_resize(batch, size, "bicubic", antialias=True))


# ----------------------------------------------------------------------------- patches
def _pair(value: int | Sequence[int], name: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        pair = (int(value), int(value))
    else:
        pair = tuple(int(v) for v in value)
    if len(pair) != 2 or min(pair) < 1:
        raise ValueError(f"{name} must be a positive int or a pair of them, got {value!r}")
    return pair  # type: ignore[return-value]


def patch_positions(length: int, size: int, stride: int) -> list[int]:
    """Start offsets of patches along one axis; the last patch sits against the border."""
    if size > length:
        raise ValueError(f"patch size {size} is larger than the image side {length}")
    starts = list(range(0, length - size + 1, stride))
    if starts[-1] != length - size:
        starts.append(length - size)
    return starts


def extract_patches(image: np.ndarray, size: int | Sequence[int], stride: int | Sequence[int]) -> np.ndarray:
    """Every ``size`` patch of ``image`` (H, W) or (H, W, C) at ``stride``, in row-major order.

    When the stride does not divide the image, the last row and column of patches sit against
    the bottom and right borders, so every pixel is covered. Returns (N, sh, sw[, C]).
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {image.shape}")
    (sh, sw), (th, tw) = _pair(size, "size"), _pair(stride, "stride")
    ys = patch_positions(image.shape[0], sh, th)
    xs = patch_positions(image.shape[1], sw, tw)
    return np.stack([image[y : y + sh, x : x + sw] for y in ys for x in xs])


def gaussian_window(size: int | Sequence[int], sigma: float | None = None) -> np.ndarray:
    """Separable Gaussian weights (sh, sw), peak 1, sigma = size / 4 unless given."""
    sh, sw = _pair(size, "size")

    def one(n: int) -> np.ndarray:
        s = sigma if sigma is not None else n / 4.0
        t = np.arange(n) - (n - 1) / 2.0
        return np.exp(-0.5 * (t / s) ** 2)

    return np.outer(one(sh), one(sw))


def reassemble(
    patches: np.ndarray,
    image_shape: Sequence[int],
    size: int | Sequence[int],
    stride: int | Sequence[int],
    blend: str = "tile",
) -> np.ndarray:
    """Put patches from :func:`extract_patches` back into an image of ``image_shape``.

    ``blend="tile"`` pastes them in order (the post's method: where patches overlap the later
    one wins, and neighbouring predictions meet at visible seams); ``blend="gaussian"`` averages
    overlapping patches weighted by a Gaussian window centred on each, which hides the seams.
    Reassembling the true patches returns the image exactly (up to float rounding for gaussian).
    """
    if blend not in ("tile", "gaussian"):
        raise ValueError(f"blend must be 'tile' or 'gaussian', got {blend!r}")
    (sh, sw), (th, tw) = _pair(size, "size"), _pair(stride, "stride")
    shape = tuple(int(s) for s in image_shape)
    ys, xs = patch_positions(shape[0], sh, th), patch_positions(shape[1], sw, tw)
    patches = np.asarray(patches)
    expected = (len(ys) * len(xs), sh, sw) + shape[2:]
    if patches.shape != expected:
        raise ValueError(f"patches must have shape {expected} for image {shape}, got {patches.shape}")
    positions = [(y, x) for y in ys for x in xs]
    if blend == "tile":
        out = np.zeros(shape, patches.dtype)
        for (y, x), patch in zip(positions, patches):
            out[y : y + sh, x : x + sw] = patch
        return out
    window = gaussian_window((sh, sw))
    if len(shape) == 3:
        window = window[..., None]
    total = np.zeros(shape, np.float64)
    weight = np.zeros(shape[:2] + ((1,) if len(shape) == 3 else ()), np.float64)
    for (y, x), patch in zip(positions, patches):
        total[y : y + sh, x : x + sw] += window * patch
        weight[y : y + sh, x : x + sw] += window
    return (total / weight).astype(patches.dtype if patches.dtype.kind == "f" else np.float32)


# ----------------------------------------------------------------------------- data
def photo_splits(
    source: str = "embedded",
    max_images: int | None = None,
    max_side: int | None = None,
    seed: int = 0,
) -> dict[str, list[np.ndarray]]:
    """Photos for training and scoring, split by image: ``{"train", "val", "test"}`` lists.

    ``"embedded"``: :func:`darkroom.data.sample_photos` (its own by-image split) with the gray
    photos of :data:`darkroom.images.GRAY_SAMPLE_IMAGES` added to training (none of them is a
    held-out scene). ``"caltech256"``: :func:`darkroom.data.caltech256` split 75 / 12.5 / 12.5 by
    image as in the post, ``max_images`` of them; raises FileNotFoundError when it is absent.
    ``max_side`` centre-crops every photo to at most that side (to keep quick runs quick).
    """
    from darkroom import data, images

    if source == "embedded":
        splits = {k: list(data.sample_photos(k).values()) for k in ("train", "val", "test")}
        splits["train"] += [images.sample_image(n) for n in images.GRAY_SAMPLE_IMAGES]
    elif source == "caltech256":
        items = data.caltech256()
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
    in_size: int = 10,
    scale: float = 1.5,
    stride: int | None = None,
    on_bicubic: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Aligned (input, label) patch pairs (N, in, in, 1), (N, out, out, 1) from image pairs.

    The input patch at low-resolution offset ``k * stride`` covers exactly the label patch at
    ``k * stride * scale``; ``stride`` (default ``in_size``) must be a multiple of q in p/q.
    ``on_bicubic=True`` is the post's side experiment: inputs are first upscaled bicubically, so
    input and label patches are both ``in_size`` (taken at the same high-res offsets).
    """
    frac = scale_fraction(scale)
    stride = in_size if stride is None else stride
    if on_bicubic:
        up = [to_signed(upscale(from_signed(np.squeeze(x)), "bicubic", float(frac))) for x in inputs]
        return _same_size_pairs(np.stack(up), np.asarray(labels), in_size, stride)
    out_size = in_size * frac
    if out_size.denominator != 1 or (stride * frac).denominator != 1:
        raise ValueError(f"in_size and stride must be multiples of {frac.denominator} at x{scale}, got {in_size}, {stride}")
    xs, ys = [], []
    for lr, hr in zip(np.asarray(inputs), np.asarray(labels)):
        lr, hr = np.squeeze(lr), np.squeeze(hr)
        hs = lr.shape[0] - (lr.shape[0] - in_size) % stride  # keep the grid, drop the ragged border
        ws = lr.shape[1] - (lr.shape[1] - in_size) % stride
        xs.append(extract_patches(lr[:hs, :ws], in_size, stride))
        ys.append(extract_patches(hr[: int(hs * frac), : int(ws * frac)], int(out_size), int(stride * frac)))
    return np.concatenate(xs)[..., None], np.concatenate(ys)[..., None]


def _same_size_pairs(inputs: np.ndarray, labels: np.ndarray, size: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    xs = [extract_patches(np.squeeze(x), size, stride) for x in inputs]
    ys = [extract_patches(np.squeeze(y), size, stride) for y in labels]
    return np.concatenate(xs)[..., None], np.concatenate(ys)[..., None]


def _crop_to_multiple(image: np.ndarray, m: int) -> np.ndarray:
    h, w = image.shape[:2]
    return image[: h - h % m, : w - w % m]


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


# ----------------------------------------------------------------------------- custom layers
@keras.saving.register_keras_serializable(package="darkroom")
class BicubicResize(keras.layers.Layer):
    """Bicubic upscaling by ``scale`` inside a model (output side = round(side * scale))."""

    def __init__(self, scale: float = 1.5, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)

    def call(self, x):
        shape = tf.shape(x)
        size = tf.cast(tf.round(tf.cast(shape[1:3], tf.float32) * self.scale), tf.int32)
        return tf.image.resize(x, size, method="bicubic")

    def compute_output_shape(self, input_shape):
        def up(s):
            return None if s is None else int(round(s * self.scale))

        return (input_shape[0], up(input_shape[1]), up(input_shape[2]), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@keras.saving.register_keras_serializable(package="darkroom")
class SpaceToDepth(keras.layers.Layer):
    """Fold each ``block`` x ``block`` group of pixels into channels (lossless, 1/block resolution)."""

    def __init__(self, block: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.block = int(block)

    def call(self, x):
        return tf.nn.space_to_depth(x, self.block)

    def compute_output_shape(self, input_shape):
        def down(s):
            return None if s is None else s // self.block

        return (input_shape[0], down(input_shape[1]), down(input_shape[2]), input_shape[3] * self.block**2)

    def get_config(self):
        return {**super().get_config(), "block": self.block}


@keras.saving.register_keras_serializable(package="darkroom")
class DepthToSpace(keras.layers.Layer):
    """Sub-pixel shuffle: unfold block**2 channel groups into a block x block pixel block."""

    def __init__(self, block: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.block = int(block)

    def call(self, x):
        return tf.nn.depth_to_space(x, self.block)

    def compute_output_shape(self, input_shape):
        def up(s):
            return None if s is None else s * self.block

        return (input_shape[0], up(input_shape[1]), up(input_shape[2]), input_shape[3] // self.block**2)

    def get_config(self):
        return {**super().get_config(), "block": self.block}


# ----------------------------------------------------------------------------- models
def build_mlp(
    in_size: int = 10,
    out_size: int = 15,
    hidden: Sequence[int] = (2048, 1024),
    activation: str = "tanh",
    initializer: str = "glorot_uniform",
    keep_prob: float = 1.0,
    output_activation: str | None = "tanh",
    name: str = "mlp",
) -> keras.Model:
    """The post's network: a 10x10 patch, flattened, through two tanh layers (2048, 1024) to 15x15.

    Glorot (Xavier) initialisation; the output is tanh too, since pixels live in [-1, 1].
    ``keep_prob`` < 1 adds dropout after every hidden layer, named as the post's TensorFlow 1 code
    named it (the fraction of units kept). ``output_activation=None`` gives the output layer the
    hidden ``activation``, as the post's code did (``y_pred = activate(...)``): a sigmoid or ReLU
    output then cannot reach the negative half of [-1, 1].
    Input (None, in, in, 1), output (None, out, out, 1).
    """
    if not 0.0 < keep_prob <= 1.0:
        raise ValueError(f"keep_prob must be in (0, 1] (the fraction of units kept), got {keep_prob!r}")
    inputs = keras.Input((in_size, in_size, 1))
    x = keras.layers.Flatten()(inputs)
    for units in hidden:
        x = keras.layers.Dense(units, activation=activation, kernel_initializer=initializer)(x)
        if keep_prob < 1.0:
            x = keras.layers.Dropout(1.0 - keep_prob)(x)
    last = activation if output_activation is None else output_activation
    x = keras.layers.Dense(out_size * out_size, activation=last, kernel_initializer=initializer)(x)
    outputs = keras.layers.Reshape((out_size, out_size, 1))(x)
    return keras.Model(inputs, outputs, name=name)


def build_srcnn(
    scale: float = 1.5,
    filters: Sequence[int] = (64, 32),
    kernels: Sequence[int] = (9, 1, 5),
    name: str = "srcnn",
) -> keras.Model:
    """SRCNN (Dong et al. 2014): bicubic upscaling, then conv 9x9 (64) - 1x1 (32) - 5x5 (1).

    The bicubic step is a layer of the model, so every model here maps low-res to high-res.
    ``kernels=(9, 5, 5)`` is the slower, better variant. 'same' padding keeps the size.
    """
    inputs = keras.Input((None, None, 1))
    x = BicubicResize(float(scale_fraction(scale)))(inputs)
    for f, k in zip(filters, kernels[:-1]):
        x = keras.layers.Conv2D(f, k, padding="same", activation="relu")(x)
    outputs = keras.layers.Conv2D(1, kernels[-1], padding="same")(x)
    return keras.Model(inputs, outputs, name=name)


def _subpixel_head(x, frac: Fraction, folded: bool, channels: int = 8):
    """Sub-pixel output: p*p values per position shuffled into p x p pixels. On an unfolded
    (low-res) grid the shuffle gives x p, and a learned q x q stride-q convolution brings it
    to x p/q."""
    if folded or frac.denominator == 1:
        x = keras.layers.Conv2D(frac.numerator**2, 3, padding="same")(x)
        return DepthToSpace(frac.numerator)(x)
    x = keras.layers.Conv2D(channels * frac.numerator**2, 3, padding="same")(x)
    x = DepthToSpace(frac.numerator)(x)
    q = frac.denominator
    return keras.layers.Conv2D(1, q, strides=q, padding="valid")(x)


def build_espcn(
    scale: float = 1.5,
    filters: Sequence[int] = (64, 32),
    kernels: Sequence[int] = (5, 3),
    fold: bool = True,
    name: str = "espcn",
) -> keras.Model:
    """ESPCN-style sub-pixel net (Shi et al. 2016): all convolutions at low resolution.

    For a scale p/q the input is first folded q x q into channels (lossless), tanh convolutions
    run on that grid and a final 3x3 convolution emits p*p values per position that the sub-pixel
    shuffle arranges into p x p pixels: 2x2 low-res pixels in, 3x3 out at x1.5, like the post's
    patches but convolutional. ``fold=False`` runs the convolutions on the low-res grid itself
    and ends with a x p shuffle and a learned stride-q convolution (q*q times the compute).
    Low-res sides must be multiples of q (``upscale`` pads for you).
    """
    frac = scale_fraction(scale)
    inputs = keras.Input((None, None, 1))
    folded = fold and frac.denominator > 1
    x = SpaceToDepth(frac.denominator)(inputs) if folded else inputs
    for f, k in zip(filters, kernels):
        x = keras.layers.Conv2D(f, k, padding="same", activation="tanh")(x)
    outputs = _subpixel_head(x, frac, folded)
    return keras.Model(inputs, outputs, name=name)


def build_residual_subpixel(
    scale: float = 1.5,
    filters: int = 64,
    num_layers: int = 6,
    residual: bool = True,
    subpixel: bool = True,
    fold: bool = True,
    name: str = "resub",
) -> keras.Model:
    """Our best model: a ReLU conv body at low resolution, a sub-pixel head, plus bicubic.

    The net only learns what bicubic misses (``residual``); the skip is the same bicubic kernel as
    the baseline, so an untrained head starts exactly at bicubic quality. ``subpixel=False`` runs
    the same body on the bicubic-upscaled image instead (SRCNN-style, p*p/q*q times the compute),
    which is how the notebook measures what the sub-pixel head buys. ``fold`` as in
    :func:`build_espcn`.
    """
    frac = scale_fraction(scale)
    inputs = keras.Input((None, None, 1))
    folded = fold and frac.denominator > 1
    if subpixel:
        x = SpaceToDepth(frac.denominator)(inputs) if folded else inputs
    else:
        x = BicubicResize(float(frac))(inputs)
    for _ in range(num_layers - 1):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    if subpixel:
        x = _subpixel_head(x, frac, folded)
    else:
        x = keras.layers.Conv2D(1, 3, padding="same")(x)
    outputs = keras.layers.Add()([x, BicubicResize(float(frac))(inputs)]) if residual else x
    return keras.Model(inputs, outputs, name=name)


# ----------------------------------------------------------------------------- training
LOSSES = {"mse": "mse", "l1": "mae"}  # the post's squared error, and L1 (sharper edges in SR work)


def train_upscaler(
    build: Callable[[], keras.Model],
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int = 5,
    batch_size: int = 64,
    loss: str = "mse",
    optimizer: str = "adam",
    learning_rate: float = 1e-3,
    schedule: str = "constant",
    decay_steps: int | None = None,
    decay_rate: float = 0.1,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    early_stopping: int | None = None,
    min_delta: float = 0.0,
    seed: int = 0,
    strategy: tf.distribute.Strategy | None = None,
    desc: str = "training",
) -> training.TrainResult:
    """Build an upscaler with ``build()`` and train it on (x, y) pairs in [-1, 1] with :func:`training.fit`.

    ``loss`` is "mse" (the post) or "l1"; ``optimizer`` any name of :data:`darkroom.training.OPTIMIZERS`
    ("rmsprop" is the post's choice, "sgd" (plain gradient descent) and "adadelta" the two it tried);
    ``schedule`` "constant", "exponential" (the post; times ``decay_rate`` every ``decay_steps``, by
    default once over the whole run) or "cosine". ``early_stopping`` (a patience in epochs) stops
    when the loss on ``validation_data`` has not fallen by more than ``min_delta`` for that many
    epochs, and keeps the best epoch's weights.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}")
    x, y = np.asarray(x, np.float32), np.asarray(y, np.float32)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must be non-empty and of equal length, got {len(x)} and {len(y)}")
    steps = epochs * math.ceil(len(x) / batch_size)
    rate = training.learning_rate_schedule(learning_rate, schedule, total_steps=steps,
                                           decay_steps=decay_steps, decay_rate=decay_rate)
    with training.strategy_scope(strategy):
        opt = training.optimizer(optimizer, rate)
    return training.fit(
        build, (x, y), loss=LOSSES[loss], optimizer=opt, epochs=epochs, batch_size=batch_size,
        validation_data=validation_data, early_stopping=early_stopping, min_delta=min_delta, seed=seed,
        strategy=strategy, desc=desc,
    )


# ----------------------------------------------------------------------------- upscaling
def _patch_model_sizes(model: keras.Model) -> tuple[int, int] | None:
    """(in, out) patch sides for a fixed-size patch model, None for a fully convolutional one."""
    in_shape, out_shape = model.input_shape, model.output_shape
    if in_shape[1] is None:
        return None
    return int(in_shape[1]), int(out_shape[1])


def _predict(model: keras.Model, batch: np.ndarray, batch_size: int) -> np.ndarray:
    # Calling the model directly avoids predict()'s per-call overhead and any progress output.
    outs = [np.asarray(model(batch[i : i + batch_size], training=False)) for i in range(0, len(batch), batch_size)]
    return np.concatenate(outs).astype(np.float32)


def _pad_to(image: np.ndarray, before: int, height: int, width: int) -> np.ndarray:
    h, w = image.shape
    return np.pad(image, ((before, height - h - before), (before, width - w - before)), mode="symmetric")


def _upscale_with_patches(gray: np.ndarray, model: keras.Model, frac: Fraction, blend: str, stride: int | None) -> np.ndarray:
    in_size, out_size = _patch_model_sizes(model)
    if in_size == out_size:  # a refiner of the bicubic enlargement (the post's side experiment)
        h, w = gray.shape
        gray = _tf_resize(gray, (round(h * float(frac)), round(w * float(frac))))
        frac = Fraction(1)
    elif Fraction(out_size, in_size) != frac:
        raise ValueError(f"the model maps {in_size}px patches to {out_size}px (x{out_size / in_size:g}), not x{float(frac):g}")
    return _run_patches(gray, model, frac, blend, stride)


def _run_patches(gray: np.ndarray, model: keras.Model, frac: Fraction, blend: str, stride: int | None) -> np.ndarray:
    """A patch model over a whole gray image (padded to the patch grid): the result in [-1, 1]."""
    in_size, out_size = _patch_model_sizes(model)
    q = frac.denominator
    if stride is None:
        stride = in_size if blend == "tile" else max(q, (in_size // 2) // q * q)
    stride = min(stride, in_size)
    if stride % q or stride > in_size:
        raise ValueError(f"stride must be a multiple of {q} and at most {in_size}, got {stride}")
    h, w = gray.shape
    hp = in_size + math.ceil(max(h - in_size, 0) / stride) * stride
    wp = in_size + math.ceil(max(w - in_size, 0) / stride) * stride
    padded = _pad_to(gray, 0, hp, wp)
    patches = extract_patches(to_signed(padded), in_size, stride)[..., None]
    pred = _predict(model, patches, 1024)[..., 0]
    hr_stride = int(stride * frac)
    return reassemble(pred, (int(hp * frac), int(wp * frac)), out_size, hr_stride, blend=blend)


def refine(image: np.ndarray, model: keras.Model, blend: str = "gaussian", stride: int | None = None) -> np.ndarray:
    """Run a same-size patch model (the post's bicubic-input MLP) over ``image`` without enlarging it:
    the post's "image pass, to clean up images". Gray (H, W) float32 in [0, 1] out (colour in: its luminance)."""
    sizes = _patch_model_sizes(model)
    if sizes is None or sizes[0] != sizes[1]:
        raise ValueError(f"refine needs a patch model with the same size in and out (build_mlp(15, 15)), "
                         f"got {model.name!r} with input {model.input_shape} and output {model.output_shape}")
    gray = color.to_luminance(image)
    return from_signed(_run_patches(gray, model, Fraction(1), blend, stride)[: gray.shape[0], : gray.shape[1]])


def cleanup_rows(clean: np.ndarray, passes: dict[str, np.ndarray], border: int = BORDER,
                 edge_share: float = 0.1) -> list[dict[str, float | str]]:
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


def text_image(text: str = "5B", height: int = 48, pad: int = 16) -> np.ndarray:
    """Black ``text`` on white, drawn by matplotlib (its default font) ``height`` pixels tall plus
    ``pad`` around: a gray (H, W) float32 image in [0, 1] with the sharp edges the post's "5" and "B" had."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not text.strip() or height < 8 or pad < 0:
        raise ValueError(f"text_image needs visible text, height >= 8 and pad >= 0, got {text!r}, {height}, {pad}")
    dpi = 100
    h, w = height + 2 * pad, int(0.75 * height * len(text)) + 2 * pad
    fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi, facecolor="white")
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=height * 72 / dpi, color="black")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())[..., :3]
    return color.to_luminance(rgba)


def _upscale_with_convnet(gray: np.ndarray, model: keras.Model, frac: Fraction) -> np.ndarray:
    q = frac.denominator
    margin = q * math.ceil(8 / q)  # reflected context so the borders see plausible neighbours
    h, w = gray.shape
    hp = margin + q * math.ceil((h + margin) / q)
    wp = margin + q * math.ceil((w + margin) / q)
    padded = _pad_to(gray, margin, hp, wp)
    out = np.asarray(model(to_signed(padded)[None, :, :, None], training=False))[0, :, :, 0]
    expected = (int(hp * frac), int(wp * frac))
    if out.shape != expected:
        raise ValueError(f"the model upscaled {padded.shape} to {out.shape}, expected {expected} at x{float(frac):g}")
    m = int(margin * frac)
    return out[m:, m:]


def _upscale_gray(gray: np.ndarray, method_or_model, frac: Fraction, blend: str, stride: int | None) -> np.ndarray:
    h, w = gray.shape
    size = (round(h * float(frac)), round(w * float(frac)))
    if isinstance(method_or_model, str):
        if method_or_model not in METHODS:
            raise ValueError(f"method must be one of {METHODS} or a keras.Model, got {method_or_model!r}")
        return _tf_resize(gray, size, method_or_model)
    if not isinstance(method_or_model, keras.Model):
        raise TypeError(f"method_or_model must be one of {METHODS} or a keras.Model, got {type(method_or_model).__name__}")
    if _patch_model_sizes(method_or_model) is not None:
        signed = _upscale_with_patches(gray, method_or_model, frac, blend, stride)
    else:
        signed = _upscale_with_convnet(gray, method_or_model, frac)
    return from_signed(signed[: size[0], : size[1]])


def _check_finite(arr: np.ndarray) -> None:
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"image has {bad} NaN or infinite values out of {arr.size}; expected finite pixels in [0, 1]")


def _default_method(frac: Fraction) -> str | keras.Model:
    """The shipped model for an integer scale that ships one, else bicubic."""
    if frac.denominator == 1 and frac.numerator in SHIPPED_SCALES:
        return load_upscaler(None, frac.numerator)
    return "bicubic"


def upscale(
    image: np.ndarray,
    method_or_model: str | keras.Model | None = None,
    scale: float = 1.5,
    blend: str = "gaussian",
    stride: int | None = None,
    tile: int | None = None,
    halo: int = 16,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Enlarge ``image`` by ``scale`` to round(H * scale) x round(W * scale), for any size.

    ``method_or_model``: "nearest", "bilinear", "bicubic", or a trained model from this module
    (patch models are run on overlapping patches, ``blend`` "gaussian" or "tile", the post's;
    fully convolutional ones on the whole image, padded by reflection and cropped back).
    ``None`` (the default) is the shipped model at x2, x3 and x4 (:func:`load_upscaler`; no
    training needed) and bicubic at any other scale.
    Gray in, gray out (H, W); colour in, colour out: a model upscales the luminance Y and the
    chroma (Cb, Cr) is upscaled bicubically; an alpha channel (RGBA, gray + alpha) is enlarged
    bicubically and kept. Accepts uint8, uint16 or float in [0, 1]; returns float32.
    ``tile`` (low-resolution pixels) runs a method or a fully convolutional model on tiles of
    that side, each read with ``halo`` pixels of context that are cut away afterwards, so memory
    stays bounded for any image and the result matches untiled inference (no seams) as long as
    the model sees less than ``halo`` pixels around each one (integer scales only). ``progress`` is called with the
    number of tiles done after each tile.
    """
    frac = scale_fraction(scale)
    arr = np.asarray(image)
    if arr.dtype == np.uint16:
        arr = arr.astype(np.float32) / 65535.0
    _check_finite(arr)
    if arr.ndim == 3 and arr.shape[-1] in (2, 4):  # alpha rides along, enlarged bicubically
        colour = upscale(arr[..., :-1], method_or_model, scale, blend, stride, tile, halo, progress)
        alpha = upscale(_as_unit(arr[..., -1]), "bicubic", scale, tile=tile, halo=halo)
        return np.concatenate([colour if colour.ndim == 3 else colour[..., None], alpha[..., None]], -1)
    if method_or_model is None:
        method_or_model = _default_method(frac)
    if tile is not None:
        return _upscale_tiled(arr, method_or_model, frac, blend, stride, int(tile), int(halo), progress)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2:
        return _upscale_gray(color.to_luminance(arr), method_or_model, frac, blend, stride)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise ValueError(f"image must be gray (H, W), RGB (H, W, 3) or with alpha (2 or 4 channels), got shape {arr.shape}")
    rgb = color.as_float_rgb(arr[..., :3], name="image")
    if isinstance(method_or_model, str):
        if method_or_model not in METHODS:
            raise ValueError(f"method must be one of {METHODS} or a keras.Model, got {method_or_model!r}")
        size = (round(rgb.shape[0] * float(frac)), round(rgb.shape[1] * float(frac)))
        return _tf_resize(rgb, size, method_or_model)
    ycc = color.rgb_to_ycbcr(rgb)
    y = _upscale_gray(np.clip(ycc[..., 0], 0, 1), method_or_model, frac, blend, stride)
    chroma = _tf_resize(ycc[..., 1:], y.shape, clip=False)
    return color.ycbcr_to_rgb(np.concatenate([y[..., None], chroma], -1))


def _as_unit(channel: np.ndarray) -> np.ndarray:
    return channel.astype(np.float32) / 255.0 if channel.dtype == np.uint8 else channel.astype(np.float32)


def _upscale_tiled(arr: np.ndarray, method_or_model, frac: Fraction, blend: str, stride: int | None,
                   tile: int, halo: int, progress: Callable[[int], None] | None) -> np.ndarray:
    """Upscale tile by tile: each tile is read with ``halo`` pixels of context, enlarged, and only its
    own (core) part of the result is kept; tile corners sit on multiples of q so cores line up."""
    if isinstance(method_or_model, keras.Model) and _patch_model_sizes(method_or_model) is not None:
        raise ValueError("tile applies to methods and fully convolutional models; patch models "
                         f"({method_or_model.name!r}) already run patch by patch, pass tile=None")
    if frac.denominator != 1:
        raise ValueError(f"tile needs an integer scale (2, 3, 4), got x{float(frac):g}; pass tile=None")
    if tile < 1 or halo < 0:
        raise ValueError(f"tile must be >= 1 and halo >= 0, got tile={tile}, halo={halo}")
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    h, w = arr.shape[:2]
    out_h, out_w = round(h * float(frac)), round(w * float(frac))
    out = None
    done = 0
    for top in range(0, h, tile):
        for left in range(0, w, tile):
            y0, x0 = max(0, top - halo), max(0, left - halo)
            y1, x1 = min(h, top + tile + halo), min(w, left + tile + halo)
            part = upscale(arr[y0:y1, x0:x1], method_or_model, float(frac), blend, stride)
            if out is None:
                out = np.empty((out_h, out_w) + part.shape[2:], np.float32)
            oy, ox = int((top - y0) * frac), int((left - x0) * frac)
            ty, tx = int(top * frac), int(left * frac)
            th, tw = min(out_h, int((top + tile) * frac)) - ty, min(out_w, int((left + tile) * frac)) - tx
            out[ty : ty + th, tx : tx + tw] = part[oy : oy + th, ox : ox + tw]
            done += 1
            if progress is not None:
                progress(done)
    return out


def tile_count(shape: Sequence[int], tile: int) -> int:
    """How many tiles :func:`upscale` runs on an image of ``shape`` with ``tile``."""
    return math.ceil(shape[0] / tile) * math.ceil(shape[1] / tile)


# ----------------------------------------------------------------------------- shipped models
SHIPPED_SCALES = (2, 3, 4)
#: How the shipped upscalers were made (``make models``): the residual sub-pixel net, small.
# learning rate 5e-4: at 1e-3 the x4 net's ReLUs died on seed 0 (it stayed at bicubic); seeds 0 and 1 at 5e-4 learned.
SHIPPED_RECIPE = dict(filters=32, num_layers=6, crops=3000, epochs=20, batch_size=16, learning_rate=5e-4, min_std=0.05,
                      seed=0)
_loaded: dict[str, keras.Model] = {}


def _package_models_dir() -> "Path":
    from pathlib import Path

    return Path(__file__).resolve().parent / "models"


def shipped_model_path(scale: int) -> "Path":
    """The committed model file for ``scale`` (2, 3 or 4): ``darkroom/models/resub_x<scale>.keras``."""
    if scale not in SHIPPED_SCALES:
        raise ValueError(f"no upscaler ships for x{scale}; shipped scales are {', '.join(f'x{s}' for s in SHIPPED_SCALES)}")
    return _package_models_dir() / f"resub_x{scale}.keras"


def load_upscaler(name_or_path: str | None, scale: int) -> keras.Model:
    """The model that enlarges by ``scale``: ``None`` is the shipped one; a name is a shipped file
    (``resub_x2``) or ``outputs/models/<name>.keras``; anything else is a path to a .keras file.
    Raises FileNotFoundError naming where it looked, ValueError if the model's scale differs."""
    from pathlib import Path

    from darkroom import paths

    if name_or_path is None:
        path = shipped_model_path(scale)
    else:
        text = str(name_or_path)
        candidates = [Path(text).expanduser(), _package_models_dir() / f"{text}.keras", paths.models_dir() / f"{text}.keras"]
        found = [c for c in candidates if c.is_file()]
        if not found:
            raise FileNotFoundError(f"no model {text!r}: looked for {', '.join(str(c) for c in candidates)}")
        path = found[0]
    if not path.is_file():
        raise FileNotFoundError(f"the shipped x{scale} upscaler is missing at {path}; run `make models`")
    key = str(path.resolve())
    if key not in _loaded:
        _loaded[key] = keras.saving.load_model(path, compile=False)
    model = _loaded[key]
    probe = model.output_shape[1:3] if model.input_shape[1] is not None else None
    if probe is not None and probe[0] != model.input_shape[1] * scale:
        raise ValueError(f"model {path.name} enlarges {model.input_shape[1]} -> {probe[0]}, not x{scale}")
    return model


def save_upscaler(model: keras.Model, path: "str | os.PathLike[str]") -> None:
    """Save ``model`` without its optimizer state (a third of the file), atomically."""
    from darkroom import paths

    bare = keras.models.clone_model(model)
    bare.set_weights(model.get_weights())
    with paths.atomic_write(path) as tmp:
        bare.save(tmp)


def train_shipped(scale: int, recipe: dict | None = None, photos: Sequence[np.ndarray] | None = None) -> training.TrainResult:
    """Train the small residual sub-pixel upscaler that ships for ``scale`` (``make models``).

    The bundled photos' train split only (:func:`photo_splits`, as notebook 08 splits them),
    random informative crops whose low-resolution side is 24 px, L1 with a cosine schedule,
    fixed seeds: :data:`SHIPPED_RECIPE` unless ``recipe`` overrides some of it.
    """
    r = {**SHIPPED_RECIPE, **(recipe or {})}
    if photos is None:
        photos = photo_splits("embedded")["train"]
    x, y = random_crop_pairs(photos, r["crops"], 24 * scale, scale, min_std=r["min_std"], seed=r["seed"])
    return train_upscaler(
        lambda: build_residual_subpixel(scale, r["filters"], r["num_layers"], name=f"resub_x{scale}"),
        x, y, epochs=r["epochs"], batch_size=r["batch_size"], loss="l1", learning_rate=r["learning_rate"],
        schedule="cosine",
        seed=r["seed"], desc=f"upscaler x{scale}",
    )


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


# ----------------------------------------------------------------------------- scores
def _shave(image: np.ndarray, border: int) -> np.ndarray:
    return image[border : image.shape[0] - border, border : image.shape[1] - border] if border else image


def score(target: np.ndarray, prediction: np.ndarray, border: int = BORDER) -> dict[str, float]:
    """MAE (the post's mean absolute difference, on [0, 1]), PSNR (dB, peak 1) and SSIM
    (:func:`darkroom.metrics.ssim`: 11x11 Gaussian window, sigma 1.5) of ``prediction`` against
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


def evaluate(
    photos: Sequence[np.ndarray],
    method_or_model: str | keras.Model,
    scale: float = 1.5,
    blend: str = "gaussian",
    border: int = BORDER,
) -> dict[str, float]:
    """Mean MAE / PSNR / SSIM over ``photos`` (gray by luminance, cut to a multiple of p):
    degrade each, upscale it back with ``method_or_model`` and compare with the original."""
    frac = scale_fraction(scale)
    rows = []
    for photo in photos:
        hr = _crop_to_multiple(color.to_luminance(photo), frac.numerator)
        sr = upscale(degrade(hr, float(frac)), method_or_model, float(frac), blend=blend)
        rows.append(score(hr, sr, border))
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
        raise ValueError(f"inputs and labels must be non-empty and of equal length, got {len(inputs)} and {len(labels)}")
    rows = []
    for lr, hr in zip(inputs, labels):
        sr = upscale(from_signed(np.squeeze(lr)), method_or_model, scale, blend=blend)
        rows.append(score(from_signed(np.squeeze(hr)), sr, border))
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


def throughput(
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

    A candidate is a method name, a model, a :class:`darkroom.training.TrainResult` (its model, and its
    ``seconds`` as ``train_s``) or a pair (any of those, blend) for patch models. A row holds
    ``method`` (the name), the :func:`evaluate` scores (mae, psnr, ssim) on ``photos``,
    ``dB_vs_<reference>`` (PSNR minus that method's; omitted when ``reference`` is None),
    ``train_s`` and ``mp_per_s`` (:func:`throughput` at ``bench_size``; None when not given).
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
        row["mp_per_s"] = None if bench_size is None else throughput(model, bench_size, scale, blend=blend)
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
        raise ValueError(f"writeup_r2 needs a patch model that enlarges x{float(frac):g} (as build_mlp makes), "
                         f"got {model.name!r} with input {model.input_shape} and output {model.output_shape}")
    inputs, labels = np.asarray(inputs, np.float32), np.asarray(labels, np.float32)
    if len(inputs) != len(labels) or len(inputs) == 0:
        raise ValueError(f"inputs and labels must be non-empty and of equal length, got {len(inputs)} and {len(labels)}")
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
    rows: Sequence[dict], key: str = "psnr", label: str = "method", reference: float | None = None,
    ax=None, title: str | None = None,
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


# ----------------------------------------------------------------------------- the post's choices
SETTING_KEYS = ("hidden", "activation", "initializer", "keep_prob", "optimizer", "learning_rate", "schedule", "patch")
GRIDS = ("default", "full")


def writeup_settings(grid: str = "default") -> dict[str, dict[str, object]]:
    """What the post tried for its MLP, one factor at a time, as changes to its final pick (two tanh
    layers, Xavier, RMSProp with a decaying rate, no dropout, 10 -> 15 patches): for :func:`compare_settings`.

    Depth (one fully connected layer, the post's first attempt; four hidden layers), activation
    (sigmoid, ReLU), Gaussian initialisation (TensorFlow's truncated normal, the post's), optimiser
    (plain gradient descent, AdaDelta), RMSProp at the post's rate, a constant rate, dropout at the
    post's two keep_prob values, and the post's other input patch sides (8 and 16, enlarged x1.5 here).
    ``"default"`` halves the four-layer widths (a CPU budget); ``"full"`` uses the post's widths and
    adds whole-image patches and a second Gaussian spread. Widths, rates and keep_prob come from
    :mod:`darkroom.writeups`. The rates of gradient descent and AdaDelta are ours (the post gives
    only RMSProp's): AdaDelta's 1.0 is its paper's; gradient descent's 1.0 learned fastest of 0.01,
    0.1 and 1.0 on notebook 08's patches (one epoch of 12,000, default profile).
    """
    if grid not in GRIDS:
        raise ValueError(f"grid must be one of {GRIDS}, got {grid!r}")
    deep = tuple(int(writeups.value(f"sr_deep_width_{i}")) // (1 if grid == "full" else 2) for i in range(1, 5))
    keep_low, keep_high = writeups.value("sr_keep_prob_low"), writeups.value("sr_keep_prob_high")
    post_lr = writeups.value("sr_learning_rate")
    small, large = int(writeups.value("sr_patch_8_in")), int(writeups.value("sr_patch_16_in"))
    settings: dict[str, dict[str, object]] = {
        "the post's pick": {},
        "depth: one layer": {"hidden": ()},
        f"depth: four hidden ({'-'.join(map(str, deep))})": {"hidden": deep},
        "activation: sigmoid": {"activation": "sigmoid"},
        "activation: ReLU": {"activation": "relu"},
        "init: Gaussian": {"initializer": "truncated_normal"},
        "optimiser: plain GD": {"optimizer": "sgd", "learning_rate": 1.0},
        "optimiser: AdaDelta": {"optimizer": "adadelta", "learning_rate": 1.0},
        f"rate: RMSProp at {post_lr:g}": {"learning_rate": post_lr},
        "rate: constant": {"schedule": "constant"},
        f"dropout: keep_prob {keep_high:g}": {"keep_prob": keep_high},
        f"dropout: keep_prob {keep_low:g}": {"keep_prob": keep_low},
        f"patch: {small} in": {"patch": small},
        f"patch: {large} in": {"patch": large},
    }
    if grid == "full":
        settings["init: Gaussian, spread 0.01"] = {"initializer": "gaussian_0.01"}
        settings["patch: whole image"] = {"patch": "whole"}
    return settings


def _initializer(name: str) -> str | keras.initializers.Initializer:
    """A Keras initializer name, or ``gaussian_<std>``: TensorFlow's truncated normal at that spread."""
    if name.startswith("gaussian_"):
        return keras.initializers.TruncatedNormal(stddev=float(name.split("_", 1)[1]))
    return name


def _setting_build(change: dict[str, object], in_size: int, out_size: int, hidden: Sequence[int]) -> Callable[[], keras.Model]:
    build: dict[str, object] = {k: change[k] for k in ("activation", "keep_prob") if k in change}
    if "activation" in change:
        build["output_activation"] = None  # as the post's code: the output uses the same activation
    init = _initializer(str(change.get("initializer", "glorot_uniform")))
    layers = tuple(change.get("hidden", hidden))  # type: ignore[arg-type]
    return functools.partial(build_mlp, in_size, out_size, hidden=layers, initializer=init, **build)


def _subsample(pairs: tuple[np.ndarray, np.ndarray], limit: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    x, y = pairs
    if limit is None or len(x) <= limit:
        return x, y
    keep = np.random.default_rng(seed).permutation(len(x))[:limit]
    return x[keep], y[keep]


def _setting_patches(change: dict[str, object], train_pairs, val_pairs, scale: float, stride: int,
                     limits: tuple[int | None, int | None], seed: int):
    """(in, out) sides and the train / validation patch pairs for one setting's patch size."""
    frac = scale_fraction(scale)
    patch = change.get("patch", int(writeups.value("sr_patch_in")))
    in_size = int(np.shape(train_pairs[0])[1]) if patch == "whole" else int(patch)  # type: ignore[arg-type]
    step = in_size if patch == "whole" else stride
    train = patch_pairs(*train_pairs, in_size, scale, stride=step)
    val = patch_pairs(*val_pairs, in_size, scale, stride=step)
    return (in_size, int(in_size * frac)), _subsample(train, limits[0], seed), _subsample(val, limits[1], seed + 1)


def compare_settings(
    settings: dict[str, dict[str, object]],
    train_pairs: tuple[np.ndarray, np.ndarray],
    val_pairs: tuple[np.ndarray, np.ndarray],
    test_pairs: tuple[np.ndarray, np.ndarray],
    photos: Sequence[np.ndarray],
    *,
    hidden: Sequence[int] = (2048, 1024),
    patches: int | None = None,
    val_patches: int | None = None,
    stride: int = 4,
    epochs: int = 10,
    patience: int = 1,
    min_delta: float = 0.0,
    batch_size: int = 64,
    learning_rate: float = 5e-4,
    schedule: str = "exponential",
    scale: float = 1.5,
    r2_patches: int = 4,
    seed: int = 0,
) -> list[dict[str, float | str | int | None]]:
    """Train the post's MLP once per entry of ``settings`` (name -> changes, see
    :func:`writeup_settings`) from the same seed and score each: the comparison the post made.

    Image pairs in [-1, 1] (as from :func:`prepare_pairs`) give the patch pairs for each setting's
    patch size (``stride`` apart, at most ``patches`` / ``val_patches`` of them). The base recipe is
    ``hidden`` tanh layers, Xavier, RMSProp at ``learning_rate`` with ``schedule``, MSE; each run
    stops after ``epochs`` or when the validation loss has not fallen by more than ``min_delta`` for
    ``patience`` epochs (the post stopped on such a plateau), keeping the best epoch. Rows: ``setting``, mae / psnr / ssim on
    the held-out ``photos`` (:func:`evaluate`, blended), the post's r2 (:func:`writeup_r2`) on
    ``test_pairs`` and on ``val_pairs``, ``epochs_run``, ``best_epoch`` and ``train_s``.
    """
    rows: list[dict[str, float | str | int | None]] = []
    for name, change in settings.items():
        unknown = sorted(set(change) - set(SETTING_KEYS))
        if unknown:
            raise ValueError(f"setting {name!r}: unknown keys {unknown}; expected some of {list(SETTING_KEYS)}")
        sizes, train, val = _setting_patches(change, train_pairs, val_pairs, scale, stride, (patches, val_patches), seed)
        res = train_upscaler(
            _setting_build(change, *sizes, hidden), *train, epochs=epochs, batch_size=batch_size, loss="mse",
            optimizer=str(change.get("optimizer", "rmsprop")),
            learning_rate=float(change.get("learning_rate", learning_rate)),  # type: ignore[arg-type]
            schedule=str(change.get("schedule", schedule)), validation_data=val, early_stopping=patience,
            min_delta=min_delta, seed=seed, desc=name[:24],
        )
        r2 = {f"r2_{k}": writeup_r2(*pairs, res.model, scale, patches_per_image=r2_patches, seed=seed)
              for k, pairs in (("test", test_pairs), ("val", val_pairs))}
        rows.append({"setting": name, **evaluate(photos, res.model, scale), **r2,
                     "epochs_run": res.epochs_run, "best_epoch": res.best_epoch, "train_s": res.seconds})
    return rows


def plot_settings(rows: Sequence[dict], reference_psnr: float, title: str | None = None):
    """Two panels for :func:`compare_settings` rows: PSNR against ``reference_psnr`` (dB, e.g.
    bicubic's) and the post's r2 on the test pairs (lower is better). Returns the figure."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.35 * len(rows) + 1.2), sharey=True)
    plot_scores(rows, "psnr", "setting", reference=reference_psnr, ax=left, title="PSNR against bicubic (dB)")
    plot_scores(rows, "r2_test", "setting", ax=right, title="the post's r2 on test patches (lower is better)")
    right.set_xlabel("r2 (MSE on [-1, 1])")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
