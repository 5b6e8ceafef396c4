"""Optimizers by name and learning-rate schedules: what :func:`darkroom.core.training.fit` is given.

:data:`OPTIMIZERS` names every optimizer a write-up used; :func:`optimizer` builds a fresh one by
name; :func:`learning_rate_schedule` turns a rate and a schedule name into a float or a Keras schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

__all__ = ["OPTIMIZERS", "SCHEDULES", "LearningRate", "learning_rate_schedule", "optimizer"]

#: Every optimizer a write-up used. "sgd" is plain gradient descent (TF1's
#: GradientDescentOptimizer); "momentum" is SGD with momentum 0.9 (TF1's MomentumOptimizer).
OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "rmsprop", "adadelta", "adagrad", "adam", "ftrl")

_OPTIMIZER_CLASSES: dict[str, tuple[Callable[..., keras.optimizers.Optimizer], dict[str, Any]]] = {
    "sgd": (keras.optimizers.SGD, {}),
    "momentum": (keras.optimizers.SGD, {"momentum": 0.9}),
    "rmsprop": (keras.optimizers.RMSprop, {}),
    "adadelta": (keras.optimizers.Adadelta, {}),
    "adagrad": (keras.optimizers.Adagrad, {}),
    "adam": (keras.optimizers.Adam, {}),
    "ftrl": (keras.optimizers.Ftrl, {}),
}

LearningRate = float | keras.optimizers.schedules.LearningRateSchedule


def optimizer(name: str, learning_rate: LearningRate = 1e-3, **kwargs: Any) -> keras.optimizers.Optimizer:
    """A fresh Keras optimizer by name (one of :data:`OPTIMIZERS`); ``kwargs`` go to its constructor."""
    if not isinstance(name, str) or name.lower() not in _OPTIMIZER_CLASSES:
        raise ValueError(f"optimizer: unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
    cls, defaults = _OPTIMIZER_CLASSES[name.lower()]
    return cls(learning_rate=learning_rate, **{**defaults, **kwargs})


SCHEDULES: tuple[str, ...] = ("constant", "exponential", "cosine")


def learning_rate_schedule(
    learning_rate: float,
    schedule: str = "constant",
    *,
    total_steps: int,
    decay_steps: int | None = None,
    decay_rate: float = 0.1,
) -> LearningRate:
    """``learning_rate`` as a float (``"constant"``) or a Keras schedule over ``total_steps`` steps.

    ``"exponential"`` multiplies the rate by ``decay_rate`` every ``decay_steps`` steps (default:
    ``total_steps``, so it ends at ``decay_rate`` times the start); ``"cosine"`` follows half a
    cosine from ``learning_rate`` down to 1% of it over ``decay_steps`` (default ``total_steps``).
    """
    if schedule not in SCHEDULES:
        raise ValueError(
            f"learning_rate_schedule: unknown schedule {schedule!r}; expected one of {', '.join(SCHEDULES)}"
        )
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0; received {learning_rate!r}")
    if schedule == "constant":
        return float(learning_rate)
    steps = int(decay_steps or total_steps)
    if steps < 1:
        raise ValueError(f"a {schedule} schedule needs total_steps or decay_steps >= 1; received {steps}")
    if schedule == "exponential":
        return keras.optimizers.schedules.ExponentialDecay(learning_rate, steps, decay_rate)
    return keras.optimizers.schedules.CosineDecay(learning_rate, steps, alpha=0.01)
