"""White discs on black: the toy problem behind chapters 02 and 03.

Generators, streaming datasets, the write-up's autoencoder and the fixes that train, the disc IoU
metric and the reports the chapters print. Every public name is re-exported here.
"""

from __future__ import annotations

from darkroom.circles.autoencoder import (
    DEFAULT_PALETTE, make_circles, make_circles_lab, make_colored_discs, corrupt, circle_dataset,
    circle_splits, disc_colorization_dataset, post_autoencoder, squeeze_autoencoder, DiscIoU,
    disc_iou, AutoencoderResult, train_autoencoder, budget_columns, budget_note,
    evaluate_autoencoder, masked_examples, inpainting_report, dataset_size, gradient_report,
    plot_filters, architecture_sweep, colorize_discs, color_report
)

__all__ = [
    "DEFAULT_PALETTE",
    "make_circles",
    "make_circles_lab",
    "make_colored_discs",
    "corrupt",
    "circle_dataset",
    "circle_splits",
    "disc_colorization_dataset",
    "post_autoencoder",
    "squeeze_autoencoder",
    "DiscIoU",
    "disc_iou",
    "AutoencoderResult",
    "train_autoencoder",
    "budget_columns",
    "budget_note",
    "evaluate_autoencoder",
    "masked_examples",
    "inpainting_report",
    "dataset_size",
    "gradient_report",
    "plot_filters",
    "architecture_sweep",
    "colorize_discs",
    "color_report",
]
