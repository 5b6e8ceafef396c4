"""Style transfer on VGG19 features: by optimisation (Gatys et al.) and by a trained network (Johnson et al.).

Chapters 05 and 09. ``transfer`` optimises one image (:func:`stylize`, neural-style's options and
more) with the Adam and L-BFGS loops in ``solvers``, returning a ``results.StyleResult``; ``stopping`` is its
stopping rule, ``colors`` its colour preservation, ``trials`` the experiments on its runs (feature
sets, convergence, timing). ``fast`` trains a feed-forward network per style
(:func:`train_fast_style`) and applies it (:func:`apply_style`). Every public name of these
modules is re-exported here.
"""

from __future__ import annotations

from darkroom.style import colors, fast, results, solvers, stopping, transfer, trials
from darkroom.style.colors import COLOR_SPACES, preserve_colors_space, transfer_luminance
from darkroom.style.fast import (
    FastStyleResult,
    FastStyleTrainer,
    apply_style,
    build_transformer,
    comparison_rows,
    seconds_per_image,
    train_fast_style,
)
from darkroom.style.results import StyleResult
from darkroom.style.stopping import relative_change_stop, stopping_iteration
from darkroom.style.transfer import blend_weights, stylize
from darkroom.style.trials import (
    FeatureTrial,
    feature_trial,
    plot_convergence,
    projected_hours,
    seconds_per_iteration,
    settled_at,
    spaced_frames,
    time_to_reach,
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
    "colors",
    "comparison_rows",
    "fast",
    "feature_trial",
    "plot_convergence",
    "preserve_colors_space",
    "projected_hours",
    "relative_change_stop",
    "results",
    "seconds_per_image",
    "seconds_per_iteration",
    "settled_at",
    "solvers",
    "spaced_frames",
    "stopping",
    "stopping_iteration",
    "stylize",
    "time_to_reach",
    "train_fast_style",
    "transfer",
    "transfer_luminance",
    "trials",
]
