"""The architecture planner the 2016 post wished for: a net's shapes and sizes, before any weight exists.

- :func:`check_layers` stacks layers one at a time and, when shapes do not fit,
  says in words which layer could not take which layer's output (and whether the
  last output matches the target).
- :func:`plan` turns a list of (unbuilt) Keras layers and an input shape into a
  :class:`NetSpec`, the layers' output shapes and parameter counts, without creating
  a single weight, so a net far too big for this machine (the post's first colorizer,
  a dense layer with 13.5 billion weights) can still be planned; :func:`spec_from_model`
  reads the same from a built model, and :func:`conv_dense_layers` lists that colorizer's layers.
- :func:`multiply_adds` counts the arithmetic of one forward pass.

What a training step of a :class:`NetSpec` holds in memory is :mod:`darkroom.core.memory`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

__all__ = [
    "LayerSpec",
    "NetSpec",
    "check_layers",
    "conv_dense_layers",
    "multiply_adds",
    "plan",
    "spec_from_model",
]


def _shape_words(shape: Any) -> str:
    return "(" + ", ".join("batch" if d is None else str(d) for d in shape) + ")"


def check_layers(
    layers: Sequence[keras.layers.Layer],
    input_shape: Sequence[int],
    target_shape: Sequence[int] | None = None,
    name: str = "planned",
) -> keras.Model:
    """Stack ``layers`` on an input of ``input_shape`` (no batch axis) and return the model.

    When a layer cannot take the previous layer's output, raise a ValueError that
    names both layers and the shape, in words; with ``target_shape`` also check that
    the last output matches it (the post's "dimensions of the last layer" trouble).
    """
    x = keras.Input(tuple(input_shape), name="input")
    inputs, previous = x, "the input"
    for layer in layers:
        try:
            y = layer(x)
        except Exception as exc:  # Keras raises ValueError, TypeError, or TF's InvalidArgumentError
            reason = _keras_reason(exc)
            raise ValueError(
                f"layer '{layer.name}' ({type(layer).__name__}) cannot take the output of {previous}, "
                f"which is shaped {_shape_words(x.shape)}. Keras says: {reason}"
            ) from None
        x, previous = y, f"layer '{layer.name}'"
    if target_shape is not None and tuple(x.shape[1:]) != tuple(target_shape):
        raise ValueError(
            f"the last layer, {previous}, outputs {_shape_words(x.shape[1:])} per example but the target is "
            f"{_shape_words(tuple(target_shape))}"
        )
    return keras.Model(inputs, x, name=name)


def _keras_reason(exc: BaseException) -> str:
    """The informative line of a Keras error (skipping its 'Exception encountered...' banner)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    useful = [ln for ln in lines if not ln.startswith(("Exception encountered", "Arguments received", "•"))]
    return (useful or lines or [type(exc).__name__])[0]


@dataclass(frozen=True)
class LayerSpec:
    """One layer as the memory model sees it: its per-example output shape and parameter count."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int


@dataclass(frozen=True)
class NetSpec:
    """A network as a chain of :class:`LayerSpec`: enough to plan its memory, with no weights made.

    ``input_shapes`` and ``target_shapes`` are per example (no batch axis); the target is what
    the loss compares the output with, so it is held in memory beside the input batch.
    """

    name: str
    input_shapes: tuple[tuple[int, ...], ...]
    layers: tuple[LayerSpec, ...]
    target_shapes: tuple[tuple[int, ...], ...]

    @property
    def params(self) -> int:
        """Parameters of every layer."""
        return sum(layer.params for layer in self.layers)


# Layers that hold no weights, so planning them needs only their output shape.
_NO_WEIGHTS = frozenset(
    {
        "Activation",
        "ReLU",
        "LeakyReLU",
        "Softmax",
        "ELU",
        "Flatten",
        "Reshape",
        "Permute",
        "Identity",
        "MaxPooling1D",
        "MaxPooling2D",
        "MaxPooling3D",
        "AveragePooling1D",
        "AveragePooling2D",
        "AveragePooling3D",
        "GlobalAveragePooling2D",
        "GlobalMaxPooling2D",
        "UpSampling2D",
        "ZeroPadding2D",
        "Cropping2D",
        "Dropout",
        "SpatialDropout1D",
        "SpatialDropout2D",
        "SpatialDropout3D",
        "GaussianDropout",
        "GaussianNoise",
    }
)
_CONVS = frozenset({"Conv1D", "Conv2D", "Conv3D"})
_TRANSPOSED = frozenset({"Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"})


def _channels(layer: keras.layers.Layer, shape: Sequence[int]) -> int:
    first = getattr(layer, "data_format", "channels_last") == "channels_first"
    return int(shape[0] if first else shape[-1])


def _planned_params(layer: keras.layers.Layer, shape: Sequence[int]) -> int:
    """Parameters ``layer`` would create on a per-example input of ``shape``, counted by formula."""
    kind = type(layer).__name__

    def bias(n: int) -> int:
        return n if getattr(layer, "use_bias", False) else 0

    if kind == "Dense":
        return int(shape[-1]) * layer.units + bias(layer.units)
    if kind in _CONVS:
        kernel = int(np.prod(layer.kernel_size))
        return kernel * _channels(layer, shape) // layer.groups * layer.filters + bias(layer.filters)
    if kind in _TRANSPOSED:
        return int(np.prod(layer.kernel_size)) * _channels(layer, shape) * layer.filters + bias(layer.filters)
    if kind == "BatchNormalization":  # gamma, beta (if used) and the two moving statistics
        axis = layer.axis if isinstance(layer.axis, int) else layer.axis[0]  # counts the batch axis
        channels = int(shape[axis - 1] if axis > 0 else shape[axis])
        return channels * (2 + int(layer.center) + int(layer.scale))
    if kind in _NO_WEIGHTS:
        return 0
    known = sorted(_NO_WEIGHTS | _CONVS | _TRANSPOSED | {"Dense", "BatchNormalization"})
    raise ValueError(
        f"plan cannot count the weights of layer '{layer.name}' ({kind}) without building it; "
        f"it knows these layer types: {', '.join(known)}"
    )


def plan(
    layers: Sequence[keras.layers.Layer],
    input_shape: Sequence[int],
    target_shape: Sequence[int] | None = None,
    name: str = "planned",
) -> NetSpec:
    """Plan ``layers`` stacked on an input of ``input_shape`` (no batch axis) without building them.

    Output shapes come from each layer's ``compute_output_shape`` and parameter counts from
    formulas, so no weight is allocated: a net whose weights would not fit in this machine's
    memory can be planned. ``target_shape`` defaults to the last output's shape; when given,
    it must match it. Mismatched shapes raise the ValueError :func:`check_layers` raises.
    """
    shape, previous, specs = tuple(int(d) for d in input_shape), "the input", []
    for layer in layers:
        try:
            out = tuple(layer.compute_output_shape((None, *shape)))[1:]
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"layer '{layer.name}' ({type(layer).__name__}) cannot take the output of {previous}, "
                f"which is shaped {_shape_words((None, *shape))}. Keras says: {_keras_reason(exc)}"
            ) from None
        specs.append(
            LayerSpec(
                layer.name, type(layer).__name__, tuple(int(d) for d in out), _planned_params(layer, shape)
            )
        )
        shape, previous = specs[-1].output_shape, f"layer '{layer.name}'"
    if target_shape is not None and tuple(target_shape) != shape:
        raise ValueError(
            f"the last layer, {previous}, outputs {_shape_words(shape)} per example but the "
            f"target is {_shape_words(tuple(target_shape))}"
        )
    return NetSpec(name, (tuple(int(d) for d in input_shape),), tuple(specs), (shape,))


def _fixed_shape(shape: Sequence[int | None], where: str) -> tuple[int, ...]:
    """``shape`` without its batch axis, refusing any other unknown dimension."""
    if any(d is None for d in shape[1:]):
        words = "(" + ", ".join(["batch", *(str(d) for d in shape[1:])]) + ")"
        raise ValueError(
            f"{where} is shaped {words}: the planner needs every size but the batch; "
            "build the model on a fixed input size"
        )
    return tuple(int(d) for d in shape[1:])


def spec_from_model(model: keras.Model) -> NetSpec:
    """The :class:`NetSpec` of a built model: its layers' output shapes and parameter counts."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"expects a keras.Model or an inspect.NetSpec; received {type(model).__name__}")
    if not model.built or not model.inputs:
        raise ValueError(f"model '{model.name}' is not built: give it an Input (or call build) first")
    layers = tuple(
        LayerSpec(
            layer.name,
            type(layer).__name__,
            _fixed_shape(_layer_output_shape(layer), f"layer '{layer.name}'"),
            int(layer.count_params()),
        )
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    )
    inputs = tuple(_fixed_shape(t.shape, f"model '{model.name}''s input") for t in model.inputs)
    targets = tuple(_fixed_shape(t.shape, f"model '{model.name}''s output") for t in model.outputs)
    return NetSpec(model.name, inputs, layers, targets)


def conv_dense_layers(
    output_shape: Sequence[int], filters: int = 30, num_conv_layers: int = 2, kernel_size: int = 3
) -> list[keras.layers.Layer]:
    """Fresh layers of the post's first colorizer: ``num_conv_layers`` ReLU convolutions of ``filters``
    features ('SAME' padding, stride 1, no pooling), then one fully connected layer to every value of
    ``output_shape`` (e.g. ``(150, 100, 2)``), reshaped to it. Give them to :func:`plan` (any size)
    or :func:`check_layers` (a size whose dense layer fits in memory)."""
    if len(output_shape) != 3 or min(output_shape) < 1:
        raise ValueError(f"output_shape must be (height, width, channels); received {tuple(output_shape)!r}")
    if filters < 1 or num_conv_layers < 1 or kernel_size < 1:
        raise ValueError(
            "features, conv_layers and kernel_size must be >= 1; received "
            f"{filters!r}, {num_conv_layers!r}, {kernel_size!r}"
        )
    convs = [
        keras.layers.Conv2D(filters, kernel_size, padding="same", activation="relu", name=f"conv{i + 1}")
        for i in range(num_conv_layers)
    ]
    return [
        *convs,
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(int(np.prod(output_shape)), name="dense"),
        keras.layers.Reshape(tuple(output_shape), name="to_image"),
    ]


def _layer_output_shape(layer: keras.layers.Layer) -> tuple:
    shape = layer.output.shape
    if isinstance(shape, list):  # pragma: no cover - multi-output layers
        shape = shape[0]
    return tuple(shape)


def multiply_adds(model: keras.Model) -> int:
    """Multiply-adds of one forward pass per example, counting Conv2D, Conv2DTranspose and Dense.

    Training throughput roughly follows this count (the backward pass costs about twice the
    forward), so the ratio between two nets predicts their images per second, before
    memory traffic and per-layer overheads are counted.
    """
    if not isinstance(model, keras.Model) or not model.built or not model.inputs:
        raise ValueError(f"multiply_adds expects a built keras.Model; received {type(model).__name__}")
    total = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            kh, kw = layer.kernel_size
            _, h, w, c_out = _layer_output_shape(layer)
            c_in = layer.input.shape[-1]
            total += h * w * c_out * kh * kw * c_in // layer.groups
        elif kind == "Conv2DTranspose":
            kh, kw = layer.kernel_size
            _, h, w, c_in = layer.input.shape
            total += h * w * c_in * kh * kw * layer.filters
        elif kind == "Dense":
            total += int(np.prod(layer.input.shape[1:])) * layer.units
    return int(total)
