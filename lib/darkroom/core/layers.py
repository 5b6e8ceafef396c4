"""Custom Keras layers that saved darkroom models use, registered for ``keras.models.load_model``.

Image-to-image networks that must take any image size need a few layers Keras lacks: instance
normalisation (Ulyanov et al. 2016), mirror padding, and a pad/crop pair that makes a size divisible
by the network's downsampling and cuts the output back. Importing this module (every module that
builds such a network imports it) registers them under the ``darkroom`` package name.

:func:`all_layers` walks the other way: every layer inside a built model, nested models included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

__all__ = ["CropLike", "InstanceNormalization", "PadToMultiple", "ReflectionPadding2D", "all_layers"]

_PACKAGE = "darkroom"


@keras.saving.register_keras_serializable(package=_PACKAGE)
class InstanceNormalization(keras.layers.Layer):
    """Normalise each image's channels over height and width, then a learned scale and offset.

    Ulyanov et al. (2016) found it, in place of batch normalisation, made feed-forward stylisation
    much better: the contrast of each image is removed before the network paints it.
    """

    def __init__(self, epsilon: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def build(self, input_shape: Sequence[int | None]) -> None:
        channels = int(input_shape[-1])
        self.gamma = self.add_weight(shape=(channels,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(channels,), initializer="zeros", name="beta")

    def call(self, x):
        mean, var = keras.ops.moments(x, axes=(1, 2), keepdims=True)
        return (x - mean) * keras.ops.rsqrt(var + self.epsilon) * self.gamma + self.beta

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class ReflectionPadding2D(keras.layers.Layer):
    """Pad height and width by ``padding`` pixels mirrored from the inside (no dark frame at the border)."""

    def __init__(self, padding: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, x):
        p = self.padding
        return tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape

        def grow(s):
            return None if s is None else s + 2 * self.padding

        return (n, grow(h), grow(w), c)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class PadToMultiple(keras.layers.Layer):
    """Mirror-pad the bottom and right so height and width become multiples of ``multiple``."""

    def __init__(self, multiple: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiple = int(multiple)

    def call(self, x):
        shape = tf.shape(x)
        ph, pw = (-shape[1]) % self.multiple, (-shape[2]) % self.multiple
        return tf.pad(x, [[0, 0], [0, ph], [0, pw], [0, 0]], mode="REFLECT")

    def compute_output_shape(self, input_shape):
        return (input_shape[0], None, None, input_shape[3])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "multiple": self.multiple}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class CropLike(keras.layers.Layer):
    """``[x, reference]`` -> ``x`` cut to ``reference``'s height and width (undoes :class:`PadToMultiple`)."""

    def call(self, inputs):
        x, reference = inputs
        shape = tf.shape(reference)
        return x[:, : shape[1], : shape[2], :]

    def compute_output_shape(self, input_shapes):
        x, reference = input_shapes
        return (x[0], reference[1], reference[2], x[3])


def all_layers(model: keras.layers.Layer) -> list[keras.layers.Layer]:
    """Every layer inside ``model`` (not ``model`` itself), the layers of nested models and blocks included."""
    if not isinstance(model, keras.layers.Layer):
        raise TypeError(f"all_layers expects a keras.Model or layer; received {type(model).__name__}")
    # Keras 3 has no public recursive walk; its private one is called here only, so a Keras change
    # breaks this function and not every module that needs the layers of a nested model.
    return list(model._flatten_layers(include_self=False, recursive=True))
