"""The memory of a training step, planned: the post's question "what batch fits on my card?".

- :func:`layer_table` lists, per layer, the output shape, parameter count and the
  memory its activations hold during a training step at a given batch size, with
  totals for parameters, gradients, optimizer state and activations; it takes a built
  model or a :class:`darkroom.core.planner.NetSpec` (a net planned without weights).
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

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from darkroom.core import planner

__all__ = [
    "OPTIMIZER_SLOTS",
    "FitReport",
    "LayerRow",
    "LayerTable",
    "fits",
    "format_bytes",
    "layer_table",
]

#: Extra per-parameter tensors each optimizer keeps.
OPTIMIZER_SLOTS: dict[str, int] = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adagrad": 1, "adam": 2, "adamw": 2}

# Layers that keep one more tensor of their output's size for the backward pass.
_KEEPS_MASK = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout")


def format_bytes(num_bytes: float) -> str:
    """Bytes as a short human string (binary units: 1 MiB = 2**20 bytes)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(num_bytes) < 1024 or unit == "TiB":
            return f"{num_bytes:.0f} {unit}" if unit == "B" else f"{num_bytes:.1f} {unit}"
        num_bytes /= 1024
    return f"{num_bytes:.1f} TiB"  # pragma: no cover


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


def _elements(shape: Sequence[int], batch_size: int) -> int:
    """Values in a batch of ``batch_size`` tensors shaped ``shape`` (per example)."""
    return batch_size * int(np.prod(shape, dtype=np.int64))


def layer_table(
    model: keras.Model | planner.NetSpec, batch_size: int, optimizer: str = "adam", dtype_bytes: int = 4
) -> LayerTable:
    """Estimate a training step's memory at ``batch_size``, per layer and in total.

    ``model`` is a built model (a functional or Sequential model with a known input
    shape) or a :class:`darkroom.core.planner.NetSpec` from :func:`darkroom.core.planner.plan`,
    for nets too big to build.
    ``optimizer`` names how many slots per parameter to count (see :data:`OPTIMIZER_SLOTS`).
    """
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1; received {batch_size!r}")
    if optimizer not in OPTIMIZER_SLOTS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZER_SLOTS)}; received {optimizer!r}")
    spec = model if isinstance(model, planner.NetSpec) else planner.spec_from_model(model)
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
    model: keras.Model | planner.NetSpec,
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
    if not isinstance(model, planner.NetSpec):
        model = planner.spec_from_model(model)  # plan once, not per trial
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
