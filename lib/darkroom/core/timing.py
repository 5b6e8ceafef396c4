"""Wall times and speeds: :class:`Stopwatch` and the training-step :func:`throughput` of a model."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf

from darkroom.core import fit_data

__all__ = ["Stopwatch", "throughput"]


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds`` (wall time of ``clock``, default perf_counter)."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.seconds = 0.0
        self._clock = clock
        self._start = 0.0

    def __enter__(self) -> Stopwatch:
        self._start = self._clock()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = self._clock() - self._start


def throughput(model: keras.Model, data: Any, steps: int = 5, warmup: int = 1) -> float:
    """Examples per second of ``model``'s training steps on ``data``, after ``warmup`` untimed steps.

    ``model`` must be compiled. ``data`` is a ``tf.data.Dataset`` of ``(x, y)`` batches (repeated
    as needed) or one batch ``(x, y)`` used for every step. The steps are the ones ``model.fit``
    runs (its compiled train function, through ``train_on_batch``).
    """
    if not model.compiled:
        raise ValueError("throughput: the model is not compiled; compile it with an optimizer and loss first")
    if steps < 1 or warmup < 0:
        raise ValueError(f"throughput: expected steps >= 1 and warmup >= 0; received {steps}, {warmup}")
    if fit_data.is_dataset(data):
        batches = iter(data.repeat())
    else:
        fit_data.check_data(data, None)
        batches = iter([tuple(data)] * (warmup + steps))
    for _ in range(warmup):
        model.train_on_batch(*next(batches))
    examples = 0
    with Stopwatch() as watch:
        for _ in range(steps):
            x, y = next(batches)
            model.train_on_batch(x, y)
            examples += len(tf.nest.flatten(x)[0])
    return examples / watch.seconds
