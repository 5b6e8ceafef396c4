"""Colorization: predict a photo's colour (LAB's a, b) from its lightness (L).

Chapters 06 and 07. ``cnn`` holds the write-up's CNN, a lighter fully convolutional variant, their
losses (regression and Zhang et al.'s classification over ab bins) and :func:`colorize`; ``pix2pix``
the conditional GAN; ``pairs`` the (L / 100, ab / 128) pairs and seeded ``tf.data`` pipeline both
train on. Every public name of ``cnn`` and ``pairs`` is re-exported here; pix2pix's live in
:mod:`darkroom.colorize.pix2pix` (``from darkroom.colorize import pix2pix``).
"""

from __future__ import annotations

from darkroom.colorize.cnn import (
    build_post_cnn, build_light_cnn, AbBins, ab_bins, AnnealedMean, RebalancedCrossEntropy,
    SSIMLoss, LOSSES, ColorizerResult, train_colorizer, model_stride, architecture_facts, colorize,
    colorize_batch, gray_baseline, score, ball_chroma, ball_report, score_rows, predictions,
    check_rows, saved_colorizers, PhotoSet, training_photos, Choice, pick_on_crops, tanh_saturation,
    POST_LOSSES, AUGMENTATIONS
)
from darkroom.colorize.pairs import (
    to_model_pairs, from_model_pairs, random_seeds, pair_dataset
)
from darkroom.colorize import pairs, pix2pix  # noqa: F401  (submodules, reached as colorize.pairs)

__all__ = [
    "build_post_cnn",
    "build_light_cnn",
    "AbBins",
    "ab_bins",
    "AnnealedMean",
    "RebalancedCrossEntropy",
    "SSIMLoss",
    "LOSSES",
    "ColorizerResult",
    "train_colorizer",
    "model_stride",
    "architecture_facts",
    "colorize",
    "colorize_batch",
    "gray_baseline",
    "score",
    "ball_chroma",
    "ball_report",
    "score_rows",
    "predictions",
    "check_rows",
    "saved_colorizers",
    "PhotoSet",
    "training_photos",
    "Choice",
    "pick_on_crops",
    "tanh_saturation",
    "POST_LOSSES",
    "AUGMENTATIONS",
    "to_model_pairs",
    "from_model_pairs",
    "random_seeds",
    "pair_dataset",
]
