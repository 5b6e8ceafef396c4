"""Colorization: predict a photo's colour (LAB's a, b) from its lightness (L).

Chapters 06 and 07. ``cnn`` holds the write-up's CNN, a lighter fully convolutional variant, their
losses (regression and Zhang et al.'s classification over ab bins) and :func:`colorize`; ``pix2pix``
the conditional GAN; ``pairs`` the (L / 100, ab / 128) pairs and seeded ``tf.data`` pipeline both
train on. Every public name of ``cnn`` and ``pairs`` is re-exported here; pix2pix's live in
:mod:`darkroom.colorize.pix2pix` (``from darkroom.colorize import pix2pix``).
"""

from __future__ import annotations

from darkroom.colorize import pairs, pix2pix
from darkroom.colorize.cnn import (
    AUGMENTATIONS,
    LOSSES,
    POST_LOSSES,
    AbBins,
    AnnealedMean,
    Choice,
    ColorizerResult,
    PhotoSet,
    RebalancedCrossEntropy,
    SSIMLoss,
    ab_bins,
    architecture_facts,
    ball_report,
    build_light_cnn,
    build_post_cnn,
    check_rows,
    colorize,
    colorize_batch,
    gray_baseline,
    model_stride,
    pick_on_crops,
    predictions,
    saved_colorizers,
    score,
    score_rows,
    tanh_saturation,
    train_colorizer,
    training_photos,
)
from darkroom.colorize.pairs import from_model_pairs, pair_dataset, random_seeds, to_model_pairs

__all__ = [
    "AUGMENTATIONS",
    "LOSSES",
    "POST_LOSSES",
    "AbBins",
    "AnnealedMean",
    "Choice",
    "ColorizerResult",
    "PhotoSet",
    "RebalancedCrossEntropy",
    "SSIMLoss",
    "ab_bins",
    "architecture_facts",
    "ball_report",
    "build_light_cnn",
    "build_post_cnn",
    "check_rows",
    "colorize",
    "colorize_batch",
    "from_model_pairs",
    "gray_baseline",
    "model_stride",
    "pair_dataset",
    "pairs",
    "pick_on_crops",
    "pix2pix",
    "predictions",
    "random_seeds",
    "saved_colorizers",
    "score",
    "score_rows",
    "tanh_saturation",
    "to_model_pairs",
    "train_colorizer",
    "training_photos",
]
