"""White discs on black: the toy problem behind chapters 02 and 03.

``discs`` draws the images (and damages them), ``streams`` streams them through ``tf.data``,
``networks`` holds the write-up's autoencoder and a squeeze net, ``iou`` the disc IoU metric,
``train`` the trainer and its budget, ``recipes`` the five choices that make the write-up's
net train, ``reports`` what the chapters print. Every public name is re-exported here.
"""

from __future__ import annotations

from darkroom.circles.baselines import MeanAbColorizer, gray_colorizer
from darkroom.circles.discs import (
    DEFAULT_PALETTE,
    corrupt,
    make_circles,
    make_circles_lab,
    make_colored_discs,
)
from darkroom.circles.iou import DiscIoU, disc_iou
from darkroom.circles.networks import post_autoencoder, squeeze_autoencoder
from darkroom.circles.recipes import (
    FIXED,
    WRITEUP,
    Recipe,
    black_baseline,
    leave_one_out,
    outcome,
    plot_recipe_scores,
    recipe_rows,
    score_recipe,
    train_recipe,
    untrained_baseline,
)
from darkroom.circles.reports import (
    architecture_sweep,
    color_report,
    colorize_discs,
    evaluate_autoencoder,
    gradient_report,
    hue_accuracy,
    inpainting_report,
    plot_filters,
)
from darkroom.circles.streams import (
    circle_dataset,
    circle_splits,
    dataset_size,
    disc_colorization_dataset,
    masked_examples,
)
from darkroom.circles.train import AutoencoderResult, budget_columns, budget_note, train_autoencoder

__all__ = [
    "DEFAULT_PALETTE",
    "FIXED",
    "WRITEUP",
    "AutoencoderResult",
    "DiscIoU",
    "MeanAbColorizer",
    "Recipe",
    "architecture_sweep",
    "black_baseline",
    "budget_columns",
    "budget_note",
    "circle_dataset",
    "circle_splits",
    "color_report",
    "colorize_discs",
    "corrupt",
    "dataset_size",
    "disc_colorization_dataset",
    "disc_iou",
    "evaluate_autoencoder",
    "gradient_report",
    "gray_colorizer",
    "hue_accuracy",
    "inpainting_report",
    "leave_one_out",
    "make_circles",
    "make_circles_lab",
    "make_colored_discs",
    "masked_examples",
    "outcome",
    "plot_filters",
    "plot_recipe_scores",
    "post_autoencoder",
    "recipe_rows",
    "score_recipe",
    "squeeze_autoencoder",
    "train_autoencoder",
    "train_recipe",
    "untrained_baseline",
]
