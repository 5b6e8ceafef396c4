"""Colorization: predict the a, b channels of LAB from L.

The "Learning to color pictures with DcGANs" write-up in code: its CNN (strided convolutions
down, upsampling back, batch norm, dropout, tanh output, RMSprop) and a lighter fully
convolutional variant; regression losses (MSE, MAE, SSIM) and the classification loss of
Zhang, Isola & Efros (2016) over quantised ab bins with class rebalancing and annealed-mean
decoding. The write-up's pix2pix cGAN is :mod:`darkroom.colorize.pix2pix`; the (L, ab) pairs both train on
come from :mod:`darkroom.colorize.pairs`.

Models take ``L / 100`` of shape (H, W, 1) and return ``ab / 128`` of shape (H, W, 2)
(``color.normalize_lab``). :func:`colorize` turns any gray or RGB image into an RGB one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from darkroom.colorize import pairs
from darkroom.core import color, data, downloads, losses, metrics, paths, training
from darkroom.core.layers import all_layers

__all__ = [
    "AUGMENTATIONS",
    "LOSSES",
    "POST_LOSSES",
    "AbBins",
    "AnnealedMean",
    "Choice",
    "ColorizerResult",
    "PhotoSet",
    "RebalancedCrossEntropy",
    "SSIMLoss",
    "ab_bins",
    "architecture_facts",
    "ball_report",
    "build_light_cnn",
    "build_post_cnn",
    "check_rows",
    "colorize",
    "colorize_batch",
    "gray_baseline",
    "model_stride",
    "pick_on_crops",
    "predictions",
    "saved_colorizers",
    "score",
    "score_rows",
    "tanh_saturation",
    "train_colorizer",
    "training_photos",
]

_REGISTER = keras.saving.register_keras_serializable(package="darkroom")


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
    for layer in all_layers(model):
        if isinstance(layer, keras.layers.Conv2D) and not isinstance(layer, keras.layers.Conv2DTranspose):
            stride *= int(layer.strides[0])
    return stride


def architecture_facts(model: keras.Model, input_side: int) -> dict[str, int | float]:
    """What a colorizer's layers say about it, for setting beside a write-up's description:
    widths and kernel of its convolutions, its bottleneck side for ``input_side``, its dropout
    rate (0.0 without dropout) and its output channels."""
    convs = [layer for layer in all_layers(model) if isinstance(layer, keras.layers.Conv2D)]
    if not convs:
        raise ValueError(f"model {model.name!r} has no Conv2D layer; expected a convolutional colorizer")
    dropouts = [layer.rate for layer in all_layers(model) if isinstance(layer, keras.layers.Dropout)]
    return {
        "input_side": input_side,
        "first_width": convs[0].filters,
        "widest": max(c.filters for c in convs),
        "kernel": convs[0].kernel_size[0],
        "bottleneck_side": input_side // model_stride(model),
        "conv_layers": len(convs),
        "dropout": dropouts[0] if dropouts else 0.0,
        "output_channels": model.output_shape[-1],
    }


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
    m = np.array(
        [
            [3.2404542, -1.5371385, -0.4985314],
            [-0.9692660, 1.8760108, 0.0415560],
            [0.0556434, -0.2040259, 1.0572252],
        ]
    )
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
    lab = np.concatenate(
        [
            np.broadcast_to(Ls[:, None, None], (len(Ls), len(ab), 1)),
            np.broadcast_to(ab, (len(Ls), len(ab), 2)),
        ],
        -1,
    )
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

    def __init__(
        self,
        centers: Sequence[Sequence[float]],
        weights: Sequence[float] | None = None,
        k: int = 5,
        sigma: float = 5.0,
        name: str = "rebalanced_cross_entropy",
        **kwargs: Any,
    ) -> None:
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
        return {
            **super().get_config(),
            "centers": self.centers.tolist(),
            "weights": None if self.weights is None else self.weights.tolist(),
            "k": self.k,
            "sigma": self.sigma,
        }


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
        training.recalibrate_batchnorm(net, L, batch_size)
    plain = pairs.pair_dataset(L, ab, batch_size, shuffle=False, flip=False, seed=seed)
    check = training.InferenceCheck(
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
    L, ab = pairs.to_model_pairs(images)
    bins = ab_bins() if loss == "classification" else None
    build = _colorizer_builder(model, width, bins)
    weights = bins.class_weights(ab * 128.0) if bins is not None else None
    val_ds = None
    if val_images is not None:
        val_ds = pairs.pair_dataset(
            *pairs.to_model_pairs(val_images), batch_size, shuffle=False, flip=False, seed=seed
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
        raise ValueError(
            f"colorize expects one image (H, W), (H, W, 1) or (H, W, 3), received shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(
            f"colorize received an empty image of shape {arr.shape}; expected at least 1x1 pixels"
        )
    L = _lightness(arr)
    return colorize_batch(model, L[None], multiple=multiple, from_lightness=True)[0]


def colorize_batch(
    model: keras.Model,
    images: Any,
    *,
    multiple: int | None = None,
    from_lightness: bool = False,
    batch_size: int = 16,
) -> np.ndarray:
    """Colorize a batch of RGB images (N, H, W, 3) (or of L / 100 with ``from_lightness``)."""
    L = np.asarray(images, np.float32) if from_lightness else pairs.to_model_pairs(images)[0]
    h, w = L.shape[1:3]
    m = multiple or model_stride(model)
    ph, pw = (-h) % m, (-w) % m
    padded = np.pad(
        L, ((0, 0), (0, ph), (0, pw), (0, 0)), mode="reflect" if min(h, w) > max(ph, pw) else "edge"
    )
    ab = model.predict(padded, batch_size=batch_size, verbose=0)[:, :h, :w, :2]
    return pairs.from_model_pairs(L, np.clip(ab, -1.0, 1.0))


def gray_baseline(images: Any) -> np.ndarray:
    """The "predict gray" colorizer: keep L, set a = b = 0."""
    L, ab = pairs.to_model_pairs(images)
    return pairs.from_model_pairs(L, np.zeros_like(ab))


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
    return {
        name: gray_baseline(images) if model is None else colorize_batch(model, images)
        for name, model in models.items()
    }


def score_rows(target: Any, predictions: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per prediction (``model``, PSNR, SSIM, ab MAE, colourfulness, dB over gray when a
    ``"gray"`` prediction is given), then the truth's colourfulness: a table for ``tables``.

    With :func:`predictions` this is notebooks 06 and 07's score table:
    ``score_rows(photos, predictions({"gray": None, **models}, photos))``.
    """
    scores = {name: score(target, pred) for name, pred in predictions.items()}
    gray = scores.get("gray", {}).get("psnr")
    rows = [
        {"model": name, **s, **({"dB vs gray": s["psnr"] - gray} if gray is not None else {})}
        for name, s in scores.items()
    ]
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
        raise ValueError(
            f"pick_on_crops needs >= 2 models and >= 2 crops; received {len(models)} models "
            f"and crops of shape {crops.shape}"
        )
    per_crop = {
        name: np.array([metrics.psnr(t, p) for t, p in zip(crops, colorize_batch(m, crops))])
        for name, m in models.items()
    }
    ranked = sorted(per_crop, key=lambda k: -per_crop[k].mean())
    diff = per_crop[ranked[0]] - per_crop[ranked[1]]
    return Choice(
        ranked[0],
        {k: float(v.mean()) for k, v in per_crop.items()},
        float(diff.mean()),
        float(diff.std(ddof=1) / np.sqrt(len(diff))),
    )


def tanh_saturation(model: keras.Model, L: np.ndarray, limit: float = 0.95) -> float:
    """Share of predicted ab values (inference mode) beyond ``limit`` of the tanh range."""
    return float(np.mean(np.abs(model.predict(np.asarray(L, np.float32), verbose=0)) > limit))


def check_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The inference check of each trained result (anything with a ``check``) as table rows."""
    return [
        {
            "model": name,
            "training loss": r.check.training_loss,
            "inference loss": r.check.inference_loss,
            "ratio": r.check.ratio,
            "ok": "yes" if r.check.ok() else "NO",
        }
        for name, r in results.items()
    ]


def saved_colorizers(data_name: str, *, exclude: Sequence[str] = ()) -> dict[str, keras.Model]:
    """The colorizers saved as ``outputs/models/colorizer_<data_name>_<kind>.keras``, by kind,
    skipping kinds in ``exclude``; empty when none were saved yet (run notebook 06 first)."""
    found = {}
    for path in sorted(paths.models_dir().glob(f"colorizer_{data_name}_*.keras")):
        kind = path.stem[len(f"colorizer_{data_name}_") :]
        if kind not in exclude:
            found[kind] = keras.models.load_model(path)
    return found


@dataclasses.dataclass
class PhotoSet:
    """Training photos and a sentence saying where they came from."""

    images: np.ndarray
    source: str


def training_photos(
    size: int, n: int, *, seed: int = 0, use_cached: bool = True, dataset: str = "flower_photos"
) -> PhotoSet:
    """``n`` training photos of ``size``x``size``: from ``dataset`` when it was fetched beforehand
    (``downloads.fetch``) and ``use_cached``, else random crops (zoom 0.15-1) of the bundled training photos."""
    real = downloads.cached(dataset) if use_cached else None
    if real is not None:
        folder = data.image_folder(real, size, shuffle=True, seed=seed)
        images = np.stack(list(folder.take(n).as_numpy_iterator()))
        return PhotoSet(images, f"{len(images)} photos from the real dataset at {real}")
    photos = data.sample_photos("train")
    images = data.random_patches(photos, size, n, seed=seed, scale=(0.15, 1.0))
    return PhotoSet(
        images,
        f"{len(images)} random crops of the {len(photos)} bundled training photos ({', '.join(photos)})",
    )


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
        raise ValueError(
            f"masks['ball'] {ball.shape}, target {t_lab.shape[:3]} and prediction {p_lab.shape[:3]}: "
            "expected one mask per image, all the same shape"
        )
    if not red.any() or not (ball & ~red).any():
        raise ValueError("expected toy scenes with both red and blue balls; received only one colour")
    refs = np.stack([t_lab[red][:, 1:].mean(0), t_lab[ball & ~red][:, 1:].mean(0)])
    means = np.array([p_lab[i][ball[i]][:, 1:].mean(0) for i in range(len(p_lab)) if ball[i].any()])
    dist = np.linalg.norm(means[:, None, :] - refs[None], axis=-1)
    third = float(np.linalg.norm(refs[0] - refs[1])) / 3
    return {
        "balls": float(len(means)),
        "distance_to_nearer": float(dist.min(1).mean()),
        "neither_share": float((dist.min(1) > third).mean()),
    }
