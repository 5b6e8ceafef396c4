"""White discs on black: the toy problem behind chapters 02 and 03.

Generators, streaming datasets, the write-up's autoencoder and the fixes that train, the disc IoU
metric and the reports the chapters print. Every public name is re-exported here.
"""

from __future__ import annotations

from darkroom.circles.autoencoder import (
    DEFAULT_PALETTE,
    AutoencoderResult,
    DiscIoU,
    architecture_sweep,
    budget_columns,
    budget_note,
    circle_dataset,
    circle_splits,
    color_report,
    colorize_discs,
    corrupt,
    dataset_size,
    disc_colorization_dataset,
    disc_iou,
    evaluate_autoencoder,
    gradient_report,
    inpainting_report,
    make_circles,
    make_circles_lab,
    make_colored_discs,
    masked_examples,
    plot_filters,
    post_autoencoder,
    squeeze_autoencoder,
    train_autoencoder,
)

__all__ = [
    "DEFAULT_PALETTE",
    "AutoencoderResult",
    "DiscIoU",
    "architecture_sweep",
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
    "inpainting_report",
    "make_circles",
    "make_circles_lab",
    "make_colored_discs",
    "masked_examples",
    "plot_filters",
    "post_autoencoder",
    "squeeze_autoencoder",
    "train_autoencoder",
]
