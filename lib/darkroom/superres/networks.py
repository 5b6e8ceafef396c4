"""The custom layers (registered for ``keras.models.load_model``) and the model builders."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import keras
import tensorflow as tf

from darkroom.superres.pixels import scale_fraction


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
    input_size: int = 10,
    output_size: int = 15,
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
    inputs = keras.Input((input_size, input_size, 1))
    x = keras.layers.Flatten()(inputs)
    for units in hidden:
        x = keras.layers.Dense(units, activation=activation, kernel_initializer=initializer)(x)
        if keep_prob < 1.0:
            x = keras.layers.Dropout(1.0 - keep_prob)(x)
    last = activation if output_activation is None else output_activation
    x = keras.layers.Dense(output_size * output_size, activation=last, kernel_initializer=initializer)(x)
    outputs = keras.layers.Reshape((output_size, output_size, 1))(x)
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
