"""Training the CNN colorizers: the photos, the losses by name and :func:`train_colorizer`.

The losses are regression (MSE, MAE, SSIM and the write-up's MS-SSIM, with an L1 share) or Zhang et
al.'s classification over ab bins (:mod:`darkroom.colorize.bins`); the networks are those of
:mod:`darkroom.colorize.networks`, trained through :func:`darkroom.core.training.fit` on the (L, ab)
pairs of :mod:`darkroom.colorize.pairs`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from darkroom.colorize import pairs
from darkroom.colorize.bins import AbBins, AnnealedMean, RebalancedCrossEntropy, ab_bins
from darkroom.colorize.networks import build_light_cnn, build_post_cnn
from darkroom.core import (
    augmentation,
    color,
    data,
    downloads,
    folders,
    inference_check,
    losses,
    optimizers,
    training,
)

__all__ = [
    "AUGMENTATIONS",
    "LOSSES",
    "POST_LOSSES",
    "ColorizerResult",
    "PhotoSet",
    "SSIMLoss",
    "train_colorizer",
    "training_photos",
]

_REGISTER = keras.saving.register_keras_serializable(package="darkroom")


@_REGISTER
class SSIMLoss(keras.losses.Loss):
    """``1 - SSIM`` of the ab channels (mapped from [-1, 1] to [0, 1]): the write-up's remedy for brown.

    ``multiscale=True`` is MS-SSIM, as the write-up used (as many scales as the size allows).
    ``l1_weight`` mixes in the mean absolute error, ``(1 - w) (1 - SSIM) + w L1``: SSIM alone is
    nearly blind to a uniform bias in flat regions (Zhao, Gallo, Frosio & Kautz 2017), and toy skies
    and lawns are flat, so on its own it lets the colours drift to the tanh limits.
    """

    def __init__(
        self, multiscale: bool = False, l1_weight: float = 0.0, name: str = "ssim_loss", **kwargs: Any
    ) -> None:
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


@dataclasses.dataclass
class ColorizerResult(training.TrainResult):
    """A trained colorizer: ``model`` maps L / 100 to ab / 128 (classification already decoded)."""

    name: str = ""
    train_model: Any = None
    check: inference_check.InferenceCheck | None = None


#: How :func:`train_colorizer` varies its training images: nothing, left-right flips, or seed 002's
#: augmentations (left-right and upside-down flips, and one of its three tone operations of L).
AUGMENTATIONS = ("none", "flip", "writeup")


def _writeup_dataset(images: np.ndarray, batch_size: int, *, seed: int) -> tf.data.Dataset:
    """(L, ab) batches of RGB ``images`` shuffled and augmented as seed 002 did, by
    :func:`augmentation.augment_image` with :data:`augmentation.WRITEUP_TONES`: random left-right and upside-down
    flips, then histogram equalisation, a 2-98th percentile stretch or adaptive equalisation of L."""
    rgb = color.as_float_rgb(images, "images", gray_ok=False)
    shape = rgb.shape[1:3]

    def augment_one(image: Any, pair_seed: Any) -> tuple[Any, Any]:
        out = augmentation.augment_image(image, shape, pair_seed, tones=augmentation.WRITEUP_TONES)
        return color.split_lab(color.normalize_lab(color.tf_rgb_to_lab(out)))

    ds = tf.data.Dataset.from_tensor_slices(rgb).shuffle(len(rgb), seed=seed, reshuffle_each_iteration=True)
    ds = tf.data.Dataset.zip(ds, pairs.random_seeds(seed)).map(
        augment_one, num_parallel_calls=tf.data.AUTOTUNE
    )
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _colorizer_builder(
    model: str | Callable[[], keras.Model], width: int, bins: AbBins | None
) -> Callable[[], keras.Model]:
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


def _training_data(
    images: np.ndarray, L: np.ndarray, ab: np.ndarray, batch_size: int, augment: str, seed: int
) -> tf.data.Dataset:
    if augment == "writeup":
        return _writeup_dataset(images, batch_size, seed=seed)
    return pairs.pair_dataset(L, ab, batch_size, shuffle=True, flip=augment == "flip", seed=seed)


def _checked_colorizer(
    fitted: training.TrainResult,
    L: np.ndarray,
    ab: np.ndarray,
    *,
    batch_size: int,
    bins: AbBins | None,
    temperature: float,
    recalibrate: bool,
    seed: int,
    strategy: tf.distribute.Strategy | None,
    name: str,
) -> ColorizerResult:
    """Recalibrate, run the inference check, wrap a classifier with its decoder: the result."""
    net = fitted.model
    if recalibrate:
        inference_check.recalibrate_batchnorm(net, L, batch_size)
    plain = pairs.pair_dataset(L, ab, batch_size, shuffle=False, flip=False, seed=seed)
    check = inference_check.InferenceCheck(
        net.name,
        float(fitted.history["loss"][-1]),
        float(net.evaluate(plain, verbose=0, return_dict=True)["loss"]),
    )
    inference = net
    if bins is not None:
        with training.strategy_scope(strategy):
            inference = keras.Model(
                net.input,
                AnnealedMean(bins.centers, temperature, name="ab")(net.output),
                name=f"{net.name}_decoded",
            )
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
    validation_images: np.ndarray | None = None,
    time_budget_s: float | None = None,
    filters: int = 32,
    temperature: float = 0.38,
    augment: str = "flip",
    seed: int = 0,
    strategy: tf.distribute.Strategy | None = None,
    desc: str | None = None,
    recalibrate: bool = True,
) -> ColorizerResult:
    """Train a colorizer on RGB ``images`` (N, H, W, 3) with ``loss`` in :data:`LOSSES` through
    :func:`training.fit` (any optimizer name of :data:`optimizers.OPTIMIZERS`).

    ``model`` is ``"light"`` (:func:`build_light_cnn`), ``"post"`` (:func:`build_post_cnn`)
    or a builder, built under ``strategy``'s scope. ``augment`` is one of :data:`AUGMENTATIONS`.
    Stops after ``epochs`` or once ``time_budget_s`` seconds are spent. The returned ``model``
    outputs ab / 128; for ``loss="classification"`` it wraps the trained logits model with
    :class:`AnnealedMean` at ``temperature``. With ``recalibrate``, batch-norm statistics are
    re-estimated on the training images after training (:func:`inference_check.recalibrate_batchnorm`);
    ``check`` holds the loss on the training images in inference mode beside the last epoch's.
    """
    if loss not in LOSSES + POST_LOSSES:
        raise ValueError(f"loss must be one of {LOSSES + POST_LOSSES}, got {loss!r}")
    if np.ndim(images) != 4 or len(images) == 0:
        raise ValueError(
            f"train_colorizer: expected RGB images (N, H, W, 3), N >= 1; received shape {np.shape(images)}"
        )
    if augment not in AUGMENTATIONS:
        raise ValueError(f"augment must be one of {AUGMENTATIONS}, got {augment!r}")
    optimizers.optimizer(optimizer)  # an unknown name fails here, before the data is prepared
    keras.utils.set_random_seed(seed)
    L, ab = pairs.to_model_pairs(images)
    bins = ab_bins() if loss == "classification" else None
    build = _colorizer_builder(model, filters, bins)
    weights = bins.class_weights(ab * 128.0) if bins is not None else None
    val_ds = None
    if validation_images is not None:
        val_ds = pairs.pair_dataset(
            *pairs.to_model_pairs(validation_images), batch_size, shuffle=False, flip=False, seed=seed
        )
    fitted = training.fit(
        build,
        _training_data(images, L, ab, batch_size, augment, seed),
        loss=_loss(loss, bins, weights),
        optimizer=optimizer,
        learning_rate=learning_rate,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=val_ds,
        shuffle=False,
        time_budget_s=time_budget_s,
        seed=seed,
        strategy=strategy,
        desc=desc or f"{model if isinstance(model, str) else 'model'}/{loss}",
    )
    return _checked_colorizer(
        fitted,
        L,
        ab,
        batch_size=batch_size,
        bins=bins,
        temperature=temperature,
        recalibrate=recalibrate,
        seed=seed,
        strategy=strategy,
        name=loss,
    )


@dataclasses.dataclass
class PhotoSet:
    """Training photos and a sentence saying where they came from."""

    images: np.ndarray
    source: str


def training_photos(
    size: int, num_photos: int, *, seed: int = 0, use_cached: bool = True, dataset: str = "flower_photos"
) -> PhotoSet:
    """``num_photos`` training photos of ``size``x``size``: from ``dataset`` when it was fetched beforehand
    (``downloads.fetch``) and ``use_cached``, else random crops (zoom 0.15-1) of the bundled training photos."""
    real = downloads.cached(dataset) if use_cached else None
    if real is not None:
        folder = folders.image_folder(real, size, shuffle=True, seed=seed)
        images = np.stack(list(folder.take(num_photos).as_numpy_iterator()))
        return PhotoSet(images, f"{len(images)} photos from the real dataset at {real}")
    photos = data.sample_photos("train")
    images = data.random_patches(photos, size, num_photos, seed=seed, zoom=(0.15, 1.0))
    return PhotoSet(
        images,
        f"{len(images)} random crops of the {len(photos)} bundled training photos ({', '.join(photos)})",
    )
