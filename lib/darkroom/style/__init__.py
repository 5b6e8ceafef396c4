"""Style transfer on VGG19 features: by optimisation (Gatys et al.) and by a trained network (Johnson et al.).

Chapters 05 and 09. ``transfer`` optimises one image (:func:`stylize`, neural-style's options and
more); ``fast`` trains a feed-forward network per style (:func:`train_fast_style`) and applies it
(:func:`apply_style`). Every public name of both is re-exported here.
"""

from __future__ import annotations

from darkroom.style import fast, transfer
from darkroom.style.fast import (
    FastStyleResult,
    FastStyleTrainer,
    apply_style,
    build_transformer,
    comparison_rows,
    seconds_per_image,
    train_fast_style,
)
from darkroom.style.transfer import (
    COLOR_SPACES,
    FeatureTrial,
    StyleResult,
    blend_weights,
    feature_trial,
    plot_convergence,
    preserve_colors_space,
    projected_hours,
    relative_change_stop,
    seconds_per_iteration,
    stopping_iteration,
    stylize,
    time_to_reach,
    transfer_luminance,
)

__all__ = [
    "COLOR_SPACES",
    "FastStyleResult",
    "FastStyleTrainer",
    "FeatureTrial",
    "StyleResult",
    "apply_style",
    "blend_weights",
    "build_transformer",
    "comparison_rows",
    "fast",
    "feature_trial",
    "plot_convergence",
    "preserve_colors_space",
    "projected_hours",
    "relative_change_stop",
    "seconds_per_image",
    "seconds_per_iteration",
    "stopping_iteration",
    "stylize",
    "time_to_reach",
    "train_fast_style",
    "transfer",
    "transfer_luminance",
]
