"""The two forms of training data that :func:`darkroom.core.training.fit` and
:func:`darkroom.core.timing.throughput` take: a ``tf.data.Dataset`` of ``(x, y)`` batches, or a tuple
``(x, y)`` of arrays that Keras batches. Here: the check, the counts (examples, steps per epoch,
examples per step) and the model input's spec.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import tensorflow as tf

__all__ = ["batch_examples", "check_data", "examples", "input_spec", "is_dataset", "steps_per_epoch"]


def is_dataset(data: Any) -> bool:
    """True for a ``tf.data.Dataset``; false for tuple data."""
    return isinstance(data, tf.data.Dataset)


def check_data(data: Any, batch_size: int | None) -> None:
    """Refuse anything but a dataset or a pair ``(x, y)``, and a ``batch_size`` below 1."""
    if is_dataset(data):
        return
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(
            f"fit: data must be a tf.data.Dataset of (x, y) or a tuple (x, y) of arrays; "
            f"received {type(data).__name__}"
        )
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"fit: batch_size must be >= 1; received {batch_size}")


def examples(data: Any) -> int | None:
    """Examples in one pass over tuple data (``None`` for a dataset)."""
    return None if is_dataset(data) else len(tf.nest.flatten(data[0])[0])


def steps_per_epoch(data: Any, batch_size: int | None, steps_per_epoch: int | None) -> int | None:
    """Optimizer steps in one epoch: as given, a dataset's known length (else ``None``), or tuple data's batches."""
    if steps_per_epoch is not None:
        return int(steps_per_epoch)
    if is_dataset(data):
        n = int(data.cardinality())
        return n if n > 0 else None
    return math.ceil(examples(data) / (batch_size or 32))


def batch_examples(data: Any, batch_size: int | None) -> int | None:
    """Examples in one step: tuple data's batch size, a dataset's fixed batch dimension or ``batch_size``."""
    if not is_dataset(data):
        return batch_size or 32
    first = tf.nest.flatten(data.element_spec)[0]
    static = first.shape[0] if first.shape.rank else None
    return static or batch_size


def input_spec(data: Any) -> Any:
    """The model input's TensorSpec (nest) with a free batch dimension."""
    if is_dataset(data):
        return data.element_spec[0]
    return tf.nest.map_structure(
        lambda a: tf.TensorSpec((None, *np.shape(a)[1:]), tf.as_dtype(np.asarray(a).dtype)), data[0]
    )
