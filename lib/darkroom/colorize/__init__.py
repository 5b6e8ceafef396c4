"""Colorization: predict a photo's colour (LAB's a, b) from its lightness (L).

Chapters 06 and 07. ``networks`` holds the write-up's CNN and a lighter fully convolutional
variant; ``bins`` Zhang et al.'s classification over ab bins (the bins, their loss, the decoder);
``train`` the regression losses and :func:`train_colorizer`; ``inference`` :func:`colorize`;
``scores`` the score tables and the checks the chapters print; ``pix2pix`` the conditional GAN;
``pairs`` the (L / 100, ab / 128) pairs and seeded ``tf.data`` pipeline both train on. Every public
name of every module but ``pix2pix`` is re-exported here; pix2pix's live in
:mod:`darkroom.colorize.pix2pix` (``from darkroom.colorize import pix2pix``).
"""

from __future__ import annotations

from darkroom.colorize import cards, pairs, pix2pix
from darkroom.colorize.bins import AbBins, AnnealedMean, RebalancedCrossEntropy, ab_bins
from darkroom.colorize.cards import ColorizerCard, card, training_data
from darkroom.colorize.inference import (
    check_colorizer,
    colorize,
    colorize_batch,
    gray_baseline,
    predictions,
    saved_colorizers,
)
from darkroom.colorize.networks import architecture_facts, build_light_cnn, build_post_cnn, model_stride
from darkroom.colorize.pairs import from_model_pairs, pair_dataset, random_seeds, to_model_pairs
from darkroom.colorize.scores import (
    Choice,
    VariantRuns,
    ball_report,
    check_rows,
    compare_variants,
    pick_on_crops,
    score,
    score_rows,
    tanh_saturation,
)
from darkroom.colorize.train import (
    AUGMENTATIONS,
    LOSSES,
    POST_LOSSES,
    ColorizerResult,
    PhotoSet,
    SSIMLoss,
    train_colorizer,
    training_photos,
)

__all__ = [
    "AUGMENTATIONS",
    "LOSSES",
    "POST_LOSSES",
    "AbBins",
    "AnnealedMean",
    "Choice",
    "ColorizerCard",
    "ColorizerResult",
    "PhotoSet",
    "RebalancedCrossEntropy",
    "SSIMLoss",
    "VariantRuns",
    "ab_bins",
    "architecture_facts",
    "ball_report",
    "build_light_cnn",
    "build_post_cnn",
    "card",
    "cards",
    "check_colorizer",
    "check_rows",
    "colorize",
    "colorize_batch",
    "compare_variants",
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
    "training_data",
    "training_photos",
]
