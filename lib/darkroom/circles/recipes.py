"""The five choices that separate the write-up's failing autoencoder from one that trains.

A :class:`Recipe` names each choice: the data's scale, the loss's reduction, the initial weights,
the optimizer and the output activation. :func:`leave_one_out` gives the full fix and, for each
choice, the full fix with that one choice set back to the write-up's, so a table of them shows
which choices matter. :func:`train_recipe` trains one on a stream of discs and
:func:`score_recipe` scores it on the [0, 1] scale whatever the data's scale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from darkroom.circles.networks import post_autoencoder
from darkroom.circles.reports import evaluate_autoencoder
from darkroom.circles.streams import circle_splits
from darkroom.circles.train import AutoencoderResult, train_autoencoder

__all__ = [
    "FIXED",
    "WRITEUP",
    "Recipe",
    "black_baseline",
    "leave_one_out",
    "outcome",
    "plot_recipe_scores",
    "recipe_rows",
    "score_recipe",
    "train_recipe",
    "untrained_baseline",
]

_CHOICES = {
    "scale": (1.0, 100.0),
    "reduction": ("mean", "sum"),
    "initializer": ("glorot", "tf2016"),
    "optimizer": ("adam", "sgd"),
    "output": ("sigmoid", "linear"),
}


@dataclass(frozen=True)
class Recipe:
    """How to train the write-up's six-layer net on white discs.

    ``scale`` is the largest pixel value (1 for [0, 1] data, 100 for LAB lightness);
    ``reduction`` "mean" or "sum" of the squared errors; ``initializer`` "glorot" or "tf2016";
    ``optimizer`` "adam" or "sgd" at ``learning_rate``; ``output`` "sigmoid" (bounded to
    0..scale) or "linear".
    """

    scale: float
    reduction: str
    initializer: str
    optimizer: str
    output: str
    learning_rate: float = 1e-3

    def __post_init__(self) -> None:
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"Recipe.{name} must be one of {allowed}; received {getattr(self, name)!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"Recipe.learning_rate must be > 0; received {self.learning_rate}")

    @property
    def loss(self) -> str:
        """The loss's name in :data:`darkroom.core.losses.LOSSES`."""
        return "mean_squared_error" if self.reduction == "mean" else "sum_of_squares"

    @property
    def units(self) -> str:
        """The ``units`` argument of :func:`darkroom.circles.circle_splits` for this scale."""
        return "unit" if self.scale == 1.0 else "lab"

    def build(self, input_shape: tuple[int, int, int]) -> keras.Model:
        """The write-up's net with this recipe's initial weights and output."""
        return post_autoencoder(
            input_shape,
            initializer=self.initializer,
            output_activation="sigmoid" if self.output == "sigmoid" else None,
            output_scale=self.scale if self.output == "sigmoid" else 1.0,
        )


WRITEUP = Recipe(
    scale=100.0, reduction="sum", initializer="tf2016", optimizer="sgd", output="linear", learning_rate=1e-9
)
"""The write-up's set-up: lightness 0..100, summed squared error, 2016 weights, SGD, linear output."""

FIXED = Recipe(
    scale=1.0, reduction="mean", initializer="glorot", optimizer="adam", output="sigmoid", learning_rate=1e-3
)
"""Every fix at once: [0, 1] data, a mean, Glorot weights, Adam at 1e-3, a sigmoid output."""


def leave_one_out(fixed: Recipe = FIXED, writeup: Recipe = WRITEUP) -> dict[str, Recipe]:
    """The full fix, then the full fix with one choice at a time set back to ``writeup``'s.

    The learning rate stays the fix's, so each row changes exactly one choice. Keys read as table
    labels: "all fixes", "... but 0..100 data", and so on.
    """
    labels = {
        "scale": "0..100 data",
        "reduction": "summed loss",
        "initializer": "2016 weights",
        "optimizer": "plain SGD",
        "output": "linear output",
    }
    recipes = {"all fixes": fixed}
    for name, label in labels.items():
        if getattr(fixed, name) != getattr(writeup, name):
            recipes[f"all fixes but {label}"] = dataclasses.replace(fixed, **{name: getattr(writeup, name)})
    return recipes


def train_recipe(
    recipe: Recipe,
    num_train: int,
    num_validation: int,
    scene: Mapping[str, Any],
    *,
    batch_size: int = 16,
    epochs: int = 3,
    seed: int = 0,
    target_iou: float | None = None,
    strategy: tf.distribute.Strategy | None = None,
    desc: str = "recipe",
) -> tuple[AutoencoderResult, tf.data.Dataset]:
    """Train ``recipe`` on ``num_train`` discs drawn with ``scene``; return the run and its
    validation stream (in the recipe's units, for :func:`score_recipe`).

    Every recipe sees the same discs (the scale only multiplies them), so runs with the same
    ``epochs`` share the budget exactly. ``seed`` sets the initial weights and dropout, not the
    discs; ``target_iou`` is passed to :func:`train_autoencoder`.
    """
    train, val = circle_splits(num_train, num_validation, batch_size, units=recipe.units, **scene)
    shape = (scene["height"], scene["width"], 1)
    result = train_autoencoder(
        partial(recipe.build, shape),
        train,
        val,
        loss=recipe.loss,
        optimizer=recipe.optimizer,
        learning_rate=recipe.learning_rate,
        epochs=epochs,
        seed=seed,
        strategy=strategy,
        iou_threshold=recipe.scale / 2,
        target_iou=target_iou,
        desc=desc,
    )
    return result, val


def score_recipe(model: keras.Model, validation: tf.data.Dataset, scale: float) -> dict[str, float]:
    """Held-out MSE on the [0, 1] scale and disc IoU at half of ``scale``, so recipes on 0..100
    and on [0, 1] data read side by side."""
    scores = evaluate_autoencoder(model, validation, threshold=scale / 2)
    return {"mse": scores["mse"] / scale**2, "iou": scores["iou"]}


def untrained_baseline(
    recipe: Recipe, validation: tf.data.Dataset, input_shape: tuple[int, int, int], seed: int = 0
) -> dict[str, float]:
    """:func:`score_recipe` of ``recipe``'s net before any training (the weights its run starts from)."""
    keras.utils.set_random_seed(seed)
    return score_recipe(recipe.build(input_shape), validation, recipe.scale)


def black_baseline(validation: tf.data.Dataset, scale: float = 1.0) -> dict[str, float]:
    """The scores of an all-black output: IoU 0 and an MSE equal to the mean squared target."""
    sq, count = 0.0, 0
    for _, y in validation:
        y = np.asarray(y) / scale
        sq += float(np.sum(y**2))
        count += y.size
    if count == 0:
        raise ValueError("black_baseline needs a non-empty validation stream; received none")
    return {"mse": sq / count, "iou": 0.0}


def outcome(
    scores: Mapping[str, float],
    untrained: Mapping[str, float],
    black: Mapping[str, float],
    tolerance: float = 0.1,
) -> str:
    """What a run's held-out scores say it learned, read against the two baselines.

    "diverged" (MSE not finite); "stuck" (MSE within ``tolerance`` of the untrained net's, IoU
    within 0.05 of it); "painted black" (MSE within ``tolerance`` of the all-black output's, IoU
    under 0.05); else "learned" if its IoU beats the untrained net's, "moved" if not.
    """
    mse, iou = scores["mse"], scores["iou"]
    if not np.isfinite(mse):
        return "diverged"
    if abs(mse / untrained["mse"] - 1) < tolerance and abs(iou - untrained["iou"]) < 0.05:
        return "stuck"
    if iou < 0.05 and abs(mse / black["mse"] - 1) < tolerance:
        return "painted black"
    return "learned" if iou > untrained["iou"] else "moved"


def recipe_rows(
    scores: Mapping[str, Mapping[str, float]], runs: Mapping[str, AutoencoderResult] | None = None
) -> list[dict[str, Any]]:
    """Table rows: each scored run's held-out MSE (0..1 scale) and IoU, and its optimizer steps
    when it was trained (baselines have none)."""
    runs = runs or {}
    return [
        {
            "run": name,
            "held-out MSE": s["mse"],
            "held-out IoU": s["iou"],
            "steps": runs[name].steps if name in runs else None,
        }
        for name, s in scores.items()
    ]


def plot_recipe_scores(
    scores: Mapping[str, Mapping[str, float]],
    seeds: Sequence[str],
    key: str = "iou",
    ax: Any = None,
) -> Any:
    """Horizontal bars of each run's ``key``, with the range of the ``seeds`` runs shaded, so a bar
    that ends inside the band is within noise."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.45 * len(scores) + 1))
    names = list(scores)[::-1]
    values = [scores[name][key] for name in names]
    colors = ["tab:blue" if name in seeds else "tab:gray" for name in names]
    ax.barh(names, np.nan_to_num(values), color=colors)
    band = [scores[name][key] for name in seeds]
    ax.axvspan(min(band), max(band), color="tab:blue", alpha=0.15, label="range of the seed runs (blue bars)")
    ax.set_xlabel(f"held-out {'IoU' if key == 'iou' else key}")
    if key == "iou":
        ax.set_xlim(0, 1)
    ax.legend(loc="lower right", fontsize=8)
    return ax.figure
