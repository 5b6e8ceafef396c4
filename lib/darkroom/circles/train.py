"""Training the disc autoencoders: :func:`train_autoencoder` and its budget, in steps and seconds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import tensorflow as tf

from darkroom.circles.iou import DiscIoU
from darkroom.circles.streams import dataset_size
from darkroom.core import callbacks, training

__all__ = ["AutoencoderResult", "budget_columns", "budget_note", "train_autoencoder"]


@dataclass
class AutoencoderResult(training.TrainResult):
    """:class:`training.TrainResult` plus when a target IoU was first met.

    ``steps``, ``first_step_seconds`` (tracing and compiling included) and ``step_seconds`` (median
    of the later steps) come from :func:`training.fit`, so two losses can be compared at equal steps
    with compile time apart.
    """

    seconds_to_target: float | None = None
    epochs_to_target: int | None = None


def _autoencoder_metrics(iou_threshold: float | None) -> list[keras.metrics.Metric]:
    metrics: list[keras.metrics.Metric] = [keras.metrics.MeanSquaredError(name="mse")]
    if iou_threshold is not None:
        metrics.append(DiscIoU(iou_threshold))
    return metrics


def train_autoencoder(
    build: Callable[[], keras.Model],
    train: tf.data.Dataset,
    validation: tf.data.Dataset | None = None,
    *,
    loss: Any = "mean_squared_error",
    optimizer: str | keras.optimizers.Optimizer = "adam",
    learning_rate: float = 1e-3,
    epochs: int = 10,
    time_budget_s: float | None = None,
    seed: int = 0,
    strategy: tf.distribute.Strategy | None = None,
    iou_threshold: float | None = 0.5,
    target_iou: float | None = None,
    desc: str = "autoencoder",
) -> AutoencoderResult:
    """Train ``build()`` on ``train`` with :func:`darkroom.core.training.fit` and note when IoU hits a target.

    ``loss`` is a name from :data:`darkroom.core.losses.LOSSES` or any Keras loss; ``optimizer`` a name
    from :data:`darkroom.core.optimizers.OPTIMIZERS`. Training stops after ``epochs`` or once
    ``time_budget_s`` is spent (checked every batch). The history holds ``loss``, ``mse`` and ``iou``
    (and their ``val_`` forms); ``iou_threshold`` is 0.5 for [0, 1] images and 50 for LAB lightness;
    ``None`` leaves IoU out (the colour toy). ``seconds_to_target`` is the wall time at the end of
    the first epoch whose validation IoU reached ``target_iou``.
    """
    from darkroom.core import losses

    loss_fn = losses.get(loss) if isinstance(loss, str) else loss
    with training.strategy_scope(strategy):
        metrics = _autoencoder_metrics(iou_threshold)
    key = "val_iou" if validation is not None else "iou"
    target = callbacks.TargetReached(key, target_iou) if target_iou is not None else None
    size = dataset_size(train)
    result = training.fit(
        build,
        train,
        loss=loss_fn,
        optimizer=optimizer,
        learning_rate=learning_rate,
        metrics=metrics,
        epochs=epochs,
        batch_size=size[1] if size else None,
        validation_data=validation,
        time_budget_s=time_budget_s,
        seed=seed,
        strategy=strategy,
        desc=desc,
        callbacks=[target] if target else [],
    )
    if size is not None and result.seconds > 0:  # exact count: an epoch's last batch may be short
        examples = min(result.steps * size[1], size[0] * result.epochs_run)
        result.examples_per_second = examples / result.seconds
    return AutoencoderResult(
        **vars(result),
        seconds_to_target=target.seconds if target else None,
        epochs_to_target=target.epoch if target else None,
    )


def budget_columns(result: AutoencoderResult) -> dict[str, Any]:
    """A run's training budget as table columns: steps, the first step (compile included), later steps."""
    return {
        "steps": result.steps,
        "first step (s)": result.first_step_seconds,
        "later steps (ms)": None if result.step_seconds is None else 1000 * result.step_seconds,
    }


def budget_note(runs: dict[str, AutoencoderResult]) -> str:
    """One sentence saying whether every run took the same number of steps, and what the steps cost."""
    if not runs:
        raise ValueError("budget_note needs at least one run; received none")
    steps = {name: r.steps for name, r in runs.items()}
    if len(set(steps.values())) > 1:
        listed = ", ".join(f"{name} {n}" for name, n in steps.items())
        return f"**The budgets differ**: optimizer steps per run were {listed}."
    first = [r.first_step_seconds for r in runs.values() if r.first_step_seconds is not None]
    later = [1000 * r.step_seconds for r in runs.values() if r.step_seconds is not None]
    text = f"Every run took the same {next(iter(steps.values()))} optimizer steps."
    if first:
        text += (
            f" The first step (graph tracing and compiling included) took {min(first):.2f}-{max(first):.2f} s"
        )
        text += f"; later steps {min(later):.0f}-{max(later):.0f} ms each." if later else "."
    return text
