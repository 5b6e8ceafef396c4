"""White circles on black: the toy problem of the "Getting my feet wet with TensorFlow" post.

The post's colorization net would not train, so its author stepped back to an
autoencoder on synthetic discs. This module holds everything notebook 02 (and
the toy half of notebook 03) needs:

- generators: :func:`make_circles` (float32 in [0, 1]), :func:`make_circles_lab`
  (lightness 0..100, as the post used) and :func:`make_colored_discs` (coloured
  discs on coloured backgrounds, a first colorization toy);
- streaming ``tf.data`` builders: :func:`circle_dataset`, :func:`circle_splits`,
  :func:`disc_colorization_dataset`; corruptions for denoising/inpainting;
- models: :func:`post_autoencoder` (the post's six conv layers) and
  :func:`squeeze_autoencoder` (a bottleneck that cannot copy pixels through);
- :func:`train_autoencoder` and the :func:`disc_iou` metric.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from darkroom.core import color, training

__all__ = [
    "DEFAULT_PALETTE",
    "AutoencoderResult",
    "DiscIoU",
    "architecture_sweep",
    "budget_columns",
    "budget_note",
    "circle_dataset",
    "circle_splits",
    "color_report",
    "colorize_discs",
    "corrupt",
    "dataset_size",
    "disc_colorization_dataset",
    "disc_iou",
    "evaluate_autoencoder",
    "gradient_report",
    "inpainting_report",
    "make_circles",
    "make_circles_lab",
    "make_colored_discs",
    "masked_examples",
    "plot_filters",
    "post_autoencoder",
    "squeeze_autoencoder",
    "train_autoencoder",
]

_SIZES: weakref.WeakKeyDictionary[tf.data.Dataset, tuple[int, int]] = weakref.WeakKeyDictionary()
_SPLIT_STREAMS = {"train": 0, "validation": 1, "test": 2}

#: LAB colours for the colour toy, three hues per lightness so that lightness alone
#: cannot tell which hue a disc has: an L2-trained model must average them.
DEFAULT_PALETTE: np.ndarray = np.array(
    [
        [40, 55, 40],
        [40, -40, 35],
        [40, 25, -55],  # dark red, dark green, blue
        [60, 60, 55],
        [60, -50, 45],
        [60, 15, -45],  # orange, green, light blue
        [80, -5, 75],
        [80, -45, -5],
        [80, 30, -5],  # yellow, cyan, pink
    ],
    dtype=np.float32,
)


# --------------------------------------------------------------------------- generators


def _as_range(value: Any, name: str, *, integer: bool) -> tuple[float, float]:
    if np.isscalar(value):
        value = (value, value)
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or a (min, max) pair; received {value!r}") from None
    if integer and (int(lo) != lo or int(hi) != hi):
        raise ValueError(f"{name} must be whole numbers; received {value!r}")
    if lo > hi:
        raise ValueError(f"{name} range is reversed: received (min={lo}, max={hi}); expected min <= max")
    return (int(lo), int(hi)) if integer else (float(lo), float(hi))


def _check_scene(n: int, height: int, width: int, radius: Any, count: Any, allow_cut: bool):
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a whole number >= 1; received {n!r}")
    if height < 3 or width < 3:
        raise ValueError(f"height and width must be at least 3 pixels; received {height}x{width}")
    r_lo, r_hi = _as_range(radius, "radius", integer=False)
    c_lo, c_hi = _as_range(count, "count", integer=True)
    if r_lo <= 0:
        raise ValueError(f"radius must be positive; received {radius!r}")
    if c_lo < 0:
        raise ValueError(f"count must be >= 0; received {count!r}")
    short = min(height, width)
    if r_hi > short / 2:
        raise ValueError(
            f"radius {r_hi} is larger than a {height}x{width} image allows; expected at most {short / 2}"
        )
    if not allow_cut and r_hi > (short - 3) / 2:
        raise ValueError(
            f"with allow_cut=False a disc of radius {r_hi} cannot avoid the border of a {height}x{width} "
            f"image; expected radius at most {(short - 3) / 2}"
        )
    return (r_lo, r_hi), (c_lo, c_hi)


def _disc_layout(
    rng: np.random.Generator,
    height: int,
    width: int,
    radius: tuple[float, float],
    count: tuple[int, int],
    allow_cut: bool,
) -> np.ndarray:
    """(k, 3) array of centre row, centre column and radius for one image."""
    k = int(rng.integers(count[0], count[1] + 1))
    r = rng.uniform(radius[0], radius[1], size=k)
    if allow_cut:
        cy = rng.uniform(0, height - 1, size=k)
        cx = rng.uniform(0, width - 1, size=k)
    else:
        # Keep row/column 0 and the last one empty: the disc's extent is [c - r, c + r].
        cy = rng.uniform(r + 1, height - 2 - r)
        cx = rng.uniform(r + 1, width - 2 - r)
    return np.stack([cy, cx, r], axis=1)


def _disc_masks(layout: np.ndarray, height: int, width: int) -> np.ndarray:
    """(k, H, W) boolean masks of the discs in ``layout``."""
    yy = np.arange(height, dtype=np.float32)[None, :, None]
    xx = np.arange(width, dtype=np.float32)[None, None, :]
    cy, cx, r = (layout[:, i, None, None].astype(np.float32) for i in range(3))
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r**2


def _circle_batch(rng, n, height, width, radius, count, allow_cut) -> np.ndarray:
    out = np.zeros((n, height, width, 1), np.float32)
    for i in range(n):
        masks = _disc_masks(_disc_layout(rng, height, width, radius, count, allow_cut), height, width)
        if len(masks):
            out[i, ..., 0] = masks.any(axis=0)
    return out


def make_circles(
    n: int,
    height: int = 150,
    width: int = 100,
    radius: Any = (5, 20),
    count: Any = (1, 5),
    allow_cut: bool = True,
    seed: int = 0,
) -> np.ndarray:
    """``n`` images of white discs on black, float32 in [0, 1], shaped ``(n, height, width, 1)``.

    Each image holds a whole number of discs drawn from ``count`` (inclusive), radii
    uniform in ``radius`` (pixels), centres anywhere in the image -- so discs may be cut
    by the edge -- unless ``allow_cut=False``, which keeps every disc off the border
    rows and columns. The same ``seed`` gives the same images.
    """
    radius, count = _check_scene(n, height, width, radius, count, allow_cut)
    rng = np.random.default_rng(seed)
    return _circle_batch(rng, n, height, width, radius, count, allow_cut)


def make_circles_lab(
    n: int,
    height: int = 150,
    width: int = 100,
    radius: Any = (5, 20),
    count: Any = (1, 5),
    allow_cut: bool = True,
    seed: int = 0,
) -> np.ndarray:
    """:func:`make_circles` as LAB lightness: discs at L=100 on L=0, shaped ``(n, H, W, 1)``."""
    return 100.0 * make_circles(n, height, width, radius, count, allow_cut, seed)


def _palette(palette: Any) -> np.ndarray:
    pal = DEFAULT_PALETTE if palette is None else np.asarray(palette, np.float32)
    if pal.ndim != 2 or pal.shape[1] != 3 or len(pal) < 2:
        raise ValueError(f"palette must be an (k >= 2, 3) array of LAB colours; received shape {pal.shape}")
    return pal


def _colored_batch(rng, n, height, width, radius, count, allow_cut, pal) -> np.ndarray:
    lab = np.empty((n, height, width, 3), np.float32)
    levels = np.unique(pal[:, 0])
    for i in range(n):
        background = pal[rng.integers(len(pal))]
        lab[i] = background
        # Discs take a lightness different from the background so they stay visible in L.
        choices = pal[pal[:, 0] != background[0]] if len(levels) > 1 else pal
        masks = _disc_masks(_disc_layout(rng, height, width, radius, count, allow_cut), height, width)
        for mask in masks:
            lab[i][mask] = choices[rng.integers(len(choices))]
    return color.lab_to_rgb(lab).astype(np.float32)


def make_colored_discs(
    n: int,
    height: int = 64,
    width: int = 64,
    radius: Any = (5, 16),
    count: Any = (1, 4),
    allow_cut: bool = True,
    seed: int = 0,
    palette: Any = None,
) -> np.ndarray:
    """Coloured discs on coloured backgrounds, float32 RGB in [0, 1], ``(n, H, W, 3)``.

    Colours come from ``palette`` (LAB rows; default :data:`DEFAULT_PALETTE`, three hues
    per lightness), so the gray image says where a disc is but not which of its three
    hues it has -- the ambiguity that makes an L2 colorizer paint brownish grey.
    """
    radius, count = _check_scene(n, height, width, radius, count, allow_cut)
    rng = np.random.default_rng(seed)
    return _colored_batch(rng, n, height, width, radius, count, allow_cut, _palette(palette))


def corrupt(
    images: np.ndarray, kind: str = "noise", amount: float = 0.3, seed: int = 0, return_mask: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Damage images for denoising or inpainting: Gaussian ``noise`` of std ``amount``
    (clipped to [0, 1]), or a black square ``mask`` whose side is ``amount`` of the short side.

    With ``return_mask=True`` also return the boolean ``(N, H, W, 1)`` mask of the pixels that
    were blacked out (all False for noise, which touches every pixel), to score inpainting there.
    """
    images = np.asarray(images, np.float32)
    if images.ndim != 4:
        raise ValueError(f"corrupt expects a batch (N, H, W, C); received shape {images.shape}")
    if not 0 <= amount <= 1:
        raise ValueError(f"amount must be in [0, 1]; received {amount}")
    rng = np.random.default_rng(seed)
    hole = np.zeros((*images.shape[:3], 1), bool)
    if kind == "noise":
        out = np.clip(images + rng.normal(0, amount, images.shape).astype(np.float32), 0, 1)
    elif kind == "mask":
        n, h, w, _ = images.shape
        side = max(1, int(round(amount * min(h, w))))
        out = images.copy()
        for i in range(n):
            top, left = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
            out[i, top : top + side, left : left + side] = 0.0
            hole[i, top : top + side, left : left + side] = True
    else:
        raise ValueError(f"kind must be 'noise' or 'mask'; received {kind!r}")
    return (out, hole) if return_mask else out


# --------------------------------------------------------------------------- tf.data


def _split_rng(seed: int, split: str) -> np.random.Generator:
    if split not in _SPLIT_STREAMS:
        raise ValueError(f"split must be one of {sorted(_SPLIT_STREAMS)}; received {split!r}")
    # A separate stream per split: the validation images are never training images.
    return np.random.default_rng([seed, _SPLIT_STREAMS[split]])


def _chunks(n: int, chunk: int) -> Iterator[int]:
    done = 0
    while done < n:
        size = min(chunk, n - done)
        yield size
        done += size


def _finish(ds: tf.data.Dataset, n: int, batch_size: int) -> tf.data.Dataset:
    """Rebatch, declare the length (so Keras knows the steps per epoch) and prefetch."""
    batches = -(-n // batch_size)
    ds = ds.unbatch().batch(batch_size).apply(tf.data.experimental.assert_cardinality(batches)).prefetch(2)
    _SIZES[ds] = (n, batch_size)  # (examples, batch size), for throughput
    return ds


def dataset_size(ds: tf.data.Dataset) -> tuple[int, int] | None:
    """``(examples, batch_size)`` of a dataset built here, else ``None``."""
    return _SIZES.get(ds)


def circle_dataset(
    n: int,
    batch_size: int = 32,
    *,
    split: str = "train",
    height: int = 150,
    width: int = 100,
    radius: Any = (5, 20),
    count: Any = (1, 5),
    allow_cut: bool = True,
    seed: int = 0,
    scale: str = "unit",
    corruption: str | None = None,
    corruption_amount: float = 0.3,
    chunk: int = 64,
) -> tf.data.Dataset:
    """A streaming ``tf.data.Dataset`` of ``(input, target)`` circle batches for an autoencoder.

    Images are generated ``chunk`` at a time as the dataset is iterated (nothing is held
    in memory), identically on every pass. ``scale="unit"`` gives [0, 1]; ``"lab"`` gives
    lightness 0..100 as the post used. With ``corruption`` ("noise" or "mask") the input
    is damaged and the target is the clean image (denoising / inpainting).
    """
    radius_r, count_r = _check_scene(n, height, width, radius, count, allow_cut)
    _split_rng(seed, split)
    if scale not in ("unit", "lab"):
        raise ValueError(f"scale must be 'unit' or 'lab'; received {scale!r}")
    if corruption not in (None, "noise", "mask"):
        raise ValueError(f"corruption must be None, 'noise' or 'mask'; received {corruption!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; received {batch_size}")
    factor = 100.0 if scale == "lab" else 1.0

    def generate() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        rng = _split_rng(seed, split)
        for j, size in enumerate(_chunks(n, chunk)):
            clean = _circle_batch(rng, size, height, width, radius_r, count_r, allow_cut)
            damaged = (
                clean
                if corruption is None
                else corrupt(clean, corruption, corruption_amount, seed=seed * 1000 + j)
            )
            yield damaged * factor, clean * factor

    spec = tf.TensorSpec((None, height, width, 1), tf.float32)
    ds = tf.data.Dataset.from_generator(generate, output_signature=(spec, spec))
    return _finish(ds, n, batch_size)


def circle_splits(
    n_train: int, n_validation: int, batch_size: int = 32, **kwargs: Any
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """Training and validation datasets from disjoint random streams (same keyword arguments
    as :func:`circle_dataset`)."""
    return (
        circle_dataset(n_train, batch_size, split="train", **kwargs),
        circle_dataset(n_validation, batch_size, split="validation", **kwargs),
    )


def disc_colorization_dataset(
    n: int,
    batch_size: int = 32,
    *,
    split: str = "train",
    height: int = 64,
    width: int = 64,
    radius: Any = (5, 16),
    count: Any = (1, 4),
    allow_cut: bool = True,
    seed: int = 0,
    palette: Any = None,
    chunk: int = 64,
) -> tf.data.Dataset:
    """Streaming ``(L, ab)`` batches of coloured discs, normalised with ``color.normalize_lab``:
    input L/100 shaped ``(B, H, W, 1)``, target (a/128, b/128) shaped ``(B, H, W, 2)``."""
    radius_r, count_r = _check_scene(n, height, width, radius, count, allow_cut)
    _split_rng(seed, split)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; received {batch_size}")
    pal = _palette(palette)

    def generate() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        rng = _split_rng(seed, split)
        for size in _chunks(n, chunk):
            rgb = _colored_batch(rng, size, height, width, radius_r, count_r, allow_cut, pal)
            L, ab = color.split_lab(color.normalize_lab(color.rgb_to_lab(rgb)).astype(np.float32))
            yield L, ab

    ds = tf.data.Dataset.from_generator(
        generate,
        output_signature=(
            tf.TensorSpec((None, height, width, 1), tf.float32),
            tf.TensorSpec((None, height, width, 2), tf.float32),
        ),
    )
    return _finish(ds, n, batch_size)


# --------------------------------------------------------------------------- models


def post_autoencoder(
    input_shape: Sequence[int] = (150, 100, 1),
    filters: Sequence[int] = (32, 16, 16, 8, 8, 1),
    kernel_sizes: Sequence[int] = (7, 7, 7, 7, 7, 4),
    dropout: float = 0.1,
    activation: str = "relu",
    output_activation: str | None = None,
    initializer: str = "glorot",
    name: str = "post_autoencoder",
) -> keras.Model:
    """The post's all-convolutional net: stride 1, 'same' padding, dropout after each hidden layer.

    Defaults are the post's: 32-16-16-8-8-1 features, 7x7 kernels and a final 4x4. The
    post's output was linear (``output_activation=None``); ``"sigmoid"`` bounds it to
    [0, 1], one of the fixes notebook 02 shows. The last entry of ``filters`` is the
    number of output channels (2 for an ab colorizer). ``initializer="tf2016"`` uses the
    weights of the 2016 TensorFlow tutorials the post learned from (truncated normal,
    std 0.1; biases 0.1) instead of Keras' Glorot-uniform and zero biases.
    """
    if initializer not in ("glorot", "tf2016"):
        raise ValueError(f"initializer must be 'glorot' or 'tf2016'; received {initializer!r}")
    init = (
        {
            "kernel_initializer": keras.initializers.TruncatedNormal(stddev=0.1),
            "bias_initializer": keras.initializers.Constant(0.1),
        }
        if initializer == "tf2016"
        else {}
    )
    if len(filters) != len(kernel_sizes) or len(filters) < 1:
        raise ValueError(
            f"filters and kernel_sizes must have the same non-zero length; received "
            f"{len(filters)} and {len(kernel_sizes)}"
        )
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1); received {dropout}")
    inputs = keras.Input(tuple(input_shape), name="image")
    x = inputs
    for i, (f, k) in enumerate(zip(filters[:-1], kernel_sizes[:-1]), start=1):
        x = keras.layers.Conv2D(f, k, padding="same", activation=activation, name=f"conv{i}", **init)(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout{i}")(x)
    outputs = keras.layers.Conv2D(
        filters[-1],
        kernel_sizes[-1],
        padding="same",
        activation=output_activation,
        name=f"conv{len(filters)}",
        **init,
    )(x)
    return keras.Model(inputs, outputs, name=name)


def squeeze_autoencoder(
    input_shape: Sequence[int] = (150, 100, 1),
    filters: Sequence[int] = (16, 32, 32),
    bottleneck: int = 4,
    kernel_size: int = 3,
    output_channels: int | None = None,
    output_activation: str | None = "sigmoid",
    name: str = "squeeze_autoencoder",
) -> keras.Model:
    """An encoder that halves the image per level down to ``bottleneck`` channels, and a decoder back.

    At 150x100 with three levels and 4 channels the code is 19x13x4 = 988 numbers for
    15,000 pixels, so the net cannot pass pixels through; it has to describe discs.
    Inputs are zero-padded to a multiple of ``2 ** levels`` and the output cropped back.
    """
    h, w, c = (int(v) for v in input_shape)
    levels = len(filters)
    if levels < 1 or bottleneck < 1:
        raise ValueError(
            f"need at least one level and bottleneck >= 1; received filters={filters}, "
            f"bottleneck={bottleneck}"
        )
    step = 2**levels
    ph, pw = (-h) % step, (-w) % step
    inputs = keras.Input((h, w, c), name="image")
    x = keras.layers.ZeroPadding2D(((0, ph), (0, pw)), name="pad")(inputs)
    for i, f in enumerate(filters, start=1):
        x = keras.layers.Conv2D(
            f, kernel_size, strides=2, padding="same", activation="relu", name=f"down{i}"
        )(x)
    x = keras.layers.Conv2D(bottleneck, 1, activation="relu", name="bottleneck")(x)
    for i, f in enumerate(reversed(filters), start=1):
        x = keras.layers.Conv2DTranspose(
            f, kernel_size, strides=2, padding="same", activation="relu", name=f"up{i}"
        )(x)
    x = keras.layers.Conv2D(
        output_channels or c, kernel_size, padding="same", activation=output_activation, name="output"
    )(x)
    outputs = keras.layers.Cropping2D(((0, ph), (0, pw)), name="crop")(x)
    return keras.Model(inputs, outputs, name=name)


# --------------------------------------------------------------------------- metrics


def disc_iou(y_true: Any, y_pred: Any, threshold: float = 0.5) -> float:
    """Intersection over union of the thresholded discs, pooled over the whole batch.

    Use ``threshold=50`` for LAB lightness. Two empty masks count as a perfect match.
    """
    t = np.asarray(y_true) > threshold
    p = np.asarray(y_pred) > threshold
    if t.shape != p.shape:
        raise ValueError(f"disc_iou: y_true shape {t.shape} differs from y_pred shape {p.shape}")
    union = np.logical_or(t, p).sum()
    return 1.0 if union == 0 else float(np.logical_and(t, p).sum() / union)


@keras.saving.register_keras_serializable(package="darkroom")
class DiscIoU(keras.metrics.Metric):
    """Streaming :func:`disc_iou` for ``compile(metrics=[...])``: pooled over every batch of an epoch."""

    def __init__(self, threshold: float = 0.5, name: str = "iou", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.threshold = float(threshold)
        self.intersection = self.add_variable((), initializer="zeros", name="intersection")
        self.union = self.add_variable((), initializer="zeros", name="union")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        t = tf.cast(y_true, tf.float32) > self.threshold
        p = tf.cast(y_pred, tf.float32) > self.threshold
        self.intersection.assign_add(tf.reduce_sum(tf.cast(t & p, tf.float32)))
        self.union.assign_add(tf.reduce_sum(tf.cast(t | p, tf.float32)))

    def result(self):
        return tf.where(self.union > 0, self.intersection / tf.maximum(self.union, 1.0), 1.0)

    def reset_state(self) -> None:
        self.intersection.assign(0.0)
        self.union.assign(0.0)

    def get_config(self) -> dict:
        return {**super().get_config(), "threshold": self.threshold}


# --------------------------------------------------------------------------- training


@dataclass
class AutoencoderResult(training.TrainResult):
    """:class:`training.TrainResult` plus when a target IoU was first met.

    ``steps``, ``first_step_seconds`` (tracing and compiling included) and ``step_seconds`` (median
    of the later steps) come from :func:`training.fit`, so two losses can be compared at equal steps
    with compile time apart.
    """

    seconds_to_target: float | None = None
    epochs_to_target: int | None = None


def _autoencoder_metrics(iou_threshold: float | None) -> list[keras.metrics.Metric]:
    metrics: list[keras.metrics.Metric] = [keras.metrics.MeanSquaredError(name="mse")]
    if iou_threshold is not None:
        metrics.append(DiscIoU(iou_threshold))
    return metrics


def train_autoencoder(
    build: Callable[[], keras.Model],
    train: tf.data.Dataset,
    validation: tf.data.Dataset | None = None,
    *,
    loss: Any = "mean_squared_error",
    optimizer: str | keras.optimizers.Optimizer = "adam",
    learning_rate: float = 1e-3,
    epochs: int = 10,
    time_budget_s: float | None = None,
    seed: int = 0,
    strategy: tf.distribute.Strategy | None = None,
    iou_threshold: float | None = 0.5,
    target_iou: float | None = None,
    desc: str = "autoencoder",
) -> AutoencoderResult:
    """Train ``build()`` on ``train`` with :func:`darkroom.core.training.fit` and note when IoU hits a target.

    ``loss`` is a name from :data:`darkroom.core.losses.LOSSES` or any Keras loss; ``optimizer`` a name
    from :data:`darkroom.core.training.OPTIMIZERS`. Training stops after ``epochs`` or once
    ``time_budget_s`` is spent (checked every batch). The history holds ``loss``, ``mse`` and ``iou``
    (and their ``val_`` forms); ``iou_threshold`` is 0.5 for [0, 1] images and 50 for LAB lightness;
    ``None`` leaves IoU out (the colour toy). ``seconds_to_target`` is the wall time at the end of
    the first epoch whose validation IoU reached ``target_iou``.
    """
    from darkroom.core import losses

    loss_fn = losses.get(loss) if isinstance(loss, str) else loss
    with training.strategy_scope(strategy):
        metrics = _autoencoder_metrics(iou_threshold)
    key = "val_iou" if validation is not None else "iou"
    target = training.TargetReached(key, target_iou) if target_iou is not None else None
    size = dataset_size(train)
    result = training.fit(
        build,
        train,
        loss=loss_fn,
        optimizer=optimizer,
        learning_rate=learning_rate,
        metrics=metrics,
        epochs=epochs,
        batch_size=size[1] if size else None,
        validation_data=validation,
        time_budget_s=time_budget_s,
        seed=seed,
        strategy=strategy,
        desc=desc,
        callbacks=[target] if target else [],
    )
    if size is not None and result.seconds > 0:  # exact count: an epoch's last batch may be short
        examples = min(result.steps * size[1], size[0] * result.epochs_run)
        result.examples_per_second = examples / result.seconds
    return AutoencoderResult(
        **vars(result),
        seconds_to_target=target.seconds if target else None,
        epochs_to_target=target.epoch if target else None,
    )


def budget_columns(result: AutoencoderResult) -> dict[str, Any]:
    """A run's training budget as table columns: steps, the first step (compile included), later steps."""
    return {
        "steps": result.steps,
        "first step (s)": result.first_step_seconds,
        "later steps (ms)": None if result.step_seconds is None else 1000 * result.step_seconds,
    }


def budget_note(runs: dict[str, AutoencoderResult]) -> str:
    """One sentence saying whether every run took the same number of steps, and what the steps cost."""
    if not runs:
        raise ValueError("budget_note needs at least one run; received none")
    steps = {name: r.steps for name, r in runs.items()}
    if len(set(steps.values())) > 1:
        listed = ", ".join(f"{name} {n}" for name, n in steps.items())
        return f"**The budgets differ**: optimizer steps per run were {listed}."
    first = [r.first_step_seconds for r in runs.values() if r.first_step_seconds is not None]
    later = [1000 * r.step_seconds for r in runs.values() if r.step_seconds is not None]
    text = f"Every run took the same {next(iter(steps.values()))} optimizer steps."
    if first:
        text += (
            f" The first step (graph tracing and compiling included) took {min(first):.2f}-{max(first):.2f} s"
        )
        text += f"; later steps {min(later):.0f}-{max(later):.0f} ms each." if later else "."
    return text


def evaluate_autoencoder(
    model: keras.Model, dataset: tf.data.Dataset, threshold: float = 0.5
) -> dict[str, float]:
    """Reconstruction MSE and pooled disc IoU of ``model`` over ``dataset`` (inference mode)."""
    inter = union = 0
    sq, count = 0.0, 0
    for x, y in dataset:
        p = model(x, training=False).numpy()
        y = y.numpy()
        sq += float(np.sum((p - y) ** 2))
        count += y.size
        t, q = y > threshold, p > threshold
        inter += int(np.logical_and(t, q).sum())
        union += int(np.logical_or(t, q).sum())
    return {"mse": sq / max(count, 1), "iou": 1.0 if union == 0 else inter / union}


def masked_examples(
    n: int,
    amount: float = 0.3,
    *,
    seed: int = 0,
    height: int = 150,
    width: int = 100,
    radius: Any = (5, 20),
    count: Any = (1, 5),
    allow_cut: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(damaged, clean, hole)`` for ``n`` fresh images from the ``"test"`` stream.

    The training and validation streams never produce these images; ``hole`` marks the
    blacked-out square of each, so inpainting can be scored where it matters.
    """
    radius_r, count_r = _check_scene(n, height, width, radius, count, allow_cut)
    clean = _circle_batch(_split_rng(seed, "test"), n, height, width, radius_r, count_r, allow_cut)
    damaged, hole = corrupt(clean, "mask", amount, seed=seed + 10_000, return_mask=True)
    return damaged, clean, hole


def _hole_scores(pred: np.ndarray, clean: np.ndarray, hole: np.ndarray) -> dict[str, float]:
    t, p = (clean > 0.5) & hole, (pred > 0.5) & hole
    union = int(np.logical_or(t, p).sum())
    return {
        "MSE in hole": float(np.mean((pred[hole] - clean[hole]) ** 2)),
        "disc IoU in hole": 1.0 if union == 0 else float(np.logical_and(t, p).sum() / union),
    }


def inpainting_report(
    model: keras.Model, damaged: Any, clean: Any, hole: Any, batch_size: int = 32
) -> list[dict[str, Any]]:
    """Score inpainting inside the holes only: the model's output against leaving the hole black.

    Rows for ``"input (hole left black)"`` and ``"model output"``, each with the MSE of the hole's
    pixels against the clean image and the IoU of the discs inside the hole. A net that fills the
    hole beats the input on both; one that copies its input scores the same as the input.
    """
    damaged, clean, hole = (np.asarray(a) for a in (damaged, clean, hole))
    if not damaged.shape == clean.shape == hole.shape or not hole.any():
        raise ValueError(
            f"inpainting_report expects damaged, clean and hole of one shape with a non-empty "
            f"hole; received shapes {damaged.shape}, {clean.shape}, {hole.shape}"
        )
    pred = np.concatenate(
        [
            np.asarray(model(damaged[i : i + batch_size], training=False))
            for i in range(0, len(damaged), batch_size)
        ]
    )
    return [
        {"what": "input (hole left black)", **_hole_scores(damaged, clean, hole)},
        {"what": "model output", **_hole_scores(pred, clean, hole)},
    ]


# --------------------------------------------------------------------------- analysis


def gradient_report(model: keras.Model, x: Any, y: Any, loss: Any = "mean_squared_error") -> dict[str, float]:
    """Loss value, global gradient norm and output statistics of ``model`` on one batch.

    The numbers that diagnose a net that will not train: a loss in the millions gives
    gradients in the millions, and plain SGD then needs a learning rate a million times
    smaller than usual to take sensible steps.
    """
    from darkroom.core import losses

    fn = losses.get(loss) if isinstance(loss, str) else loss
    with tf.GradientTape() as tape:
        out = model(x, training=True)
        value = tf.reduce_mean(fn(y, out))
    grads = tape.gradient(value, model.trainable_variables)
    return {
        "loss": float(value),
        "grad_norm": float(tf.linalg.global_norm(grads)),
        "output_mean": float(tf.reduce_mean(out)),
        "output_std": float(tf.math.reduce_std(out)),
        "target_mean": float(tf.reduce_mean(tf.cast(y, tf.float32))),
    }


def plot_filters(model: keras.Model, layer: str = "conv1", ncols: int = 8, size: float = 1.0) -> Any:
    """Show the first input channel of every kernel in ``layer`` as a small gray image; return the Figure."""
    import matplotlib.pyplot as plt

    kernel = model.get_layer(layer).get_weights()[0]  # (kh, kw, in, out)
    k = kernel[:, :, 0, :]
    n = k.shape[-1]
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3), squeeze=False)
    lim = float(np.abs(k).max()) or 1.0
    for ax in axes.flat:
        ax.axis("off")
    for i, ax in enumerate(axes.flat[:n]):
        ax.imshow(k[..., i], cmap="RdBu_r", vmin=-lim, vmax=lim)
    fig.suptitle(f"{layer}: {n} kernels {k.shape[0]}x{k.shape[1]} (red +, blue -)")
    fig.tight_layout()
    return fig


def architecture_sweep(
    builds: dict[str, Callable[[], keras.Model]],
    train: tf.data.Dataset,
    validation: tf.data.Dataset,
    learning_rates: Sequence[float],
    *,
    epochs: int = 1,
    time_budget_s: float | None = None,
    seed: int = 0,
    strategy: tf.distribute.Strategy | None = None,
) -> list[dict[str, Any]]:
    """Train every architecture at every learning rate on the same data and budget.

    Each row holds the training rate (images per second of :func:`darkroom.core.training.throughput`
    on one training batch, Adam, MSE) and the learning rate's effect (validation MSE and IoU reached).
    """
    rows = []
    batch = next(iter(train))
    for name, build in builds.items():
        model = build()
        model.compile(optimizer=training.optimizer("adam"), loss="mean_squared_error")
        speed = training.throughput(model, batch, steps=3)
        for lr in learning_rates:
            res = train_autoencoder(
                build,
                train,
                validation,
                learning_rate=lr,
                epochs=epochs,
                time_budget_s=time_budget_s,
                seed=seed,
                strategy=strategy,
                desc=f"{name} lr={lr:g}",
            )
            rows.append(
                {
                    "architecture": name,
                    "params": res.model.count_params(),
                    "images/s": round(speed, 1),
                    "learning rate": lr,
                    "val MSE": round(res.history["val_mse"][-1], 5),
                    "val IoU": round(res.history["val_iou"][-1], 4),
                    "seconds": round(res.seconds, 1),
                }
            )
    return rows


def _finite_ab(pred: Any) -> np.ndarray:
    """Clip to [-1, 1]; a diverged model's NaNs become 0 (grey) so the rendering still works."""
    return np.clip(np.nan_to_num(np.asarray(pred, np.float32), nan=0.0), -1, 1)


def colorize_discs(model: keras.Model, L: Any) -> np.ndarray:
    """RGB images from normalised lightness ``L`` (B, H, W, 1) and the model's normalised ab."""
    L = np.asarray(L, np.float32)
    ab = _finite_ab(model(L, training=False))
    lab = color.denormalize_lab(np.concatenate([L, ab], axis=-1))
    return color.lab_to_rgb(lab).astype(np.float32)


def color_report(model: keras.Model, dataset: tf.data.Dataset) -> dict[str, float]:
    """How colourful the model's colorizations are next to the targets, over ``dataset``.

    Returns the mean chroma ``sqrt(a^2 + b^2)`` (LAB units) of predictions and targets,
    Hasler-Suesstrunk colourfulness of both RGB renderings, and ab MSE (normalised units).
    """
    from darkroom.core import metrics

    chroma_p, chroma_t, col_p, col_t, err = [], [], [], [], []
    for L, ab in dataset:
        L, ab = L.numpy(), ab.numpy()
        pred = _finite_ab(model(L, training=False))
        chroma_p.append(np.hypot(*np.moveaxis(pred * 128, -1, 0)).mean())
        chroma_t.append(np.hypot(*np.moveaxis(ab * 128, -1, 0)).mean())
        rgb_true = color.lab_to_rgb(color.denormalize_lab(np.concatenate([L, ab], -1)))
        rgb_pred = color.lab_to_rgb(color.denormalize_lab(np.concatenate([L, pred], -1)))
        col_p.append(metrics.colorfulness(rgb_pred))
        col_t.append(metrics.colorfulness(rgb_true))
        err.append(float(np.mean((pred - ab) ** 2)))
    return {
        "chroma_pred": float(np.mean(chroma_p)),
        "chroma_true": float(np.mean(chroma_t)),
        "colorfulness_pred": float(np.mean(col_p)),
        "colorfulness_true": float(np.mean(col_t)),
        "ab_mse": float(np.mean(err)),
    }
