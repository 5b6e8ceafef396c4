"""Super-resolution: enlarge grayscale (and colour) photos with learned models.

The image-scaling write-up (Caltech-256, 2016) trained a multilayer perceptron that maps 10x10
grayscale patches to 15x15 ones (x1.5) and beat nearest-neighbour upscaling on mean absolute
pixel difference. This module holds every piece that experiment needs, plus what it left undone:

- data preparation as the post did it (centre-crop square, 150x150 labels, 100x100 inputs, gray
  by relative luminance, pixels in [-1, 1], split by image) and random aligned crops for conv nets;
- patch extraction and reassembly (tiles, or overlapping patches blended with a Gaussian);
- ``degrade`` (the one definition of "make it low resolution") and ``upscale`` (any image,
  any method or model, colour handled on luminance);
- the baselines (nearest, bilinear, bicubic, and the exact least-squares linear patch map that
  the patch regressor must beat), the post's MLP, SRCNN 9-1-5, an ESPCN-style
  sub-pixel net and a residual sub-pixel net trained with L1, a schedule and informative crops;
- training through :func:`darkroom.core.training.fit` (:func:`train_upscaler`) and the post's own grid of
  choices, one at a time with early stopping on a validation plateau (:func:`compare_settings`);
- scores: MAE on [0, 1] (the post's metric), PSNR and SSIM with a border excluded, target first;
- the post's clean-up pass (:func:`refine`, :func:`cleanup_passes`) and its text example (:func:`text_image`);
- the ablation of the residual sub-pixel net (:func:`ablate_residual_subpixel`) and the post's set-up
  figures as this run measures them (:func:`writeup_run_values`).

Conventions: public functions take images in [0, 1] (float) or uint8; models see and produce
pixels in [-1, 1], as in the post. A scale such as 1.5 is handled as the fraction p/q = 3/2: a
low-resolution block of q x q pixels becomes a p x p block, so sizes that are multiples of q on
the low-resolution side line up exactly with multiples of p on the high-resolution side.

The package's modules, each named for what it holds: ``pixels`` (scale, pixel ranges, ``degrade``,
patches), ``pairs`` (photo splits and training pairs), ``networks`` (custom layers and builders),
``linear`` (the least-squares patch map), ``diagnostics`` (saturated units, error maps),
``train``, ``shipped`` (the packaged upscalers), ``upscaling``, ``scores`` and ``choices`` (the post's
grid). Every public name is re-exported here: ``from darkroom import superres; superres.upscale(...)``.
"""

from __future__ import annotations

from darkroom.superres.choices import (
    ABLATION_KEYS,
    GRIDS,
    SETTING_KEYS,
    ablate_residual_subpixel,
    compare_settings,
    plot_settings,
    rows_by_change,
    untrained_setting_row,
    writeup_run_values,
    writeup_settings,
)
from darkroom.superres.diagnostics import error_maps, plot_error_maps, saturated_share
from darkroom.superres.linear import fit_linear_map
from darkroom.superres.networks import (
    BicubicResize,
    DepthToSpace,
    SpaceToDepth,
    build_espcn,
    build_mlp,
    build_residual_subpixel,
    build_srcnn,
)
from darkroom.superres.pairs import patch_pairs, photo_splits, prepare_pairs, random_crop_pairs, text_image
from darkroom.superres.pixels import (
    degrade,
    extract_patches,
    from_signed,
    gaussian_window,
    patch_positions,
    reassemble,
    scale_fraction,
    to_signed,
)
from darkroom.superres.scores import (
    BORDER,
    Candidate,
    cleanup_rows,
    evaluate,
    evaluate_pairs,
    megapixels_per_second,
    plot_enlargements,
    plot_scores,
    plot_seams,
    quality_table,
    round_trip,
    score,
    score_rows,
    seam_contrast,
    writeup_r2,
)
from darkroom.superres.shipped import SHIPPED_SCALES, load_upscaler, save_upscaler, shipped_model_path
from darkroom.superres.train import (
    LOSSES,
    SHIPPED_RECIPE,
    train_shipped,
    train_upscaler,
)
from darkroom.superres.upscaling import (
    METHODS,
    MIN_MODEL_SIDE,
    check_upscalable,
    cleanup_passes,
    refine,
    tile_count,
    upscale,
)

__all__ = [
    "ABLATION_KEYS",
    "BORDER",
    "GRIDS",
    "LOSSES",
    "METHODS",
    "MIN_MODEL_SIDE",
    "SETTING_KEYS",
    "SHIPPED_RECIPE",
    "SHIPPED_SCALES",
    "BicubicResize",
    "Candidate",
    "DepthToSpace",
    "SpaceToDepth",
    "ablate_residual_subpixel",
    "build_espcn",
    "build_mlp",
    "build_residual_subpixel",
    "build_srcnn",
    "check_upscalable",
    "cleanup_passes",
    "cleanup_rows",
    "compare_settings",
    "degrade",
    "error_maps",
    "evaluate",
    "evaluate_pairs",
    "extract_patches",
    "fit_linear_map",
    "from_signed",
    "gaussian_window",
    "load_upscaler",
    "megapixels_per_second",
    "patch_pairs",
    "patch_positions",
    "photo_splits",
    "plot_enlargements",
    "plot_error_maps",
    "plot_scores",
    "plot_seams",
    "plot_settings",
    "prepare_pairs",
    "quality_table",
    "random_crop_pairs",
    "reassemble",
    "refine",
    "round_trip",
    "rows_by_change",
    "saturated_share",
    "save_upscaler",
    "scale_fraction",
    "score",
    "score_rows",
    "seam_contrast",
    "shipped_model_path",
    "text_image",
    "tile_count",
    "to_signed",
    "train_shipped",
    "train_upscaler",
    "untrained_setting_row",
    "upscale",
    "writeup_r2",
    "writeup_run_values",
    "writeup_settings",
]
