"""Training an upscaler through :func:`darkroom.core.training.fit`, and the recipe of the shipped ones."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from darkroom.core import optimizers, training
from darkroom.superres.networks import build_residual_subpixel
from darkroom.superres.pairs import photo_splits, random_crop_pairs

# ----------------------------------------------------------------------------- training
LOSSES = {"mse": "mse", "l1": "mae"}  # the post's squared error, and L1 (sharper edges in SR work)


def train_upscaler(
    build: Callable[[], keras.Model],
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int = 5,
    batch_size: int = 64,
    loss: str = "mse",
    optimizer: str = "adam",
    learning_rate: float = 1e-3,
    schedule: str = "constant",
    decay_steps: int | None = None,
    decay_rate: float = 0.1,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    early_stopping: int | None = None,
    min_delta: float = 0.0,
    seed: int = 0,
    strategy: tf.distribute.Strategy | None = None,
    desc: str = "training",
) -> training.TrainResult:
    """Build an upscaler with ``build()`` and train it on (x, y) pairs in [-1, 1] with :func:`training.fit`.

    ``loss`` is "mse" (the post) or "l1"; ``optimizer`` any name of :data:`darkroom.core.optimizers.OPTIMIZERS`
    ("rmsprop" is the post's choice, "sgd" (plain gradient descent) and "adadelta" the two it tried);
    ``schedule`` "constant", "exponential" (the post; times ``decay_rate`` every ``decay_steps``, by
    default once over the whole run) or "cosine". ``early_stopping`` (a patience in epochs) stops
    when the loss on ``validation_data`` has not fallen by more than ``min_delta`` for that many
    epochs, and keeps the best epoch's weights.
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}")
    x, y = np.asarray(x, np.float32), np.asarray(y, np.float32)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must be non-empty and of equal length, got {len(x)} and {len(y)}")
    steps = epochs * math.ceil(len(x) / batch_size)
    rate = optimizers.learning_rate_schedule(
        learning_rate, schedule, total_steps=steps, decay_steps=decay_steps, decay_rate=decay_rate
    )
    with training.strategy_scope(strategy):
        opt = optimizers.optimizer(optimizer, rate)
    return training.fit(
        build,
        (x, y),
        loss=LOSSES[loss],
        optimizer=opt,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation_data,
        early_stopping=early_stopping,
        min_delta=min_delta,
        seed=seed,
        strategy=strategy,
        desc=desc,
    )


#: How the shipped upscalers were made (``make models``): the residual sub-pixel net, small.
# learning rate 5e-4: at 1e-3 the x4 net's ReLUs died on seed 0 (it stayed at bicubic); seeds 0 and 1 at 5e-4 learned.
SHIPPED_RECIPE = dict(
    filters=32, num_layers=6, crops=3000, epochs=20, batch_size=16, learning_rate=5e-4, min_std=0.05, seed=0
)


def train_shipped(
    scale: int, recipe: dict | None = None, photos: Sequence[np.ndarray] | None = None
) -> training.TrainResult:
    """Train the small residual sub-pixel upscaler that ships for ``scale`` (``make models``).

    The bundled photos' train split only (:func:`photo_splits`, as notebook 08 splits them),
    random informative crops whose low-resolution side is 24 px, L1 with a cosine schedule,
    fixed seeds: :data:`SHIPPED_RECIPE` unless ``recipe`` overrides some of it.
    """
    r = {**SHIPPED_RECIPE, **(recipe or {})}
    if photos is None:
        photos = photo_splits("embedded")["train"]
    x, y = random_crop_pairs(photos, r["crops"], 24 * scale, scale, min_std=r["min_std"], seed=r["seed"])
    return train_upscaler(
        lambda: build_residual_subpixel(scale, r["filters"], r["num_layers"], name=f"resub_x{scale}"),
        x,
        y,
        epochs=r["epochs"],
        batch_size=r["batch_size"],
        loss="l1",
        learning_rate=r["learning_rate"],
        schedule="cosine",
        seed=r["seed"],
        desc=f"upscaler x{scale}",
    )
