"""Colorization: predict the a, b channels of LAB from L.

The "Learning to color pictures with DcGANs" write-up in code: its CNN (strided convolutions
down, upsampling back, batch norm, dropout, tanh output, RMSprop) and a lighter fully
convolutional variant; regression losses (MSE, MAE, SSIM) and the classification loss of
Zhang, Isola & Efros (2016) over quantised ab bins with class rebalancing and annealed-mean
decoding; and the pix2pix cGAN (U-Net generator, PatchGAN discriminator, GAN + 100 L1).

Models take ``L / 100`` of shape (H, W, 1) and return ``ab / 128`` of shape (H, W, 2)
(``color.normalize_lab``). :func:`colorize` turns any gray or RGB image into an RGB one.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import darkroom  # noqa: F401  (quiets TensorFlow before it is imported)
import keras
import tensorflow as tf

from darkroom import color, data, losses, metrics, paths, training

__all__ = [
    "to_model_pairs",
    "build_post_cnn",
    "build_light_cnn",
    "AbBins",
    "ab_bins",
    "AnnealedMean",
    "RebalancedCrossEntropy",
    "SSIMLoss",
    "LOSSES",
    "ColorizerResult",
    "train_colorizer",
    "model_stride",
    "colorize",
    "colorize_batch",
    "gray_baseline",
    "score",
    "ball_chroma",
    "ball_report",
    "score_rows",
    "predictions",
    "check_rows",
    "saved_colorizers",
    "PhotoSet",
    "training_photos",
    "Choice",
    "pick_on_crops",
    "tanh_saturation",
    "POST_LOSSES",
    "AUGMENTATIONS",
    "build_unet_generator",
    "build_patch_discriminator",
    "Pix2Pix",
    "Pix2PixResult",
    "train_pix2pix",
    "recalibrated",
]

_REGISTER = keras.saving.register_keras_serializable(package="darkroom")


# ----------------------------------------------------------------------------------------
# Data: RGB -> (L/100, ab/128)
# ----------------------------------------------------------------------------------------


def to_model_pairs(rgb: Any) -> tuple[np.ndarray, np.ndarray]:
    """RGB images (N, H, W, 3) -> (L / 100 of shape (N, H, W, 1), ab / 128 of shape (N, H, W, 2))."""
    lab = color.normalize_lab(color.rgb_to_lab(color.as_float_rgb(rgb, "rgb", gray_ok=False)))
    L, ab = color.split_lab(lab)
    return L.astype(np.float32), ab.astype(np.float32)


def _from_model(L: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """(L / 100, ab / 128) -> RGB float32 in [0, 1]."""
    lab = color.denormalize_lab(np.concatenate([L, ab], axis=-1).astype(np.float32))
    return color.lab_to_rgb(color.clip_lab(lab))


# ----------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------


def build_post_cnn(dropout: float = 0.5, bn_momentum: float = 0.9, name: str = "post_cnn") -> keras.Model:
    """The write-up's CNN: conv + batch norm down to 1/8 with stride-2 convolutions, a 512-wide
    middle with dropout, nearest-neighbour upsampling back, tanh ab. About 6.3M parameters.

    Fully convolutional: any input whose sides are multiples of 8. ``bn_momentum`` is 0.9
    rather than Keras' 0.99 so that the moving statistics are usable after a short run.
    """
    layers = keras.layers
    inputs = keras.Input((None, None, 1), name="L")
    x = inputs
    for filters, stride in [(64, 1), (64, 2), (128, 1), (128, 2), (256, 1), (256, 2), (512, 1)]:
        x = layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x)
        x = layers.BatchNormalization(momentum=bn_momentum)(x)
    for filters in (512, 256, 128):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization(momentum=bn_momentum)(x)
        x = layers.Dropout(dropout)(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.BatchNormalization(momentum=bn_momentum)(x)
    x = layers.UpSampling2D(2)(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.BatchNormalization(momentum=bn_momentum)(x)
    x = layers.UpSampling2D(2)(x)
    x = layers.Conv2D(2, 3, padding="same", activation="tanh")(x)
    outputs = layers.UpSampling2D(2, name="ab")(x)
    return keras.Model(inputs, outputs, name=name)


def build_light_cnn(
    width: int = 32, *, head: str = "regression", num_bins: int | None = None, name: str | None = None
) -> keras.Model:
    """A light fully convolutional colorizer (~0.5M parameters at ``width=32``) that trains in
    minutes on a CPU: two stride-2 stages, dilated convolutions for context, U-Net-style skips.

    ``head="regression"`` ends in tanh ab / 128 (H, W, 2); ``head="classification"`` in
    ``num_bins`` logits per pixel (decode with :class:`AnnealedMean`). No batch norm or
    dropout, so a step is identical on one device or split across replicas.
    """
    if head not in ("regression", "classification"):
        raise ValueError(f"head must be 'regression' or 'classification', got {head!r}")
    if head == "classification" and not num_bins:
        raise ValueError("head='classification' needs num_bins (len(ab_bins().centers))")
    layers = keras.layers
    w = width

    def conv(filters: int, x: Any, **kw: Any) -> Any:
        return layers.Conv2D(filters, 3, padding="same", activation="relu", **kw)(x)

    inputs = keras.Input((None, None, 1), name="L")
    s1 = conv(w, conv(w, inputs))
    s2 = conv(2 * w, conv(2 * w, s1, strides=2))
    x = conv(4 * w, s2, strides=2)
    for rate in (2, 4):
        x = conv(4 * w, x, dilation_rate=rate)
    x = layers.Concatenate()([layers.UpSampling2D(2)(x), s2])
    x = conv(2 * w, x)
    x = layers.Concatenate()([layers.UpSampling2D(2)(x), s1])
    x = conv(w, x)
    if head == "regression":
        outputs = layers.Conv2D(2, 1, activation="tanh", name="ab")(x)
    else:
        outputs = layers.Conv2D(int(num_bins), 1, name="ab_logits")(x)
    return keras.Model(inputs, outputs, name=name or f"light_cnn_{head}")


def model_stride(model: keras.Model) -> int:
    """The product of the strides of the model's downsampling convolutions (its input multiple)."""
    stride = 1
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.Conv2D) and not isinstance(layer, keras.layers.Conv2DTranspose):
            stride *= int(layer.strides[0])
    return stride


# ----------------------------------------------------------------------------------------
# Classification over quantised ab (Zhang, Isola & Efros 2016)
# ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AbBins:
    """Centres of the in-gamut ab bins (Q, 2), in natural LAB units."""

    centers: np.ndarray
    grid: float

    def __len__(self) -> int:
        return len(self.centers)

    def nearest(self, ab: np.ndarray, chunk: int = 16384) -> np.ndarray:
        """Index of the closest bin for each ab pair (..., 2) in natural units.

        Works through ``chunk`` pairs at a time: the full (pixels, bins, 2) difference array of
        256 crops of 64x64 is 2.1 GB, and it set notebook 06's peak memory.
        """
        ab = np.asarray(ab)
        flat = ab.reshape(-1, ab.shape[-1])
        out = np.empty(len(flat), np.int64)
        for start in range(0, len(flat), chunk):
            d = ((flat[start : start + chunk, None, :] - self.centers) ** 2).sum(-1)
            out[start : start + chunk] = d.argmin(-1)
        return out.reshape(ab.shape[:-1])

    def class_weights(self, ab: np.ndarray, lam: float = 0.5, sigma: float = 5.0) -> np.ndarray:
        """Rebalancing weights ``w ∝ ((1 - lam) p~ + lam / Q)^-1`` with ``E_p~[w] = 1``.

        ``p~`` is the empirical bin distribution of ``ab`` (natural units, any shape (..., 2)),
        smoothed with a Gaussian of ``sigma`` ab units, as in Zhang et al.
        """
        idx = self.nearest(np.asarray(ab, np.float32).reshape(-1, 2))
        p = np.bincount(idx, minlength=len(self)).astype(np.float64)
        d2 = ((self.centers[:, None] - self.centers[None]) ** 2).sum(-1)
        p = np.exp(-d2 / (2 * sigma**2)) @ p
        p /= p.sum()
        w = 1.0 / ((1 - lam) * p + lam / len(self))
        return (w / (p * w).sum()).astype(np.float32)


def _in_gamut(lab: np.ndarray) -> np.ndarray:
    """True where LAB (…, 3) maps inside the sRGB cube (no clipping)."""
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    fy = (L + 16) / 116
    f = np.stack([fy + a / 500, fy, fy - b / 200], -1)
    d = 6 / 29
    xyz = np.where(f > d, f**3, 3 * d**2 * (f - 4 / 29)) * np.array([0.95047, 1.0, 1.08883])
    m = np.array([[3.2404542, -1.5371385, -0.4985314], [-0.9692660, 1.8760108, 0.0415560],
                  [0.0556434, -0.2040259, 1.0572252]])
    rgb = xyz @ m.T
    return np.all((rgb >= -1e-6) & (rgb <= 1 + 1e-6), axis=-1)


def ab_bins(grid: float = 10.0) -> AbBins:
    """The ab bins of side ``grid`` whose centre is in the sRGB gamut at some lightness
    (313 at grid 10 in Zhang et al.'s count; the exact number depends on the gamut test)."""
    edge = 110.0
    c = np.arange(-edge + grid / 2, edge, grid)
    a, b = np.meshgrid(c, c, indexing="ij")
    ab = np.stack([a.ravel(), b.ravel()], -1)
    Ls = np.linspace(1, 99, 50)
    lab = np.concatenate([np.broadcast_to(Ls[:, None, None], (len(Ls), len(ab), 1)),
                          np.broadcast_to(ab, (len(Ls), len(ab), 2))], -1)
    # Bins are squares: keep one if any corner-ish point (centre +- grid/2) is in gamut.
    keep = np.zeros(len(ab), bool)
    for dx in (-0.45, 0.0, 0.45):
        for dy in (-0.45, 0.0, 0.45):
            shifted = lab + np.array([0.0, dx * grid, dy * grid])
            keep |= _in_gamut(shifted).any(axis=0)
    return AbBins(centers=ab[keep].astype(np.float32), grid=float(grid))


@_REGISTER
class AnnealedMean(keras.layers.Layer):
    """Logits over ab bins (…, Q) -> ab / 128 (…, 2): the mean of ``softmax(logits / T)``.

    ``T = 1`` is the plain mean (desaturated), ``T -> 0`` the mode (patchy);
    Zhang et al. use ``T = 0.38``.
    """

    def __init__(self, centers: Sequence[Sequence[float]], temperature: float = 0.38, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.centers = np.asarray(centers, np.float32)
        self.temperature = float(temperature)

    def call(self, logits: Any) -> Any:
        p = tf.nn.softmax(tf.cast(logits, tf.float32) / self.temperature, axis=-1)
        return tf.tensordot(p, tf.constant(self.centers / 128.0), axes=[[-1], [0]])

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (*input_shape[:-1], 2)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "centers": self.centers.tolist(), "temperature": self.temperature}


@_REGISTER
class RebalancedCrossEntropy(keras.losses.Loss):
    """Cross-entropy between per-pixel logits over ab bins and the soft-encoded truth.

    ``y_true`` is ab / 128 (…, 2); it is encoded on its ``k`` nearest bins with a Gaussian of
    ``sigma`` ab units and each pixel is weighted by the rebalancing weight of its nearest bin.
    """

    def __init__(self, centers: Sequence[Sequence[float]], weights: Sequence[float] | None = None,
                 k: int = 5, sigma: float = 5.0, name: str = "rebalanced_cross_entropy", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.centers = np.asarray(centers, np.float32)
        self.weights = None if weights is None else np.asarray(weights, np.float32)
        self.k = int(k)
        self.sigma = float(sigma)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        ab = tf.cast(y_true, tf.float32) * 128.0
        d2 = tf.reduce_sum(tf.square(ab[..., None, :] - tf.constant(self.centers)), axis=-1)
        kth = -tf.math.top_k(-d2, k=self.k).values[..., -1:]
        soft = tf.where(d2 <= kth, tf.exp(-d2 / (2 * self.sigma**2)), 0.0)
        soft = soft / tf.reduce_sum(soft, axis=-1, keepdims=True)
        ce = -tf.reduce_sum(soft * tf.nn.log_softmax(tf.cast(y_pred, tf.float32), axis=-1), axis=-1)
        if self.weights is not None:
            ce = ce * tf.gather(tf.constant(self.weights), tf.argmin(d2, axis=-1))
        return tf.reduce_mean(ce, axis=[1, 2])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "centers": self.centers.tolist(),
                "weights": None if self.weights is None else self.weights.tolist(),
                "k": self.k, "sigma": self.sigma}


@_REGISTER
class SSIMLoss(keras.losses.Loss):
    """``1 - SSIM`` of the ab channels (mapped from [-1, 1] to [0, 1]): the write-up's remedy for brown.

    ``multiscale=True`` is MS-SSIM, as the write-up used (as many scales as the size allows).
    ``l1_weight`` mixes in the mean absolute error, ``(1 - w) (1 - SSIM) + w L1``: SSIM alone is
    nearly blind to a uniform bias in flat regions (Zhao, Gallo, Frosio & Kautz 2017), and toy skies
    and lawns are flat, so on its own it lets the colours drift to the tanh limits.
    """

    def __init__(self, multiscale: bool = False, l1_weight: float = 0.0, name: str = "ssim_loss",
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        if not 0.0 <= l1_weight <= 1.0:
            raise ValueError(f"l1_weight must be in [0, 1], received {l1_weight!r}")
        self.multiscale, self.l1_weight = bool(multiscale), float(l1_weight)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        # SSIM's luminance term is not shift-invariant, so map ab to [0, 1] rather than use max_val=2.
        t = (tf.cast(y_true, tf.float32) + 1.0) / 2.0
        p = (tf.cast(y_pred, tf.float32) + 1.0) / 2.0
        structural = (losses.ms_ssim_loss if self.multiscale else losses.ssim_loss)(t, p, max_val=1.0)
        if not self.l1_weight:
            return structural
        l1 = tf.reduce_mean(tf.abs(t - p), axis=[1, 2, 3])
        return (1.0 - self.l1_weight) * structural + self.l1_weight * l1

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "multiscale": self.multiscale, "l1_weight": self.l1_weight}


LOSSES = ("mse", "mae", "ssim", "classification")
#: Losses for the write-up's CNN: MS-SSIM as it used, and MS-SSIM + L1 (weight 0.16, after Zhao et al.).
POST_LOSSES = ("ms_ssim", "ms_ssim_l1")


def _loss(loss: str, bins: AbBins | None, weights: np.ndarray | None) -> Any:
    if loss == "mse":
        return keras.losses.MeanSquaredError()
    if loss == "mae":
        return keras.losses.MeanAbsoluteError()
    if loss == "ssim":
        return SSIMLoss()
    if loss == "ms_ssim":
        return SSIMLoss(multiscale=True)
    if loss == "ms_ssim_l1":
        return SSIMLoss(multiscale=True, l1_weight=0.16)
    assert bins is not None
    return RebalancedCrossEntropy(bins.centers, weights)


# ----------------------------------------------------------------------------------------
# Training the CNN colorizers
# ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class ColorizerResult(training.TrainResult):
    """A trained colorizer: ``model`` maps L / 100 to ab / 128 (classification already decoded)."""

    name: str = ""
    train_model: Any = None
    check: training.InferenceCheck | None = None


#: How :func:`train_colorizer` varies its training images: nothing, left-right flips, or seed 002's
#: augmentations (left-right and upside-down flips, and one of its three tone operations of L).
AUGMENTATIONS = ("none", "flip", "writeup")


def _random_seeds(seed: int) -> tf.data.Dataset:
    # Each element draws from its own seed pair: a stateful random op inside a parallel map hands
    # out numbers in scheduling order, so two runs would augment different elements.
    return tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)


def _jitter_pair(both: Any, pair_seed: Any) -> Any:
    """pix2pix's random jitter of an (H, W, C) stack: resize up by 1/8 (nearest, as the pix2pix
    tutorial's 256 -> 286), random crop back to (H, W), random mirror."""
    h, w, c = both.shape
    big = tf.image.resize(both, (h + h // 8, w + w // 8), method="nearest")
    cropped = tf.image.stateless_random_crop(big, (h, w, c), seed=pair_seed)
    return tf.image.stateless_random_flip_left_right(cropped, seed=pair_seed + 1)


def _pair_dataset(L: np.ndarray, ab: np.ndarray, batch_size: int, *, shuffle: bool, flip: bool,
                  seed: int, jitter: bool = False) -> tf.data.Dataset:
    """(L, ab) batches, optionally shuffled, flipped left-right or jittered (``jitter`` mirrors too)."""
    ds = tf.data.Dataset.from_tensor_slices((L, ab))
    if shuffle:
        ds = ds.shuffle(len(L), seed=seed, reshuffle_each_iteration=True)
    if flip or jitter:
        def augment_pair(pair: Any, pair_seed: Any) -> tuple[Any, Any]:
            both = tf.concat(pair, -1)
            if jitter:
                both = _jitter_pair(both, pair_seed)
            else:
                both = tf.image.stateless_random_flip_left_right(both, seed=pair_seed)
            return both[..., :1], both[..., 1:]

        ds = tf.data.Dataset.zip(ds, _random_seeds(seed)).map(augment_pair, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _writeup_dataset(images: np.ndarray, batch_size: int, *, seed: int) -> tf.data.Dataset:
    """(L, ab) batches of RGB ``images`` shuffled and augmented as seed 002 did, by
    :func:`data.augment_image` with :data:`data.WRITEUP_TONES`: random left-right and upside-down
    flips, then histogram equalisation, a 2-98th percentile stretch or adaptive equalisation of L."""
    rgb = color.as_float_rgb(images, "images", gray_ok=False)
    shape = rgb.shape[1:3]

    def augment_one(image: Any, pair_seed: Any) -> tuple[Any, Any]:
        out = data.augment_image(image, shape, pair_seed, tones=data.WRITEUP_TONES)
        return color.split_lab(color.normalize_lab(color.tf_rgb_to_lab(out)))

    ds = tf.data.Dataset.from_tensor_slices(rgb).shuffle(len(rgb), seed=seed, reshuffle_each_iteration=True)
    ds = tf.data.Dataset.zip(ds, _random_seeds(seed)).map(augment_one, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _colorizer_builder(model: str | Callable[[], keras.Model], width: int,
                       bins: AbBins | None) -> Callable[[], keras.Model]:
    """A builder for ``model`` ("light", "post" or a builder), checked before anything trains."""
    if callable(model):
        return model
    if model == "light":
        head = "classification" if bins else "regression"
        return lambda: build_light_cnn(width, head=head, num_bins=len(bins) if bins else None)
    if model == "post":
        if bins:
            raise ValueError("the post's CNN has a tanh ab head; use model='light' for classification")
        return build_post_cnn
    raise ValueError(f"model must be 'light', 'post' or a builder, got {model!r}")


def _training_data(images: np.ndarray, L: np.ndarray, ab: np.ndarray, batch_size: int, augment: str,
                   seed: int) -> tf.data.Dataset:
    if augment == "writeup":
        return _writeup_dataset(images, batch_size, seed=seed)
    return _pair_dataset(L, ab, batch_size, shuffle=True, flip=augment == "flip", seed=seed)


def _checked_colorizer(fitted: training.TrainResult, L: np.ndarray, ab: np.ndarray, *, batch_size: int,
                       bins: AbBins | None, temperature: float, recalibrate: bool, seed: int,
                       strategy: tf.distribute.Strategy | None, name: str) -> ColorizerResult:
    """Recalibrate, run the inference check, wrap a classifier with its decoder: the result."""
    net = fitted.model
    if recalibrate:
        training.recalibrate_batchnorm(net, L, batch_size)
    plain = _pair_dataset(L, ab, batch_size, shuffle=False, flip=False, seed=seed)
    check = training.InferenceCheck(net.name, float(fitted.history["loss"][-1]),
                                    float(net.evaluate(plain, verbose=0, return_dict=True)["loss"]))
    inference = net
    if bins is not None:
        with training.strategy_scope(strategy):
            inference = keras.Model(net.input, AnnealedMean(bins.centers, temperature, name="ab")(net.output),
                                    name=f"{net.name}_decoded")
    fields = {f.name: getattr(fitted, f.name) for f in dataclasses.fields(training.TrainResult)}
    return ColorizerResult(**{**fields, "model": inference}, name=name, train_model=net, check=check)


def train_colorizer(
    images: np.ndarray,
    *,
    model: str | Callable[[], keras.Model] = "light",
    loss: str = "mse",
    epochs: int = 10,
    batch_size: int = 16,
    learning_rate: float = 1e-3,
    optimizer: str = "adam",
    val_images: np.ndarray | None = None,
    time_budget_s: float | None = None,
    width: int = 32,
    temperature: float = 0.38,
    augment: str = "flip",
    seed: int = 0,
    strategy: tf.distribute.Strategy | None = None,
    desc: str | None = None,
    recalibrate: bool = True,
) -> ColorizerResult:
    """Train a colorizer on RGB ``images`` (N, H, W, 3) with ``loss`` in :data:`LOSSES` through
    :func:`training.fit` (any optimizer name of :data:`training.OPTIMIZERS`).

    ``model`` is ``"light"`` (:func:`build_light_cnn`), ``"post"`` (:func:`build_post_cnn`)
    or a builder, built under ``strategy``'s scope. ``augment`` is one of :data:`AUGMENTATIONS`.
    Stops after ``epochs`` or once ``time_budget_s`` seconds are spent. The returned ``model``
    outputs ab / 128; for ``loss="classification"`` it wraps the trained logits model with
    :class:`AnnealedMean` at ``temperature``. With ``recalibrate``, batch-norm statistics are
    re-estimated on the training images after training (:func:`training.recalibrate_batchnorm`);
    ``check`` holds the loss on the training images in inference mode beside the last epoch's.
    """
    if loss not in LOSSES + POST_LOSSES:
        raise ValueError(f"loss must be one of {LOSSES + POST_LOSSES}, got {loss!r}")
    if augment not in AUGMENTATIONS:
        raise ValueError(f"augment must be one of {AUGMENTATIONS}, got {augment!r}")
    training.optimizer(optimizer)  # an unknown name fails here, before the data is prepared
    keras.utils.set_random_seed(seed)
    L, ab = to_model_pairs(images)
    bins = ab_bins() if loss == "classification" else None
    build = _colorizer_builder(model, width, bins)
    weights = bins.class_weights(ab * 128.0) if bins is not None else None
    val_ds = None
    if val_images is not None:
        val_ds = _pair_dataset(*to_model_pairs(val_images), batch_size, shuffle=False, flip=False, seed=seed)
    fitted = training.fit(build, _training_data(images, L, ab, batch_size, augment, seed),
                          loss=_loss(loss, bins, weights), optimizer=optimizer, learning_rate=learning_rate,
                          epochs=epochs, batch_size=batch_size, validation_data=val_ds, shuffle=False,
                          time_budget_s=time_budget_s, seed=seed, strategy=strategy,
                          desc=desc or f"{model if isinstance(model, str) else 'model'}/{loss}")
    return _checked_colorizer(fitted, L, ab, batch_size=batch_size, bins=bins, temperature=temperature,
                              recalibrate=recalibrate, seed=seed, strategy=strategy, name=loss)


# ----------------------------------------------------------------------------------------
# Using a colorizer
# ----------------------------------------------------------------------------------------


def _lightness(image: Any) -> np.ndarray:
    """L / 100 (H, W, 1) of a gray or RGB image; an RGB input contributes only its L."""
    rgb = color.as_float_rgb(image, "image")
    return (color.rgb_to_lab(rgb)[..., :1] / 100.0).astype(np.float32)


def colorize(model: keras.Model, image: Any, *, multiple: int | None = None) -> np.ndarray:
    """Colorize one gray (H, W) / (H, W, 1) or RGB (H, W, 3) image of any size -> RGB (H, W, 3).

    L is reflect-padded to a multiple of the model's stride (:func:`model_stride`, or
    ``multiple``) and the prediction cropped back, so odd sizes work.
    """
    arr = np.asarray(image)
    if arr.ndim not in (2, 3):
        raise ValueError(f"colorize expects one image (H, W), (H, W, 1) or (H, W, 3), received shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"colorize received an empty image of shape {arr.shape}; expected at least 1x1 pixels")
    L = _lightness(arr)
    return colorize_batch(model, L[None], multiple=multiple, from_lightness=True)[0]


def colorize_batch(model: keras.Model, images: Any, *, multiple: int | None = None,
                   from_lightness: bool = False, batch_size: int = 16) -> np.ndarray:
    """Colorize a batch of RGB images (N, H, W, 3) (or of L / 100 with ``from_lightness``)."""
    L = np.asarray(images, np.float32) if from_lightness else to_model_pairs(images)[0]
    h, w = L.shape[1:3]
    m = multiple or model_stride(model)
    ph, pw = (-h) % m, (-w) % m
    padded = np.pad(L, ((0, 0), (0, ph), (0, pw), (0, 0)), mode="reflect" if min(h, w) > max(ph, pw) else "edge")
    ab = model.predict(padded, batch_size=batch_size, verbose=0)[:, :h, :w, :2]
    return _from_model(L, np.clip(ab, -1.0, 1.0))


def gray_baseline(images: Any) -> np.ndarray:
    """The "predict gray" colorizer: keep L, set a = b = 0."""
    L, ab = to_model_pairs(images)
    return _from_model(L, np.zeros_like(ab))


def score(target: Any, prediction: Any) -> dict[str, float]:
    """PSNR (dB), SSIM, ab MAE (LAB units) and colourfulness of ``prediction`` against ``target``."""
    t, p = color.as_float_rgb(target, "target"), color.as_float_rgb(prediction, "prediction")
    return {
        "psnr": metrics.psnr(t, p),
        "ssim": metrics.ssim(t, p),
        "ab_mae": metrics.ab_mae(color.rgb_to_lab(t), color.rgb_to_lab(p)),
        "colorfulness": metrics.colorfulness(p),
    }


def predictions(models: dict[str, keras.Model | None], images: Any) -> dict[str, np.ndarray]:
    """Each model's colorization of RGB ``images`` (N, H, W, 3), by name; ``None`` is the gray baseline."""
    return {name: gray_baseline(images) if model is None else colorize_batch(model, images)
            for name, model in models.items()}


def score_rows(target: Any, predictions: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per prediction (``model``, PSNR, SSIM, ab MAE, colourfulness, dB over gray when a
    ``"gray"`` prediction is given), then the truth's colourfulness: a table for ``tables``.

    With :func:`predictions` this is notebooks 06 and 07's score table:
    ``score_rows(photos, predictions({"gray": None, **models}, photos))``.
    """
    scores = {name: score(target, pred) for name, pred in predictions.items()}
    gray = scores.get("gray", {}).get("psnr")
    rows = [{"model": name, **s, **({"dB vs gray": s["psnr"] - gray} if gray is not None else {})}
            for name, s in scores.items()]
    rows.append({"model": "truth", "colorfulness": metrics.colorfulness(color.as_float_rgb(target))})
    return rows


@dataclasses.dataclass(frozen=True)
class Choice:
    """A model picked on validation crops: each candidate's mean PSNR and the winner's margin."""

    best: str
    mean_psnr: dict[str, float]
    margin_db: float
    margin_stderr_db: float


def pick_on_crops(models: dict[str, keras.Model], crops: Any) -> Choice:
    """Pick the model with the best mean PSNR over validation ``crops`` (N, H, W, 3).

    The margin over the runner-up comes with its standard error over crops (paired), so a reader
    can see when the choice is noise: a margin within about two standard errors is a coin toss.
    """
    crops = color.as_float_rgb(crops, "crops")
    if len(models) < 2 or crops.ndim != 4 or len(crops) < 2:
        raise ValueError(f"pick_on_crops needs >= 2 models and >= 2 crops; received {len(models)} models "
                         f"and crops of shape {crops.shape}")
    per_crop = {name: np.array([metrics.psnr(t, p) for t, p in zip(crops, colorize_batch(m, crops))])
                for name, m in models.items()}
    ranked = sorted(per_crop, key=lambda k: -per_crop[k].mean())
    diff = per_crop[ranked[0]] - per_crop[ranked[1]]
    return Choice(ranked[0], {k: float(v.mean()) for k, v in per_crop.items()}, float(diff.mean()),
                  float(diff.std(ddof=1) / np.sqrt(len(diff))))


def tanh_saturation(model: keras.Model, L: np.ndarray, limit: float = 0.95) -> float:
    """Share of predicted ab values (inference mode) beyond ``limit`` of the tanh range."""
    return float(np.mean(np.abs(model.predict(np.asarray(L, np.float32), verbose=0)) > limit))


def check_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The inference check of each trained result (anything with a ``check``) as table rows."""
    return [{"model": name, "training loss": r.check.training_loss, "inference loss": r.check.inference_loss,
             "ratio": r.check.ratio, "ok": "yes" if r.check.ok() else "NO"} for name, r in results.items()]


def saved_colorizers(data_name: str, *, exclude: Sequence[str] = ()) -> dict[str, keras.Model]:
    """The colorizers saved as ``outputs/models/colorizer_<data_name>_<kind>.keras``, by kind,
    skipping kinds in ``exclude``; empty when none were saved yet (run notebook 06 first)."""
    found = {}
    for path in sorted(paths.models_dir().glob(f"colorizer_{data_name}_*.keras")):
        kind = path.stem[len(f"colorizer_{data_name}_"):]
        if kind not in exclude:
            found[kind] = keras.models.load_model(path)
    return found


@dataclasses.dataclass
class PhotoSet:
    """Training photos and a sentence saying where they came from."""

    images: np.ndarray
    source: str


def training_photos(size: int, n: int, *, seed: int = 0, use_cached: bool = True,
                    dataset: str = "flower_photos") -> PhotoSet:
    """``n`` training photos of ``size``x``size``: from ``dataset`` when it was fetched beforehand
    (``data.fetch``) and ``use_cached``, else random crops (zoom 0.15-1) of the bundled training photos."""
    real = data.cached(dataset) if use_cached else None
    if real is not None:
        folder = data.image_folder(real, size, shuffle=True, seed=seed)
        images = np.stack(list(folder.take(n).as_numpy_iterator()))
        return PhotoSet(images, f"{len(images)} photos from the real dataset at {real}")
    photos = data.sample_photos("train")
    images = data.random_patches(photos, size, n, seed=seed, scale=(0.15, 1.0))
    return PhotoSet(images, f"{len(images)} random crops of the {len(photos)} bundled training photos "
                            f"({', '.join(photos)})")


def ball_chroma(images: Any, ball_masks: np.ndarray) -> float:
    """Mean LAB chroma ``sqrt(a^2 + b^2)`` over the toy scenes' ball pixels (desaturation test)."""
    lab = color.rgb_to_lab(color.as_float_rgb(images))
    return float(np.hypot(lab[..., 1], lab[..., 2])[np.asarray(ball_masks, bool)].mean())


def ball_report(target: Any, prediction: Any, masks: dict[str, np.ndarray]) -> dict[str, float]:
    """Per toy ball: ab distance (LAB units) from its mean predicted colour to the nearer of the two
    true ball colours, and the share of balls given neither.

    The two references are the mean ab of the red and of the blue balls in ``target``. "Neither"
    means a ball's mean ab is farther from both than a third of their distance apart (the exact
    average of the two sits at half): a purple-brown average, a grass-green guess or plain gray. ``masks`` comes from
    ``data.toy_scenes(..., return_masks=True)``.
    """
    t_lab = color.rgb_to_lab(color.as_float_rgb(target, "target"))
    p_lab = color.rgb_to_lab(color.as_float_rgb(prediction, "prediction"))
    ball, red = np.asarray(masks["ball"], bool), np.asarray(masks["ball_red"], bool)
    if not (ball.shape == t_lab.shape[:3] == p_lab.shape[:3]):
        raise ValueError(f"masks['ball'] {ball.shape}, target {t_lab.shape[:3]} and prediction {p_lab.shape[:3]}: "
                         "expected one mask per image, all the same shape")
    if not red.any() or not (ball & ~red).any():
        raise ValueError("expected toy scenes with both red and blue balls; received only one colour")
    refs = np.stack([t_lab[red][:, 1:].mean(0), t_lab[ball & ~red][:, 1:].mean(0)])
    means = np.array([p_lab[i][ball[i]][:, 1:].mean(0) for i in range(len(p_lab)) if ball[i].any()])
    dist = np.linalg.norm(means[:, None, :] - refs[None], axis=-1)
    third = float(np.linalg.norm(refs[0] - refs[1])) / 3
    return {"balls": float(len(means)), "distance_to_nearer": float(dist.min(1).mean()),
            "neither_share": float((dist.min(1) > third).mean())}


# ----------------------------------------------------------------------------------------
# pix2pix: U-Net generator, PatchGAN discriminator, GAN + lambda * L1
# ----------------------------------------------------------------------------------------

_INIT = dict(mean=0.0, stddev=0.02)


def _down(filters: int, batchnorm: bool = True) -> keras.Sequential:
    block = keras.Sequential([keras.layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=False,
                                                  kernel_initializer=keras.initializers.RandomNormal(**_INIT))])
    if batchnorm:
        block.add(keras.layers.BatchNormalization())
    block.add(keras.layers.LeakyReLU(0.2))
    return block


def _up(filters: int, dropout: bool = False) -> keras.Sequential:
    block = keras.Sequential([keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False,
                                                           kernel_initializer=keras.initializers.RandomNormal(**_INIT)),
                              keras.layers.BatchNormalization()])
    if dropout:
        block.add(keras.layers.Dropout(0.5))
    block.add(keras.layers.ReLU())
    return block


def build_unet_generator(size: int = 256, *, base: int = 64, max_filters: int = 512,
                         in_channels: int = 1, out_channels: int = 2, depth: int | None = None) -> keras.Model:
    """The pix2pix U-Net: stride-2 4x4 convolutions down to 1x1 (8 blocks at 256 px, fewer for
    smaller inputs), transposed convolutions back up with skip connections, tanh output.

    L (size, size, ``in_channels``) in, ab / 128 (``out_channels``) out. ``size`` must be a power
    of two >= 4; the model also runs on any multiple of ``2 ** depth``.
    """
    if size < 4 or size & (size - 1):
        raise ValueError(f"size must be a power of two >= 4, got {size}")
    depth = depth or min(8, int(math.log2(size)))
    filters = [min(base * 2**i, max_filters) for i in range(depth)]
    inputs = keras.Input((None, None, in_channels), name="L")
    x, skips = inputs, []
    for i, f in enumerate(filters):
        x = _down(f, batchnorm=i > 0)(x)
        skips.append(x)
    for i, (f, skip) in enumerate(zip(reversed(filters[:-1]), reversed(skips[:-1]))):
        x = _up(f, dropout=i < 3 and depth >= 6)(x)
        x = keras.layers.Concatenate()([x, skip])
    outputs = keras.layers.Conv2DTranspose(out_channels, 4, strides=2, padding="same", activation="tanh",
                                           kernel_initializer=keras.initializers.RandomNormal(**_INIT),
                                           name="ab")(x)
    return keras.Model(inputs, outputs, name=f"unet_generator_{size}")


def build_patch_discriminator(size: int = 256, *, base: int = 64, in_channels: int = 1,
                              target_channels: int = 2) -> keras.Model:
    """The pix2pix PatchGAN: (L, ab) in, a grid of real/fake logits out (30x30 at 256 px).

    Three stride-2 blocks at 64 px and above, fewer for smaller inputs, so each logit still
    sees a patch and the grid keeps at least 2x2 cells.
    """
    n_down = max(1, min(3, int(math.log2(size)) - 3))
    init = keras.initializers.RandomNormal(**_INIT)
    inp = keras.Input((None, None, in_channels), name="L")
    tar = keras.Input((None, None, target_channels), name="ab")
    x = keras.layers.Concatenate()([inp, tar])
    for i in range(n_down):
        x = _down(base * 2**i, batchnorm=i > 0)(x)
    x = keras.layers.ZeroPadding2D()(x)
    x = keras.layers.Conv2D(base * 2**n_down, 4, use_bias=False, kernel_initializer=init)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.LeakyReLU(0.2)(x)
    x = keras.layers.ZeroPadding2D()(x)
    outputs = keras.layers.Conv2D(1, 4, kernel_initializer=init, name="patch_logits")(x)
    return keras.Model([inp, tar], outputs, name=f"patch_discriminator_{size}")


@dataclasses.dataclass
class Pix2PixResult(training.TrainResult):
    """A pix2pix run: ``model`` is the generator; ``samples`` the saved sample grids."""

    discriminator: Any = None
    samples: list[Path] = dataclasses.field(default_factory=list)
    start_step: int = 0
    check: training.InferenceCheck | None = None


class Pix2Pix:
    """Generator, discriminator, their Adam optimizers (2e-4, beta_1 0.5, from
    :func:`training.optimizer`) and a checkpoint.

    ``train_step`` is compiled with ``tf.function`` and runs under ``strategy`` (each replica
    averages its losses over the global batch).
    """

    def __init__(self, size: int, *, gen_base: int = 64, disc_base: int = 64, lambda_l1: float = 100.0,
                 learning_rate: float = 2e-4, beta_1: float = 0.5,
                 strategy: tf.distribute.Strategy | None = None) -> None:
        self.size, self.lambda_l1 = size, float(lambda_l1)
        self.strategy = strategy or tf.distribute.get_strategy()
        with training.strategy_scope(self.strategy):
            self.generator = build_unet_generator(size, base=gen_base)
            self.discriminator = build_patch_discriminator(size, base=disc_base)
            self.gen_opt = training.optimizer("adam", learning_rate, beta_1=beta_1)
            self.disc_opt = training.optimizer("adam", learning_rate, beta_1=beta_1)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self._bce = keras.losses.BinaryCrossentropy(from_logits=True, reduction=None)
        self._compiled = tf.function(self._distributed_step)

    def _replica_step(self, L: Any, ab: Any, global_batch: Any) -> dict[str, Any]:
        with tf.GradientTape() as gtape, tf.GradientTape() as dtape:
            fake = self.generator(L, training=True)
            real_logits = self.discriminator([L, ab], training=True)
            fake_logits = self.discriminator([L, fake], training=True)

            def per_example(logits: Any, label: float) -> Any:
                flat = tf.reshape(logits, (tf.shape(logits)[0], -1, 1))
                return tf.reduce_mean(self._bce(tf.fill(tf.shape(flat), label), flat), axis=-1)

            gan = tf.nn.compute_average_loss(per_example(fake_logits, 1.0), global_batch_size=global_batch)
            l1 = tf.nn.compute_average_loss(tf.reduce_mean(tf.abs(ab - fake), axis=[1, 2, 3]),
                                            global_batch_size=global_batch)
            gen_total = gan + self.lambda_l1 * l1
            disc = tf.nn.compute_average_loss(per_example(real_logits, 1.0) + per_example(fake_logits, 0.0),
                                              global_batch_size=global_batch)
        g_grads = gtape.gradient(gen_total, self.generator.trainable_variables)
        d_grads = dtape.gradient(disc, self.discriminator.trainable_variables)
        self.gen_opt.apply_gradients(zip(g_grads, self.generator.trainable_variables))
        self.disc_opt.apply_gradients(zip(d_grads, self.discriminator.trainable_variables))
        return {"gen_total": gen_total, "gen_gan": gan, "l1": l1, "disc": disc}

    def _distributed_step(self, L: Any, ab: Any, global_batch: Any) -> dict[str, Any]:
        out = self.strategy.run(self._replica_step, args=(L, ab, global_batch))
        self.step.assign_add(1)
        return {k: self.strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) for k, v in out.items()}

    def train_step(self, L: Any, ab: Any, global_batch: int | None = None) -> dict[str, float]:
        """One compiled update of both networks on a batch (or a distributed batch)."""
        gb = tf.constant(global_batch if global_batch is not None else int(L.shape[0]), tf.int32)
        return {k: float(v) for k, v in self._compiled(L, ab, gb).items()}

    def checkpoint(self, directory: str | os.PathLike[str], max_to_keep: int = 2) -> tf.train.CheckpointManager:
        """A checkpoint manager over both networks, both optimizers and the step counter."""
        ckpt = tf.train.Checkpoint(generator=self.generator, discriminator=self.discriminator,
                                   gen_opt=self.gen_opt, disc_opt=self.disc_opt, step=self.step)
        return tf.train.CheckpointManager(ckpt, str(directory), max_to_keep=max_to_keep)


def _sample_grid(gan: Pix2Pix, L: np.ndarray, ab: np.ndarray, name: str) -> Path:
    from darkroom import images as dimages

    pred = gan.generator(L, training=False).numpy()
    rows = []
    for i in range(len(L)):
        rows += [_from_model(L[i], np.zeros_like(ab[i])), _from_model(L[i], pred[i]), _from_model(L[i], ab[i])]
    fig = dimages.show_images(rows, titles=["gray", "pix2pix", "truth"] * len(L), ncols=3, size=1.8)
    path = dimages.save_figure(fig, name)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


@dataclasses.dataclass
class _Pix2PixLog:
    """What the loop records: losses per step, sample grids, wall time, whether the budget stopped it."""

    history: dict[str, list[float]] = dataclasses.field(
        default_factory=lambda: {"gen_total": [], "gen_gan": [], "l1": [], "disc": []})
    samples: list[Path] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    budget_stopped: bool = False


def _pix2pix_loop(gan: Pix2Pix, batches: Any, manager: tf.train.CheckpointManager, *, start: int, steps: int,
                  batch_size: int, name: str, checkpoint_every: int, sample_every: int | None,
                  samples: tuple[np.ndarray, np.ndarray], time_budget_s: float | None) -> _Pix2PixLog:
    """Steps ``start`` .. ``steps`` of the compiled GAN step, with checkpoints, sample grids, a
    progress bar and :class:`training.TimeBudget` checked after every step, as ``training.fit`` does."""
    log = _Pix2PixLog()
    budget = training.TimeBudget(time_budget_s, check="batch")
    budget.set_model(gan.generator)
    budget.set_params({"epochs": 1, "steps": steps - start})
    gan.generator.stop_training = False
    bar = training.progress(range(start, steps), desc=name)
    with training.Stopwatch() as watch:
        budget.on_train_begin()
        for i, step in enumerate(bar):
            out = gan.train_step(*next(batches), global_batch=batch_size)
            for k, v in out.items():
                log.history[k].append(v)
            bar.set_postfix(gen=f"{out['gen_total']:.3f}", disc=f"{out['disc']:.3f}", refresh=False)
            done = step + 1
            if done % checkpoint_every == 0:
                manager.save(checkpoint_number=done)
            if sample_every and done % sample_every == 0:
                log.samples.append(_sample_grid(gan, *samples, f"{name}_step{done:05d}"))
            budget.on_train_batch_end(i)
            if gan.generator.stop_training:
                break
    gan.generator.stop_training = False
    bar.close()
    log.seconds, log.budget_stopped = watch.seconds, budget.stopped
    return log


def _generator_check(generator: keras.Model, l1_history: list[float], L: np.ndarray, ab: np.ndarray,
                     batch_size: int) -> training.InferenceCheck | None:
    """The L1 of the last 50 steps beside the generator's L1 on (L, ab) in inference mode."""
    if not l1_history:
        return None
    pred = generator.predict(L, batch_size=batch_size, verbose=0)
    return training.InferenceCheck(generator.name, float(np.mean(l1_history[-50:])),
                                   float(np.mean(np.abs(pred - ab))))


def recalibrated(result: Pix2PixResult, images: np.ndarray, *, batch_size: int = 16) -> Pix2PixResult:
    """``result`` with a copy of its generator whose batch-norm statistics are re-estimated on RGB
    ``images`` (what ``train_pix2pix(recalibrate=True)`` does), and that copy's inference check.

    ``result.model`` is left as it was, so one run trained with ``recalibrate=False`` gives both the
    control and the recalibrated generator.
    """
    generator = keras.models.clone_model(result.model)
    generator.set_weights(result.model.get_weights())
    L, ab = to_model_pairs(images)
    training.recalibrate_batchnorm(generator, L, batch_size)
    return dataclasses.replace(result, model=generator,
                               check=_generator_check(generator, result.history.get("l1", []), L, ab, batch_size))


def _finished_pix2pix(gan: Pix2Pix, log: _Pix2PixLog, L: np.ndarray, ab: np.ndarray, *, start: int,
                      batch_size: int, recalibrate: bool) -> Pix2PixResult:
    """Recalibrate the generator's batch norm, check it in inference mode, and report."""
    trained = int(gan.step.numpy()) - start
    if recalibrate:
        training.recalibrate_batchnorm(gan.generator, L, batch_size)
    check = _generator_check(gan.generator, log.history["l1"], L, ab, batch_size)
    return Pix2PixResult(model=gan.generator, history=log.history, seconds=log.seconds,
                         examples_per_second=trained * batch_size / max(log.seconds, 1e-9),
                         epochs_run=1 if trained else 0, steps=trained,
                         stop_reason="time budget" if log.budget_stopped else "epochs",
                         discriminator=gan.discriminator, samples=log.samples, start_step=start, check=check)


def train_pix2pix(
    images: np.ndarray,
    *,
    size: int,
    steps: int,
    batch_size: int = 8,
    gen_base: int = 32,
    disc_base: int = 32,
    lambda_l1: float = 100.0,
    learning_rate: float = 2e-4,
    beta_1: float = 0.5,
    name: str = "pix2pix",
    checkpoint_every: int = 200,
    sample_every: int | None = None,
    sample_images: np.ndarray | None = None,
    resume: bool = True,
    time_budget_s: float | None = None,
    jitter: bool = False,
    seed: int = 0,
    strategy: tf.distribute.Strategy | None = None,
    recalibrate: bool = True,
) -> Pix2PixResult:
    """Train pix2pix on RGB ``images`` (N, size, size, 3) for ``steps`` steps in total, or until
    ``time_budget_s`` seconds are spent (checked after every step, as :func:`training.fit` does).

    Each step flips its pairs left-right at random; ``jitter`` does pix2pix's random jitter instead
    (resize up by 1/8, random crop back, random mirror). Checkpoints go to
    ``outputs/checkpoints/<name>/`` every ``checkpoint_every`` steps and at the end; with ``resume``
    a rerun continues from the last one. Sample grids (gray | pix2pix | truth) are saved as
    ``outputs/figures/<name>_step<N>.png`` every ``sample_every`` steps. Both networks, their
    optimizers and the step run under ``strategy``.

    With ``recalibrate`` the generator's batch-norm statistics are re-estimated on the training
    images at the end: the moving averages of a short GAN run trail its weights, and in inference
    mode the generator was measured 6x worse than in training (every toy scene salmon). ``check``
    compares the L1 of the last steps with the L1 on the training images in inference mode.
    """
    keras.utils.set_random_seed(seed)
    gan = Pix2Pix(size, gen_base=gen_base, disc_base=disc_base, lambda_l1=lambda_l1,
                  learning_rate=learning_rate, beta_1=beta_1, strategy=strategy)
    manager = gan.checkpoint(paths.outputs_dir("checkpoints", name))
    if resume and manager.latest_checkpoint:
        manager.checkpoint.restore(manager.latest_checkpoint)
    start = int(gan.step.numpy())
    L, ab = to_model_pairs(images)
    ds = _pair_dataset(L, ab, batch_size, shuffle=True, flip=True, jitter=jitter, seed=seed + start).repeat()
    batches = iter(gan.strategy.experimental_distribute_dataset(ds))
    shown = to_model_pairs(sample_images) if sample_images is not None else (L[:3], ab[:3])
    log = _pix2pix_loop(gan, batches, manager, start=start, steps=steps, batch_size=batch_size, name=name,
                        checkpoint_every=checkpoint_every, sample_every=sample_every, samples=shown,
                        time_budget_s=time_budget_s)
    if int(gan.step.numpy()) > start:
        manager.save(checkpoint_number=int(gan.step.numpy()))
    return _finished_pix2pix(gan, log, L, ab, start=start, batch_size=batch_size, recalibrate=recalibrate)
