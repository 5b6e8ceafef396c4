"""Style transfer on VGG19 features: by optimisation (Gatys et al.) and by a trained network (Johnson et al.).

Chapters 05 and 09. ``transfer`` optimises one image (:func:`stylize`, neural-style's options and
more); ``fast`` trains a feed-forward network per style (:func:`train_fast_style`) and applies it
(:func:`apply_style`). Every public name of both is re-exported here.
"""

from __future__ import annotations

from darkroom.style.transfer import (
    StyleResult, projected_hours, stylize, blend_weights, relative_change_stop, stopping_iteration,
    COLOR_SPACES, preserve_colors_space, transfer_luminance, FeatureTrial, feature_trial,
    time_to_reach, plot_convergence, seconds_per_iteration
)
from darkroom.style.fast import (
    build_transformer, FastStyleTrainer, FastStyleResult, train_fast_style, apply_style,
    seconds_per_image, comparison_rows
)
from darkroom.style import fast, transfer  # noqa: F401  (submodules, reached as style.fast)

__all__ = [
    "StyleResult",
    "projected_hours",
    "stylize",
    "blend_weights",
    "relative_change_stop",
    "stopping_iteration",
    "COLOR_SPACES",
    "preserve_colors_space",
    "transfer_luminance",
    "FeatureTrial",
    "feature_trial",
    "time_to_reach",
    "plot_convergence",
    "seconds_per_iteration",
    "build_transformer",
    "FastStyleTrainer",
    "FastStyleResult",
    "train_fast_style",
    "apply_style",
    "seconds_per_image",
    "comparison_rows",
]
