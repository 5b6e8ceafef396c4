"""The colorizers' networks: the write-up's CNN, a light fully convolutional variant, and what their
layers say about them.

The "Learning to color pictures with DcGANs" write-up's CNN has strided convolutions down, upsampling
back, batch norm, dropout and a tanh output. Both networks take ``L / 100`` of shape (H, W, 1) and
return ``ab / 128`` of shape (H, W, 2) (``color.normalize_lab``), or, as a classifier, logits over the
ab bins of :mod:`darkroom.colorize.bins`.
"""

from __future__ import annotations

from typing import Any

import keras

from darkroom.core.layers import all_layers

__all__ = ["architecture_facts", "build_light_cnn", "build_post_cnn", "model_stride"]


def build_post_cnn(
    dropout: float = 0.5, bn_momentum: float = 0.9, batch_norm: bool = True, name: str = "post_cnn"
) -> keras.Model:
    """The write-up's CNN: conv + batch norm down to 1/8 with stride-2 convolutions, a 512-wide
    middle with dropout, nearest-neighbour upsampling back, tanh ab. About 6.3M parameters.

    Fully convolutional: any input whose sides are multiples of 8. ``bn_momentum`` is 0.9
    rather than Keras' 0.99 so that the moving statistics are usable after a short run (the
    write-up's Keras used 0.99). ``batch_norm=False`` leaves out all twelve batch-norm layers, the
    write-up's suspect, and changes nothing else.
    """
    layers = keras.layers

    def normalize(x):
        return layers.BatchNormalization(momentum=bn_momentum)(x) if batch_norm else x

    inputs = keras.Input((None, None, 1), name="L")
    x = inputs
    for filters, stride in [(64, 1), (64, 2), (128, 1), (128, 2), (256, 1), (256, 2), (512, 1)]:
        x = normalize(layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x))
    for filters in (512, 256, 128):
        x = normalize(layers.Conv2D(filters, 3, padding="same", activation="relu")(x))
        x = layers.Dropout(dropout)(x)
    x = normalize(layers.Conv2D(64, 3, padding="same", activation="relu")(x))
    x = layers.UpSampling2D(2)(x)
    x = normalize(layers.Conv2D(32, 3, padding="same", activation="relu")(x))
    x = layers.UpSampling2D(2)(x)
    x = layers.Conv2D(2, 3, padding="same", activation="tanh")(x)
    outputs = layers.UpSampling2D(2, name="ab")(x)
    return keras.Model(inputs, outputs, name=name)


def build_light_cnn(
    filters: int = 32, *, head: str = "regression", num_bins: int | None = None, name: str | None = None
) -> keras.Model:
    """A light fully convolutional colorizer (~0.5M parameters at ``width=32``) that trains in
    minutes on a CPU: two stride-2 stages, dilated convolutions for context, U-Net-style skips.

    ``head="regression"`` ends in tanh ab / 128 (H, W, 2); ``head="classification"`` in
    ``num_bins`` logits per pixel (decode with :class:`darkroom.colorize.bins.AnnealedMean`).
    No batch norm or dropout, so a step is identical on one device or split across replicas.
    """
    if head not in ("regression", "classification"):
        raise ValueError(f"head must be 'regression' or 'classification', got {head!r}")
    if head == "classification" and not num_bins:
        raise ValueError("head='classification' needs num_bins (len(ab_bins().centers))")
    layers = keras.layers
    w = filters

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


def architecture_facts(model: keras.Model, input_size: int) -> dict[str, int | float]:
    """What a colorizer's layers say about it, for setting beside a write-up's description:
    widths and kernel of its convolutions, its bottleneck side for ``input_size``, its dropout
    rate (0.0 without dropout) and its output channels."""
    convs = [layer for layer in all_layers(model) if isinstance(layer, keras.layers.Conv2D)]
    if not convs:
        raise ValueError(f"model {model.name!r} has no Conv2D layer; expected a convolutional colorizer")
    dropouts = [layer.rate for layer in all_layers(model) if isinstance(layer, keras.layers.Dropout)]
    return {
        "input_side": input_size,
        "first_width": convs[0].filters,
        "widest": max(c.filters for c in convs),
        "kernel": convs[0].kernel_size[0],
        "bottleneck_side": input_size // model_stride(model),
        "conv_layers": len(convs),
        "dropout": dropouts[0] if dropouts else 0.0,
        "output_channels": model.output_shape[-1],
    }
