"""The disc toy's networks: the post's six-layer autoencoder and a squeeze net that cannot copy pixels.

:func:`post_autoencoder` is the post's all-convolutional net at full resolution, with the fixes
notebook 02 shows as options; :func:`squeeze_autoencoder` halves the image per level down to a
bottleneck of a few channels, so it has to describe the discs.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

__all__ = ["post_autoencoder", "squeeze_autoencoder"]


def post_autoencoder(
    input_shape: Sequence[int] = (150, 100, 1),
    filters: Sequence[int] = (32, 16, 16, 8, 8, 1),
    kernel_sizes: Sequence[int] = (7, 7, 7, 7, 7, 4),
    dropout: float = 0.1,
    activation: str = "relu",
    output_activation: str | None = None,
    initializer: str = "glorot",
    output_scale: float = 1.0,
    name: str = "post_autoencoder",
) -> keras.Model:
    """The post's all-convolutional net: stride 1, 'same' padding, dropout after each hidden layer.

    Defaults are the post's: 32-16-16-8-8-1 features, 7x7 kernels and a final 4x4. The
    post's output was linear (``output_activation=None``); ``"sigmoid"`` bounds it to
    [0, 1], one of the fixes notebook 02 shows. The last entry of ``filters`` is the
    number of output channels (2 for an ab colorizer). ``initializer="tf2016"`` uses the
    weights of the 2016 TensorFlow tutorials the post learned from (truncated normal,
    std 0.1; biases 0.1) instead of Keras' Glorot-uniform and zero biases. ``output_scale``
    multiplies the output, so a sigmoid can cover 0..100 lightness (``output_scale=100``).
    """
    if not output_scale > 0:
        raise ValueError(f"output_scale must be > 0; received {output_scale}")
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
    if output_scale != 1.0:
        outputs = keras.layers.Rescaling(output_scale, name="output_scale")(outputs)
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
