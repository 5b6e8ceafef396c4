"""A layer and memory planner: the "easy planner for architecture" the 2016 post wished for.

- :func:`check_layers` stacks layers one at a time and, when shapes do not fit,
  says in words which layer could not take which layer's output (and whether the
  last output matches the target).
- :func:`layer_table` lists, per layer, the output shape, parameter count and the
  memory its activations hold during a training step at a given batch size, with
  totals for parameters, gradients, optimizer state and activations.
- :func:`fits` answers "does a training step fit in this many bytes, and what is the
  largest batch that does?".
- :func:`measure_training_memory` checks the estimate against a real training step
  (peak resident memory of a fresh process; TensorFlow's own ``get_memory_info``
  reports zeros on CPU).

The memory model (float32 unless told otherwise) counts, for a training step:
parameters, their gradients, optimizer slots (Adam: 2 per parameter, SGD with
momentum: 1, plain SGD: 0), the input and target batch, every layer's output kept
for the backward pass, the boolean mask a Dropout layer keeps, and the backward workspace: the gradients
flowing into and out of a layer at the worst moment of the backward pass, when
the activations of the layers below it are still held.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

__all__ = [
    "LayerRow",
    "LayerTable",
    "FitReport",
    "OPTIMIZER_SLOTS",
    "check_layers",
    "layer_table",
    "fits",
    "measure_training_memory",
    "multiply_adds",
    "format_bytes",
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


def check_layers(layers: Sequence[keras.layers.Layer], input_shape: Sequence[int],
                 target_shape: Sequence[int] | None = None, name: str = "planned") -> keras.Model:
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
        return (self.param_bytes + self.gradient_bytes + self.optimizer_bytes + self.data_bytes
                + self.activation_bytes + self.workspace_bytes)

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
            lines.append(f"{r.name:<16.16}{r.kind:<18.18}{str(r.output_shape):<24}{r.params:>10,}"
                         f"{format_bytes(r.training_bytes):>14}")
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


def _elements(shape: Sequence[int | None], batch_size: int) -> int:
    return int(np.prod([batch_size if d is None else d for d in shape], dtype=np.int64))


def layer_table(model: keras.Model, batch_size: int, optimizer: str = "adam", dtype_bytes: int = 4) -> LayerTable:
    """Estimate a training step's memory at ``batch_size``, per layer and in total.

    ``model`` must be built (a functional or Sequential model with a known input
    shape). ``optimizer`` names how many slots per parameter to count (see
    :data:`OPTIMIZER_SLOTS`).
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"layer_table expects a keras.Model; received {type(model).__name__}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1; received {batch_size!r}")
    if optimizer not in OPTIMIZER_SLOTS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZER_SLOTS)}; received {optimizer!r}")
    if not model.built or not model.inputs:
        raise ValueError(f"model '{model.name}' is not built: give it an Input (or call build) first")
    rows = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        shape = _layer_output_shape(layer)
        act = _elements(shape, batch_size) * dtype_bytes
        # TF's dropout selects with a boolean keep-mask: one byte per element survives to backward.
        saved = act // dtype_bytes if type(layer).__name__ in _KEEPS_MASK else 0
        rows.append(LayerRow(layer.name, type(layer).__name__, (batch_size, *shape[1:]),
                             int(layer.count_params()), act, saved))
    params = int(model.count_params())
    data = sum(_elements(t.shape, batch_size) for t in model.inputs)
    data += sum(_elements(t.shape, batch_size) for t in model.outputs)  # the target batch
    activations = sum(r.training_bytes for r in rows)
    workspace = _backward_workspace(rows, data // 2 * dtype_bytes)
    return LayerTable(
        rows=rows, batch_size=int(batch_size), optimizer=optimizer, dtype_bytes=dtype_bytes,
        params=params, param_bytes=params * dtype_bytes, gradient_bytes=params * dtype_bytes,
        optimizer_bytes=params * dtype_bytes * OPTIMIZER_SLOTS[optimizer], data_bytes=data * dtype_bytes,
        activation_bytes=activations, workspace_bytes=workspace,
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
        return (f"batch {self.batch_size} needs {format_bytes(self.needed_bytes)}: {verdict} in "
                f"{format_bytes(self.budget_bytes)}; largest batch that fits: {self.largest_batch_size} "
                f"({format_bytes(self.per_example_bytes)} per example + {format_bytes(self.fixed_bytes)} fixed)")


def fits(model: keras.Model, batch_size: int, budget_bytes: float, optimizer: str = "adam",
         dtype_bytes: int = 4) -> FitReport:
    """Does one training step of ``model`` at ``batch_size`` fit ``budget_bytes``? Also the largest batch that does.

    Memory grows linearly with the batch (fixed part + per-example part, from
    :func:`layer_table`), so the largest batch is found directly and then checked.
    """
    if budget_bytes <= 0:
        raise ValueError(f"budget_bytes must be positive; received {budget_bytes!r}")
    table = layer_table(model, batch_size, optimizer, dtype_bytes)
    one = layer_table(model, 1, optimizer, dtype_bytes)
    per_example = one.total_bytes - one.fixed_bytes
    largest = int((budget_bytes - one.fixed_bytes) // per_example) if budget_bytes > one.fixed_bytes else 0
    while largest > 0 and layer_table(model, largest, optimizer, dtype_bytes).total_bytes > budget_bytes:
        largest -= 1
    return FitReport(
        fits=table.total_bytes <= budget_bytes, batch_size=int(batch_size), needed_bytes=table.total_bytes,
        budget_bytes=int(budget_bytes), largest_batch_size=max(largest, 0),
        per_example_bytes=float(per_example), fixed_bytes=one.fixed_bytes,
    )


_PROBE = r"""
import json, sys
import darkroom  # first: it quiets TensorFlow
import psutil
import keras, tensorflow as tf
spec = json.load(open(sys.argv[1]))
model = keras.models.model_from_json(spec["model"])
opt = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}[spec["optimizer"]](1e-3)
model.compile(optimizer=opt, loss="mse")
def batch(n):
    return tf.random.uniform((n, *model.input_shape[1:])), tf.random.uniform((n, *model.output_shape[1:]))
# Warm up with batch 1 (traces the graph, creates weights and optimizer slots) ...
model.train_on_batch(*batch(1))
x, y = batch(spec["batch_size"])
before = psutil.Process().memory_info().rss
# ... so the peak during this step is the step itself.
model.train_on_batch(x, y)
print(json.dumps({"rss_before": before, "peak": darkroom.peak_rss_bytes()}))
"""


def measure_training_memory(model: keras.Model, batch_sizes: Sequence[int], optimizer: str = "adam",
                            timeout_s: float = 300) -> dict[int, int]:
    """Measured growth of peak resident memory during one training step, per batch size.

    Each batch size runs in a fresh Python process: build the model from its config,
    warm up with batch 1, then take the peak RSS (:func:`darkroom.peak_rss_bytes`) during one step at
    the given batch minus the RSS just before it. This includes the batch tensors,
    activations, gradients of activations and the framework's scratch buffers, but
    not the weights and optimizer slots, which exist before the step.
    """
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"measure_training_memory supports optimizer 'adam' or 'sgd'; received {optimizer!r}")
    out: dict[int, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, "probe.py")
        with open(probe, "w") as f:
            f.write(_PROBE)
        for b in batch_sizes:
            spec_path = os.path.join(tmp, f"spec_{b}.json")
            with open(spec_path, "w") as f:
                json.dump({"model": model.to_json(), "optimizer": optimizer, "batch_size": int(b)}, f)
            env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
            proc = subprocess.run([sys.executable, probe, spec_path], capture_output=True, text=True,
                                  timeout=timeout_s, env=env)
            if proc.returncode != 0:
                raise RuntimeError(f"memory probe failed for batch {b}: {proc.stderr.strip()[-500:]}")
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            out[int(b)] = int(max(res["peak"] - res["rss_before"], 0))
    return out
