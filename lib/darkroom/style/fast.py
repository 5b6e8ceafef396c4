"""Fast feed-forward style transfer (Johnson, Alahi & Fei-Fei 2016): train once per style, then one pass per image.

:func:`darkroom.style.transfer.stylize` optimises every image from scratch (the write-up's "an hour per
image").  Here a small image-transformation network -- downsampling convolutions, residual
blocks, upsampling, instance normalisation -- learns one style with the same perceptual loss
(:class:`darkroom.core.perceptual.PerceptualLoss`: content, Gram style and total variation on the same
features), from random crops of photos; afterwards a photo of any size is one forward pass::

    from darkroom.core import data, synthetic
    from darkroom.style import fast
    swirls = synthetic.procedural_style("swirls", 256)
    result = fast.train_fast_style(swirls, data.sample_photos("train"),
                                   style_name="swirls", time_budget_s=60)
    painted = fast.apply_style(result.model, photo)          # float32 RGB in [0, 1]

The saved model (``outputs/models/style_fast_<style>.keras``) takes and returns float32 RGB batches in
[0, 1] of any size; ``keras.models.load_model`` reads it once :mod:`darkroom.core.layers` is imported, which
importing this module, :mod:`darkroom.style` or :mod:`darkroom.core.layers` does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from darkroom.core import color, data, images, metrics, optimizers, perceptual, saving, training, vgg
from darkroom.core.layers import CropLike, InstanceNormalization, PadToMultiple, ReflectionPadding2D

__all__ = [
    "FastStyleResult",
    "FastStyleTrainer",
    "apply_style",
    "build_transformer",
    "comparison_rows",
    "seconds_per_image",
    "train_fast_style",
]

_DOWNSAMPLING = 4  # two stride-2 convolutions: the network works on sizes divisible by 4


# --------------------------------------------------------------------------- the network


def _conv(x, filters: int, kernel: int, strides: int = 1, *, relu: bool = True, name: str):
    """Mirror padding, a convolution, instance normalisation and (usually) a ReLU."""
    x = ReflectionPadding2D(kernel // 2, name=f"{name}_pad")(x)
    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding="valid", name=f"{name}_conv")(x)
    x = InstanceNormalization(name=f"{name}_norm")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x) if relu else x


def _residual(x, filters: int, name: str):
    """Two 3x3 convolutions added to their input (Johnson et al.'s residual block, without a final ReLU)."""
    y = _conv(x, filters, 3, name=f"{name}a")
    y = _conv(y, filters, 3, relu=False, name=f"{name}b")
    return keras.layers.Add(name=f"{name}_add")([x, y])


def build_transformer(
    filters: Sequence[int] = (16, 32, 64), num_blocks: int = 3, name: str = "style_transformer"
) -> keras.Model:
    """Johnson et al.'s image-transformation network, narrower: RGB [0, 1] in, RGB [0, 1] out, any size.

    A 9x9 convolution at ``filters[0]``, two stride-2 convolutions (``filters[1]``, ``filters[2]``),
    ``num_blocks`` residual blocks, two nearest-neighbour upsamplings each followed by a 3x3
    convolution (Odena et al. 2016: no checkerboard, unlike the paper's strided transposed
    convolutions), and a 9x9 convolution to RGB through a sigmoid.  Johnson et al. used
    (32, 64, 128) and five blocks; the defaults are a quarter of the work for a 2-core CPU.
    Sizes that are not multiples of 4 are mirror-padded on the way in and cropped on the way out.
    """
    filters = tuple(int(f) for f in filters)
    if len(filters) != 3 or min(filters) < 1 or num_blocks < 0:
        raise ValueError(
            f"build_transformer: expected three positive filter counts and num_blocks >= 0; "
            f"received filters={filters}, num_blocks={num_blocks}"
        )
    image = keras.Input((None, None, 3), name="image")
    x = PadToMultiple(_DOWNSAMPLING, name="pad_to_multiple")(image)
    x = _conv(x, filters[0], 9, name="in")
    x = _conv(x, filters[1], 3, 2, name="down1")
    x = _conv(x, filters[2], 3, 2, name="down2")
    for i in range(num_blocks):
        x = _residual(x, filters[2], name=f"res{i + 1}")
    for i, f in enumerate((filters[1], filters[0]), start=1):
        x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"up{i}_upsample")(x)
        x = _conv(x, f, 3, name=f"up{i}")
    x = ReflectionPadding2D(4, name="out_pad")(x)
    x = keras.layers.Conv2D(3, 9, padding="valid", name="out_conv")(x)
    x = keras.layers.Activation("sigmoid", name="rgb")(x)
    return keras.Model(image, CropLike(name="crop")([x, image]), name=name)


# --------------------------------------------------------------------------- training


class FastStyleTrainer(keras.Model):
    """The transformation network with the perceptual loss computed inside its train and test steps.

    ``fit`` feeds it batches of photos (``x``; any ``y`` is ignored); each step paints them, scores
    the painting with ``loss`` against the photos' own content features, and updates the network
    only (the feature extractor stays fixed).  Logs ``loss``, ``content``, ``style`` and ``tv``.
    """

    def __init__(self, transformer: keras.Model, loss: perceptual.PerceptualLoss, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transformer = transformer
        self.perceptual = loss
        self.trackers = {k: keras.metrics.Mean(name=k) for k in ("loss", "content", "style", "tv")}

    def call(self, x, training: bool = False):
        return self.transformer(x, training=training)

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def _parts(self, x, training: bool):
        mean = tf.constant(vgg.VGG_MEAN_RGB)
        painted = self.transformer(x, training=training)
        targets = self.perceptual.content_targets(x * 255.0 - mean)
        return self.perceptual(painted * 255.0 - mean, targets)

    def _log(self, parts) -> dict[str, Any]:
        for tracker, value in zip(self.trackers.values(), parts):
            tracker.update_state(value)
        return {k: t.result() for k, t in self.trackers.items()}

    def train_step(self, batch):
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        with tf.GradientTape() as tape:
            parts = self._parts(x, training=True)
        weights = self.transformer.trainable_weights
        self.optimizer.apply(tape.gradient(parts[0], weights), weights)
        return self._log(parts)

    def test_step(self, batch):
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        return self._log(self._parts(x, training=False))


@dataclass
class FastStyleResult:
    """What :func:`train_fast_style` returns: the network, how training went, and where it was saved."""

    model: keras.Model
    train: training.TrainResult
    weights: str
    style_name: str
    path: str | None

    @property
    def history(self) -> dict[str, list[float]]:
        return self.train.history


def _crops(
    photos: Mapping[str, np.ndarray] | Sequence[np.ndarray], size: int, n: int, seed: int
) -> np.ndarray:
    # Zoomed-out crops too, so the network also sees whole objects at its working size.
    return data.random_patches(photos, size, n, seed=seed, zoom=(0.5, 1.0))


def train_fast_style(
    style_image: Any,
    photos: Mapping[str, np.ndarray] | Sequence[np.ndarray],
    *,
    style_name: str,
    validation_photos: Mapping[str, np.ndarray] | Sequence[np.ndarray] | None = None,
    size: int = 96,
    num_crops: int = 512,
    batch_size: int = 4,
    epochs: int = 20,
    time_budget_s: float | None = None,
    learning_rate: float = 1e-3,
    content_weight: float = 5.0,
    style_weight: float = 500.0,
    tv_weight: float = 100.0,
    weights: str | os.PathLike | None = "auto",
    filters: Sequence[int] = (16, 32, 64),
    num_blocks: int = 3,
    seed: int = 0,
    save: bool = True,
) -> FastStyleResult:
    """Train a transformation network for one style on random ``size`` px crops of ``photos``.

    The loss is :func:`darkroom.style.transfer.stylize`'s with its defaults (same features from ``weights``,
    same layers, same ``content_weight`` / ``style_weight`` / ``tv_weight``), the style image resized
    to the crop width as ``stylize`` resizes it to the content's.  Training goes through
    :func:`darkroom.core.training.fit` (Adam at ``learning_rate``), ``epochs`` passes over ``num_crops`` crops or
    until ``time_budget_s``; ``validation_photos`` (other photos: split by image) give a held-out loss
    each epoch.  With ``save`` the network is written to ``outputs/models/style_fast_<style_name>.keras``.
    """
    if not style_name or not style_name.replace("_", "").isalnum():
        raise ValueError(
            f"style_name: expected a short name like 'swirls' for the file name; received {style_name!r}"
        )
    if size < 16 or num_crops < 1 or batch_size < 1:
        raise ValueError(
            f"expected size >= 16, crops >= 1 and batch_size >= 1; "
            f"received size={size}, num_crops={num_crops}, batch_size={batch_size}"
        )
    style_img = color.as_float_rgb(style_image, "style_image")
    c_layers = list(zip(vgg.CONTENT_LAYERS, (1.0, 0.0)))
    extractor = vgg.vgg_features(
        weights, "max", perceptual.loss_layers(vgg.STYLE_LAYERS, c_layers), seed=seed
    )
    style_h = max(vgg.MIN_SIDE, round(style_img.shape[0] * size / style_img.shape[1]))
    loss = perceptual.PerceptualLoss(
        extractor,
        [vgg.preprocess(images.resize(style_img, (style_h, size)))],
        content_weight=content_weight,
        style_weight=style_weight,
        tv_weight=tv_weight,
        content_layers=c_layers,
    )
    train_x = _crops(photos, size, num_crops, seed)
    val = None
    if validation_photos is not None:
        val_x = _crops(validation_photos, size, max(batch_size, num_crops // 8), seed + 1)
        val = (val_x, val_x)

    def build() -> keras.Model:
        trainer = FastStyleTrainer(
            build_transformer(filters, num_blocks, name=f"style_fast_{style_name}"), loss
        )
        trainer.compile(optimizer=optimizers.optimizer("adam", learning_rate))
        return trainer

    result = training.fit(
        build,
        (train_x, train_x),
        epochs=epochs,
        batch_size=batch_size,
        validation_data=val,
        time_budget_s=time_budget_s,
        seed=seed,
        desc=f"fast style: {style_name}",
    )
    model = result.model.transformer
    path = str(saving.save_model(model, f"style_fast_{style_name}")) if save else None
    return FastStyleResult(
        model=model, train=result, weights=extractor.weights_description, style_name=style_name, path=path
    )


# --------------------------------------------------------------------------- using it


def apply_style(model: keras.Model, image: Any) -> np.ndarray:
    """Paint ``image`` (one (H, W, 3) image or a batch, float [0, 1] or uint8) with a trained network."""
    x = color.as_float_rgb(image, "image")
    single = x.ndim == 3
    batch = x[None] if single else x
    if batch.ndim != 4 or batch.shape[-1] != 3:
        raise ValueError(f"image: expected (H, W, 3) or (N, H, W, 3) RGB, received shape {x.shape}")
    out = np.asarray(model(tf.constant(batch, tf.float32), training=False), np.float32)
    return out[0] if single else out


def seconds_per_image(model: keras.Model, image: Any, repeats: int = 3) -> float:
    """Median seconds of one forward pass on ``image``, after one untimed pass that traces the graph."""
    if repeats < 1:
        raise ValueError(f"repeats: expected >= 1, received {repeats}")
    apply_style(model, image)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        apply_style(model, image)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def comparison_rows(
    results: Mapping[str, tuple[Any, float | None]],
    photo: Any,
    style_image: Any,
    *,
    label: str = "result",
    weights: str | os.PathLike | None = "auto",
) -> list[dict[str, Any]]:
    """One table row per ``name: (image, seconds per image or None)`` styled from ``photo``.

    Each row holds the seconds, the style part and the total of the loss ``style.stylize``
    minimises (:func:`perceptual.perceptual_parts`, so an optimisation and a network compare on its own
    terms) and the network-free :func:`metrics.style_distance` to ``style_image``. ``label``
    names the first column.
    """
    if not results:
        raise ValueError("results: expected at least one name: (image, seconds) pair, received none")
    rows = []
    for name, (image, seconds) in results.items():
        parts = perceptual.perceptual_parts(image, photo, style_image, weights=weights)
        rows.append(
            {
                label: name,
                "seconds per image": seconds,
                "style loss": parts["style"],
                "total loss": parts["loss"],
                "style distance": metrics.style_distance(style_image, image),
            }
        )
    return rows
