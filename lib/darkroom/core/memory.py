"""A layer and memory planner: the "easy planner for architecture" the 2016 post wished for.

- :func:`check_layers` stacks layers one at a time and, when shapes do not fit,
  says in words which layer could not take which layer's output (and whether the
  last output matches the target).
- :func:`plan` turns a list of (unbuilt) Keras layers and an input shape into a
  :class:`NetSpec`, the layers' output shapes and parameter counts, without creating
  a single weight, so a net far too big for this machine (the post's first colorizer,
  a dense layer with 13.5 billion weights) can still be planned.
- :func:`layer_table` lists, per layer, the output shape, parameter count and the
  memory its activations hold during a training step at a given batch size, with
  totals for parameters, gradients, optimizer state and activations; it takes a built
  model or a :class:`NetSpec`.
- :func:`fits` answers "does a training step fit in this many bytes, and what is the
  largest batch that does?".
- :func:`darkroom.core.memory_probe.measure_training_memory` checks the estimate against a
  real training step.

The memory model (float32 unless told otherwise) counts, for a training step:
parameters, their gradients, optimizer slots (Adam: 2 per parameter, SGD with
momentum: 1, plain SGD: 0), the input and target batch, every layer's output kept
for the backward pass, the boolean mask a Dropout layer keeps, and the backward workspace: the gradients
flowing into and out of a layer at the worst moment of the backward pass, when
the activations of the layers below it are still held.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

__all__ = [
    "OPTIMIZER_SLOTS",
    "FitReport",
    "LayerRow",
    "LayerSpec",
    "LayerTable",
    "NetSpec",
    "check_layers",
    "conv_dense_layers",
    "fits",
    "format_bytes",
    "layer_table",
    "multiply_adds",
    "plan",
    "spec_from_model",
]

#: Extra per-parameter tensors each optimizer keeps.
OPTIMIZER_SLOTS: dict[str, int] = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adagrad": 1, "adam": 2, "adamw": 2}

# Layers that keep one more tensor of their output's size for the backward pass.
_KEEPS_MASK = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout")


def format_bytes(n: float) -> str:
    """Bytes as a short human string (binary units: 1 MiB = 2**20 bytes)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


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
    output_shape: Sequence[int], features: int = 30, conv_layers: int = 2, kernel_size: int = 3
) -> list[keras.layers.Layer]:
    """Fresh layers of the post's first colorizer: ``conv_layers`` ReLU convolutions of ``features``
    features ('SAME' padding, stride 1, no pooling), then one fully connected layer to every value of
    ``output_shape`` (e.g. ``(150, 100, 2)``), reshaped to it. Give them to :func:`plan` (any size)
    or :func:`check_layers` (a size whose dense layer fits in memory)."""
    if len(output_shape) != 3 or min(output_shape) < 1:
        raise ValueError(f"output_shape must be (height, width, channels); received {tuple(output_shape)!r}")
    if features < 1 or conv_layers < 1 or kernel_size < 1:
        raise ValueError(
            "features, conv_layers and kernel_size must be >= 1; received "
            f"{features!r}, {conv_layers!r}, {kernel_size!r}"
        )
    convs = [
        keras.layers.Conv2D(features, kernel_size, padding="same", activation="relu", name=f"conv{i + 1}")
        for i in range(conv_layers)
    ]
    return [
        *convs,
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(int(np.prod(output_shape)), name="dense"),
        keras.layers.Reshape(tuple(output_shape), name="to_image"),
    ]


@dataclass
class LayerRow:
    """One layer: its output shape (batch included), parameters and training activation bytes."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    activation_bytes: int
    saved_bytes: int

    @property
    def training_bytes(self) -> int:
        """Output kept for backward plus anything else the layer saves (a dropout mask)."""
        return self.activation_bytes + self.saved_bytes


@dataclass
class LayerTable:
    """Per-layer rows and the totals of a training step at ``batch_size``."""

    rows: list[LayerRow]
    batch_size: int
    optimizer: str
    dtype_bytes: int
    params: int
    param_bytes: int
    gradient_bytes: int
    optimizer_bytes: int
    data_bytes: int
    activation_bytes: int
    workspace_bytes: int
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        """Estimated peak memory of one training step."""
        return (
            self.param_bytes
            + self.gradient_bytes
            + self.optimizer_bytes
            + self.data_bytes
            + self.activation_bytes
            + self.workspace_bytes
        )

    @property
    def fixed_bytes(self) -> int:
        """The part that does not grow with the batch: parameters, gradients, optimizer state."""
        return self.param_bytes + self.gradient_bytes + self.optimizer_bytes

    @property
    def per_example_bytes(self) -> float:
        """The part that grows with the batch, per example."""
        return (self.total_bytes - self.fixed_bytes) / self.batch_size

    def to_text(self) -> str:
        """A fixed-width table for printing."""
        head = f"{'layer':<16}{'type':<18}{'output shape':<24}{'params':>10}{'train memory':>14}"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lines.append(
                f"{r.name:<16.16}{r.kind:<18.18}{r.output_shape!s:<24}{r.params:>10,}"
                f"{format_bytes(r.training_bytes):>14}"
            )
        lines.append("-" * len(head))
        summary = [
            (f"parameters ({self.params:,})", self.param_bytes),
            ("gradients", self.gradient_bytes),
            (f"optimizer state ({self.optimizer})", self.optimizer_bytes),
            ("input + target batch", self.data_bytes),
            ("activations kept for backward", self.activation_bytes),
            ("backward workspace", self.workspace_bytes),
            (f"total, batch {self.batch_size}", self.total_bytes),
        ]
        lines += [f"{label:<58}{format_bytes(value):>24}" for label, value in summary]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.to_text())


def _layer_output_shape(layer: keras.layers.Layer) -> tuple:
    shape = layer.output.shape
    if isinstance(shape, list):  # pragma: no cover - multi-output layers
        shape = shape[0]
    return tuple(shape)


def _elements(shape: Sequence[int], batch_size: int) -> int:
    """Values in a batch of ``batch_size`` tensors shaped ``shape`` (per example)."""
    return batch_size * int(np.prod(shape, dtype=np.int64))


def layer_table(
    model: keras.Model | NetSpec, batch_size: int, optimizer: str = "adam", dtype_bytes: int = 4
) -> LayerTable:
    """Estimate a training step's memory at ``batch_size``, per layer and in total.

    ``model`` is a built model (a functional or Sequential model with a known input
    shape) or a :class:`NetSpec` from :func:`plan`, for nets too big to build.
    ``optimizer`` names how many slots per parameter to count (see :data:`OPTIMIZER_SLOTS`).
    """
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1; received {batch_size!r}")
    if optimizer not in OPTIMIZER_SLOTS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZER_SLOTS)}; received {optimizer!r}")
    spec = model if isinstance(model, NetSpec) else spec_from_model(model)
    rows = []
    for layer in spec.layers:
        act = _elements(layer.output_shape, batch_size) * dtype_bytes
        # TF's dropout selects with a boolean keep-mask: one byte per element survives to backward.
        saved = act // dtype_bytes if layer.kind in _KEEPS_MASK else 0
        rows.append(
            LayerRow(layer.name, layer.kind, (int(batch_size), *layer.output_shape), layer.params, act, saved)
        )
    inputs = sum(_elements(shape, batch_size) for shape in spec.input_shapes)
    targets = sum(_elements(shape, batch_size) for shape in spec.target_shapes)
    params = spec.params
    return LayerTable(
        rows=rows,
        batch_size=int(batch_size),
        optimizer=optimizer,
        dtype_bytes=dtype_bytes,
        params=params,
        param_bytes=params * dtype_bytes,
        gradient_bytes=params * dtype_bytes,
        optimizer_bytes=params * dtype_bytes * OPTIMIZER_SLOTS[optimizer],
        data_bytes=(inputs + targets) * dtype_bytes,
        activation_bytes=sum(r.training_bytes for r in rows),
        workspace_bytes=_backward_workspace(rows, inputs * dtype_bytes),
    )


def _backward_workspace(rows: list[LayerRow], input_bytes: int) -> int:
    """Extra memory above the kept activations at the worst moment of the backward pass.

    Walking back from the last layer, layer i needs the gradient of its output and
    produces the gradient of its input while the activations of layers 0..i are
    still held; layer i's own are freed once it is done. Treats the layers as a chain.
    """
    kept = [r.training_bytes for r in rows]
    sizes = [input_bytes] + [r.activation_bytes for r in rows]
    held, worst = sum(kept), 0
    for i in range(len(rows) - 1, -1, -1):
        worst = max(worst, held + sizes[i + 1] + sizes[i] - sum(kept))
        held -= kept[i]
    return max(worst, 0)


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


@dataclass
class FitReport:
    """Whether a training step at ``batch_size`` fits ``budget_bytes``, and the largest batch that does."""

    fits: bool
    batch_size: int
    needed_bytes: int
    budget_bytes: int
    largest_batch_size: int
    per_example_bytes: float
    fixed_bytes: int

    def __str__(self) -> str:
        verdict = "fits" if self.fits else "does NOT fit"
        return (
            f"batch {self.batch_size} needs {format_bytes(self.needed_bytes)}: {verdict} in "
            f"{format_bytes(self.budget_bytes)}; largest batch that fits: {self.largest_batch_size} "
            f"({format_bytes(self.per_example_bytes)} per example + {format_bytes(self.fixed_bytes)} fixed)"
        )


def fits(
    model: keras.Model | NetSpec,
    batch_size: int,
    budget_bytes: float,
    optimizer: str = "adam",
    dtype_bytes: int = 4,
) -> FitReport:
    """Does one training step of ``model`` at ``batch_size`` fit ``budget_bytes``? Also the largest batch that does.

    Memory grows linearly with the batch (fixed part + per-example part, from
    :func:`layer_table`), so the largest batch is found directly and then checked.
    """
    if budget_bytes <= 0:
        raise ValueError(f"budget_bytes must be positive; received {budget_bytes!r}")
    model = model if isinstance(model, NetSpec) else spec_from_model(model)  # plan once, not per trial
    table = layer_table(model, batch_size, optimizer, dtype_bytes)
    one = layer_table(model, 1, optimizer, dtype_bytes)
    per_example = one.total_bytes - one.fixed_bytes
    largest = int((budget_bytes - one.fixed_bytes) // per_example) if budget_bytes > one.fixed_bytes else 0
    while largest > 0 and layer_table(model, largest, optimizer, dtype_bytes).total_bytes > budget_bytes:
        largest -= 1
    return FitReport(
        fits=table.total_bytes <= budget_bytes,
        batch_size=int(batch_size),
        needed_bytes=table.total_bytes,
        budget_bytes=int(budget_bytes),
        largest_batch_size=max(largest, 0),
        per_example_bytes=float(per_example),
        fixed_bytes=one.fixed_bytes,
    )
